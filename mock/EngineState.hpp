#pragma once
// State shared by all connections of one mock engine: tasks (by token), the per-user file store, one slot per
// connection (seq counter, monitor subscriptions, outbox) and the routing of task events to subscribers.
// Single-threaded by contract: the glue calls everything from its service thread, so nothing here locks.

#include "EngineJson.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::mock
{

// Monitor classes (PROTOCOL §5.3); an event reaches a socket only if a matching subscription has its bit.
enum EventClass : uint32_t
{
    kEventDebugger = 1,
    kEventDetail = 2,
    kEventSummary = 4,
    kEventOutput = 8,
    kEventFlow = 16,
    kEventTask = 32,
    kEventSse = 64,
    kEventDashboard = 128,
    kEventAll = 255,
};

// Task states of TASK_STATUS.state.
enum TaskStateCode : int
{
    kStateNone = 0,
    kStateStarting = 1,
    kStateInitializing = 2,
    kStateRunning = 3,
    kStateStopping = 4,
    kStateCompleted = 5,
    kStateCancelled = 6,
};

// One open rrext_process pipe of a task.
struct PipeState
{
    int64_t id = 0;            // pipe_id handed to the client (smallest free id of the task)
    uint64_t connectionId = 0; // connection that opened it; its pipes go away with it
    std::string objectName;    // object.name of the open request
    std::string mimeType;      // mimeType of the open request
    std::string lane;          // lane the data enters: text, questions, tags, image, …, raw
    uint64_t bytes = 0;        // payload bytes written so far
    int64_t writes = 0;        // write calls so far (SSE step counter)
    std::string text;          // echo for the text lane / raw question JSON, capped at kPipeEchoLimit
    bool truncated = false;    // `text` hit the cap
    Sha256Stream hash;         // running SHA-256 of everything written (for the `output` line)
};

// One task registered by execute/launch (kept after it stops, like the engine's retention window).
struct TaskState
{
    std::string token;                  // tk_… (key of the registry)
    std::string publicToken;            // pk_…
    std::string id;                     // display id "<8 hex>.<source>" = body.__id of its events
    std::string projectId;              // pipeline.project_id as text
    std::string source;                 // source component id
    std::string provider;               // provider of the source component
    std::string name;                   // "<task name | id>.<component name | source>"
    boost::json::object pipeline;       // pipeline as given to execute
    std::string traceLevel;             // pipelineTraceLevel; empty = no apaevt_flow
    uint64_t ownerConnection = 0;       // launch: the task stops when this connection closes (0 = execute)
    int state = kStateNone;             // TaskStateCode
    std::string status;                 // TASK_STATUS.status text
    bool completed = false;             // reached Stopped/Completed
    bool serviceUp = false;             // TASK_STATUS.serviceUp
    double startTime = 0;               // unix seconds
    double endTime = 0;                 // unix seconds, 0 while running
    int64_t totalSize = 0;              // bytes of all closed objects
    int64_t totalCount = 0;             // closed objects
    int64_t completedSize = 0;          // bytes of objects that completed
    int64_t completedCount = 0;         // objects that completed
    int64_t wordsSize = 0;              // bytes of text-lane output
    int64_t wordsCount = 0;             // words of text-lane output
    int64_t totalPipes = 0;             // size of the pipe pool so far (pipeflow.totalPipes)
    uint64_t objectSerial = 0;          // objects processed, seeds objectId
    std::map<int64_t, PipeState> pipes; // open pipes by pipe_id
};

// A committed file of the user store.
struct StoreFile
{
    std::string data;    // content
    double modified = 0; // unix seconds of the last commit
};

// An open rrext_store handle.
struct StoreHandle
{
    std::string path;          // full store key, users/<user>/files/<path>
    bool write = false;        // mode "w" (else "r")
    uint64_t connectionId = 0; // owning connection; closed when it disconnects
    std::string pending;       // data written but not committed yet (committed by fs_close)
};

// A built message waiting to be handed to the glue.
struct QueuedMessage
{
    bool binary = false; // binary frame
    std::string bytes;   // complete WebSocket message
};

// Per-connection state that other connections' actions can reach (events are routed here).
struct ConnectionSlot
{
    int64_t lastSeq = 0;                      // server seq of the last message built for this socket
    std::map<std::string, uint32_t> monitors; // key ("*", "p.<project>.<source>[.<pipe>]") -> EventClass bits
    bool authenticated = false;               // task events are only pushed to authenticated sockets
    bool dataOnly = false;                    // logged in with a pk_ token: task.data permission only
    std::string pinnedToken;                  // logged in with a tk_/pk_ token: the task it is pinned to
    std::string userId;                       // account of the socket ("local" in OSS)
    std::string clientName;                   // auth arguments.clientName
    std::string clientVersion;                // auth arguments.clientVersion
    double connectedAt = 0;                   // unix seconds
    int64_t messagesIn = 0;                   // frames received
    int64_t messagesOut = 0;                  // messages built for it
    std::vector<QueuedMessage> outbox;        // built, not yet taken by the glue
    std::function<void()> wake;               // tells the glue that TakePending() has something
};

class EngineState
{
  public:
    EngineState();

    // [SECTION] Clock. No wall clock inside: time starts at a fixed instant and moves 1 ms per received
    // message, so runs are reproducible. The glue may feed real time with SetTime.
    void SetTime(double unixSeconds) { m_nowMicros = static_cast<int64_t>(unixSeconds * 1e6); }
    double Now() const { return static_cast<double>(m_nowMicros) / 1e6; }
    void Tick() { m_nowMicros += 1000; }

    // [SECTION] Connections and messages
    uint64_t AddConnection();
    void RemoveConnection(uint64_t connectionId);
    ConnectionSlot* FindConnection(uint64_t connectionId);
    const std::map<uint64_t, ConnectionSlot>& Connections() const { return m_connections; }
    int64_t NextSeq(uint64_t connectionId);
    // Queue a built message; wakes the connection's glue unless it is the one being served right now.
    void Queue(uint64_t connectionId, bool binary, std::string bytes);
    // Build {"type":"event",...} with this socket's next seq and body.__id = id (unless the body has one).
    void SendEvent(uint64_t connectionId, std::string_view event, boost::json::object body, std::string_view id);
    std::vector<QueuedMessage> TakeOutbox(uint64_t connectionId);
    void SetServing(uint64_t connectionId) { m_serving = connectionId; }

    // [SECTION] Event routing (PROTOCOL §6.1)
    void PublishTaskEvent(const TaskState& task, uint32_t eventClass, std::string_view event,
                          const boost::json::object& body, std::optional<int64_t> pipeId = std::nullopt);
    // Dashboard events go to "*" subscribers with the DASHBOARD bit (all of them when userId is empty).
    void PublishDashboard(boost::json::object body, std::string_view userId);

    // [SECTION] Tasks
    TaskState* FindTask(std::string_view token);
    TaskState* FindTaskByProject(std::string_view projectId, std::string_view source);
    TaskState* FindTaskByPublicToken(std::string_view publicToken);
    TaskState& PutTask(TaskState task); // registers (replacing a completed task with the same token)
    std::map<std::string, TaskState>& Tasks() { return m_tasks; }
    boost::json::object TaskStatus(const TaskState& task) const;
    // TASK_STATUS of a project key with no task ("Not running" placeholder).
    boost::json::object IdleStatus(std::string_view projectId, std::string_view source) const;
    void PublishStatus(const TaskState& task);
    // Stopping -> Stopped (completed) -> apaevt_task end, to subscribers. No-op for a completed task.
    void StopTask(TaskState& task);

    // [SECTION] User store (flat keys users/<user>/files/<path>, directories as .dirmarker files, like the engine)
    std::map<std::string, StoreFile>& Files() { return m_files; }
    std::map<std::string, StoreHandle>& Handles() { return m_handles; }

    // Deterministic UUID-shaped ids (store handles, random project ids, object ids).
    std::string NewUuid(std::string_view kind);
    double Uptime() const { return static_cast<double>(m_nowMicros - m_startMicros) / 1e6; }

  private:
    int64_t m_nowMicros;                              // logical clock, unix microseconds (no float drift)
    int64_t m_startMicros;                            // m_nowMicros at construction (serverUptime)
    uint64_t m_nextConnectionId = 1;                  // connectionId of the next AddConnection
    uint64_t m_serving = 0;                           // connection whose OnMessage is running (drains itself)
    uint64_t m_uuidSerial = 0;                        // counter behind NewUuid
    std::map<uint64_t, ConnectionSlot> m_connections; // live connections by id
    std::map<std::string, TaskState> m_tasks;         // tasks by tk_ token
    std::map<std::string, StoreFile> m_files;         // user store, all users, by full key
    std::map<std::string, StoreHandle> m_handles;     // open store handles by handle id
};

// Cap of the text kept per pipe for the close echo; bigger uploads (load tests) are summarised.
inline constexpr size_t kPipeEchoLimit = 1 << 20;

} // namespace dapscope::mock
