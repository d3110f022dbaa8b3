#pragma once
// `dapscope replay` as a function: read the session from the store, drive a Replayer over a WebSocket to the
// engine, capture the replay's own traffic as a new session linked to the original, and return the report.

#include "Replayer.hpp"
#include "Report.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dapscope::replay
{

struct ClientReplayOptions
{
    std::string storePath;            // the capture is read from this store, and the replay recorded into it
    int64_t session = 0;              // the session to replay
    std::string to;                   // the engine, in any form --upstream accepts
    std::string timingLabel = "asap"; // --timing as given, for the report
    ReplayOptions replay;             // timing factor, timeout, API key, --allow-markers
    bool capture = true;              // record the replay as a new session (source "replay", replay_of)
    // Progress: requests settled so far and in all. Called on the calling thread, at most every 100 ms.
    std::function<void(size_t settled, size_t total)> progress;
};

// Never throws: every failure is a report with Outcome::CouldNotRun and a reason.
ReplayReport RunClientReplay(const ClientReplayOptions& options);

// --timing: "asap" -> 0, "original" -> 1, or a factor for the captured gaps (0.5 = half the gaps).
std::optional<double> ParseTiming(std::string_view text);

} // namespace dapscope::replay
