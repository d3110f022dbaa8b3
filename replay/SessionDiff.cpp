#include "SessionDiff.hpp"

#include "Compare.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace dapscope::replay
{

namespace
{

using inspector::Direction;
using inspector::Kind;
using inspector::Opcode;

// B's requests of the same command a request of A is compared with, at most (the closest arguments win).
constexpr size_t kCandidates = 64;

// One JSONPath pattern as a regular expression over the paths Diff writes.
std::regex Compile(const std::string& pattern)
{
    if (pattern.empty() || pattern[0] != '$')
        throw IgnorePatternError("--ignore " + pattern + ": a JSONPath starts with $ (e.g. $.body.startedAt or $..id)");
    std::string re = "^\\$";
    for (size_t i = 1; i < pattern.size(); ++i)
    {
        if (pattern.compare(i, 2, "..") == 0)
        {
            re += "(?:\\.[^.\\[]+|\\[[^\\]]*\\])*"; // any components, then the key that follows
            continue;                               // the second '.' starts that key
        }
        if (pattern.compare(i, 3, "[*]") == 0)
        {
            re += "\\[[0-9]+\\]";
            i += 2;
            continue;
        }
        if (pattern[i] == '*' && pattern[i - 1] == '.')
        {
            re += "[^.\\[]+";
            continue;
        }
        if (std::string_view(".^$|()[]{}*+?\\").find(pattern[i]) != std::string_view::npos)
            re += '\\';
        re += pattern[i];
    }
    re += "(?:[.\\[].*)?$"; // the value and everything under it
    try
    {
        return std::regex(re, std::regex::ECMAScript | std::regex::optimize);
    }
    catch (const std::regex_error&)
    {
        throw IgnorePatternError("--ignore " + pattern + ": not a JSONPath dapscope understands");
    }
}

std::string Millis(int64_t ns)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.3g ms", static_cast<double>(ns) / 1e6);
    return text;
}

const json::value& ArgumentsOf(const json::value& doc)
{
    static const json::value absent;
    const json::value* arguments = Member(doc, "arguments");
    return arguments ? *arguments : absent;
}

// A request of one session, parsed once.
struct Request
{
    size_t message = 0;  // index in the recording
    size_t position = 0; // 1-based among the session's requests
    Frame frame;
    bool matched = false;
};

std::vector<Request> RequestsOf(const Recording& recording)
{
    std::vector<Request> requests;
    for (size_t i = 0; i < recording.messages.size(); ++i)
    {
        const RecordedMessage& m = recording.messages[i];
        if (m.dir == Direction::ClientToServer && m.kind == Kind::Request)
            requests.push_back({i, requests.size() + 1, ParseFrame(m.opcode == Opcode::Binary, m.bytes), false});
    }
    return requests;
}

// What differs between A's request (already rewritten to what it would say in B) and B's.
std::vector<Difference> ArgumentDifferences(const Frame& a, const Frame& b)
{
    std::vector<Difference> out;
    std::string path = "$.arguments";
    Diff(ArgumentsOf(a.doc), ArgumentsOf(b.doc), path, out, kMaxDifferences);
    if ((a.hasPayload || b.hasPayload) && a.payload != b.payload)
        out.push_back({"$.arguments.data", std::to_string(a.payload.size()) + " bytes",
                       std::to_string(b.payload.size()) + " bytes, other content"});
    return out;
}

void Answer(const Recording& recording, const RecordedMessage& request, std::optional<bool>& success,
            std::optional<int64_t>& latency)
{
    if (!request.pair)
        return;
    success = recording.messages[*request.pair].success.value_or(true);
    latency = request.latencyNs;
}

// The events of a recording per task, in wire order, and the tasks in order of their first event.
struct EventsByTask
{
    std::map<std::string, std::vector<const RecordedMessage*>> events;
    std::vector<std::string> order;
};

EventsByTask GroupEvents(const Recording& recording)
{
    EventsByTask out;
    for (const RecordedMessage& m : recording.messages)
        if (m.kind == Kind::Event)
        {
            auto [it, added] = out.events.try_emplace(m.task);
            if (added)
                out.order.push_back(m.task);
            it->second.push_back(&m);
        }
    return out;
}

// Counts per name, and the first body of A's events that differs from B's event of that name and rank.
TaskEvents CompareTaskEvents(std::string taskA, std::string taskB, const std::vector<const RecordedMessage*>& a,
                             const std::vector<const RecordedMessage*>& b, const Remap& remap,
                             const IgnoredPaths& ignore)
{
    TaskEvents task;
    task.taskA = std::move(taskA);
    task.taskB = std::move(taskB);
    std::map<std::string, EventCount> counts;
    std::map<std::string, std::vector<const RecordedMessage*>> byNameB;
    for (const RecordedMessage* m : a)
        ++counts[m->event].then;
    for (const RecordedMessage* m : b)
    {
        ++counts[m->event].now;
        byNameB[m->event].push_back(m);
    }
    for (auto& [name, count] : counts)
    {
        count.event = name;
        task.events.push_back(count);
    }
    std::map<std::string, size_t> rank;
    for (const RecordedMessage* ma : a)
    {
        const size_t k = rank[ma->event]++;
        const auto sameName = byNameB.find(ma->event);
        if (sameName == byNameB.end() || k >= sameName->second.size() || !ma->complete ||
            !sameName->second[k]->complete)
            continue;
        const RecordedMessage* mb = sameName->second[k];
        Frame then = ParseFrame(ma->opcode == Opcode::Binary, ma->bytes);
        const std::string token(StringMember(BodyOf(then.doc), "token")); // pipe ids are scoped by the task token
        remap.Apply(then.doc, token);
        const Frame now = ParseFrame(mb->opcode == Opcode::Binary, mb->bytes);
        std::vector<Difference> differences;
        std::string path = "$.body";
        Diff(BodyOf(then.doc), BodyOf(now.doc), path, differences, kMaxDifferences);
        std::erase_if(differences, [&](const Difference& d) { return ignore.Covers(d.path); });
        if (!differences.empty())
        {
            task.firstDifferingEvent = ma->event;
            task.firstDifference = differences.front();
            break;
        }
    }
    return task;
}

} // namespace

