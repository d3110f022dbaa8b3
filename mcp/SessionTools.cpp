// list_sessions, session_summary and failures: what the store holds and what went wrong in a session.

#include "StoreViews.hpp"

#include "cli/Format.hpp"
#include "inspector/Envelope.hpp"

#include <algorithm>
#include <deque>

namespace dapscope::mcp
{

namespace
{
constexpr int64_t kTasksShown = 50; // tasks in a summary
constexpr size_t kEventsBefore = 5; // task events shown before a failure

int64_t Failures(Store& store, int64_t session)
{
    storage::MessageFilter failed;
    failed.failedOnly = true;
    return store.reader.CountMessages(session, failed);
}

// What the last apaevt_task event of a task says it did ("begin", "running", "end"...), "" when none.
std::string TaskState(Store& store, int64_t session, const std::string& task)
{
    int64_t last = 0; // the last apaevt_task event's id
    store.reader.ForEachTaskMessage(session, task,
                                    [&](const storage::TaskMessage& m, std::string_view)
                                    {
                                        if (m.kind == inspector::Kind::Event && m.event == "apaevt_task")
                                            last = m.id;
                                        return true;
                                    });
    if (!last)
        return "";
    boost::system::error_code error;
    json::value event = json::parse(store.reader.MessageData(last), error);
    const json::value* action = error ? nullptr : event.find_pointer("/body/action", error);
    return action && action->is_string() ? std::string(action->get_string()) : "";
}

json::object StatsJson(const storage::TraceStats& stats)
{
    json::array commands;
    for (const auto& c : stats.commands)
        commands.push_back(cli::CommandStatsJson(c));
    json::array events;
    for (const auto& e : stats.events)
        events.push_back(json::object{{"event", e.event}, {"count", e.count}});
    return json::object{{"commands", std::move(commands)},
                        {"events", std::move(events)},
                        {"orphans", stats.orphans},
                        {"unanswered", stats.unanswered},
                        {"malformed", stats.malformed}};
}

ToolAnswer ListSessions(Store& store, const Arguments& args)
{
    std::optional<int64_t> since = args.Time("since");
    std::optional<std::string> clientName = args.String("client_name");
    std::optional<std::string> protocol = args.Choice("protocol", {"websocket", "http"});
    bool withFailures = args.Flag("has_failures");
    std::optional<std::vector<int64_t>> cursor = args.Cursor(1);
    int64_t before = cursor ? (*cursor)[0] : INT64_MAX;

    std::vector<storage::SessionSummary> sessions = store.reader.Sessions();
    std::sort(sessions.begin(), sessions.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
    Page page(args.Limit());
    int64_t leftOut = 0;
    int64_t lastId = 0;
    for (const storage::SessionSummary& s : sessions)
    {
        if (s.id >= before || (since && s.endedNs && *s.endedNs < *since) ||
            (clientName && s.clientName.find(*clientName) == std::string::npos) ||
            (protocol && s.protocol != *protocol))
            continue;
        int64_t failures = Failures(store, s.id);
        if (withFailures && failures == 0)
            continue;
        json::object row = cli::SessionJson(s);
        row["failures"] = failures;
        if (leftOut == 0 && page.Add(std::move(row)))
            lastId = s.id;
        else
            ++leftOut;
    }
    return ListAnswer("list_sessions", "sessions", page.Take(), leftOut,
                      leftOut ? std::optional<std::string>(MakeCursor({lastId})) : std::nullopt);
}

ToolAnswer Failures(Store& store, const Arguments& args)
{
    storage::SessionSummary session = RequireSession(store, args);
    std::optional<std::vector<int64_t>> cursor = args.Cursor(1);
    storage::MessageFilter failed;
    failed.failedOnly = true;
    int64_t after = cursor ? (*cursor)[0] : 0;
    Page page(args.Limit());
    int64_t lastId = after;
    for (const storage::MessageSummary& m : store.reader.Messages(session.id, failed, after, args.Limit()))
    {
        // The request of a failed response; an unanswered request is its own.
        std::optional<storage::MessageSummary> request;
        if (m.kind == inspector::Kind::Request || m.kind == inspector::Kind::HttpRequest)
            request = m;
        else if (m.pairId)
            request = store.reader.Message(*m.pairId);
        std::string task = !m.task.empty() ? m.task : request ? request->task : "";
        std::deque<json::value> before;
        if (!task.empty())
            store.reader.ForEachTaskMessage(
                session.id, task,
                [&](const storage::TaskMessage& t, std::string_view)
                {
                    if (t.id >= m.id)
                        return false;
                    if (t.kind != inspector::Kind::Event)
                        return true;
                    before.push_back(json::object{{"id", t.id}, {"ts", cli::IsoTime(t.tsNs)}, {"event", t.event}});
                    if (before.size() > kEventsBefore)
                        before.pop_front();
                    return true;
                });
        json::object row{
            {"problem", m.kind == inspector::Kind::Malformed ? "malformed"
                        : m.success == false                 ? "failed"
                        : m.status                           ? "http " + std::to_string(*m.status)
                                                             : std::string(inspector::ToString(m.state))},
            {"message", cli::MessageJson(m)},
            {"request", request ? json::value(PayloadJson(store, *request)) : json::value(nullptr)},
            {"request_id", request ? json::value(request->id) : json::value(nullptr)},
            {"error_message", m.error.empty() ? json::value(nullptr) : json::value(m.error)},
            {"trace", m.trace.empty() ? json::value(nullptr) : json::value(m.trace)},
            {"task", task.empty() ? json::value(nullptr) : json::value(task)},
            {"events_before", json::array(before.begin(), before.end())},
        };
        if (!page.Add(std::move(row)))
            break;
        lastId = m.id;
    }
    int64_t leftOut = store.reader.CountMessages(session.id, failed, lastId);
    return ListAnswer("failures", "failures", page.Take(), leftOut,
                      leftOut ? std::optional<std::string>(MakeCursor({lastId})) : std::nullopt,
                      json::object{{"session", session.id}, {"total", Failures(store, session.id)}});
}
} // namespace

json::object SessionSummaryJson(Store& store, const storage::SessionSummary& session)
{
    json::object summary = StatsJson(store.reader.Stats({session.id}));
    summary["session"] = cli::SessionJson(session);
    summary["failures"] = Failures(store, session.id);
    std::vector<storage::TaskSummary> tasks = store.reader.Tasks(session.id);
    json::array taskRows;
    for (const storage::TaskSummary& t : tasks)
    {
        if (static_cast<int64_t>(taskRows.size()) >= kTasksShown)
            break;
        std::string state = TaskState(store, session.id, t.task);
        taskRows.push_back(json::object{{"task", t.task},
                                        {"state", state.empty() ? json::value(nullptr) : json::value(state)},
                                        {"first", cli::IsoTime(t.first)},
                                        {"duration_ms", static_cast<double>(t.last - t.first) / 1e6},
                                        {"messages", t.messages},
                                        {"requests", t.requests},
                                        {"events", t.events},
                                        {"failures", t.failures}});
    }
    summary["tasks"] = std::move(taskRows);
    summary["tasks_left_out"] = std::max<int64_t>(0, static_cast<int64_t>(tasks.size()) - kTasksShown);
    storage::MessageFlagCounts flags = store.reader.FlagCounts(session.id);
    summary["capture_gaps"] = json::object{{"elided_bytes", session.elided},
                                           {"elided_messages", flags.elided},
                                           {"truncated_messages", flags.truncated},
                                           {"generated_messages", flags.generated}};
    summary["redacted_messages"] = flags.redacted;
    return summary;
}

Tool ListSessionsTool(Store& store)
{
    json::object properties{
        {"since", Prop("string", "Only sessions still open at or after this time: ISO 8601 UTC, e.g. "
                                 "2026-11-27T04:21:00Z or 2026-11-27")},
        {"client_name", Prop("string", "Only sessions whose SDK clientName contains this text (e.g. Python SDK)")},
        {"protocol", EnumProp("websocket: DAP sessions; http: plain HTTP exchanges", {"websocket", "http"})},
        {"has_failures", Prop("boolean", "Only sessions with at least one failed, unanswered or malformed message")},
    };
    AddPaging(properties, "sessions");
    json::object row = SessionRowSchema();
    row["properties"].as_object()["failures"] = IntegerProp("Failed, unanswered or malformed messages", 0);
    Tool tool{
        "list_sessions",
        "List captured sessions",
        "List the sessions captured in the dapscope trace store, newest first: id, start and end, client address, "
        "SDK name (client_name), request path, message count, close code, error, and `failures` (failed, "
        "unanswered or malformed messages). Start here to find the session id the other tools take.",
        ObjectSchema(std::move(properties)),
        ListSchema("sessions", std::move(row)),
        nullptr};
    tool.call = [&store, schema = tool.inputSchema](const json::object& given)
    { return ListSessions(store, Arguments(given, schema)); };
    return tool;
}

Tool SessionSummaryTool(Store& store)
{
    json::object properties{{"session", IntegerProp("Session id (list_sessions)", 1)}};
    json::object output{
        {"session", SessionRowSchema()},
        {"failures", IntegerProp("Failed, unanswered or malformed messages", 0)},
        {"commands", ArrayOf(ObjectSchema({}), "Per DAP command: count, failures, unanswered, p50/p95/p99/max "
                                               "latency in ms (the rows of `dapscope stats --json`)")},
        {"events", ArrayOf(ObjectSchema({}), "Per event name: count")},
        {"tasks", ArrayOf(ObjectSchema({}), "Tasks: id, state (last apaevt_task action), first message, duration, "
                                            "messages, requests, events, failures")},
        {"tasks_left_out", IntegerProp("Tasks not listed (the first 50 are)", 0)},
        {"capture_gaps", ObjectSchema({}, {})},
        {"redacted_messages", IntegerProp("Messages in which secrets were redacted", 0)},
    };
    Tool tool{"session_summary",
              "Summarise a session",
              "Summary of one captured session: per DAP command the count, failures and p50/p95/p99/max latency; "
              "events by name; tasks with their state; capture gaps (bytes elided under load, truncated messages); "
              "how many messages had secrets redacted. Use it first to see what a session did and where it failed.",
              ObjectSchema(std::move(properties), {"session"}),
              ObjectSchema(std::move(output), {"session", "failures", "commands", "events", "tasks"}),
              nullptr};
    tool.call = [&store, schema = tool.inputSchema](const json::object& given)
    {
        Arguments args(given, schema);
        return ToolAnswer{SessionSummaryJson(store, RequireSession(store, args)), ""};
    };
    return tool;
}

Tool FailuresTool(Store& store)
{
    json::object properties{{"session", IntegerProp("Session id (list_sessions)", 1)}};
    AddPaging(properties, "failures");
    json::object row = ObjectSchema(
        {
            {"problem", Prop("string", "failed, unanswered, orphan, malformed, duplicate_seq, command_mismatch or "
                                       "http STATUS")},
            {"message", MessageRowSchema()},
            {"request", Nullable("object", "The request's payload (decoded JSON), secrets redacted")},
            {"request_id", Nullable("integer", "The request's message id")},
            {"error_message", Nullable("string", "The response's `message`")},
            {"trace", Nullable("string", "The response's `trace` (engine stack)")},
            {"task", Nullable("string", "The task it belonged to")},
            {"events_before", ArrayOf(ObjectSchema({}), "The task's last events before it (up to 5)")},
        },
        {"problem", "message", "events_before"});
    Tool tool{"failures",
              "Failures of a session",
              "Every failed or unanswered request of a session (and orphan responses, malformed messages, HTTP "
              "4xx/5xx), in order: the request's JSON, the response's error `message` and `trace`, the task it "
              "belonged to and that task's events just before it. The fastest way to answer \"what went wrong\".",
              ObjectSchema(std::move(properties), {"session"}),
              ListSchema("failures", std::move(row),
                         json::object{{"session", IntegerProp("Session id", 1)},
                                      {"total", IntegerProp("Failures in the whole session", 0)}}),
              nullptr};
    tool.call = [&store, schema = tool.inputSchema](const json::object& given)
    { return Failures(store, Arguments(given, schema)); };
    return tool;
}

} // namespace dapscope::mcp
