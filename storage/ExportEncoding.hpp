#pragma once
// How export files carry payloads, times and HTTP heads, shared by the exporters and the import parser: base64
// for bytes that are not UTF-8 text, epoch seconds with microsecond precision, ISO 8601 times, stored heads as
// name/value lists. Pure functions.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dapscope::storage
{

// The largest message import takes by default (`dapscope import --max-message-bytes`): the engine's own limit
// on one message. Import streams files of any size; this bounds what one message may hold in memory.
constexpr uint64_t kMaxMessageBytes = uint64_t(250) << 20;

// Timestamps import accepts: 1970 to about 2116 (ns since the epoch, with room to add durations).
constexpr int64_t kMaxTimeNs = INT64_MAX / 2;

// RFC 4648 base64 with padding.
std::string Base64Encode(std::string_view bytes);
// Strict decoding of the standard alphabet; padding optional, no whitespace. nullopt on anything else.
std::optional<std::string> Base64Decode(std::string_view text);

// True when the bytes can be written as a JSON string as-is (valid UTF-8).
bool IsUtf8Text(std::string_view bytes);

// "1795752440.087117": the form HAR writers (Chrome, mitmproxy) use for `time`, truncated to the microsecond.
std::string EpochSeconds(int64_t ns);
// Epoch seconds (a HAR `time`, a fixture's `t`) to ns, rounded to the microsecond; nullopt when out of range.
std::optional<int64_t> NsFromEpochSeconds(double seconds);

// "2026-11-27T04:21:00.123456Z", "2026-11-27T05:21:00+01:00", "2026-11-27T04:21:00Z" to ns since the epoch.
std::optional<int64_t> ParseIsoTime(std::string_view text);
// "2026-11-27T04:21:00.123456Z" (UTC, to the microsecond), the form `dapscope show --json` writes.
std::string FormatIsoTime(int64_t ns);

// An HTTP head as the store keeps it (start line, header lines, an empty line; secrets already redacted),
// read leniently: LF or CRLF, a line without a colon is skipped, values lose their surrounding blanks.
struct HeadFields
{
    std::string startLine;                                    // "POST /task HTTP/1.1", "HTTP/1.1 200 OK"
    std::vector<std::pair<std::string, std::string>> headers; // in order, names as sent, repeats kept

    // First value of `name` (case-insensitive), or nullptr.
    const std::string* Find(std::string_view name) const;
};
HeadFields ReadHead(std::string_view head);
// The heads of a text holding several one after the other (a session's handshake: the upgrade request, then
// the 101), each with its empty line.
std::vector<std::string_view> SplitHeads(std::string_view text);

} // namespace dapscope::storage
