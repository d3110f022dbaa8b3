#pragma once
// What a client replay found: per request then and now, per event name the counts, and the verdict.

#include "ReplayJson.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::replay
{

enum class Outcome : uint8_t
{
    Equivalent, // every request answered alike, every event name seen as often: exit 0
    Differs,    // the replay ran and something differs: exit 1
    CouldNotRun // the replay could not run (reason given): exit 2
};

enum class RequestStatus : uint8_t
{
    Matched, // answered now as then
    Differs, // answered, but success or the body differ
    Missing, // answered then, not now (timeout, connection closed, never sent)
};

struct RequestResult
{
    size_t index = 0;           // 1-based position among the session's requests
    std::optional<int64_t> seq; // the request's seq (kept from the capture)
    std::string command;        // request command
    std::string subcommand;     // arguments.subcommand
    RequestStatus status = RequestStatus::Matched;
    std::optional<bool> successThen;      // nullopt: no response in the capture
    std::optional<bool> successNow;       // nullopt: no response now
    std::optional<int64_t> latencyThenNs; // captured latency
    std::optional<int64_t> latencyNowNs;  // send -> response now
    std::vector<Difference> differences;  // JSON paths that differ ($.body..., $.message, $.arguments.data)
    std::string note;                     // why it is missing, or other remarks
};

struct EventCount
{
    std::string event; // event name
    int64_t then = 0;  // events of that name in the capture
    int64_t now = 0;   // events of that name received now
};

struct ReplayReport
{
    int64_t session = 0;           // the replayed session
    std::optional<int64_t> replay; // the session the replay was captured as
    std::string target;            // the engine URI
    std::string timing;            // "asap", "original" or the factor
    Outcome outcome = Outcome::Equivalent;
    std::string reason;                  // CouldNotRun: why
    std::vector<RequestResult> requests; // one per captured request, in order
    std::vector<EventCount> events;      // one per event name, sorted by name
    int64_t unexpectedResponses = 0;     // responses now to no request sent
    int64_t durationNs = 0;              // wall time of the replay itself

    // Counts of requests per status.
    size_t Count(RequestStatus status) const;
    // Recompute `outcome` from the requests and events (unless CouldNotRun).
    void Settle();
};

std::string_view ToString(Outcome outcome);      // "equivalent" / "differs" / "could-not-run"
std::string_view ToString(RequestStatus status); // "matched" / "differs" / "missing"
int ExitStatus(Outcome outcome);                 // 0 / 1 / 2

// The report as written by --report.
json::object ReportJson(const ReplayReport& report);

} // namespace dapscope::replay
