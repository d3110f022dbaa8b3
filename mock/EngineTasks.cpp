// Task lifecycle (execute/launch/restart/terminate), task queries and rrext_monitor subscriptions.

#include "EngineRequest.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace dapscope::mock
{

namespace
{

boost::json::object ExecuteBody(const TaskState& task)
{
    return {{"id", task.id},
            {"token", task.token},
            {"publicToken", task.publicToken},
            {"projectId", task.projectId},
            {"source", task.source},
            {"provider", task.provider}};
}

boost::json::object TaskAction(const TaskState& task, std::string_view action)
{
    return {{"action", action}, {"name", task.name}, {"projectId", task.projectId}, {"source", task.source}};
}

// Python truthiness of pipeline.project_id: missing, null, "" and 0 all mean "make one up".
bool HasProjectId(const boost::json::object& pipeline)
{
    const auto* value = pipeline.if_contains("project_id");
    if (!value || value->is_null())
        return false;
    if (value->is_string())
        return !value->get_string().empty();
    if (value->is_int64())
        return value->get_int64() != 0;
    return true;
}

// Status name: "<task name | id>.<component name | config.name | source>".
std::string TaskName(const boost::json::object& args, const boost::json::object& component, const std::string& id,
                     const std::string& source)
{
    std::string label = ArgString(args, "name");
    if (label.empty())
        label = id;
    std::string componentLabel = ArgString(component, "name");
    if (const auto* config = component.if_contains("config"); componentLabel.empty() && config && config->is_object())
        componentLabel = ArgString(config->get_object(), "name");
    if (componentLabel.empty())
        componentLabel = source;
    return label + "." + componentLabel;
}

std::string TraceLevel(const boost::json::object& args)
{
    std::string level = ArgString(args, "pipelineTraceLevel");
    std::string lower = level;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower == "none" || lower == "off" ? std::string() : level;
}

// Bit of one monitor type name (case-insensitive), 0 if unknown (the engine ignores unknown names).
uint32_t TypeBit(std::string_view name)
{
    static const std::pair<std::string_view, uint32_t> kNames[] = {{"NONE", 0},
                                                                   {"DEBUGGER", kEventDebugger},
                                                                   {"DETAIL", kEventDetail},
                                                                   {"SUMMARY", kEventSummary},
                                                                   {"OUTPUT", kEventOutput},
                                                                   {"FLOW", kEventFlow},
                                                                   {"TASK", kEventTask},
                                                                   {"SSE", kEventSse},
                                                                   {"DASHBOARD", kEventDashboard},
                                                                   {"ALL", kEventAll}};
    std::string upper(name);
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    for (const auto& [known, bit] : kNames)
        if (known == upper)
            return bit;
    return 0;
}

uint32_t TypeValue(const boost::json::value& value)
{
    if (value.is_int64())
        return static_cast<uint32_t>(value.get_int64()) & kEventAll;
    if (value.is_uint64())
        return static_cast<uint32_t>(value.get_uint64()) & kEventAll;
    if (!value.is_string())
        return 0;
    const std::string_view text = value.get_string();
    uint32_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec == std::errc() && end == text.data() + text.size())
        return number & kEventAll;
    return TypeBit(text);
}

// types: list of names/numbers, an int bitmask or a numeric string; legacy listenType int.
uint32_t ParseTypes(const boost::json::object& args)
{
    const auto* types = args.if_contains("types");
    if (!types || types->is_null())
    {
        const auto* legacy = args.if_contains("listenType");
        return legacy ? TypeValue(*legacy) : 0;
    }
    if (!types->is_array())
        return TypeValue(*types);
    uint32_t mask = 0;
    for (const auto& item : types->get_array())
        mask |= TypeValue(item);
    return mask;
}

} // namespace