bool TaskEvents::CountsAlike() const
{
    return std::all_of(events.begin(), events.end(), [](const EventCount& e) { return e.then == e.now; });
}

IgnoredPaths::IgnoredPaths(const std::vector<std::string>& patterns)
{
    for (const std::string& pattern : patterns)
        m_patterns.push_back(Compile(pattern));
}

bool IgnoredPaths::Covers(std::string_view path) const
{
    return std::any_of(m_patterns.begin(), m_patterns.end(),
                       [&](const std::regex& re) { return std::regex_match(path.begin(), path.end(), re); });
}

size_t DiffReport::Count(DiffStatus status) const
{
    return static_cast<size_t>(
        std::count_if(rows.begin(), rows.end(), [&](const DiffRow& r) { return r.status == status; }));
}

DiffReport DiffSessions(const Recording& a, const Recording& b, const DiffOptions& options)
{
    DiffReport report;
    std::vector<Request> requestsA = RequestsOf(a);
    std::vector<Request> requestsB = RequestsOf(b);
    Remap remap;                                  // A's values -> B's, learned from the answers compared so far
    std::map<std::string, std::string> taskPairs; // A's task -> B's, from the first pair of requests naming both
    std::set<std::string> tasksPairedInB;

    for (Request& ra : requestsA)
    {
        const RecordedMessage& ma = a.messages[ra.message];
        const std::string scope(RequestToken(ra.frame.doc));
        Frame rewritten = ra.frame;
        remap.Apply(rewritten.doc, scope);
        remap.ApplyToMarkers(rewritten.payload);

        // The closest request of the same command and subcommand among B's not yet paired.
        Request* best = nullptr;
        std::vector<Difference> bestDifferences;
        size_t seen = 0;
        for (Request& rb : requestsB)
        {
            const RecordedMessage& mb = b.messages[rb.message];
            if (rb.matched || mb.command != ma.command || mb.subcommand != ma.subcommand)
                continue;
            std::vector<Difference> differences = ArgumentDifferences(rewritten, rb.frame);
            std::erase_if(differences, [&](const Difference& d) { return options.ignore.Covers(d.path); });
            if (!best || differences.size() < bestDifferences.size())
            {
                best = &rb;
                bestDifferences = std::move(differences);
            }
            if (bestDifferences.empty() || ++seen == kCandidates)
                break;
        }

        DiffRow row;
        row.a = ra.position;
        row.idA = ma.id;
        row.command = ma.command;
        row.subcommand = ma.subcommand;
        Answer(a, ma, row.successA, row.latencyANs);
        if (!best)
        {
            row.status = DiffStatus::OnlyInA;
            report.rows.push_back(std::move(row));
            continue;
        }
        best->matched = true;
        const RecordedMessage& mb = b.messages[best->message];
        if (!ma.task.empty() && !mb.task.empty() && !taskPairs.contains(ma.task) &&
            tasksPairedInB.insert(mb.task).second)
            taskPairs[ma.task] = mb.task;
        row.b = best->position;
        row.idB = mb.id;
        row.differences = std::move(bestDifferences);
        Answer(b, mb, row.successB, row.latencyBNs);

        bool answeredAlike = true;
        if (ma.pair && mb.pair)
        {
            const RecordedMessage& answerB = b.messages[*mb.pair];
            std::vector<Difference> answer;
            if (!answerB.complete)
                row.note = "B's response was not stored in full: only success is compared";
            else if (!CompareAnswer(ma, scope, a.messages[*ma.pair],
                                    ParseFrame(answerB.opcode == Opcode::Binary, answerB.bytes), remap, answer))
                row.note = "A's response was not stored in full: only success is compared";
            std::erase_if(answer, [&](const Difference& d) { return options.ignore.Covers(d.path); });
            row.differences.insert(row.differences.end(), answer.begin(), answer.end());
        }
        else if (ma.pair || mb.pair)
        {
            answeredAlike = false;
            row.note = ma.pair ? "answered in A only" : "answered in B only";
        }

        if (options.latencyThreshold && row.latencyANs && row.latencyBNs && *row.latencyANs > 0 &&
            static_cast<double>(*row.latencyBNs) > *options.latencyThreshold * static_cast<double>(*row.latencyANs))
        {
            char ratio[32];
            std::snprintf(ratio, sizeof ratio, " (%.1fx)",
                          static_cast<double>(*row.latencyBNs) / static_cast<double>(*row.latencyANs));
            row.differences.push_back({"latency", Millis(*row.latencyANs), Millis(*row.latencyBNs) + ratio});
        }
        row.status = answeredAlike && row.successA == row.successB && row.differences.empty() ? DiffStatus::Matched
                                                                                              : DiffStatus::Differs;
        report.rows.push_back(std::move(row));
    }
    for (const Request& rb : requestsB)
    {
        if (rb.matched)
            continue;
        const RecordedMessage& mb = b.messages[rb.message];
        DiffRow row;
        row.b = rb.position;
        row.idB = mb.id;
        row.command = mb.command;
        row.subcommand = mb.subcommand;
        row.status = DiffStatus::OnlyInB;
        Answer(b, mb, row.successB, row.latencyBNs);
        report.rows.push_back(std::move(row));
    }

    std::map<std::string, EventCount> events;
    for (const RecordedMessage& m : a.messages)
        if (m.kind == Kind::Event)
            ++events[m.event].then;
    for (const RecordedMessage& m : b.messages)
        if (m.kind == Kind::Event)
            ++events[m.event].now;
    for (auto& [name, count] : events)
    {
        count.event = name;
        report.events.push_back(count);
    }

    // Events per task: A's tasks with their counterparts, then B's tasks no task of A was paired with.
    const EventsByTask eventsA = GroupEvents(a);
    const EventsByTask eventsB = GroupEvents(b);
    static const std::vector<const RecordedMessage*> none;
    auto eventsOf = [](const EventsByTask& grouped,
                       const std::string& task) -> const std::vector<const RecordedMessage*>&
    {
        auto it = grouped.events.find(task);
        return it == grouped.events.end() ? none : it->second;
    };
    std::set<std::string> listedB;
    for (const std::string& taskA : eventsA.order)
    {
        // Events of no task pair with B's events of no task; a task with its counterpart from the rows.
        std::optional<std::string> taskB;
        if (taskA.empty())
            taskB = "";
        else if (auto it = taskPairs.find(taskA); it != taskPairs.end())
            taskB = it->second;
        if (taskB)
            listedB.insert(*taskB);
        report.tasks.push_back(CompareTaskEvents(taskA, taskB.value_or(""), eventsOf(eventsA, taskA),
                                                 taskB ? eventsOf(eventsB, *taskB) : none, remap, options.ignore));
    }
    for (const std::string& taskB : eventsB.order)
        if (!listedB.contains(taskB))
            report.tasks.push_back(CompareTaskEvents("", taskB, none, eventsOf(eventsB, taskB), remap, options.ignore));

    const bool eventsAlike =
        std::all_of(report.events.begin(), report.events.end(), [](const EventCount& e) { return e.then == e.now; });
    report.outcome =
        report.Count(DiffStatus::Matched) == report.rows.size() && eventsAlike ? Outcome::Equivalent : Outcome::Differs;
    return report;
}

