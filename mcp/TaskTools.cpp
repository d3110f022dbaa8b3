// task_timeline: one task's requests, events and pipe runs in time order (the GUI's tasks view, as data).

#include "StoreViews.hpp"

#include "cli/Format.hpp"

#include <map>
#include <unordered_map>

namespace dapscope::mcp
{

namespace
{
struct PipeRun
{
    int64_t first = 0;
    int64_t last = 0;
    int64_t messages = 0;
};

ToolAnswer TaskTimeline(Store& store, const Arguments& args)
{
    storage::SessionSummary session = RequireSession(store, args);
    std::string task = *args.String("task");
    std::optional<std::vector<int64_t>> cursor = args.Cursor(1);
    int64_t after = cursor ? (*cursor)[0] : 0;
    Page page(args.Limit());
    int64_t leftOut = 0;
    int64_t lastId = after;
    int64_t start = 0;
    bool found = false;
    std::map<int64_t, PipeRun> pipes;
    std::unordered_map<int64_t, json::object> responses; // request id -> what its response said
    std::vector<std::pair<int64_t, json::object>> rows;  // (id, row) in id order
    store.reader.ForEachTaskMessage(
        session.id, task,
        [&](const storage::TaskMessage& m, std::string_view)
        {
            if (!found)
                start = m.tsNs;
            found = true;
            if (m.pipe)
            {
                PipeRun& run = pipes[*m.pipe];
                run.first = run.messages ? run.first : m.tsNs;
                run.last = m.tsNs;
                ++run.messages;
            }
            if (m.id <= after)
                return true;
            if (m.kind == inspector::Kind::Response && m.pairId)
            {
                responses[m.pairId] = json::object{
                    {"success", m.success ? json::value(*m.success) : json::value(nullptr)}, {"response_id", m.id}};
                return true;
            }
            if (m.kind != inspector::Kind::Request && m.kind != inspector::Kind::Event)
                return true;
            json::object row{
                {"id", m.id},
                {"ts", cli::IsoTime(m.tsNs)},
                {"offset_ms", static_cast<double>(m.tsNs - start) / 1e6},
                {"kind", std::string(inspector::ToString(m.kind))},
                {"name", m.kind == inspector::Kind::Event ? m.event : m.command},
                {"subcommand", m.subcommand.empty() ? json::value(nullptr) : json::value(m.subcommand)},
                {"pipe", m.pipe ? json::value(*m.pipe) : json::value(nullptr)},
            };
            if (m.kind == inspector::Kind::Request)
            {
                row["duration_ms"] =
                    m.latencyNs ? json::value(static_cast<double>(*m.latencyNs) / 1e6) : json::value(nullptr);
                row["state"] = std::string(inspector::ToString(m.state));
            }
            rows.emplace_back(m.id, std::move(row));
            return true;
        });
    if (!found)
        throw ArgumentError("task", "no task \"" + task + "\" in session " + std::to_string(session.id) +
                                        " (session_summary lists its tasks)");
    for (auto& [id, row] : rows)
    {
        if (auto response = responses.find(id); response != responses.end())
            for (auto& member : response->second)
                row[member.key()] = member.value();
        if (leftOut == 0 && page.Add(std::move(row)))
            lastId = id;
        else
            ++leftOut;
    }
    json::array pipeRows;
    for (const auto& [pipe, run] : pipes)
        pipeRows.push_back(json::object{{"pipe", pipe},
                                        {"first", cli::IsoTime(run.first)},
                                        {"offset_ms", static_cast<double>(run.first - start) / 1e6},
                                        {"duration_ms", static_cast<double>(run.last - run.first) / 1e6},
                                        {"messages", run.messages}});
    return ListAnswer("task_timeline", "timeline", page.Take(), leftOut,
                      leftOut ? std::optional<std::string>(MakeCursor({lastId})) : std::nullopt,
                      json::object{{"session", session.id}, {"task", task}, {"pipes", std::move(pipeRows)}});
}
} // namespace

Tool TaskTimelineTool(Store& store)
{
    json::object properties{
        {"session", IntegerProp("Session id (list_sessions)", 1)},
        {"task", Prop("string", "Task display id, as session_summary lists it (e.g. 5d41402a.webhook_1)")},
    };
    AddPaging(properties, "timeline rows");
    json::object row = ObjectSchema(
        {
            {"id", IntegerProp("Message id", 1)},
            {"ts", Prop("string", "ISO 8601 UTC")},
            {"offset_ms", Prop("number", "Time since the task's first message")},
            {"kind", EnumProp("A request (with its response folded in) or an event", {"request", "event"})},
            {"name", Prop("string", "Command or event name")},
            {"duration_ms", Nullable("number", "A request's latency; null when unanswered")},
            {"success", Nullable("boolean", "A request's answer")},
            {"pipe", Nullable("integer", "The data pipe it concerns")},
        },
        {"id", "ts", "kind", "name"});
    json::object extra{
        {"session", IntegerProp("Session id", 1)},
        {"task", Prop("string", "Task id")},
        {"pipes", ArrayOf(ObjectSchema({}), "Pipe runs: pipe id, first message, duration, messages")},
    };
    Tool tool{"task_timeline",
              "Timeline of a task",
              "One task of a session in time order: its requests (with duration and success), its events, and the "
              "runs of its data pipes with their durations. Use it to see what happened before a task failed or hung.",
              ObjectSchema(std::move(properties), {"session", "task"}),
              ListSchema("timeline", std::move(row), std::move(extra)),
              nullptr};
    tool.call = [&store, schema = tool.inputSchema](const json::object& given)
    { return TaskTimeline(store, Arguments(given, schema)); };
    return tool;
}

} // namespace dapscope::mcp
