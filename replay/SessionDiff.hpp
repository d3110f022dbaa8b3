#pragma once
// `dapscope diff`, sans-io: two captured sessions compared by meaning. Requests are aligned by command,
// subcommand and the closest arguments, in A's order, learning the values the engine handed out again (task
// tokens, pipe ids, handles) from each pair of answers, so a reordered pipelined request is no difference.
// Answers are compared by CompareAnswer (Compare.hpp), as client replay compares them.

#include "Recording.hpp"
#include "Report.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::replay
{

// A JSONPath pattern of `--ignore` that is not one.
class IgnorePatternError : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

// The paths whose differences do not count: "$.body.startedAt" (that value and everything under it),
// "$..timestamp" (that key anywhere), "$.body.tasks[*].id" (any index), "$.body.*.id" (any key).
class IgnoredPaths
{
  public:
    IgnoredPaths() = default;
    explicit IgnoredPaths(const std::vector<std::string>& patterns); // throws IgnorePatternError
    bool Covers(std::string_view path) const;

  private:
    std::vector<std::regex> m_patterns;
};

struct DiffOptions
{
    IgnoredPaths ignore;
    std::optional<double> latencyThreshold; // B's latency over this times A's is a difference (--latency-threshold)
};

enum class DiffStatus : uint8_t
{
    Matched, // the same request, answered alike
    Differs, // the same request, but its arguments, success, answer or latency differ
    OnlyInA,
    OnlyInB,
};

struct DiffRow
{
    std::optional<size_t> a;    // 1-based position among A's requests
    std::optional<size_t> b;    // among B's
    std::optional<int64_t> idA; // message ids in their stores
    std::optional<int64_t> idB;
    std::string command;
    std::string subcommand;
    DiffStatus status = DiffStatus::Matched;
    std::optional<bool> successA; // nullopt: unanswered
    std::optional<bool> successB;
    std::optional<int64_t> latencyANs;
    std::optional<int64_t> latencyBNs;
    std::vector<Difference> differences; // `then` is A's value, `now` B's
    std::string note;
};

// The events of one task: A's task paired with B's by the requests the rows pair (the first paired request
// of each task names its counterpart), their events counted per name and their bodies compared in order.
struct TaskEvents
{
    std::string taskA;              // task display id in A ("" = events of no task, or a task only in B)
    std::string taskB;              // B's task paired with it ("" = none)
    std::vector<EventCount> events; // per name: `then` in A's task, `now` in B's; sorted by name
    // The first event of A's task (in A's order) whose body differs from B's event of that name at the same
    // rank: its name and its first differing path. Informational: it does not change the outcome.
    std::string firstDifferingEvent;
    std::optional<Difference> firstDifference;

    bool CountsAlike() const;
};

struct DiffReport
{
    std::string a; // what was compared ("session 3", "golden.har")
    std::string b;
    Outcome outcome = Outcome::Equivalent;
    std::vector<DiffRow> rows;      // A's requests in order, then those only in B in B's order
    std::vector<EventCount> events; // per event name: `then` in A, `now` in B; sorted by name
    std::vector<TaskEvents> tasks;  // per task: A's in order of their first event, then B's not paired

    size_t Count(DiffStatus status) const;
};

DiffReport DiffSessions(const Recording& a, const Recording& b, const DiffOptions& options = {});

std::string_view ToString(DiffStatus status); // "matched" / "differs" / "only-in-a" / "only-in-b"

// The report as written by --report and --json.
json::object DiffReportJson(const DiffReport& report);

} // namespace dapscope::replay