std::string_view ToString(DiffStatus status)
{
    switch (status)
    {
    case DiffStatus::Matched:
        return "matched";
    case DiffStatus::Differs:
        return "differs";
    case DiffStatus::OnlyInA:
        return "only-in-a";
    case DiffStatus::OnlyInB:
        return "only-in-b";
    }
    return "";
}

json::object DiffReportJson(const DiffReport& report)
{
    auto optional = [](const auto& value) { return value ? json::value(*value) : json::value(nullptr); };
    auto millis = [](const std::optional<int64_t>& ns)
    { return ns ? json::value(static_cast<double>(*ns) / 1e6) : json::value(nullptr); };

    json::object out;
    out["a"] = report.a;
    out["b"] = report.b;
    out["outcome"] = ToString(report.outcome);
    int64_t eventsA = 0;
    int64_t eventsB = 0;
    for (const EventCount& e : report.events)
    {
        eventsA += e.then;
        eventsB += e.now;
    }
    out["summary"] = json::object{{"requests", report.rows.size()},
                                  {"matched", report.Count(DiffStatus::Matched)},
                                  {"differs", report.Count(DiffStatus::Differs)},
                                  {"onlyInA", report.Count(DiffStatus::OnlyInA)},
                                  {"onlyInB", report.Count(DiffStatus::OnlyInB)},
                                  {"eventsA", eventsA},
                                  {"eventsB", eventsB}};
    json::array rows;
    for (const DiffRow& r : report.rows)
    {
        json::array differences;
        for (const Difference& d : r.differences)
            differences.push_back(json::object{{"path", d.path}, {"a", d.then}, {"b", d.now}});
        json::object row{{"a", optional(r.a)},
                         {"b", optional(r.b)},
                         {"idA", optional(r.idA)},
                         {"idB", optional(r.idB)},
                         {"command", r.command},
                         {"subcommand", r.subcommand},
                         {"status", ToString(r.status)},
                         {"successA", optional(r.successA)},
                         {"successB", optional(r.successB)},
                         {"latencyAMs", millis(r.latencyANs)},
                         {"latencyBMs", millis(r.latencyBNs)},
                         {"differences", std::move(differences)}};
        if (!r.note.empty())
            row["note"] = r.note;
        rows.push_back(std::move(row));
    }
    out["requests"] = std::move(rows);
    // Counts per event name in A and in B, with those missing or extra in B.
    auto countsJson = [](const std::vector<EventCount>& counts)
    {
        json::array out;
        for (const EventCount& e : counts)
            out.push_back(json::object{{"event", e.event},
                                       {"a", e.then},
                                       {"b", e.now},
                                       {"missingInB", std::max<int64_t>(0, e.then - e.now)},
                                       {"extraInB", std::max<int64_t>(0, e.now - e.then)}});
        return out;
    };
    out["events"] = countsJson(report.events);
    json::array tasks;
    for (const TaskEvents& t : report.tasks)
    {
        json::value first = nullptr;
        if (t.firstDifference)
            first = json::object{{"event", t.firstDifferingEvent},
                                 {"path", t.firstDifference->path},
                                 {"a", t.firstDifference->then},
                                 {"b", t.firstDifference->now}};
        tasks.push_back(json::object{{"taskA", t.taskA},
                                     {"taskB", t.taskB},
                                     {"events", countsJson(t.events)},
                                     {"firstDifferingBody", std::move(first)}});
    }
    out["tasks"] = std::move(tasks);
    return out;
}

} // namespace dapscope::replay
