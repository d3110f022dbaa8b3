#include "EngineState.hpp"

#include <utility>

namespace dapscope::mock
{

namespace
{

// 2026-01-01T00:00:00Z in microseconds: a fixed start so that a run of the mock is reproducible.
constexpr int64_t kClockStartMicros = 1767225600LL * 1000000;

boost::json::object ZeroMetrics()
{
    return {{"cpu_percent", 0.0},      {"cpu_memory_mb", 0.0},      {"gpu_memory_mb", 0.0},
            {"peak_cpu_percent", 0.0}, {"peak_cpu_memory_mb", 0.0}, {"peak_gpu_memory_mb", 0.0},
            {"avg_cpu_percent", 0.0},  {"avg_cpu_memory_mb", 0.0},  {"avg_gpu_memory_mb", 0.0}};
}

boost::json::object ZeroTokens()
{
    return {{"cpu_utilization", 0.0},          {"cpu_memory", 0.0}, {"gpu_memory", 0.0}, {"gpu_inference", 0.0},
            {"custom", boost::json::object()}, {"total", 0.0}};
}

} // namespace

EngineState::EngineState() : m_nowMicros(kClockStartMicros), m_startMicros(kClockStartMicros) {}

// [SECTION] Connections and messages

uint64_t EngineState::AddConnection()
{
    const uint64_t id = m_nextConnectionId++;
    auto& slot = m_connections[id];
    slot.connectedAt = Now();
    return id;
}

void EngineState::RemoveConnection(uint64_t connectionId)
{
    m_connections.erase(connectionId);
}

ConnectionSlot* EngineState::FindConnection(uint64_t connectionId)
{
    auto it = m_connections.find(connectionId);
    return it == m_connections.end() ? nullptr : &it->second;
}

int64_t EngineState::NextSeq(uint64_t connectionId)
{
    auto* slot = FindConnection(connectionId);
    return slot ? ++slot->lastSeq : 0;
}

void EngineState::Queue(uint64_t connectionId, bool binary, std::string bytes)
{
    auto* slot = FindConnection(connectionId);
    if (!slot)
        return;
    const bool wasEmpty = slot->outbox.empty();
    slot->outbox.push_back({binary, std::move(bytes)});
    ++slot->messagesOut;
    // The connection being served drains its own outbox into its Reaction; others need a nudge.
    if (wasEmpty && connectionId != m_serving && slot->wake)
        slot->wake();
}

void EngineState::SendEvent(uint64_t connectionId, std::string_view event, boost::json::object body,
                            std::string_view id)
{
    if (!FindConnection(connectionId))
        return;
    if (!body.contains("__id"))
        body["__id"] = id;
    boost::json::object message;
    message["type"] = "event";
    message["seq"] = NextSeq(connectionId);
    message["event"] = event;
    message["body"] = std::move(body);
    Queue(connectionId, false, SerializeJson(message));
}

std::vector<QueuedMessage> EngineState::TakeOutbox(uint64_t connectionId)
{
    auto* slot = FindConnection(connectionId);
    if (!slot)
        return {};
    return std::exchange(slot->outbox, {});
}

// [SECTION] Event routing

void EngineState::PublishTaskEvent(const TaskState& task, uint32_t eventClass, std::string_view event,
                                   const boost::json::object& body, std::optional<int64_t> pipeId)
{
    const std::string projectKey = "p." + task.projectId + "." + task.source;
    // Collect first: SendEvent may call a wake handler, which must not see the map mid-iteration.
    std::vector<uint64_t> targets;
    for (const auto& entry : m_connections)
    {
        const ConnectionSlot& slot = entry.second; // not a structured binding: the lambda below captures it
        if (!slot.authenticated)
            continue;
        // SSE needs task.data, everything else task.monitor (which a pk_ login lacks).
        if (slot.dataOnly && eventClass != kEventSse)
            continue;
        if (!slot.pinnedToken.empty() && slot.pinnedToken != task.token && slot.pinnedToken != task.publicToken)
            continue;
        uint32_t mask = 0;
        const auto add = [&](const std::string& key)
        {
            auto it = slot.monitors.find(key);
            if (it != slot.monitors.end())
                mask |= it->second;
        };
        if (pipeId)
            add(projectKey + "." + std::to_string(*pipeId));
        add(projectKey);
        add("*");
        // One delivery per socket even when several keys match.
        if (mask & eventClass)
            targets.push_back(entry.first);
    }
    for (uint64_t connectionId : targets)
        SendEvent(connectionId, event, body, task.id);
}

void EngineState::PublishDashboard(boost::json::object body, std::string_view userId)
{
    std::vector<uint64_t> targets;
    for (const auto& [connectionId, slot] : m_connections)
    {
        auto it = slot.monitors.find("*");
        if (it == slot.monitors.end() || !(it->second & kEventDashboard))
            continue;
        if (!userId.empty() && slot.userId != userId)
            continue;
        targets.push_back(connectionId);
    }
    for (uint64_t connectionId : targets)
        SendEvent(connectionId, "apaevt_dashboard", body, "");
}

// [SECTION] Tasks

TaskState* EngineState::FindTask(std::string_view token)
{
    auto it = m_tasks.find(std::string(token));
    return it == m_tasks.end() ? nullptr : &it->second;
}

TaskState* EngineState::FindTaskByProject(std::string_view projectId, std::string_view source)
{
    // Prefer a live task: a completed one with the same key may still sit in the retention window.
    TaskState* found = nullptr;
    for (auto& [token, task] : m_tasks)
    {
        if (task.projectId == projectId && task.source == source)
        {
            if (!task.completed)
                return &task;
            found = &task;
        }
    }
    return found;
}

TaskState* EngineState::FindTaskByPublicToken(std::string_view publicToken)
{
    for (auto& [token, task] : m_tasks)
        if (task.publicToken == publicToken)
            return &task;
    return nullptr;
}

TaskState& EngineState::PutTask(TaskState task)
{
    auto& slot = m_tasks[task.token];
    slot = std::move(task);
    return slot;
}

boost::json::object EngineState::TaskStatus(const TaskState& task) const
{
    boost::json::object status;
    status["name"] = task.name;
    status["project_id"] = task.projectId;
    status["source"] = task.source;
    status["completed"] = task.completed;
    status["state"] = task.state;
    status["startTime"] = task.startTime;
    status["endTime"] = task.endTime;
    status["debuggerAttached"] = false;
    status["status"] = task.status;
    status["warnings"] = boost::json::array();
    status["errors"] = boost::json::array();
    status["currentObject"] = "";
    status["currentSize"] = 0;
    status["notes"] = boost::json::array();
    status["totalSize"] = task.totalSize;
    status["totalCount"] = task.totalCount;
    status["completedSize"] = task.completedSize;
    status["completedCount"] = task.completedCount;
    status["failedSize"] = 0;
    status["failedCount"] = 0;
    status["wordsSize"] = task.wordsSize;
    status["wordsCount"] = task.wordsCount;
    status["rateSize"] = 0;
    status["rateCount"] = 0;
    status["serviceUp"] = task.serviceUp;
    status["exitCode"] = 0;
    status["exitMessage"] = "";
    status["pipeflow"] = boost::json::object{{"totalPipes", task.totalPipes}, {"byPipe", boost::json::object()}};
    status["metrics"] = ZeroMetrics();
    status["tokens"] = ZeroTokens();
    return status;
}

boost::json::object EngineState::IdleStatus(std::string_view projectId, std::string_view source) const
{
    TaskState idle;
    idle.projectId = projectId;
    idle.source = source;
    idle.status = "Not running";
    return TaskStatus(idle);
}

void EngineState::PublishStatus(const TaskState& task)
{
    PublishTaskEvent(task, kEventSummary, "apaevt_status_update", TaskStatus(task));
}

void EngineState::StopTask(TaskState& task)
{
    if (task.completed)
        return;
    task.state = kStateStopping;
    task.status = "Stopping";
    PublishStatus(task);
    task.state = kStateCancelled;
    task.status = "Stopped";
    task.completed = true;
    task.endTime = Now();
    task.totalPipes = 0;
    task.pipes.clear();
    PublishStatus(task);
    PublishTaskEvent(task, kEventTask, "apaevt_task",
                     {{"action", "end"}, {"name", task.name}, {"projectId", task.projectId}, {"source", task.source}});
}

std::string EngineState::NewUuid(std::string_view kind)
{
    return HashUuid(std::string(kind) + ":" + std::to_string(++m_uuidSerial), '4');
}

} // namespace dapscope::mock
