#pragma once
// The parsing half of import: the bytes of a HAR or JSONL file to validated sessions and messages, handed to a
// sink one message at a time, or a FormatError naming the file and the position. Pure (Boost.JSON, no store),
// so it can be fuzzed. Files are read in blocks and parsed incrementally: memory is bounded by the largest
// message (`maxMessageBytes`), not by the file.
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
// Streaming a HAR: the whole file is first checked to be JSON with a log.entries array (so a file cut short or
// not JSON is refused before any session is handed on, with its first error). An entry's own members may come
// after its `_webSocketMessages` (Chrome writes `request` last, dapscope `_dapscope`), so the file is then read
// twice side by side: pass 1 reads each entry without its messages, pass 2 streams that entry's messages once its
// members are known. Shape errors are found as the entries come (the sink has then seen the sessions before).
// What streaming changes: a continuation (opcode 0) must come within 4096 messages (16 MiB) of the message it
// continues; HTTP entries join the session named by their `_dapscope.id` only when it is the session just read
// (dapscope writes a session's entries together), an entry of an earlier session starts a new one; a session's
// HTTP messages are put in time order exchange by exchange (the exchanges of dapscope's files come in request
// order); a second `log` or `log.entries` member is refused (JSON would keep the last one).
//
// JSONL (dapscope export, and the shared sample sessions tests/fixtures/*-sdk-session.jsonl): one object per
// line. {"type":"session", ...} starts a session; any other line is a message record: `dir` c2s|s2c, `opcode`
// text|binary|close|ping|pong (or `kind` http_request|http_response with `headers`), `ts_ns` (or `t`, epoch
// seconds), `data` (UTF-8 text) or `data_b64`, and the optional capture fields of CaptureFields.hpp. Messages
// before any header form one session, split where their `session` field changes.

#include "ExportEncoding.hpp"
#include "inspector/Types.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
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
    std::string rule;                 // what a rule did to it (dapscope's files): rule, action, outcome
    std::string action;
    std::string outcome;
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
    bool rules = false;                    // relayed with rules or the control endpoint on (dapscope's files)
    std::vector<ImportedMessage> messages; // in wire order (left empty by the streaming parser)
};

// Where the parser puts what it reads, in file order: BeginSession, its messages, EndSession, the next session.
class ImportSink
{
  public:
    virtual ~ImportSink() = default;
    // A session begins: every field is final; `messages` is empty.
    virtual void BeginSession(const ImportedSession& session) = 0;
    // The session's next message, complete (the sink may take its bytes).
    virtual void Message(ImportedMessage& message) = 0;
    // The session has no more messages.
    virtual void EndSession() = 0;
};

// The bytes of a file, read from the start by each pass over it (a HAR is read by two passes at once).
class ImportSource
{
  public:
    virtual ~ImportSource() = default;
    // Copies up to `size` bytes at `offset` to `buffer`; 0 only at the end. Throws FormatError when it cannot read.
    virtual size_t ReadAt(uint64_t offset, char* buffer, size_t size) = 0;
};

// Bytes in memory, handed out `block` bytes at a time (or fewer: `nextBlock`, when set, chooses each size).
class MemorySource : public ImportSource
{
  public:
    explicit MemorySource(std::string_view bytes, std::function<size_t()> nextBlock = {})
        : m_bytes(bytes), m_nextBlock(std::move(nextBlock))
    {
    }
    size_t ReadAt(uint64_t offset, char* buffer, size_t size) override;

  private:
    std::string_view m_bytes;
    std::function<size_t()> m_nextBlock;
};

struct ParseOptions
{
    uint64_t maxMessageBytes = kMaxMessageBytes;  // a message with more bytes is refused, with its position
    size_t blockBytes = size_t(1) << 20;          // bytes read at a time
    std::function<void(uint64_t bytes)> progress; // bytes of the file parsed so far (after each block); may be empty
};

// Parse a HAR file (one JSON document) into `sink`. On a FormatError the sink has seen part of the file.
void ParseHar(ImportSource& source, const std::string& name, ImportSink& sink, const ParseOptions& options = {});
// Parse a JSONL file (one JSON object per line) into `sink`.
void ParseJsonl(ImportSource& source, const std::string& name, ImportSink& sink, const ParseOptions& options = {});
// Either of the above: a first line that is a JSON value on its own, and not a HAR, means JSONL.
void ParseImport(ImportSource& source, const std::string& name, ImportSink& sink, const ParseOptions& options = {});

// The same for bytes in memory, collected into sessions (tests, small files).
std::vector<ImportedSession> ParseHar(std::string_view bytes, const std::string& name);
std::vector<ImportedSession> ParseJsonl(std::string_view bytes, const std::string& name);
std::vector<ImportedSession> ParseImport(std::string_view bytes, const std::string& name);

// What ParseImport collects: each session with its messages.
class CollectSink : public ImportSink
{
  public:
    void BeginSession(const ImportedSession& session) override { sessions.push_back(session); }
    void Message(ImportedMessage& message) override { sessions.back().messages.push_back(std::move(message)); }
    void EndSession() override {}

    std::vector<ImportedSession> sessions;
};

} // namespace dapscope::storage
