#pragma once
// Export of captured sessions to formats other tools read: HAR 1.2 (Chrome DevTools' WebSocket flavour, with
// dapscope's decoded fields under `_dapscope`) and JSONL (one JSON object per message, for jq and scripts).

#include "TraceReader.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::storage
{

enum class ExportFormat
{
    Har,
    Jsonl,
};

std::optional<ExportFormat> ParseExportFormat(std::string_view name); // "har" / "jsonl"

// Called now and then with messages written so far and the total.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// What an export writes. Sessions and messages carry the keys of `dapscope show --json`: cli::ExportSessions
// (cli/Format.hpp) passes the CLI's shapes, so storage does not depend on the CLI.
//
// HAR: a WebSocket session is one entry (request GET upstream + path, response 101, `_resourceType: "websocket"`;
// the handshake's heads as headers when the store has them, else the negotiated extensions and subprotocol as
// response headers), its text and binary messages in Chrome's `_webSocketMessages` ({type send|receive, time
// epoch seconds, opcode 1 with the text as-is | 2 with base64, data}), each with `_dapscope` = the message's JSON
// + `dur_ns`. Text that is not valid UTF-8 is written as opcode 2 (base64) and keeps `_dapscope.opcode: "text"`.
// The entry's `_dapscope` is the session's JSON + `started_ns`, `ended_ns` and `control_frames` (close, ping and
// pong frames, which Chrome does not list: JSONL message records plus their `index` among the entry's messages).
// Each HTTP exchange (plain HTTP on the proxy port, or an upgrade the engine refused) is an ordinary entry
// (`_resourceType: "fetch"`): method, url (http[s]:// + the upstream's host + the target), headers from the
// stored heads, query, postData, status, content (text, or base64 with `encoding` when not UTF-8; postData then
// has `_encoding`), `_transferSize` (bytes on the wire), timings send / wait (the latency) / receive and
// `time` their sum; a request without a response gets status 0 and `_error`. Its `_dapscope` is the session's
// JSON + `started_ns`, `ended_ns`, `request` and `response` (message JSON + `dur_ns`, null when there is none)
// and `informational` (interim 1xx responses, JSONL records) when there were any. `connection` is the
// session id on every entry.
// JSONL: per session a header {"type":"session", ...session JSON, started_ns, ended_ns}, then one line per
// message: the message's JSON + `dur_ns` + `data` (UTF-8 text) or `data_b64` (anything else).
// Importing either back (storage/Import.hpp) restores bytes, directions, order, times to the ns, durations,
// partial captures, control frames and the session's facts; decoded fields are derived again by the inspector,
// and a message whose secret was redacted at capture comes back as its redacted bytes (size and flag included).
struct ExportSpec
{
    ExportFormat format = ExportFormat::Jsonl;                             // what to write
    std::function<boost::json::object(const SessionSummary&)> sessionJson; // must include `started` (ISO 8601)
    std::function<boost::json::object(const MessageSummary&)> messageJson; // the decoded fields of a message
    ProgressFn progress;                                                   // may be empty
};

// Write the sessions to `path` ("-" = stdout), created 0600. The store holds no secrets (they were redacted
// before storing), and exports never add any. Throws std::runtime_error with a one-line message.
void ExportSessions(TraceReader& reader, const std::vector<int64_t>& sessions, const ExportSpec& spec,
                    const std::string& path);

} // namespace dapscope::storage
