#include "ReplayJson.hpp"

#include "inspector/Envelope.hpp"
#include "inspector/Redactor.hpp"

#include <algorithm>
#include <cctype>

namespace dapscope::replay
{

Frame ParseFrame(bool binary, std::string_view bytes)
{
    Frame frame;
    frame.binary = binary;
    const auto split = inspector::SplitFrame(binary ? inspector::Opcode::Binary : inspector::Opcode::Text, bytes);
    frame.hasPayload = split.hasPayload;
    if (split.hasPayload)
        frame.payload.assign(split.payload);
    boost::system::error_code error;
    frame.doc = json::parse(split.json, error);
    if (error)
        frame.doc = nullptr;
    return frame;
}

std::string SerializeFrame(const Frame& frame)
{
    std::string bytes = json::serialize(frame.doc);
    if (frame.hasPayload)
    {
        bytes += '\n';
        bytes += frame.payload;
    }
    return bytes;
}

const json::value* Member(const json::value& value, std::string_view key)
{
    const auto* object = value.if_object();
    return object ? object->if_contains(key) : nullptr;
}

std::optional<int64_t> IntMember(const json::value& value, std::string_view key)
{
    const json::value* member = Member(value, key);
    if (member && member->is_int64())
        return member->get_int64();
    if (member && member->is_uint64() && member->get_uint64() <= INT64_MAX)
        return static_cast<int64_t>(member->get_uint64());
    return std::nullopt;
}

std::string_view StringMember(const json::value& value, std::string_view key)
{
    const json::value* member = Member(value, key);
    return member && member->is_string() ? std::string_view(member->get_string()) : std::string_view();
}

bool Succeeded(const json::value& response)
{
    const json::value* success = Member(response, "success");
    return !success || !success->is_bool() || success->get_bool();
}

std::string_view RequestToken(const json::value& request)
{
    const json::value* arguments = Member(request, "arguments");
    std::string_view token = arguments ? StringMember(*arguments, "token") : std::string_view();
    return token.empty() ? StringMember(request, "token") : token;
}

void AppendPathKey(std::string& path, std::string_view key)
{
    const bool plain = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0])) &&
                       std::all_of(key.begin(), key.end(),
                                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (plain)
    {
        path += '.';
        path += key;
        return;
    }
    path += "['";
    for (char c : key)
    {
        if (c == '\'' || c == '\\')
            path += '\\';
        path += c;
    }
    path += "']";
}

void AppendPathIndex(std::string& path, size_t index)
{
    path += '[';
    path += std::to_string(index);
    path += ']';
}

bool IsMarker(std::string_view text)
{
    return text.size() == kMarkerSize && inspector::MarkerFingerprint(text).has_value();
}

std::vector<std::string> MarkersIn(std::string_view text)
{
    std::vector<std::string> markers;
    for (size_t at = text.find("[redacted:"); at != std::string_view::npos; at = text.find("[redacted:", at + 1))
    {
        std::string_view candidate = text.substr(at, kMarkerSize);
        if (inspector::MarkerFingerprint(candidate))
            markers.emplace_back(candidate);
    }
    return markers;
}

void FindMarkers(const json::value& value, std::string& path, std::vector<MarkerAt>& out)
{
    const size_t length = path.size();
    if (const auto* object = value.if_object())
    {
        for (const auto& member : *object)
        {
            AppendPathKey(path, member.key());
            FindMarkers(member.value(), path, out);
            path.resize(length);
        }
    }
    else if (const auto* array = value.if_array())
    {
        for (size_t i = 0; i < array->size(); ++i)
        {
            AppendPathIndex(path, i);
            FindMarkers((*array)[i], path, out);
            path.resize(length);
        }
    }
    else if (const auto* string = value.if_string())
    {
        for (std::string& marker : MarkersIn(*string))
            out.push_back({path, std::move(marker)});
    }
}

bool IsTimeKey(std::string_view key)
{
    std::string lower(key);
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower.find("time") != std::string::npos || lower == "modified" || lower == "lastactivity" ||
           lower.ends_with("_at") || (key.size() > 2 && key.ends_with("At"));
}

namespace
{

constexpr size_t kShownChars = 120;

std::string Shown(const json::value* value)
{
    if (!value)
        return "(absent)";
    std::string text = json::serialize(*value);
    if (text.size() > kShownChars)
    {
        text.resize(kShownChars);
        text += "...";
    }
    return text;
}

bool SameScalar(const json::value& expected, const json::value& now)
{
    if (expected.is_number() && now.is_number())
    {
        if (expected.is_double() || now.is_double())
            return expected.to_number<double>() == now.to_number<double>();
        if (expected.is_int64() && now.is_int64())
            return expected.get_int64() == now.get_int64();
        if (expected.is_uint64() && now.is_uint64())
            return expected.get_uint64() == now.get_uint64();
        return false; // one is negative, the other beyond INT64_MAX
    }
    if (expected.is_string() && now.is_string())
    {
        std::string_view then = expected.get_string();
        if (then == now.get_string())
            return true;
        // A secret the capture could only keep as a marker: the same secret now has the same fingerprint.
        auto fingerprint = inspector::MarkerFingerprint(then);
        return fingerprint && *fingerprint == inspector::Fingerprint(now.get_string());
    }
    return expected == now;
}

void AddDifference(const json::value* expected, const json::value* now, const std::string& path,
                   std::vector<Difference>& out, size_t limit)
{
    if (out.size() < limit)
        out.push_back({path, Shown(expected), Shown(now)});
}

} // namespace

void Diff(const json::value& expected, const json::value& now, std::string& path, std::vector<Difference>& out,
          size_t limit)
{
    if (out.size() >= limit)
        return;
    const size_t length = path.size();
    const auto* expectedObject = expected.if_object();
    const auto* nowObject = now.if_object();
    if (expectedObject && nowObject)
    {
        for (const auto& member : *expectedObject)
        {
            if (IsTimeKey(member.key()))
                continue;
            AppendPathKey(path, member.key());
            if (const json::value* other = nowObject->if_contains(member.key()))
                Diff(member.value(), *other, path, out, limit);
            else
                AddDifference(&member.value(), nullptr, path, out, limit);
            path.resize(length);
        }
        for (const auto& member : *nowObject)
        {
            if (IsTimeKey(member.key()) || expectedObject->contains(member.key()))
                continue;
            AppendPathKey(path, member.key());
            AddDifference(nullptr, &member.value(), path, out, limit);
            path.resize(length);
        }
        return;
    }
    const auto* expectedArray = expected.if_array();
    const auto* nowArray = now.if_array();
    if (expectedArray && nowArray)
    {
        const size_t size = std::max(expectedArray->size(), nowArray->size());
        for (size_t i = 0; i < size && out.size() < limit; ++i)
        {
            AppendPathIndex(path, i);
            const json::value* a = i < expectedArray->size() ? &(*expectedArray)[i] : nullptr;
            const json::value* b = i < nowArray->size() ? &(*nowArray)[i] : nullptr;
            if (a && b)
                Diff(*a, *b, path, out, limit);
            else
                AddDifference(a, b, path, out, limit);
            path.resize(length);
        }
        return;
    }
    if (!SameScalar(expected, now))
        AddDifference(&expected, &now, path, out, limit);
}

} // namespace dapscope::replay
