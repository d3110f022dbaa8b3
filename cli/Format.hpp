#pragma once
// Shared output helpers of the CLI: times, sizes, colours, and the JSON shapes of sessions and messages.

#include "storage/Export.hpp"
#include "storage/TraceReader.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace dapscope::cli
{

// "2026-11-27T04:21:00.123456Z"
std::string IsoTime(int64_t ns);
// Local time "2026-11-27 05:21:00"
std::string LocalTime(int64_t ns);
// "312 B", "1.2 KiB", "64.0 MiB"
std::string HumanBytes(int64_t bytes);
// "0.8 ms", "1.25 s"
std::string HumanDuration(int64_t ns);

// ANSI colour codes, empty when the stream is not a terminal or NO_COLOR is set.
struct Palette
{
    explicit Palette(std::FILE* stream);
    const char* red = "";
    const char* yellow = "";
    const char* green = "";
    const char* cyan = "";
    const char* magenta = "";
    const char* dim = "";
    const char* bold = "";
    const char* reset = "";
};

boost::json::object SessionJson(const storage::SessionSummary& session);
boost::json::object MessageJson(const storage::MessageSummary& message);
// "[rule slow-writes: delay]", "[rule lose-ping: drop, not sent]", ... ("" when nothing acted on the message).
std::string RuleMarkText(const storage::MessageSummary& message);
// The rows of `stats --json` (also `dapscope mcp`'s session_summary).
boost::json::object CommandStatsJson(const storage::CommandStats& stats);

// storage::ExportSessions with these shapes: what `dapscope export` and the GUI write.
void ExportSessions(storage::TraceReader& reader, const std::vector<int64_t>& sessions, storage::ExportFormat format,
                    const std::string& path, const storage::ProgressFn& progress = {});

// Print one JSON value on its own line and flush (for pipes and `--follow`).
void PrintJsonLine(const boost::json::value& value);

// "c2s" / "s2c" etc. from the inspector enums, plus the arrows used by `show`.
const char* Arrow(inspector::Direction dir);
// What a message line names: its command (and subcommand) or event, an HTTP method and path or status, a control
// frame's opcode; escaped for the terminal, at most 40 characters.
std::string MessageName(const storage::MessageSummary& message);

} // namespace dapscope::cli
