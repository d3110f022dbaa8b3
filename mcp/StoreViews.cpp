#include "StoreViews.hpp"

namespace dapscope::mcp
{

storage::SessionSummary RequireSession(Store& store, const Arguments& args, std::string_view name)
{
    int64_t id = args.RequiredInteger(name, 1, INT64_MAX);
    std::optional<storage::SessionSummary> session = store.reader.Session(id);
    if (!session)
        throw ArgumentError(std::string(name),
                            "no session " + std::to_string(id) + " in " + store.path + " (list_sessions lists them)");
    return *session;
}

storage::MessageFilter ReadFilter(const Arguments& args)
{
    storage::MessageFilter filter;
    if (auto dir = args.Choice("direction", {"c2s", "s2c"}))
        filter.dir = inspector::ParseDirection(*dir);
    if (auto kind = args.Choice(
            "kind", {"request", "response", "event", "malformed", "control", "http_request", "http_response"}))
        filter.kind = inspector::ParseKind(*kind);
    filter.command = args.String("command").value_or("");
    filter.event = args.String("event").value_or("");
    filter.task = args.String("task").value_or("");
    filter.text = args.String("text").value_or("");
    filter.failedOnly = args.Flag("failed");
    filter.sinceNs = args.Time("since");
    return filter;
}

void AddFilterProperties(json::object& properties)
{
    properties["direction"] = EnumProp("Only messages sent by the client (c2s) or by the engine (s2c)", {"c2s", "s2c"});
    properties["kind"] = EnumProp("Only messages of this kind", {"request", "response", "event", "malformed", "control",
                                                                 "http_request", "http_response"});
    properties["command"] =
        Prop("string", "Only requests and responses of this DAP command, exact (e.g. execute, rrext_ping)");
    properties["event"] = Prop("string", "Only events of this name, exact (e.g. apaevt_status_update)");
    properties["task"] = Prop("string", "Only messages linked to this task (its display id, as session_summary lists)");
    properties["text"] =
        Prop("string", "Only messages whose stored bytes (or HTTP path and head) contain this text; case-sensitive");
    properties["failed"] = Prop("boolean", "Only problems: failed responses (success false, HTTP 4xx/5xx), "
                                           "unanswered requests, orphan responses, malformed messages");
    properties["since"] = Prop("string", "Only messages from this time on: ISO 8601 UTC, e.g. 2026-11-27T04:21:00Z");
}

json::object MessageRowSchema()
{
    json::object properties{
        {"id", IntegerProp("Message id (get_message, dapscope://message/{id})", 1)},
        {"session", IntegerProp("Session id", 1)},
        {"ts", Prop("string", "Time, ISO 8601 UTC")},
        {"dir", EnumProp("c2s: client to engine, s2c: engine to client", {"c2s", "s2c"})},
        {"kind", Prop("string", "request, response, event, malformed, control, http_request, http_response")},
        {"command", Nullable("string", "DAP command of a request or response")},
        {"event", Nullable("string", "Event name")},
        {"seq", Nullable("integer", "DAP seq")},
        {"success", Nullable("boolean", "A response's success")},
        {"message", Nullable("string", "A failed response's message")},
        {"trace", Nullable("string", "A failed response's trace")},
        {"latency_ms", Nullable("number", "Time from request to response")},
        {"task", Nullable("string", "The task the message belongs to")},
        {"state", Nullable("string", "answered, pending, unanswered, orphan, duplicate_seq, command_mismatch")},
        {"pair_id", Nullable("integer", "The paired request or response")},
        {"redacted", Prop("boolean", "Secrets in it were replaced by [redacted:...] markers")},
    };
    return ObjectSchema(std::move(properties), {"id", "session", "ts", "dir", "kind"});
}

json::object SessionRowSchema()
{
    json::object properties{
        {"id", IntegerProp("Session id", 1)},
        {"started", Prop("string", "ISO 8601 UTC")},
        {"ended", Nullable("string", "ISO 8601 UTC; null while live")},
        {"client", Prop("string", "Client address")},
        {"client_name", Nullable("string", "The SDK's clientName")},
        {"path", Prop("string", "Request path")},
        {"messages", IntegerProp("Messages captured", 0)},
        {"close_code", Nullable("integer", "WebSocket close code")},
        {"error", Nullable("string", "Why the session failed")},
        {"protocol", EnumProp("websocket or http", {"websocket", "http"})},
    };
    return ObjectSchema(std::move(properties), {"id", "started", "messages"});
}

} // namespace dapscope::mcp
