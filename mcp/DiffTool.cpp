// diff: two sessions of the store compared by meaning, as `dapscope diff --json` (replay/SessionDiff).

#include "StoreViews.hpp"

#include "replay/SessionDiff.hpp"

namespace dapscope::mcp
{

namespace
{
replay::Recording Load(Store& store, const Arguments& args, std::string_view name)
{
    storage::SessionSummary session = RequireSession(store, args, name);
    try
    {
        return replay::LoadRecording(store.reader, session.id);
    }
    catch (const replay::ReplayError& e)
    {
        throw ArgumentError(std::string(name), e.what());
    }
}

ToolAnswer Diff(Store& store, const Arguments& args)
{
    replay::DiffOptions options;
    try
    {
        options.ignore = replay::IgnoredPaths(args.Strings("ignore"));
    }
    catch (const replay::IgnorePatternError& e)
    {
        throw ArgumentError("ignore", e.what());
    }
    replay::Recording a = Load(store, args, "a");
    replay::Recording b = Load(store, args, "b");
    replay::DiffReport report = replay::DiffSessions(a, b, options);
    report.a = "session " + std::to_string(args.RequiredInteger("a", 1, INT64_MAX));
    report.b = "session " + std::to_string(args.RequiredInteger("b", 1, INT64_MAX));
    json::object full = replay::DiffReportJson(report);
    json::array rows = std::move(full["requests"].as_array());
    full.erase("requests");

    // Matched requests are left out unless asked for: what an agent wants from a diff is what differs.
    bool all = args.Flag("all");
    std::optional<std::vector<int64_t>> cursor = args.Cursor(1);
    size_t offset = cursor ? static_cast<size_t>((*cursor)[0]) : 0;
    Page page(args.Limit());
    int64_t leftOut = 0;
    size_t next = rows.size();
    for (size_t i = offset; i < rows.size(); ++i)
    {
        if (!all && rows[i].as_object().at("status") == "matched")
            continue;
        if (leftOut == 0 && page.Add(rows[i]))
            continue;
        if (leftOut == 0)
            next = i;
        ++leftOut;
    }
    return ListAnswer("diff", "requests", page.Take(), leftOut,
                      leftOut ? std::optional<std::string>(MakeCursor({static_cast<int64_t>(next)})) : std::nullopt,
                      std::move(full));
}
} // namespace

Tool DiffTool(Store& store)
{
    json::object properties{
        {"a", IntegerProp("First session id (e.g. a good run)", 1)},
        {"b", IntegerProp("Second session id (e.g. the failing run)", 1)},
        {"ignore", ArrayOf(Prop("string", "JSONPath"), "Paths whose differences do not count: $.body.startedAt, "
                                                       "$..version, $.body.tasks[*].id")},
        {"all", Prop("boolean", "List matched requests too (default: only those that differ or are on one side)")},
    };
    AddPaging(properties, "requests");
    json::object row = ObjectSchema(
        {{"command", Prop("string", "DAP command")},
         {"status", EnumProp("How the request compares", {"matched", "differs", "only-in-a", "only-in-b"})},
         {"differences", ArrayOf(ObjectSchema({}), "JSON paths that differ: path, a, b")}},
        {"command", "status"});
    json::object extra{
        {"a", Prop("string", "What A is")},
        {"b", Prop("string", "What B is")},
        {"outcome", Prop("string", "equivalent or different")},
        {"summary", ObjectSchema({}, {})},
        {"events", ArrayOf(ObjectSchema({}), "Per event name: count in A and in B")},
    };
    Tool tool{"diff",
              "Compare two sessions",
              "Compare two captured sessions by meaning, as `dapscope diff --json`: requests aligned by command and "
              "closest arguments (not by position), answers compared with volatile values (seq, task tokens, pipe ids, "
              "times) normalised. Gives the outcome, counts, per-request rows (`requests`) with the JSON paths that "
              "differ, and "
              "event counts on each side. Use it to see what changed between a good run and a bad one.",
              ObjectSchema(std::move(properties), {"a", "b"}),
              ListSchema("requests", std::move(row), std::move(extra)),
              nullptr};
    tool.call = [&store, schema = tool.inputSchema](const json::object& given)
    { return Diff(store, Arguments(given, schema)); };
    return tool;
}

} // namespace dapscope::mcp
