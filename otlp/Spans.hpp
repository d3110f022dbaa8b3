#pragma once
// How the traffic becomes OpenTelemetry spans (docs/observability.md draws it). Pure: messages in, spans out, the
// same whether they come live from the recorder's batches or later from the store (OtlpSources.hpp).
//
// - A task is a trace: its id is derived from the task id alone, so the spans of one task seen by several
//   sessions join. In it, each session has a task span ("task <id>") holding the task's events as span events,
//   and the pipe runs of its apaevt_flow events with their components as child spans (the GUI's flow view).
// - Each request/response exchange is a span, a child of its task's span, or of its session's span when it
//   belongs to no task (a per-session trace).
// - Exchange spans are finished when their response arrives; task and session spans when the session ends
//   (requests still unanswered then end with it, as errors).
// Ids are derived from the session and message ids, so a live export and an export of the stored session give
// the same spans.

#include "inspector/PipeFlow.hpp"
#include "inspector/Types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace dapscope::otlp
{

// One message, with what the mapping needs of it.
struct TracedMessage
{
    int64_t id = 0;
    int64_t tsNs = 0;
    int64_t durNs = 0;
    inspector::Kind kind = inspector::Kind::Malformed;
    std::string command;
    std::string subcommand;
    std::string event;
    std::optional<int64_t> seq;
    std::optional<bool> success;
    std::string message; // failure message of a response (redacted)
    std::string trace;   // "file:line" of a failed response
    std::string task;    // display id, "" none
    std::optional<int64_t> pipeId;
    std::optional<int64_t> pairId; // a response's request
    std::string method;            // HTTP request
    std::string target;            // HTTP request path (redacted)
    std::optional<int> status;     // HTTP response
    std::string flowJson;          // the JSON of an apaevt_flow event, "" for every other message
};

// What is known of a session when it begins (the resource of its spans).
struct SessionInfo
{
    int64_t id = 0;
    int64_t startedNs = 0;
    std::string client; // address
    std::string path;
    std::string upstream;
    std::string userAgent;
    std::string protocol; // "websocket" / "http"
};

using AttributeValue = std::variant<std::string, int64_t, bool>;
struct Attribute
{
    std::string key;
    AttributeValue value;
};

struct SpanEvent
{
    int64_t tsNs = 0;
    std::string name;
    std::vector<Attribute> attributes;
    int64_t message = 0; // the event's message (it may be linked to a task later)
};

enum class SpanKind : int
{
    Internal = 1,
    Client = 3,
};

struct Span
{
    std::string traceId;      // 32 hex digits
    std::string spanId;       // 16 hex digits
    std::string parentSpanId; // "" for a root
    std::string name;
    SpanKind kind = SpanKind::Internal;
    int64_t startNs = 0;
    int64_t endNs = 0;
    std::vector<Attribute> attributes;
    std::vector<SpanEvent> events;
    uint32_t droppedEvents = 0;
    bool error = false;
    std::string statusMessage;
};

// Finished spans of one session (one OTLP resource).
struct SessionSpans
{
    SessionInfo session;
    std::vector<Span> spans;
};

class TraceBuilder
{
  public:
    // Events kept per task span, and flow events per task, beyond which they are counted as dropped.
    static constexpr size_t kMaxEventsPerSpan = 1000;
    static constexpr size_t kMaxFlowEventsPerTask = 20000;

    void BeginSession(const SessionInfo& session);
    void ClientIdentified(int64_t session, const std::string& name, const std::string& version);
    // The next message of a session, in order.
    void Message(int64_t session, const TracedMessage& message);
    // The connection became a WebSocket session (a 101).
    void Upgraded(int64_t session);
    // A message fed earlier was linked to a task or a pipe (live, the inspector may learn it later). Message ids
    // are unique across sessions (the store's).
    void Linked(int64_t message, const std::string& task, std::optional<int64_t> pipe);
    void EndSession(int64_t session, int64_t endedNs);

    // The spans finished since the last call, by session.
    std::vector<SessionSpans> TakeFinished();

  private:
    struct Task
    {
        int64_t first = 0;
        int64_t last = 0;
        int64_t requests = 0;
        int64_t failures = 0;
        std::vector<SpanEvent> events;
        uint32_t droppedEvents = 0;
        std::vector<inspector::FlowEvent> flow;
    };
    struct Session
    {
        SessionInfo info;
        std::string clientName;
        std::string clientVersion;
        int64_t last = 0;
        std::unordered_map<int64_t, TracedMessage> pending; // requests by message id
        std::map<std::string, Task> tasks;
        std::vector<SpanEvent> events; // events of no task
        uint32_t droppedEvents = 0;
        int64_t exchanges = 0;
    };

    bool Linked(Session& s, int64_t message, const std::string& task, std::optional<int64_t> pipe);
    void Exchange(Session& s, const TracedMessage& request, const TracedMessage* response, int64_t endNs);
    void Finish(const Session& s, Span span);

    std::unordered_map<int64_t, Session> m_sessions;
    std::map<int64_t, SessionSpans> m_finished;
};

// Trace and span ids (hex), derived so that live and stored exports agree.
std::string TaskTraceId(const std::string& task);
std::string SessionTraceId(const SessionInfo& session);
std::string DerivedSpanId(const std::string& what);

} // namespace dapscope::otlp
