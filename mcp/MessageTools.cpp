// list_messages, get_message and search: the messages of a session, one message whole, and messages across
// sessions, with the filters of `dapscope show`.

#include "StoreViews.hpp"

#include "cli/Format.hpp"

namespace dapscope::mcp
{

namespace
{
ToolAnswer ListMessages(Store& store, const Arguments& args)
{
    storage::SessionSummary session = RequireSession(store, args);
    storage::MessageFilter filter = ReadFilter(args);
    std::optional<std::vector<int64_t>> cursor = args.Cursor(1);
    int64_t lastId = cursor ? (*cursor)[0] : 0;
    Page page(args.Limit());
    for (const storage::MessageSummary& m : store.reader.Messages(session.id, filter, lastId, args.Limit()))
    {
        if (!page.Add(cli::MessageJson(m)))
            break;
        lastId = m.id;
    }
    int64_t leftOut = store.reader.CountMessages(session.id, filter, lastId);
    return ListAnswer("list_messages", "messages", page.Take(), leftOut,
                      leftOut ? std::optional<std::string>(MakeCursor({lastId})) : std::nullopt,
                      json::object{{"session", session.id}});
}

ToolAnswer Search(Store& store, const Arguments& args)
{
    storage::MessageFilter filter = ReadFilter(args);
    if (filter.Empty())
        throw ArgumentError("text", "give something to search for: text, command, event, task, failed or since");
    storage::SearchScope scope;
    scope.sessions = args.Integers("sessions", 1);
    for (int64_t id : scope.sessions)
        if (!store.reader.Session(id))
            throw ArgumentError("sessions", "no session " + std::to_string(id) + " in " + store.path);
    if (std::optional<std::vector<int64_t>> cursor = args.Cursor(2))
    {
        scope.afterSession = (*cursor)[0];
        scope.afterId = (*cursor)[1];
    }
    Page page(args.Limit());
    for (const storage::SearchHit& hit : store.reader.Search(filter, scope, args.Limit()))
    {
        json::object row = cli::MessageJson(hit.message);
        row["excerpt"] = hit.excerpt;
        if (!page.Add(std::move(row)))
            break;
        scope.afterSession = hit.message.session;
        scope.afterId = hit.message.id;
    }
    // What is left: the rest of the session the page stopped in, and the sessions after it.
    int64_t leftOut = 0;
    for (const storage::SessionSummary& s : store.reader.Sessions())
    {
        bool inScope = scope.sessions.empty() ||
                       std::find(scope.sessions.begin(), scope.sessions.end(), s.id) != scope.sessions.end();
        if (inScope && s.id >= scope.afterSession)
            leftOut += store.reader.CountMessages(s.id, filter, s.id == scope.afterSession ? scope.afterId : 0);
    }
    return ListAnswer("search", "matches", page.Take(), leftOut,
                      leftOut ? std::optional<std::string>(MakeCursor({scope.afterSession, scope.afterId}))
                              : std::nullopt);
}
} // namespace

Tool ListMessagesTool(Store& store)
{
    json::object properties{{"session", IntegerProp("Session id (list_sessions)", 1)}};
    AddFilterProperties(properties);
    AddPaging(properties, "messages");
    Tool tool{"list_messages",
              "List a session's messages",
              "The messages of one session in order, one row each as `dapscope show --json` prints them (direction, "
              "kind, command or event, seq, success, error message and trace, latency, task), without payloads: "
              "get_message gives one message whole. Filters combine (AND).",
              ObjectSchema(std::move(properties), {"session"}),
              ListSchema("messages", MessageRowSchema(), json::object{{"session", IntegerProp("Session id", 1)}}),
              nullptr};
    tool.call = [&store, schema = tool.inputSchema](const json::object& given)
    { return ListMessages(store, Arguments(given, schema)); };
    return tool;
}

Tool GetMessageTool(Store& store)
{
    json::object output = MessageRowSchema();
    output["properties"].as_object()["payload"] =
        ObjectSchema({{"bytes", IntegerProp("Payload size", 0)},
                      {"json", json::object{{"description", "The decoded JSON (when it is JSON of at most 16 KiB)"}}},
                      {"text", Prop("string", "The payload as text, at most 16 KiB")},
                      {"text_truncated", Prop("boolean", "`text` is only the start")},
                      {"sha256", Prop("string", "SHA-256 of a binary payload")},
                      {"head_hex", Prop("string", "The first 64 bytes of a binary payload, in hex")}},
                     {"bytes"});
    output["properties"].as_object()["pair"] = ObjectSchema({}, {});
    output["required"].as_array().push_back("payload");
    Tool tool{"get_message",
              "Get one message",
              "One message whole: its row (as list_messages), its payload (the decoded JSON; a binary payload as size, "
              "SHA-256 and its first bytes in hex), and the row of its pair (the request of a response or the "
              "response of a request). Secrets appear as [redacted:...] markers, as stored.",
              ObjectSchema({{"id", IntegerProp("Message id (from list_messages, failures or search)", 1)}}, {"id"}),
              std::move(output),
              nullptr};
    tool.call = [&store, schema = tool.inputSchema](const json::object& given)
    {
        Arguments args(given, schema);
        int64_t id = args.RequiredInteger("id", 1, INT64_MAX);
        std::optional<storage::MessageSummary> message = store.reader.Message(id);
        if (!message)
            throw ArgumentError("id", "no message " + std::to_string(id) + " in " + store.path);
        return ToolAnswer{MessageDetailJson(store, *message), ""};
    };
    return tool;
}

Tool SearchTool(Store& store)
{
    json::object properties{
        {"sessions", ArrayOf(IntegerProp("Session id", 1), "Only these sessions (default: every session)")}};
    AddFilterProperties(properties);
    AddPaging(properties, "matches");
    json::object row = MessageRowSchema();
    row["properties"].as_object()["excerpt"] = Prop("string", "The message's text around the first match");
    Tool tool{"search",
              "Search every session",
              "Find messages across all captured sessions (oldest session first, each in order), as `dapscope search "
              "--json`: by text in the payload, by command, event, task, failures or time. Each match is a message row "
              "plus an excerpt around the text. Give at least one filter.",
              ObjectSchema(std::move(properties)),
              ListSchema("matches", std::move(row)),
              nullptr};
    tool.call = [&store, schema = tool.inputSchema](const json::object& given)
    { return Search(store, Arguments(given, schema)); };
    return tool;
}

} // namespace dapscope::mcp
