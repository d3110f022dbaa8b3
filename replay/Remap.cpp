#include "Remap.hpp"

#include "inspector/Redactor.hpp"

#include <algorithm>
#include <cctype>

namespace dapscope::replay
{

namespace
{

// A task display id, "<first 8 hex of the token>.<source>" (PROTOCOL.md §3.4).
bool IsDisplayId(std::string_view value)
{
    return value.size() > 9 && value[8] == '.' &&
           std::all_of(value.begin(), value.begin() + 8,
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// Fields whose values the engine hands out or the client chooses (PROTOCOL.md §5.7): when they differ between
// then and now, the new value replaces the old one everywhere. Generic id fields count only when they hold a
// display id, so that a renamed service or team is still reported as a difference.
bool IsIdentifier(std::string_view key, std::string_view value)
{
    for (std::string_view id :
         {"token", "publicToken", "handle", "userToken", "objectId", "projectId", "project_id", "auth"})
        if (key == id)
            return true;
    return (key == "id" || key == "__id" || key == "taskId") && IsDisplayId(value);
}

bool IsPipeKey(std::string_view key)
{
    return key == "pipe_id" || key == "pipeId";
}

} // namespace

void Remap::Add(const std::string& recorded, const std::string& now)
{
    if (recorded.empty() || recorded == now)
        return;
    auto [it, inserted] = m_exact.try_emplace(recorded, now);
    if (!inserted)
    {
        if (IsMarker(recorded))
            return;
        it->second = now;
        return;
    }
    if (recorded.size() >= kMinInsideLength)
    {
        m_inside.push_back(recorded);
        // Longest first, so that a token is replaced before any shorter value inside it.
        std::stable_sort(m_inside.begin(), m_inside.end(),
                         [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    }
}

void Remap::AddPipe(std::string_view token, int64_t recorded, int64_t now)
{
    m_pipes[{std::string(token), recorded}] = now;
}

void Remap::Learn(const json::value& recorded, const json::value& now)
{
    LearnAt(recorded, now, {});
}

void Remap::LearnAt(const json::value& recorded, const json::value& now, std::string_view key)
{
    if (const auto* object = recorded.if_object())
    {
        if (const auto* other = now.if_object())
            for (const auto& member : *object)
                if (const json::value* value = other->if_contains(member.key()))
                    LearnAt(member.value(), *value, member.key());
        return;
    }
    if (const auto* array = recorded.if_array())
    {
        if (const auto* other = now.if_array())
            for (size_t i = 0; i < std::min(array->size(), other->size()); ++i)
                LearnAt((*array)[i], (*other)[i], key);
        return;
    }
    const auto* then = recorded.if_string();
    const auto* text = now.if_string();
    if (!then || !text)
        return;
    if (IsMarker(*then) || IsIdentifier(key, *then))
        Add(std::string(*then), std::string(*text));
}

const std::string* Remap::Lookup(std::string_view recorded) const
{
    if (m_exact.empty())
        return nullptr;
    auto it = m_exact.find(std::string(recorded));
    return it == m_exact.end() ? nullptr : &it->second;
}

bool Remap::ApplyInside(json::string& text) const
{
    bool changed = false;
    for (const std::string& old : m_inside)
    {
        if (text.size() <= old.size())
            continue;
        std::string_view view = text;
        size_t at = view.find(old);
        if (at == std::string_view::npos)
            continue;
        const std::string& now = m_exact.at(old);
        std::string out;
        size_t from = 0;
        for (; at != std::string_view::npos; at = view.find(old, from))
        {
            out.append(view.substr(from, at - from));
            out += now;
            from = at + old.size();
        }
        out.append(view.substr(from));
        text = out;
        changed = true;
    }
    return changed;
}

bool Remap::ApplyAt(json::value& value, std::string_view key, std::string_view pipeScope) const
{
    bool changed = false;
    if (auto* object = value.if_object())
    {
        for (auto& member : *object)
            changed |= ApplyAt(member.value(), member.key(), pipeScope);
    }
    else if (auto* array = value.if_array())
    {
        for (auto& element : *array)
            changed |= ApplyAt(element, key, pipeScope);
    }
    else if (auto* text = value.if_string())
    {
        if (const std::string* now = Lookup(*text))
        {
            *text = *now;
            return true;
        }
        return ApplyInside(*text);
    }
    else if (value.is_int64() && IsPipeKey(key) && !m_pipes.empty())
    {
        auto it = m_pipes.find({std::string(pipeScope), value.get_int64()});
        if (it != m_pipes.end() && it->second != value.get_int64())
        {
            value = it->second;
            return true;
        }
    }
    return changed;
}

bool Remap::Apply(json::value& doc, std::string_view pipeScope) const
{
    return !Empty() && ApplyAt(doc, {}, pipeScope);
}

bool Remap::ApplyToMarkers(std::string& bytes) const
{
    if (m_exact.empty() || bytes.find("[redacted:") == std::string::npos)
        return false;
    bool changed = false;
    for (const std::string& marker : MarkersIn(bytes))
    {
        const std::string* now = Lookup(marker);
        if (!now)
            continue;
        for (size_t at = bytes.find(marker); at != std::string::npos; at = bytes.find(marker, at + now->size()))
            bytes.replace(at, marker.size(), *now);
        changed = true;
    }
    return changed;
}

} // namespace dapscope::replay
