// EngineConnection core: framing, the authentication gate, dispatch, response building, delays and overrides.

#include "EngineRequest.hpp"

#include <exception>

namespace dapscope::mock
{

namespace
{

// The engine's error for anything it cannot decode into a request handler result (Python str(e) of the exception).
EngineError UnexpectedError(const std::exception& e)
{
    return {e.what(), "dap_conn.py", 0};
}

// Split a frame (PROTOCOL §2.2) and decode the JSON; nullopt = malformed, silently dropped like the engine does.
std::optional<EngineConnection::Request> DecodeRequest(bool binary, std::string_view bytes)
{
    std::string_view json = bytes;
    std::optional<std::string> payload;
    if (binary)
    {
        const size_t newline = bytes.find('\n');
        if (newline != std::string_view::npos)
        {
            json = bytes.substr(0, newline);
            payload = std::string(bytes.substr(newline + 1));
        }
    }
    auto value = ParseJson(json);
    if (!value || !value->is_object())
        return std::nullopt;
    EngineConnection::Request request;
    request.message = std::move(value->get_object());
    if (auto* args = request.message.if_contains("arguments"); args && args->is_object())
    {
        auto& argsObject = args->get_object();
        if (auto* data = argsObject.if_contains("data"); data && data->is_string() && !payload)
            payload = std::string(data->get_string());
        argsObject.erase("data");
        request.args = argsObject;
    }
    request.data = std::move(payload);
    request.type = ArgString(request.message, "type");
    request.command = ArgString(request.message, "command");
    return request;
}

} // namespace

std::optional<std::string> ValidateEngineOptions(const EngineOptions& options)
{
    if (options.responseDelayMs < 0 || options.responseDelayMs > 600000)
        return "responseDelayMs must be between 0 and 600000";
    if (options.burstEvents < 0 || options.burstEvents > 100000)
        return "burstEvents must be between 0 and 100000";
    for (const auto& bad : options.badKeys)
        if (!options.apiKey.empty() && bad == options.apiKey)
            return "apiKey '" + options.apiKey + "' is also listed in badKeys";
    for (const auto& spec : options.overrides)
    {
        auto parsed = ParseOverride(spec);
        if (auto* error = std::get_if<std::string>(&parsed))
            return *error;
    }
    return std::nullopt;
}

EngineConnection::EngineConnection(const EngineOptions& options, EngineState& shared)
    : m_options(options), m_state(shared)
{
    for (const auto& spec : m_options.overrides)
    {
        auto parsed = ParseOverride(spec);
        if (auto* rule = std::get_if<ResponseOverride>(&parsed))
            m_overrides.push_back(std::move(*rule));
    }
    m_connectionId = m_state.AddConnection();
}

EngineConnection::~EngineConnection()
{
    OnClose();
}

bool EngineConnection::Authenticated() const
{
    const auto* slot = m_state.FindConnection(m_connectionId);
    return slot && slot->authenticated;
}

ConnectionSlot& EngineConnection::Slot()
{
    auto* slot = m_state.FindConnection(m_connectionId);
    if (!slot)
        throw EngineError{"Connection is closed", "task_conn.py", 0};
    return *slot;
}

void EngineConnection::SetWakeHandler(std::function<void()> wake)
{
    if (auto* slot = m_state.FindConnection(m_connectionId))
        slot->wake = std::move(wake);
}

Reaction EngineConnection::OnMessage(bool binary, std::string_view bytes)
{
    if (m_closing || m_closed)
        return {};
    int64_t delayMs = 0;
    try
    {
        m_state.Tick();
        m_state.SetServing(m_connectionId);
        ++Slot().messagesIn;
        if (auto request = DecodeRequest(binary, bytes))
        {
            delayMs = m_options.responseDelayMs;
            Dispatch(*request);
        }
    }
    catch (...)
    {
        // Never throws: whatever went wrong, the messages built so far still go out.
    }
    m_state.SetServing(0);
    return Drain(delayMs);
}

Reaction EngineConnection::TakePending()
{
    if (m_closed)
        return {};
    return Drain(0);
}

Reaction EngineConnection::Drain(int64_t delayMs)
{
    Reaction reaction;
    for (auto& message : m_state.TakeOutbox(m_connectionId))
        reaction.messages.push_back({message.binary, std::move(message.bytes), delayMs});
    if (m_closing && !m_closeReported)
    {
        // Report the close once, and stop routing events to a socket that is going away.
        m_closeReported = true;
        reaction.close = true;
        reaction.closeCode = 1000;
        if (auto* slot = m_state.FindConnection(m_connectionId))
            slot->authenticated = false;
    }
    return reaction;
}

Reaction EngineConnection::OnClose()
{
    if (m_closed)
        return {};
    m_closed = true;
    try
    {
        DropConnection();
    }
    catch (...)
    {
        // A throwing wake handler of another connection must not stop the cleanup of this one.
    }
    return {};
}

void EngineConnection::DropConnection()
{
    const auto* slot = m_state.FindConnection(m_connectionId);
    if (!slot)
        return;
    const bool wasAuthenticated = slot->authenticated;
    const std::string userId = slot->userId;
    m_state.RemoveConnection(m_connectionId);
    CloseStoreHandles();
    for (auto& [token, task] : m_state.Tasks())
    {
        std::erase_if(task.pipes, [&](const auto& entry) { return entry.second.connectionId == m_connectionId; });
        // A launched task dies with the socket that launched it (PROTOCOL §1.7).
        if (task.ownerConnection == m_connectionId)
            m_state.StopTask(task);
    }
    if (wasAuthenticated)
    {
        m_state.PublishDashboard(
            {{"action", "connection_removed"}, {"timestamp", m_state.Now()}, {"connectionId", m_connectionId}}, userId);
    }
}

std::string EngineConnection::ResolveToken(const Request& request) const
{
    const auto* slot = m_state.FindConnection(m_connectionId);
    if (slot && !slot->pinnedToken.empty())
        return slot->pinnedToken;
    std::string token = ArgString(request.args, "token");
    if (token.empty())
        token = ArgString(request.message, "token");
    return token;
}

void EngineConnection::RequirePermission(std::string_view permission) const
{
    const auto* slot = m_state.FindConnection(m_connectionId);
    if (slot && slot->dataOnly && permission != "task.data")
        throw PermissionError(permission);
}

TaskState& EngineConnection::RequireTask(const Request& request)
{
    const std::string token = ResolveToken(request);
    if (token.empty())
        throw TokenRequiredError();
    auto* task = m_state.FindTask(token);
    if (!task)
        throw NotRunningError();
    return *task;
}

void EngineConnection::Dispatch(Request& request)
{
    using Handler = Reply (EngineConnection::*)(const Request&);
    struct Route
    {
        std::string_view command;    // DAP command name
        Handler handler;             // member that answers it
        std::string_view permission; // team permission it needs ("" = any authenticated socket)
    };
    static const Route kRoutes[] = {
        {"deauth", &EngineConnection::OnDeauth, ""},
        {"rrext_ping", nullptr, ""},
        {"rrext_services", &EngineConnection::OnServices, ""},
        {"rrext_validate", &EngineConnection::OnValidate, ""},
        {"rrext_dashboard", &EngineConnection::OnDashboard, "task.monitor"},
        {"execute", &EngineConnection::OnExecute, "task.control"},
        {"launch", &EngineConnection::OnExecute, "task.debug"},
        {"restart", &EngineConnection::OnRestart, "task.control"},
        {"terminate", &EngineConnection::OnTerminate, "task.control"},
        {"rrext_get_task_status", &EngineConnection::OnGetTaskStatus, "task.monitor"},
        {"rrext_get_token", &EngineConnection::OnGetToken, "task.monitor"},
        {"rrext_get_pipeline", &EngineConnection::OnGetPipeline, "task.monitor"},
        {"rrext_get_tasks", &EngineConnection::OnGetTasks, "task.monitor"},
        {"rrext_monitor", &EngineConnection::OnMonitor, "task.monitor"},
        {"rrext_process", &EngineConnection::OnProcess, "task.data"},
        {"rrext_store", &EngineConnection::OnStore, "task.store"},
    };

    const bool isRequest = request.type == "request";
    try
    {
        // auth and rrext_public_* are the only commands served before authentication (PROTOCOL §4).
        if (isRequest && request.command == "auth")
            return Respond(request, OnAuth(request));
        if (isRequest && request.command.starts_with("rrext_public_"))
        {
            if (request.command == "rrext_public_probe")
                return Respond(request, OnProbe(request));
            if (request.command == "rrext_public_catalog")
                return Respond(request, OnCatalog(request));
            throw EngineError{"Invalid command: " + request.command, "task_conn.py", 575};
        }
        if (!Slot().authenticated)
        {
            return RespondError(request, {"Not authenticated", "task_conn.py", 264, true});
        }
        // Client responses and events are ignored once authenticated (there are no reverse requests).
        if (!isRequest)
            return;
        for (const auto& route : kRoutes)
        {
            if (route.command != request.command)
                continue;
            if (!route.permission.empty())
                RequirePermission(route.permission);
            if (!route.handler)
            {
                Reply pong;
                pong.body = boost::json::object{{"pong", true}};
                return Respond(request, std::move(pong));
            }
            return Respond(request, (this->*route.handler)(request));
        }
        if (request.command.starts_with("rrext_"))
            throw EngineError{"Invalid command: " + request.command, "task_conn.py", 575};
        Respond(request, OnDebugForward(request));
    }
    catch (const EngineError& error)
    {
        RespondError(request, error);
    }
    catch (const std::exception& e)
    {
        RespondError(request, UnexpectedError(e));
    }
}

namespace
{

boost::json::object ResponseHeader(const EngineConnection::Request& request, int64_t seq, bool success)
{
    boost::json::object response;
    response["type"] = "response";
    response["seq"] = seq;
    const auto* requestSeq = request.message.if_contains("seq");
    response["request_seq"] = requestSeq ? *requestSeq : boost::json::value(nullptr);
    const auto* command = request.message.if_contains("command");
    response["command"] = command ? *command : boost::json::value(nullptr);
    response["success"] = success;
    return response;
}

} // namespace

void EngineConnection::Respond(const Request& request, Reply reply)
{
    boost::json::object response = ResponseHeader(request, m_state.NextSeq(m_connectionId), true);
    if (reply.body)
        response["body"] = std::move(*reply.body);
    if (reply.binaryPayload)
        response["arguments"] = boost::json::object();
    for (const auto& rule : m_overrides)
        if (rule.command == request.command)
            ApplyOverride(response, rule);
    if (reply.binaryPayload)
    {
        // The engine writes binary headers with json.dumps defaults (PROTOCOL §2.1), as the fixtures show.
        std::string frame = SerializeJson(response, {true, true, false});
        frame += '\n';
        frame += *reply.binaryPayload;
        m_state.Queue(m_connectionId, true, std::move(frame));
    }
    else
    {
        m_state.Queue(m_connectionId, false, SerializeJson(response));
    }
    for (auto& [event, body] : reply.after)
        SendOwnEvent(event, std::move(body), reply.afterId);
    if (reply.close)
        m_closing = true;
}

void EngineConnection::RespondError(const Request& request, const EngineError& error)
{
    boost::json::object response = ResponseHeader(request, m_state.NextSeq(m_connectionId), false);
    response["message"] = error.message;
    response["trace"] = boost::json::object{{"file", error.file}, {"lineno", error.line}};
    for (const auto& rule : m_overrides)
        if (rule.command == request.command)
            ApplyOverride(response, rule);
    m_state.Queue(m_connectionId, false, SerializeJson(response));
    if (error.close)
        m_closing = true;
}

void EngineConnection::SendOwnEvent(std::string_view event, boost::json::object body, std::string_view id)
{
    m_state.SendEvent(m_connectionId, event, std::move(body), id);
}

} // namespace dapscope::mock
