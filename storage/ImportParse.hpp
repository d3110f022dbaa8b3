#pragma once
// The parsing half of import: the bytes of a HAR or JSONL file to validated sessions and messages in memory,
// or a FormatError naming the file and the position. Pure (Boost.JSON, no store), so it can be fuzzed.
//
// HAR (Chrome DevTools, mitmproxy, Proxyman, dapscope): every entry with `_webSocketMessages` (or
// `_resourceType: "websocket"`) becomes a session. Messages: `type` send|receive ("error" entries are skipped),
// `time` epoch seconds, `opcode` 1 text (data as-is) | 2 binary (data base64) | 0 continuation of the previous
// message in that direction (absent = 1). dapscope's own `_dapscope` members, when present, restore what HAR
// cannot say (CaptureFields.hpp): exact ns times, sizes as received and on the wire, the redacted, truncated,
// elided and generated flags, non-UTF-8 text (opcode 2 + `_dapscope.opcode: "text"`), close and pong frames
// (entry `_dapscope.control_frames`, each a JSONL message record plus its `index` in the session), and the HTTP
// exchanges of dapscope's HTTP sessions (entries with `_dapscope.request`/`response`, grouped by `_dapscope.id`).
// Other plain HTTP entries (a page's own requests in a browser HAR) are not imported.
//
// JSONL (dapscope export, and the shared sample sessions tests/fixtures/*-sdk-session.jsonl): one object per
// line. {"type":"session", ...} starts a session; any other line is a message record: `dir` c2s|s2c, `opcode`
// text|binary|close|ping|pong (or `kind` http_request|http_response with `headers`), `ts_ns` (or `t`, epoch
// seconds), `data` (UTF-8 text) or `data_b64`, and the optional capture fields of CaptureFields.hpp. Messages
// before any header form one session, split where their `session` field changes.

#include "inspector/Types.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::storage
{

// A file that cannot be imported; what() is one line: "file.har:3:14: ...", "file.jsonl:17: ...",
// "file.har: log.entries[2]._webSocketMessages[4]: ...".
class FormatError : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

struct ImportedMessage
{
    inspector::Direction dir = inspector::Direction::ClientToServer;
    inspector::Opcode opcode = inspector::Opcode::Text;
    int64_t tsNs = 0;                 // first byte, ns since the epoch
    int64_t durNs = 0;                // last byte - first byte
    uint64_t size = 0;                // the message as received: data.size(), unless the file says otherwise
    std::optional<uint64_t> wireSize; // bytes on the wire, when the file says
    bool truncated = false;           // the bytes are a prefix of the message
    bool elided = false;              // the capture dropped the bytes (the writer fell behind)
    bool redacted = false;            // the exporting store had replaced secrets in the bytes
    bool generated = false;           // the proxy wrote it itself
    std::string http;                 // "http_request" / "http_response" for an HTTP message, else ""
    std::string head;                 // HTTP: its head (redacted as stored)
    std::string data;                 // the bytes (HTTP: the body)
};

struct ImportedSession
{
    std::optional<int64_t> startedNs;      // nullopt: the first message's time
    std::optional<int64_t> endedNs;        // nullopt: the end of the last message
    std::string client;                    // "ip:port" of the SDK, when the file says
    std::string path;                      // request path and query
    std::string upstream;                  // ws[s]://host:port
    std::string userAgent;                 // the client's User-Agent header
    std::optional<bool> upstreamOk;        // the upstream handshake completed (nullopt: unknown)
    uint16_t closeCode = 0;                // 0 = none
    std::string closeReason;               // the close frame's reason
    std::string closedBy;                  // "client", "upstream" or "proxy"
    std::string error;                     // why the session failed, if it did
    std::string protocol;                  // "websocket" / "http" ("" = websocket: what foreign files hold)
    std::string handshake;                 // the upgrade request and 101 heads, when the file has them
    std::vector<ImportedMessage> messages; // in wire order
};

// Parse a HAR file (one JSON document).
std::vector<ImportedSession> ParseHar(std::string_view bytes, const std::string& name);
// Parse a JSONL file (one JSON object per line).
std::vector<ImportedSession> ParseJsonl(std::string_view bytes, const std::string& name);
// Either of the above: a first line that is a JSON value on its own, and not a HAR, means JSONL.
std::vector<ImportedSession> ParseImport(std::string_view bytes, const std::string& name);

} // namespace dapscope::storage