EngineConnection::Reply EngineConnection::OnExecute(const Request& request)
{
    const bool launch = request.command == "launch";
    const auto* pipelineValue = request.args.if_contains("pipeline");
    if (!pipelineValue || !pipelineValue->is_object() || pipelineValue->get_object().empty())
        throw EngineError{"Missing pipeline configuration in launch request", "task_server.py", 1118};
    boost::json::object pipeline = pipelineValue->get_object();
    const std::string source = ResolveSource(pipeline, ArgString(request.args, "source"));
    if (source.empty())
        throw EngineError{"Pipeline does not have a source component defined", "task_server.py", 1042};
    const auto* component = FindComponent(pipeline, source);
    if (!component)
        throw EngineError{"Pipeline source component \"" + source + "\" not found in components list", "task_server.py",
                          1055};
    const std::string provider = ArgString(*component, "provider");
    if (provider.empty())
        throw EngineError{"Source \"" + source + "\" not found in pipeline", "task_server.py", 1078};
    pipeline["source"] = source;

    const boost::json::value projectId =
        HasProjectId(pipeline) ? pipeline.at("project_id") : boost::json::value(m_state.NewUuid("project"));
    std::string token = ArgString(request.args, "token");
    if (token.empty())
        token = TaskToken(projectId, boost::json::value(source), Slot().userId);

    Reply reply;
    if (auto* existing = m_state.FindTask(token); existing && !existing->completed)
    {
        if (!ArgBool(request.args, "useExisting"))
            throw EngineError{"Pipeline is already running.", "task_server.py", 1141};
        reply.body = ExecuteBody(*existing);
        return reply;
    }

    TaskState task;
    task.token = token;
    task.publicToken = PublicToken(projectId, boost::json::value(source));
    task.id = DisplayId(token, source);
    task.projectId = ValueText(projectId);
    task.source = source;
    task.provider = provider;
    task.name = TaskName(request.args, *component, task.id, source);
    task.traceLevel = TraceLevel(request.args);
    task.ownerConnection = launch ? m_connectionId : 0;
    task.startTime = m_state.Now();
    task.pipeline = std::move(pipeline);
    TaskState& stored = m_state.PutTask(std::move(task));

    // begin and the first status updates precede the response (PROTOCOL §7).
    m_state.PublishTaskEvent(stored, kEventTask, "apaevt_task", TaskAction(stored, "begin"));
    stored.state = kStateInitializing;
    m_state.PublishStatus(stored);
    stored.state = kStateRunning;
    stored.serviceUp = true;
    m_state.PublishStatus(stored);

    reply.body = ExecuteBody(stored);
    if (launch)
    {
        // launch = execute + debugger attach: the response is followed by `initialized`.
        reply.after.emplace_back("initialized", boost::json::object());
        reply.afterId = stored.id;
    }
    return reply;
}

EngineConnection::Reply EngineConnection::OnRestart(const Request& request)
{
    const std::string token = ResolveToken(request);
    if (token.empty())
        throw EngineError{"Task token is required for restart", "task_server.py", 1272};
    auto* task = m_state.FindTask(token);
    if (!task)
        throw NotRunningError();
    const auto* pipeline = request.args.if_contains("pipeline");
    if (!pipeline || !pipeline->is_object())
        throw EngineError{"Missing pipeline configuration in restart request", "task_server.py", 1277};
    task->pipeline = pipeline->get_object();
    task->pipeline["source"] = task->source;
    task->traceLevel = TraceLevel(request.args);
    task->pipes.clear();
    task->totalPipes = 0;
    task->completed = false;
    task->endTime = 0;
    task->startTime = m_state.Now();
    task->status = "Restarting";
    task->state = kStateInitializing;
    task->serviceUp = false;
    m_state.PublishTaskEvent(*task, kEventTask, "apaevt_task", TaskAction(*task, "restart"));
    m_state.PublishStatus(*task);
    task->status.clear();
    task->state = kStateRunning;
    task->serviceUp = true;
    m_state.PublishStatus(*task);
    Reply reply;
    reply.body = ExecuteBody(*task);
    return reply;
}

EngineConnection::Reply EngineConnection::OnTerminate(const Request& request)
{
    // Stopping/Stopped/end go out before the response; a task that already stopped just succeeds.
    m_state.StopTask(RequireTask(request));
    return {};
}

EngineConnection::Reply EngineConnection::OnGetTaskStatus(const Request& request)
{
    Reply reply;
    reply.body = m_state.TaskStatus(RequireTask(request));
    return reply;
}

