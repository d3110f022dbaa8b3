// Session-level commands: auth/deauth, public probe/catalog, services, validate, dashboard and the debug forwarder.

#include "EngineRequest.hpp"

#include <algorithm>

namespace dapscope::mock
{

namespace
{

constexpr int kMaxAuthAttempts = 5; // CONST_AUTH_MAX_ATTEMPTS_PER_CONN

std::string Trim(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

} // namespace

EngineConnection::Reply EngineConnection::OnAuth(const Request& request)
{
    // Every call counts, successful or not: the cap is per socket lifetime.
    if (++m_authAttempts > kMaxAuthAttempts)
        throw EngineError{"Too many authentication attempts", "task_conn.py", 286, true};

    const auto fail = [&](const std::string& message)
    {
        m_state.PublishDashboard({{"action", "auth_failed"},
                                  {"timestamp", m_state.Now()},
                                  {"connectionId", m_connectionId},
                                  {"reason", message},
                                  {"code", 401}},
                                 "");
        return EngineError{message, "task_conn.py", 311, true};
    };

    const std::string raw = ArgString(request.args, "auth");
    std::string_view credentialView = raw;
    if (credentialView.starts_with("Bearer "))
        credentialView.remove_prefix(7);
    const std::string credential = Trim(credentialView);
    if (credential.empty())
        throw fail("No authorization provided");
    const auto& bad = m_options.badKeys;
    if (std::find(bad.begin(), bad.end(), raw) != bad.end() ||
        std::find(bad.begin(), bad.end(), credential) != bad.end())
        throw fail("Invalid API key");

    auto& slot = Slot();
    std::string pinned;
    bool dataOnly = false;
    if (credential.starts_with("tk_") || credential.starts_with("pk_"))
    {
        // Task credentials pin the socket to their task; a stale one is refused.
        const bool isPublic = credential.starts_with("pk_");
        const TaskState* task = isPublic ? m_state.FindTaskByPublicToken(credential) : m_state.FindTask(credential);
        if (!task)
            throw fail("Bad request");
        pinned = task->token;
        dataOnly = isPublic;
    }
    else if (!m_options.apiKey.empty() && credential != m_options.apiKey)
    {
        throw fail("Invalid API key");
    }

    slot.authenticated = true;
    slot.pinnedToken = pinned;
    slot.dataOnly = dataOnly;
    slot.userId = "local";
    if (const std::string name = ArgString(request.args, "clientName"); !name.empty())
        slot.clientName = name;
    if (const std::string version = ArgString(request.args, "clientVersion"); !version.empty())
        slot.clientVersion = version;
    m_state.PublishDashboard({{"action", "connection_added"},
                              {"timestamp", m_state.Now()},
                              {"connectionId", m_connectionId},
                              {"clientName", slot.clientName},
                              {"clientVersion", slot.clientVersion},
                              {"clientId", slot.userId}},
                             slot.userId);
    Reply reply;
    reply.body = AccountBody(credential);
    return reply;
}

EngineConnection::Reply EngineConnection::OnDeauth(const Request&)
{
    // Back to public-only; monitors stay registered, as in the engine.
    auto& slot = Slot();
    slot.authenticated = false;
    slot.pinnedToken.clear();
    slot.dataOnly = false;
    Reply reply;
    reply.body = boost::json::object();
    return reply;
}

EngineConnection::Reply EngineConnection::OnProbe(const Request&)
{
    Reply reply;
    reply.body = ProbeBody();
    return reply;
}

EngineConnection::Reply EngineConnection::OnCatalog(const Request& request)
{
    const int64_t offset = std::max<int64_t>(0, ArgInt(request.args, "offset").value_or(0));
    const int64_t limit = std::clamp<int64_t>(ArgInt(request.args, "limit").value_or(20), 1, 100);
    Reply reply;
    reply.body =
        boost::json::object{{"apps", boost::json::array()}, {"total", 0}, {"offset", offset}, {"limit", limit}};
    return reply;
}

EngineConnection::Reply EngineConnection::OnServices(const Request& request)
{
    Reply reply;
    const std::string service = ArgString(request.args, "service");
    if (service.empty())
    {
        reply.body = boost::json::object{{"services", ServiceDefinitions()}, {"version", 1}};
        return reply;
    }
    const auto* definition = ServiceDefinitions().if_contains(service);
    if (!definition)
        throw EngineError{"Service '" + service + "' not found. Please check the service name and try again.",
                          "cmd_misc.py", 134};
    reply.body = definition->get_object();
    return reply;
}

EngineConnection::Reply EngineConnection::OnValidate(const Request& request)
{
    const auto* pipeline = request.args.if_contains("pipeline");
    Reply reply;
    reply.body = ValidatePipeline(pipeline && pipeline->is_object() ? pipeline->get_object() : boost::json::object(),
                                  ArgString(request.args, "source"));
    return reply;
}

EngineConnection::Reply EngineConnection::OnDashboard(const Request&)
{
    const double now = m_state.Now();
    boost::json::array connections;
    for (const auto& [id, slot] : m_state.Connections())
    {
        boost::json::array monitors;
        for (const auto& [key, flags] : slot.monitors)
            monitors.push_back(boost::json::object{{"key", key}, {"flags", flags}});
        connections.push_back(
            boost::json::object{{"id", id},
                                {"connectedAt", slot.connectedAt},
                                {"lastActivity", now},
                                {"messagesIn", slot.messagesIn},
                                {"messagesOut", slot.messagesOut},
                                {"authenticated", slot.authenticated},
                                {"clientId", slot.userId},
                                {"clientInfo", {{"name", slot.clientName}, {"version", slot.clientVersion}}},
                                {"monitors", std::move(monitors)},
                                {"attachedTasks", boost::json::array()}});
    }
    boost::json::array tasks;
    int64_t active = 0;
    for (const auto& [token, task] : m_state.Tasks())
    {
        active += task.completed ? 0 : 1;
        tasks.push_back(boost::json::object{{"id", task.id},
                                            {"name", task.name},
                                            {"projectId", task.projectId},
                                            {"source", task.source},
                                            {"provider", task.provider},
                                            {"launchType", task.ownerConnection ? "launch" : "execute"},
                                            {"startTime", task.startTime},
                                            {"elapsedTime", (task.completed ? task.endTime : now) - task.startTime},
                                            {"completed", task.completed},
                                            {"status", task.status},
                                            {"exitCode", 0},
                                            {"endTime", task.endTime},
                                            {"connections", 0},
                                            {"state", task.state},
                                            {"idleTime", 0.0},
                                            {"ttl", 900},
                                            {"metrics", m_state.TaskStatus(task).at("metrics")},
                                            {"totalCount", task.totalCount},
                                            {"completedCount", task.completedCount},
                                            {"rateCount", 0},
                                            {"rateSize", 0}});
    }
    Reply reply;
    reply.body = boost::json::object{{"overview",
                                      {{"totalConnections", m_state.Connections().size()},
                                       {"activeTasks", active},
                                       {"serverUptime", m_state.Uptime()}}},
                                     {"connections", std::move(connections)},
                                     {"tasks", std::move(tasks)}};
    return reply;
}

EngineConnection::Reply EngineConnection::OnDebugForward(const Request& request)
{
    Reply reply;
    if (request.command == "initialize")
    {
        // Static DAP capabilities, as the engine answers before any debug session exists.
        reply.body = boost::json::object{{"supportsConfigurationDoneRequest", true},
                                         {"supportsConditionalBreakpoints", true},
                                         {"supportsEvaluateForHovers", true},
                                         {"supportsTerminateRequest", true}};
        return reply;
    }
    if (request.command == "disconnect")
        return reply;
    // Everything else would be forwarded to the task's debugpy adapter, which the mock does not have.
    RequirePermission("task.debug");
    RequireTask(request);
    throw EngineError{"Debug interface not available", "task_conn.py", 517};
}

} // namespace dapscope::mock
