#include "Report.hpp"

#include <algorithm>

namespace dapscope::replay
{

size_t ReplayReport::Count(RequestStatus status) const
{
    return static_cast<size_t>(
        std::count_if(requests.begin(), requests.end(), [status](const auto& r) { return r.status == status; }));
}

void ReplayReport::Settle()
{
    if (outcome == Outcome::CouldNotRun)
        return;
    const bool eventsAlike =
        std::all_of(events.begin(), events.end(), [](const EventCount& e) { return e.then == e.now; });
    outcome = Count(RequestStatus::Matched) == requests.size() && eventsAlike && unexpectedResponses == 0
                  ? Outcome::Equivalent
                  : Outcome::Differs;
}

std::string_view ToString(Outcome outcome)
{
    switch (outcome)
    {
    case Outcome::Equivalent:
        return "equivalent";
    case Outcome::Differs:
        return "differs";
    case Outcome::CouldNotRun:
        return "could-not-run";
    }
    return "";
}

std::string_view ToString(RequestStatus status)
{
    switch (status)
    {
    case RequestStatus::Matched:
        return "matched";
    case RequestStatus::Differs:
        return "differs";
    case RequestStatus::Missing:
        return "missing";
    }
    return "";
}

int ExitStatus(Outcome outcome)
{
    return outcome == Outcome::Equivalent ? 0 : outcome == Outcome::Differs ? 1 : 2;
}

namespace
{

json::value Optional(const std::optional<bool>& value)
{
    return value ? json::value(*value) : json::value(nullptr);
}

json::value Millis(const std::optional<int64_t>& ns)
{
    return ns ? json::value(static_cast<double>(*ns) / 1e6) : json::value(nullptr);
}

} // namespace

json::object ReportJson(const ReplayReport& report)
{
    json::object out;
    out["session"] = report.session;
    out["replay"] = report.replay ? json::value(*report.replay) : json::value(nullptr);
    out["target"] = report.target;
    out["timing"] = report.timing;
    out["outcome"] = ToString(report.outcome);
    if (report.outcome == Outcome::CouldNotRun)
        out["reason"] = report.reason;
    int64_t eventsThen = 0;
    int64_t eventsNow = 0;
    for (const auto& e : report.events)
    {
        eventsThen += e.then;
        eventsNow += e.now;
    }
    out["summary"] = json::object{{"requests", report.requests.size()},
                                  {"matched", report.Count(RequestStatus::Matched)},
                                  {"differs", report.Count(RequestStatus::Differs)},
                                  {"missing", report.Count(RequestStatus::Missing)},
                                  {"eventsThen", eventsThen},
                                  {"eventsNow", eventsNow},
                                  {"unexpectedResponses", report.unexpectedResponses},
                                  {"durationMs", static_cast<double>(report.durationNs) / 1e6}};
    json::array requests;
    for (const auto& r : report.requests)
    {
        json::array differences;
        for (const auto& d : r.differences)
            differences.push_back(json::object{{"path", d.path}, {"then", d.then}, {"now", d.now}});
        json::object row{{"index", r.index},
                         {"seq", r.seq ? json::value(*r.seq) : json::value(nullptr)},
                         {"command", r.command},
                         {"subcommand", r.subcommand},
                         {"status", ToString(r.status)},
                         {"successThen", Optional(r.successThen)},
                         {"successNow", Optional(r.successNow)},
                         {"latencyThenMs", Millis(r.latencyThenNs)},
                         {"latencyNowMs", Millis(r.latencyNowNs)},
                         {"differences", std::move(differences)}};
        if (!r.note.empty())
            row["note"] = r.note;
        requests.push_back(std::move(row));
    }
    out["requests"] = std::move(requests);
    json::array events;
    for (const auto& e : report.events)
        events.push_back(json::object{{"event", e.event},
                                      {"then", e.then},
                                      {"now", e.now},
                                      {"missing", std::max<int64_t>(0, e.then - e.now)},
                                      {"extra", std::max<int64_t>(0, e.now - e.then)}});
    out["events"] = std::move(events);
    return out;
}

} // namespace dapscope::replay
