#pragma once
// Colours, fonts and small formatting helpers shared by the views.

#include "storage/TraceReader.hpp"

#include <imgui.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::ui
{

namespace colors
{
constexpr ImU32 kFailed = IM_COL32(240, 90, 90, 255);      // failed responses, errors
constexpr ImU32 kPending = IM_COL32(235, 180, 60, 255);    // requests waiting for their response
constexpr ImU32 kMalformed = IM_COL32(220, 110, 220, 255); // undecodable messages, orphans, mismatches
constexpr ImU32 kEvent = IM_COL32(110, 170, 250, 255);     // events
constexpr ImU32 kResponse = IM_COL32(120, 205, 140, 255);  // answered responses
constexpr ImU32 kRequest = IM_COL32(225, 225, 225, 255);   // requests
constexpr ImU32 kDim = IM_COL32(150, 150, 150, 255);       // secondary text, control frames
constexpr ImU32 kRedacted = IM_COL32(250, 150, 60, 255);   // redacted secrets
constexpr ImU32 kAccent = IM_COL32(90, 160, 255, 255);     // links, selection marks
constexpr ImU32 kGap = IM_COL32(255, 255, 255, 28);        // keep-alive gaps in the timeline
constexpr ImU32 kGenerated = IM_COL32(190, 150, 255, 255); // the "dapscope" mark of answers the proxy wrote itself
} // namespace colors

// The font set: the default UI font and a monospaced one for payloads (nullptr = the default font).
struct Fonts
{
    ImFont* ui = nullptr;   // proportional, for labels and tables
    ImFont* mono = nullptr; // fixed width, for JSON, raw text and hex
};

// Load DejaVu Sans / Sans Mono when installed (fonts-dejavu-core), else ImGui's built-in font. Call before the
// atlas is built. `scale` multiplies the pixel size.
Fonts LoadFonts(float scale = 1.0f);
const Fonts& CurrentFonts();
// Dark theme tuned for dense tables.
void ApplyStyle();

// A plain HTTP request or response (not a DAP message).
bool IsHttp(inspector::Kind kind);
// The kind as the table shows it: "request", "event", ..., "HTTP req", "HTTP resp".
const char* KindName(inspector::Kind kind);
// Colour of a message row from its kind and exchange state: a problem (storage::IsProblem) is red, or purple when
// the message could not be placed (malformed, orphan, command mismatch); HTTP responses are red from status 400 on.
ImU32 MessageColor(const storage::MessageSummary& m);
// "ok", "FAILED", "pending", "unanswered", "orphan", "malformed: ...", "interim" (HTTP 1xx), ...
std::string MessageStatus(const storage::MessageSummary& m);
// "→" for c2s (SDK to engine), "←" for s2c.
const char* DirectionArrow(inspector::Direction dir);
// "auth", "rrext_process (write)", "apaevt_flow", "close", "POST /task", "404 Not Found", ...
std::string MessageWhat(const storage::MessageSummary& m);
// An HTTP response's status and reason as its head has them ("404 Not Found"; "HTTP 404" without a head).
std::string HttpStatusLine(const storage::MessageSummary& m);
// The lines of a head or of several (a handshake), without line ends; the empty lines between heads are kept.
std::vector<std::string> HeadLines(std::string_view heads);

// "WS" or "HTTP": how a session's connection is shown in the session list.
const char* ProtocolTag(const storage::SessionSummary& s);
// What the connection negotiated, one fact a line: "WebSocket, permessage-deflate; ...", "subprotocol: ...".
std::string NegotiatedText(const storage::SessionSummary& s);

// "+1.234 s", "+12.5 ms" relative to `originNs`; wall clock "05:21:00.123456" (local time) when not relative.
std::string FormatTime(int64_t ns, int64_t originNs, bool relative);
// "0.8 ms", "1.25 s", "3 min 2 s" (cli::HumanDuration).
std::string FormatDuration(int64_t ns);
// "312 B", "1.2 KiB" (cli::HumanBytes).
std::string FormatBytes(int64_t bytes);

// Text in a colour, then back.
void ColoredText(ImU32 color, const char* text);
// A clickable link-coloured text; true when clicked.
bool LinkText(const char* label);

} // namespace dapscope::ui
