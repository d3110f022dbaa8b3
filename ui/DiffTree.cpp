#include "DiffTree.hpp"

#include "Style.hpp"
#include "inspector/Envelope.hpp"
#include "replay/Compare.hpp"
#include "replay/ReplayJson.hpp"

#include <boost/json/serialize.hpp>
#include <imgui.h>

#include <algorithm>

namespace dapscope::ui
{

namespace json = boost::json;

namespace
{
constexpr size_t kInlineChars = 120; // characters of a scalar shown on its line
constexpr size_t kChildren = 200;    // children of one node drawn at most (a difference beyond is still listed above)
constexpr ImU32 kHighlight = IM_COL32(235, 180, 60, 60);

std::string Scalar(const json::value& value)
{
    std::string text = value.is_string() ? "\"" + std::string(value.get_string()) + "\"" : json::serialize(value);
    return inspector::EscapeForTerminal(text, kInlineChars);
}
} // namespace

json::value ExchangeDocument(const replay::Recording& recording, int64_t requestId)
{
    auto request = std::find_if(recording.messages.begin(), recording.messages.end(),
                                [&](const replay::RecordedMessage& m) { return m.id == requestId; });
    if (request == recording.messages.end())
        return nullptr;
    json::object out;
    const replay::Frame frame = replay::ParseFrame(request->opcode == inspector::Opcode::Binary, request->bytes);
    // A request without arguments has no "arguments" node: "$.arguments" absent, as DiffSessions reports it.
    if (const json::value* arguments = replay::Member(frame.doc, "arguments"))
        out["arguments"] = *arguments;
    if (frame.hasPayload)
    {
        json::value& arguments = out["arguments"];
        if (!arguments.is_object())
            arguments = json::object{};
        arguments.as_object()["data"] = std::to_string(frame.payload.size()) + " bytes";
    }
    if (request->pair)
    {
        const replay::RecordedMessage& response = recording.messages[*request->pair];
        const replay::Frame answer = replay::ParseFrame(response.opcode == inspector::Opcode::Binary, response.bytes);
        out["success"] = replay::Succeeded(answer.doc);
        out["body"] = replay::BodyOf(answer.doc);
        if (const json::value* message = replay::Member(answer.doc, "message"))
            out["message"] = *message;
    }
    return out;
}

void DiffTree::Set(json::value document, const std::vector<std::string>& paths)
{
    m_document = std::move(document);
    m_paths = std::set<std::string>(paths.begin(), paths.end());
    m_drawnHighlights.clear();
    ++m_generation;
}

bool DiffTree::LeadsToDifference(const std::string& path) const
{
    // Paths under `path` sort right after it: "$.a" < "$.a.b" < "$.a[0]" < "$.b".
    for (auto it = m_paths.lower_bound(path); it != m_paths.end() && it->starts_with(path); ++it)
        if (it->size() == path.size() || (*it)[path.size()] == '.' || (*it)[path.size()] == '[')
            return true;
    return false;
}

void DiffTree::Draw()
{
    m_drawnHighlights.clear();
    if (m_document.is_null())
    {
        ImGui::TextDisabled("(no such request)");
        return;
    }
    ImGui::PushID(static_cast<int>(m_generation));
    ImGui::PushFont(CurrentFonts().mono);
    std::string path = "$";
    if (const json::object* root = m_document.if_object())
        for (const auto& member : *root)
        {
            replay::AppendPathKey(path, member.key());
            DrawNode(member.key(), member.value(), path, 0);
            path.resize(1);
        }
    ImGui::PopFont();
    ImGui::PopID();
}

void DiffTree::DrawNode(const std::string& label, const json::value& value, std::string& path, int depth)
{
    const bool differs = m_paths.contains(path);
    if (differs)
    {
        m_drawnHighlights.push_back(path);
        const ImVec2 start = ImGui::GetCursorScreenPos();
        ImGui::GetWindowDrawList()->AddRectFilled(
            start, ImVec2(start.x + ImGui::GetContentRegionAvail().x, start.y + ImGui::GetTextLineHeightWithSpacing()),
            kHighlight);
    }
    ImGui::PushID(label.c_str());
    const bool container =
        (value.is_object() && !value.get_object().empty()) || (value.is_array() && !value.get_array().empty());
    if (!container)
    {
        ImGui::TreeNodeEx("leaf", ImGuiTreeNodeFlags_Leaf | ImGuiTreeNodeFlags_NoTreePushOnOpen, "%s:", label.c_str());
        ImGui::SameLine();
        if (differs)
            ColoredText(colors::kPending, Scalar(value).c_str());
        else
            ImGui::TextUnformatted(Scalar(value).c_str());
        if (differs && ImGui::IsItemHovered())
            ImGui::SetTooltip("%s differs", path.c_str());
        ImGui::PopID();
        return;
    }
    // Open the way to every difference, and the first level, when the pair is first shown.
    if (depth == 0 || LeadsToDifference(path))
        ImGui::SetNextItemOpen(true, ImGuiCond_Appearing);
    const size_t size = value.is_object() ? value.get_object().size() : value.get_array().size();
    const bool open = ImGui::TreeNodeEx("node", ImGuiTreeNodeFlags_SpanAvailWidth, "%s: %s%zu%s", label.c_str(),
                                        value.is_object() ? "{" : "[", size, value.is_object() ? "}" : "]");
    if (open)
    {
        const size_t length = path.size();
        size_t index = 0;
        auto child = [&](const std::string& key, const json::value& element, bool isIndex)
        {
            if (index == kChildren)
                return false;
            if (isIndex)
                replay::AppendPathIndex(path, index);
            else
                replay::AppendPathKey(path, key);
            DrawNode(isIndex ? "[" + std::to_string(index) + "]" : key, element, path, depth + 1);
            path.resize(length);
            ++index;
            return true;
        };
        if (const json::object* object = value.if_object())
        {
            for (const auto& member : *object)
                if (!child(member.key(), member.value(), false))
                    break;
        }
        else
        {
            for (const json::value& element : value.get_array())
                if (!child({}, element, true))
                    break;
        }
        if (index < size)
            ImGui::TextDisabled("... %zu more", size - index);
        ImGui::TreePop();
    }
    ImGui::PopID();
}

} // namespace dapscope::ui