EngineConnection::Reply EngineConnection::OnGetToken(const Request& request)
{
    const auto* task =
        m_state.FindTaskByProject(ArgString(request.args, "projectId"), ArgString(request.args, "source"));
    if (!task)
        throw EngineError{"Your pipeline is not running", "task_server.py", 629};
    Reply reply;
    reply.body = boost::json::object{{"token", task->token}};
    return reply;
}

EngineConnection::Reply EngineConnection::OnGetPipeline(const Request& request)
{
    Reply reply;
    reply.body = boost::json::object{{"pipeline", RequireTask(request).pipeline}};
    return reply;
}

EngineConnection::Reply EngineConnection::OnGetTasks(const Request&)
{
    boost::json::array tasks;
    for (const auto& [token, task] : m_state.Tasks())
    {
        if (task.state != kStateRunning)
            continue;
        std::string name = ArgString(task.pipeline, "name");
        std::string description = ArgString(task.pipeline, "description");
        tasks.push_back(
            boost::json::object{{"name", name.empty() ? task.source : name},
                                {"description", description.empty() ? "RocketRide DTC MCP Tool" : description},
                                {"source", task.source},
                                {"token", task.token},
                                {"status", task.status},
                                {"pipeline", task.pipeline}});
    }
    Reply reply;
    reply.body = boost::json::object{{"tasks", std::move(tasks)}};
    return reply;
}

EngineConnection::Reply EngineConnection::OnMonitor(const Request& request)
{
    const std::string token = ResolveToken(request);
    const std::string projectId = ArgString(request.args, "projectId");
    const std::string source = ArgString(request.args, "source");
    const uint32_t mask = ParseTypes(request.args);

    std::string key;
    const TaskState* control = nullptr;
    if (!token.empty())
    {
        if (!projectId.empty() || !source.empty())
            throw EngineError{"You must specifiy either token or project_id/source, not both", "cmd_monitor.py",
                              token == "*" ? 365 : 375};
        if (token == "*")
        {
            key = "*";
        }
        else
        {
            control = m_state.FindTask(token);
            if (!control)
                throw NotRunningError();
            key = "p." + control->projectId + "." + control->source;
        }
    }
    else if (!projectId.empty() && !source.empty())
    {
        key = "p." + projectId + "." + source;
        control = m_state.FindTaskByProject(projectId, source); // may not exist yet: subscribe before execute
    }
    else
    {
        throw EngineError{"You must specifiy either token or project_id/source", "cmd_monitor.py", 414};
    }
    if (ArgPresent(request.args, "pipeId") && key != "*")
        key += "." + ValueText(request.args.at("pipeId"));

    auto& monitors = Slot().monitors;
    const auto previous = monitors.find(key);
    const uint32_t before = previous == monitors.end() ? 0 : previous->second;
    if (mask == 0)
        monitors.erase(key);
    else
        monitors[key] = mask;
    m_state.PublishDashboard({{"action", "monitor_changed"},
                              {"timestamp", m_state.Now()},
                              {"connectionId", m_connectionId},
                              {"key", key},
                              {"change", mask == 0 ? "unsubscribed" : "subscribed"}},
                             Slot().userId);

    // Catch-up for newly enabled bits goes out before the response (PROTOCOL §5.3).
    const uint32_t enabled = mask & ~before;
    if (enabled & kEventSummary)
    {
        if (control)
            SendOwnEvent("apaevt_status_update", m_state.TaskStatus(*control), control->id);
        else if (!projectId.empty())
            SendOwnEvent("apaevt_status_update", m_state.IdleStatus(projectId, source), projectId + "." + source);
    }
    if (enabled & kEventTask)
    {
        boost::json::array running;
        for (const auto& [taskToken, task] : m_state.Tasks())
            if (task.state >= kStateStarting && task.state <= kStateStopping)
                running.push_back(boost::json::object{
                    {"id", task.id}, {"name", task.name}, {"projectId", task.projectId}, {"source", task.source}});
        SendOwnEvent("apaevt_task", {{"action", "running"}, {"tasks", std::move(running)}}, "");
    }
    return {};
}

} // namespace dapscope::mock
