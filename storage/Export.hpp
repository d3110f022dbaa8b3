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
// HAR: one entry per session (request GET upstream + path, response 101, `_resourceType: "websocket"`), text
// and binary messages in Chrome's `_webSocketMessages` ({type send|receive, time epoch seconds, opcode 1 with
// the text as-is | 2 with base64, data}), each with `_dapscope` = the message's JSON + `dur_ns`. Text that is not
// valid UTF-8 is written as opcode 2 (base64) and keeps `_dapscope.opcode: "text"`. The entry's `_dapscope` is
// the session's JSON + `started_ns`, `ended_ns` and `control_frames` (close, ping and pong frames, which
// Chrome does not list: JSONL message records plus their `index` among the session's messages).
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

// A ProgressFn that draws "`label`  [#####-----] 12,345/50,000 messages" on stderr when stderr is a terminal
// and the work lasts long enough to notice; an empty one otherwise.
ProgressFn TerminalProgress(std::string label);

} // namespace dapscope::storage
