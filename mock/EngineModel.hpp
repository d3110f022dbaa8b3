#pragma once
// Protocol logic of the mock RocketRide engine, sans-io (like mitmproxy's layers): the WebSocket glue feeds each
// received message to an EngineConnection and executes the Reaction it returns. No sockets, threads, clocks or
// files in here. The shapes of responses and events follow PROTOCOL.md and tests/fixtures/*-sdk-session.jsonl.

#include "EngineJson.hpp"
#include "EngineState.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::mock
{

struct EngineOptions
{
    std::string apiKey; // "" = accept any non-empty credential (OSS, empty ROCKETRIDE_APIKEY)
    std::vector<std::string> badKeys = {"bad-key"}; // credentials always refused ("Invalid API key", then close)
    int64_t responseDelayMs = 0;                    // every response (and the events before it) is delayed this much
    int burstEvents = 0;                            // extra apaevt_status_update events after each rrext_process write
    std::vector<std::string> overrides;             // "COMMAND:JSONPATH=JSON" changes a field of every such response
    bool flowEvents = true;                         // emit apaevt_flow for tasks started with pipelineTraceLevel
};

struct Outgoing
{
    bool binary = false; // binary frame (only fs_read responses)
    std::string bytes;   // one complete WebSocket message
    int64_t delayMs = 0; // send this long after the triggering message (0 = now); a Reaction's messages go in order
};

struct Reaction
{
    std::vector<Outgoing> messages; // to send, in order
    bool close = false;             // close the socket after sending messages
    int closeCode = 1000;           // close status when close is set
    std::string closeReason;        // close reason when close is set
};

// nullopt when the options are usable, else a message naming the first problem.
std::optional<std::string> ValidateEngineOptions(const EngineOptions& options);

// Thrown by command handlers; becomes an error response (success:false, message, trace {file, lineno}).
struct EngineError
{
    std::string message; // Python str(e) of the engine's exception
    std::string file;    // trace.file, a bare file name of the engine source
    int64_t line = 0;    // trace.lineno (of the snapshot PROTOCOL.md was written from)
    bool close = false;  // the engine closes the socket after this error (auth failures)
};

// One WebSocket connection of the mock engine.
class EngineConnection
{
  public:
    EngineConnection(const EngineOptions& options, EngineState& shared);
    ~EngineConnection();
    EngineConnection(const EngineConnection&) = delete;
    EngineConnection& operator=(const EngineConnection&) = delete;

    // One received WebSocket message (binary = binary opcode). Never throws.
    Reaction OnMessage(bool binary, std::string_view bytes);
    // The connection is gone: drop its subscriptions, pipes and store handles, stop tasks it launched.
    // Returns nothing to send. Idempotent; the destructor calls it too.
    Reaction OnClose();

    // Events that other connections caused for this socket (e.g. a task it monitors was started elsewhere).
    // OnMessage returns them too, ahead of its own messages; the glue only needs this when the socket is idle.
    Reaction TakePending();
    // Called (from inside another connection's OnMessage) when TakePending() has become non-empty.
    void SetWakeHandler(std::function<void()> wake);

    uint64_t ConnectionId() const { return m_connectionId; }
    bool Authenticated() const;

    struct Request; // a decoded client message (EngineRequest.hpp)
    struct Reply;   // what a handler answers (EngineRequest.hpp)

  private:
    void Dispatch(Request& request);
    void Respond(const Request& request, Reply reply);
    void RespondError(const Request& request, const EngineError& error);
    void SendOwnEvent(std::string_view event, boost::json::object body, std::string_view id);
    Reaction Drain(int64_t delayMs);
    void DropConnection();
    ConnectionSlot& Slot();
    std::string ResolveToken(const Request& request) const;
    void RequirePermission(std::string_view permission) const;
    TaskState& RequireTask(const Request& request);

    // [SECTION] Commands (EngineSession.cpp)
    Reply OnAuth(const Request& request);
    Reply OnDeauth(const Request& request);
    Reply OnProbe(const Request& request);
    Reply OnCatalog(const Request& request);
    Reply OnServices(const Request& request);
    Reply OnValidate(const Request& request);
    Reply OnDashboard(const Request& request);
    Reply OnDebugForward(const Request& request);

    // [SECTION] Task lifecycle and monitoring (EngineTasks.cpp)
    Reply OnExecute(const Request& request);
    Reply OnRestart(const Request& request);
    Reply OnTerminate(const Request& request);
    Reply OnGetTaskStatus(const Request& request);
    Reply OnGetToken(const Request& request);
    Reply OnGetPipeline(const Request& request);
    Reply OnGetTasks(const Request& request);
    Reply OnMonitor(const Request& request);

    // [SECTION] Data pipes (EngineProcess.cpp)
    Reply OnProcess(const Request& request);
    Reply ProcessOpen(const Request& request, TaskState& task);
    Reply ProcessWrite(const Request& request, TaskState& task);
    Reply ProcessClose(const Request& request, TaskState& task);

    // [SECTION] User store (EngineStore.cpp)
    Reply OnStore(const Request& request);
    void CloseStoreHandles();

    const EngineOptions m_options;             // copy: the glue may discard its own
    std::vector<ResponseOverride> m_overrides; // parsed m_options.overrides (invalid ones skipped)
    EngineState& m_state;                      // shared by all connections of the engine
    uint64_t m_connectionId = 0;               // slot in m_state
    int m_authAttempts = 0;                    // auth requests on this socket (limit 5 per lifetime)
    bool m_closing = false;                    // a close was requested: further frames are discarded
    bool m_closeReported = false;              // a Reaction already carried close = true
    bool m_closed = false;                     // OnClose ran
};

} // namespace dapscope::mock
