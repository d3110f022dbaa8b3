#include "JsonTree.hpp"

#include "Style.hpp"
#include "inspector/Envelope.hpp"
#include "inspector/Redactor.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <imgui.h>

#include <cctype>
#include <cinttypes>

namespace dapscope::ui
{

namespace
{
constexpr size_t kGroup = 100;       // array elements per group node
constexpr size_t kInlineChars = 160; // characters of a string shown in the tree

bool IsIdentifier(std::string_view key)
{
    if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0])))
        return false;
    for (char c : key)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
            return false;
    return true;
}

int CountRedacted(const boost::json::value& v)
{
    switch (v.kind())
    {
    case boost::json::kind::string:
        return inspector::MarkerFingerprint(std::string_view(v.get_string())) ? 1 : 0;
    case boost::json::kind::array:
    {
        int n = 0;
        for (const auto& e : v.get_array())
            n += CountRedacted(e);
        return n;
    }
    case boost::json::kind::object:
    {
        int n = 0;
        for (const auto& kv : v.get_object())
            n += CountRedacted(kv.value());
        return n;
    }
    default:
        return 0;
    }
}

std::string Summary(const boost::json::value& v)
{
    if (v.is_object())
        return "{" + std::to_string(v.get_object().size()) + "}";
    return "[" + std::to_string(v.get_array().size()) + "]";
}
} // namespace

std::string JsonPathChild(const std::string& parent, std::string_view key)
{
    if (IsIdentifier(key))
        return parent + "." + std::string(key);
    std::string escaped;
    for (char c : key)
    {
        if (c == '\'' || c == '\\')
            escaped += '\\';
        escaped += c;
    }
    return parent + "['" + escaped + "']";
}

std::string JsonPathIndex(const std::string& parent, size_t index)
{
    return parent + "[" + std::to_string(index) + "]";
}

void JsonTree::Set(std::string_view text)
{
    Clear();
    boost::system::error_code ec;
    m_root = boost::json::parse(text, ec);
    if (ec)
    {
        m_error = ec.message();
        m_root = nullptr;
        return;
    }
    m_valid = true;
    m_redacted = CountRedacted(m_root);
}

void JsonTree::Clear()
{
    m_root = nullptr;
    m_valid = false;
    m_error.clear();
    m_redacted = 0;
}

void JsonTree::Draw()
{
    m_drawn = 0;
    if (!m_valid)
        return;
    ImGui::PushFont(CurrentFonts().mono);
    DrawNode("$", m_root, "$", 0);
    ImGui::PopFont();
}

void JsonTree::NodeMenu(const boost::json::value& value, const std::string& path)
{
    if (ImGui::BeginPopupContextItem("node"))
    {
        if (ImGui::MenuItem("Copy value"))
        {
            std::string text = value.is_string() ? std::string(value.get_string()) : boost::json::serialize(value);
            ImGui::SetClipboardText(text.c_str());
        }
        if (ImGui::MenuItem("Copy path"))
            ImGui::SetClipboardText(path.c_str());
        if (!value.is_string() && ImGui::MenuItem("Copy as one line of JSON"))
            ImGui::SetClipboardText(boost::json::serialize(value).c_str());
        ImGui::EndPopup();
    }
}

void JsonTree::DrawScalar(const boost::json::value& v)
{
    char buffer[64];
    switch (v.kind())
    {
    case boost::json::kind::string:
    {
        std::string_view s = v.get_string();
        if (auto fingerprint = inspector::MarkerFingerprint(s))
        {
            ColoredText(colors::kRedacted, ("\xE2\x96\xA0 redacted (" + *fingerprint + ")").c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("A secret was here. dapscope replaced it before storing the message;\n"
                                  "%s is the start of its SHA-256, so equal secrets show equal fingerprints.",
                                  fingerprint->c_str());
            return;
        }
        std::string shown = "\"" + inspector::EscapeForTerminal(s, kInlineChars) + "\"";
        ColoredText(IM_COL32(150, 210, 130, 255), shown.c_str());
        if (s.size() > kInlineChars)
        {
            ImGui::SameLine();
            ImGui::TextDisabled("(%zu chars)", s.size());
        }
        return;
    }
    case boost::json::kind::int64:
        std::snprintf(buffer, sizeof buffer, "%" PRId64, v.get_int64());
        break;
    case boost::json::kind::uint64:
        std::snprintf(buffer, sizeof buffer, "%" PRIu64, v.get_uint64());
        break;
    case boost::json::kind::double_:
        std::snprintf(buffer, sizeof buffer, "%.17g", v.get_double());
        break;
    case boost::json::kind::bool_:
        ColoredText(IM_COL32(200, 150, 250, 255), v.get_bool() ? "true" : "false");
        return;
    case boost::json::kind::null:
        ColoredText(IM_COL32(200, 150, 250, 255), "null");
        return;
    default:
        return;
    }
    ColoredText(IM_COL32(130, 190, 250, 255), buffer);
}

void JsonTree::DrawNode(const char* label, const boost::json::value& value, const std::string& path, int depth)
{
    ++m_drawn;
    ImGui::PushID(label);
    if (!value.is_object() && !value.is_array())
    {
        ImGui::TreeNodeEx(
            "leaf", ImGuiTreeNodeFlags_Leaf | ImGuiTreeNodeFlags_NoTreePushOnOpen | ImGuiTreeNodeFlags_SpanAvailWidth,
            "%s:", label);
        NodeMenu(value, path);
        ImGui::SameLine();
        DrawScalar(value);
        ImGui::PopID();
        return;
    }
    const bool empty = value.is_object() ? value.get_object().empty() : value.get_array().empty();
    ImGuiTreeNodeFlags flags = ImGuiTreeNodeFlags_SpanAvailWidth;
    if (empty)
        flags |= ImGuiTreeNodeFlags_Leaf;
    if (depth < m_openDepth)
        ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    const bool open = ImGui::TreeNodeEx("node", flags, "%s: %s", label, Summary(value).c_str());
    NodeMenu(value, path);
    if (open)
    {
        if (value.is_object())
        {
            for (const auto& kv : value.get_object())
            {
                std::string key(kv.key());
                DrawNode(key.c_str(), kv.value(), JsonPathChild(path, kv.key()), depth + 1);
            }
        }
        else
        {
            const auto& array = value.get_array();
            auto drawRange = [&](size_t from, size_t to)
            {
                for (size_t i = from; i < to; ++i)
                {
                    char index[24];
                    std::snprintf(index, sizeof index, "[%zu]", i);
                    DrawNode(index, array[i], JsonPathIndex(path, i), depth + 1);
                }
            };
            if (array.size() <= kGroup)
                drawRange(0, array.size());
            else
                for (size_t from = 0; from < array.size(); from += kGroup)
                {
                    const size_t to = std::min(array.size(), from + kGroup);
                    char group[48];
                    std::snprintf(group, sizeof group, "[%zu ... %zu]", from, to - 1);
                    if (ImGui::TreeNode(group))
                    {
                        drawRange(from, to);
                        ImGui::TreePop();
                    }
                }
        }
        ImGui::TreePop();
    }
    ImGui::PopID();
}

} // namespace dapscope::ui
