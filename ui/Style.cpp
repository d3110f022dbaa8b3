#include "Style.hpp"

#include "cli/Format.hpp"
#include "inspector/Envelope.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>

namespace dapscope::ui
{

namespace
{
// The fonts of the current ImGui context's atlas (ImGui itself keeps one current context per process).
Fonts g_fonts;
bool g_unicodeFont = false; // the UI font has arrows and box-drawing glyphs

const char* const kSansPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const char* const kMonoPath = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

const ImWchar* GlyphRanges()
{
    static const ImWchar ranges[] = {
        0x0020, 0x00FF, // Basic Latin + Latin-1
        0x0100, 0x017F, // Latin Extended-A
        0x2000, 0x206F, // punctuation: dashes, ellipsis
        0x2190, 0x21FF, // arrows
        0x2200, 0x22FF, // mathematical operators
        0x2500, 0x257F, // box drawing
        0x25A0, 0x25FF, // geometric shapes
        0xFFFD, 0xFFFD, // replacement character
        0,
    };
    return ranges;
}
} // namespace

Fonts LoadFonts(float scale)
{
    ImGuiIO& io = ImGui::GetIO();
    g_fonts = {};
    g_unicodeFont = false;
    std::error_code ec;
    if (std::filesystem::exists(kSansPath, ec) && std::filesystem::exists(kMonoPath, ec))
    {
        ImFontConfig config;
        config.OversampleH = 2;
        config.OversampleV = 1;
        g_fonts.ui = io.Fonts->AddFontFromFileTTF(kSansPath, std::round(15.0f * scale), &config, GlyphRanges());
        g_fonts.mono = io.Fonts->AddFontFromFileTTF(kMonoPath, std::round(14.0f * scale), &config, GlyphRanges());
        g_unicodeFont = g_fonts.ui && g_fonts.mono;
    }
    if (!g_unicodeFont)
    {
        io.Fonts->Clear();
        ImFontConfig config;
        config.SizePixels = std::round(13.0f * scale);
        g_fonts.ui = io.Fonts->AddFontDefault(&config);
        g_fonts.mono = g_fonts.ui;
    }
    return g_fonts;
}

const Fonts& CurrentFonts()
{
    return g_fonts;
}

void ApplyStyle()
{
    ImGui::StyleColorsDark();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 0;
    style.ChildRounding = 0;
    style.FrameRounding = 3;
    style.GrabRounding = 3;
    style.TabRounding = 3;
    style.ScrollbarRounding = 3;
    style.WindowBorderSize = 0;
    style.FramePadding = ImVec2(6, 3);
    style.ItemSpacing = ImVec2(8, 4);
    style.CellPadding = ImVec2(5, 2);
    ImVec4* c = style.Colors;
    c[ImGuiCol_WindowBg] = ImVec4(0.11f, 0.12f, 0.14f, 1.0f);
    c[ImGuiCol_ChildBg] = ImVec4(0, 0, 0, 0); // transparent: no second full-window fill (software GL pays per pixel)
    c[ImGuiCol_PopupBg] = ImVec4(0.15f, 0.16f, 0.19f, 0.98f);
    c[ImGuiCol_MenuBarBg] = ImVec4(0.16f, 0.17f, 0.20f, 1.0f);
    c[ImGuiCol_TableHeaderBg] = ImVec4(0.18f, 0.19f, 0.23f, 1.0f);
    c[ImGuiCol_TableRowBgAlt] = ImVec4(1.0f, 1.0f, 1.0f, 0.025f);
    c[ImGuiCol_Header] = ImVec4(0.22f, 0.36f, 0.58f, 0.80f);
    c[ImGuiCol_HeaderHovered] = ImVec4(0.26f, 0.42f, 0.66f, 0.55f);
    c[ImGuiCol_HeaderActive] = ImVec4(0.26f, 0.46f, 0.74f, 0.90f);
    c[ImGuiCol_Separator] = ImVec4(0.25f, 0.27f, 0.32f, 1.0f);
    c[ImGuiCol_Tab] = ImVec4(0.16f, 0.17f, 0.20f, 1.0f);
    c[ImGuiCol_TabActive] = ImVec4(0.24f, 0.34f, 0.52f, 1.0f);
    c[ImGuiCol_TabHovered] = ImVec4(0.28f, 0.42f, 0.64f, 1.0f);
}

bool IsHttp(inspector::Kind kind)
{
    return kind == inspector::Kind::HttpRequest || kind == inspector::Kind::HttpResponse;
}

const char* KindName(inspector::Kind kind)
{
    switch (kind)
    {
    case inspector::Kind::Request:
        return "request";
    case inspector::Kind::Response:
        return "response";
    case inspector::Kind::Event:
        return "event";
    case inspector::Kind::Malformed:
        return "malformed";
    case inspector::Kind::Control:
        return "control";
    case inspector::Kind::HttpRequest:
        return "HTTP req";
    case inspector::Kind::HttpResponse:
        return "HTTP resp";
    }
    return "?";
}

ImU32 MessageColor(const storage::MessageSummary& m)
{
    using inspector::ExchangeState;
    using inspector::Kind;
    if (storage::IsProblem(m))
    {
        const bool undecodable =
            m.kind == Kind::Malformed || m.state == ExchangeState::Orphan || m.state == ExchangeState::CommandMismatch;
        return undecodable ? colors::kMalformed : colors::kFailed;
    }
    if (m.state == ExchangeState::Pending)
        return colors::kPending;
    switch (m.kind)
    {
    case Kind::Request:
    case Kind::HttpRequest:
        return colors::kRequest;
    case Kind::Response:
        return colors::kResponse;
    case Kind::HttpResponse:
        return m.state == ExchangeState::Answered ? colors::kResponse : colors::kDim; // interim (1xx): dim
    case Kind::Event:
        return colors::kEvent;
    default:
        return colors::kDim;
    }
}

std::string MessageStatus(const storage::MessageSummary& m)
{
    using inspector::ExchangeState;
    using inspector::Kind;
    if (m.kind == Kind::Malformed)
        return "malformed" + (m.malformed.empty() ? std::string() : ": " + m.malformed);
    if (m.success)
        return *m.success ? "ok" : "FAILED" + (m.error.empty() ? std::string() : ": " + m.error);
    if (m.kind == Kind::HttpResponse && m.state != ExchangeState::Orphan)
    {
        if (storage::IsFailedResponse(std::nullopt, m.status))
            return "FAILED";
        if (m.state != ExchangeState::Answered)
            return "interim";
    }
    switch (m.state)
    {
    case ExchangeState::Pending:
        return "pending";
    case ExchangeState::Unanswered:
        return "unanswered";
    case ExchangeState::Orphan:
        return "orphan response";
    case ExchangeState::DuplicateSeq:
        return "duplicate seq";
    case ExchangeState::CommandMismatch:
        return "command mismatch";
    case ExchangeState::Answered:
        return m.kind == Kind::Request || m.kind == Kind::HttpRequest ? "answered" : "ok";
    default:
        break;
    }
    if (m.flags & 2)
        return "elided";
    if (m.flags & 1)
        return "truncated";
    return "";
}

const char* DirectionArrow(inspector::Direction dir)
{
    if (g_unicodeFont)
        return dir == inspector::Direction::ClientToServer ? "\xE2\x86\x92" : "\xE2\x86\x90"; // → ←
    return dir == inspector::Direction::ClientToServer ? "->" : "<-";
}

std::string MessageWhat(const storage::MessageSummary& m)
{
    switch (m.kind)
    {
    case inspector::Kind::Request:
    case inspector::Kind::Response:
        return m.subcommand.empty() ? m.command : m.command + " (" + m.subcommand + ")";
    case inspector::Kind::Event:
        return m.event;
    case inspector::Kind::Control:
        return std::string(inspector::ToString(m.opcode));
    case inspector::Kind::HttpRequest:
        return m.method + " " + m.path;
    case inspector::Kind::HttpResponse:
        return HttpStatusLine(m);
    default:
        return m.command.empty() ? std::string(inspector::ToString(m.opcode)) : m.command;
    }
}

std::string HttpStatusLine(const storage::MessageSummary& m)
{
    // "HTTP/1.1 404 Not Found": everything after the version.
    const std::string_view head = m.headers;
    const std::string_view line = head.substr(0, head.find_first_of("\r\n"));
    const size_t space = line.find(' ');
    if (line.starts_with("HTTP/") && space != std::string_view::npos && space + 1 < line.size())
        return std::string(line.substr(space + 1));
    return m.status ? "HTTP " + std::to_string(*m.status) : "HTTP response";
}

std::vector<std::string> HeadLines(std::string_view heads)
{
    std::vector<std::string> lines;
    while (!heads.empty())
    {
        const size_t end = heads.find('\n');
        std::string_view line = heads.substr(0, end);
        heads.remove_prefix(end == std::string_view::npos ? heads.size() : end + 1);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        lines.push_back(inspector::EscapeForTerminal(line));
    }
    while (!lines.empty() && lines.back().empty())
        lines.pop_back(); // the empty line that ends the last head
    return lines;
}

const char* ProtocolTag(const storage::SessionSummary& s)
{
    return s.protocol == "http" ? "HTTP" : "WS";
}

std::string NegotiatedText(const storage::SessionSummary& s)
{
    if (s.protocol == "http")
        return "plain HTTP (no WebSocket upgrade)";
    std::string text = "WebSocket";
    if (!s.extensions)
        text += ", extensions not recorded";
    else if (s.extensions->empty())
        text += ", no extension";
    else
        text += ", " + *s.extensions;
    if (s.subprotocol)
        text += "\nsubprotocol: " + *s.subprotocol;
    return text;
}

std::string FormatTime(int64_t ns, int64_t originNs, bool relative)
{
    char buffer[64];
    if (relative)
    {
        double seconds = static_cast<double>(ns - originNs) / 1e9;
        if (std::fabs(seconds) < 1.0)
            std::snprintf(buffer, sizeof buffer, "%+.3f ms", seconds * 1e3);
        else
            std::snprintf(buffer, sizeof buffer, "%+.6f s", seconds);
        return buffer;
    }
    std::time_t seconds = static_cast<std::time_t>(ns / 1000000000);
    std::tm local{};
    localtime_r(&seconds, &local);
    std::snprintf(buffer, sizeof buffer, "%02d:%02d:%02d.%06lld", local.tm_hour, local.tm_min, local.tm_sec,
                  static_cast<long long>((ns % 1000000000) / 1000));
    return buffer;
}

std::string FormatDuration(int64_t ns)
{
    return cli::HumanDuration(ns);
}

std::string FormatBytes(int64_t bytes)
{
    return cli::HumanBytes(bytes);
}

void ColoredText(ImU32 color, const char* text)
{
    ImGui::PushStyleColor(ImGuiCol_Text, color);
    ImGui::TextUnformatted(text);
    ImGui::PopStyleColor();
}

bool LinkText(const char* label)
{
    ImGui::PushStyleColor(ImGuiCol_Text, colors::kAccent);
    ImGui::TextUnformatted(label);
    ImGui::PopStyleColor();
    bool hovered = ImGui::IsItemHovered();
    if (hovered)
    {
        ImGui::SetMouseCursor(ImGuiMouseCursor_Hand);
        ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
        ImGui::GetWindowDrawList()->AddLine(ImVec2(min.x, max.y), max, colors::kAccent);
    }
    return hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Left);
}

} // namespace dapscope::ui
