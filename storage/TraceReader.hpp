#pragma once
// The read API of the trace store, used by the CLI, the GUI and export. Each reader owns a read-only
// connection and sees new messages as the recorder commits them (WAL). Filters run in SQL.

#include "inspector/Types.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::storage
{

struct SessionSummary
{
    int64_t id = 0;
    int64_t startedNs = 0;
    std::optional<int64_t> endedNs; // nullopt while live
    std::string client;
    std::string path;
    std::string upstream;
    std::string userAgent;
    std::optional<bool> upstreamOk;
    std::string clientName;
    std::string clientVersion;
    std::string auth;
    std::optional<int> closeCode;
    std::string closeReason;
    std::string closedBy;
    std::string error;
    int64_t messages = 0;
    int64_t bytes = 0;
    int64_t elided = 0;
    std::string source;
    std::optional<int64_t> replayOf;
    std::string protocol = "websocket";     // "websocket" or "http"
    std::optional<std::string> extensions;  // negotiated Sec-WebSocket-Extensions ("" none; unset: unknown)
    std::optional<std::string> subprotocol; // negotiated Sec-WebSocket-Protocol
    std::string handshake;                  // upgrade request and 101 heads, redacted ("" unknown)
};

struct MessageSummary
{
    int64_t id = 0;
    int64_t session = 0;
    int64_t tsNs = 0;
    int64_t durNs = 0;
    inspector::Direction dir = inspector::Direction::ClientToServer;
    inspector::Opcode opcode = inspector::Opcode::Text;
    int64_t size = 0;
    int64_t fragments = 1;
    uint32_t flags = 0;
    inspector::Kind kind = inspector::Kind::Malformed;
    std::optional<int64_t> seq;
    std::optional<int64_t> requestSeq;
    std::string command;
    std::string subcommand;
    std::string event;
    std::optional<bool> success;
    std::string error;
    std::string trace;
    std::string task;
    std::optional<int64_t> pipeId;
    inspector::ExchangeState state = inspector::ExchangeState::None;
    std::optional<int64_t> pairId;
    std::optional<int64_t> latencyNs;
    std::string malformed;
    std::optional<int64_t> wireSize; // bytes on the wire, when known
    std::string method;              // http_request
    std::string path;                // http_request
    std::optional<int> status;       // http_response
    std::string headers;             // http_*: the head, redacted
};

struct MessageFilter
{
    std::optional<inspector::Direction> dir;
    std::optional<inspector::Kind> kind;
    std::string command;                 // exact
    std::string event;                   // exact
    std::string task;                    // exact
    bool failedOnly = false;             // success = 0, malformed, unanswered, orphan, HTTP status >= 400
    std::optional<int64_t> minLatencyNs; // latency at least this
    std::string text;                    // substring of the stored bytes (and of an HTTP message's path and head)

    bool Empty() const
    {
        return !dir && !kind && command.empty() && event.empty() && task.empty() && !failedOnly && !minLatencyNs &&
               text.empty();
    }
};

// The one definition of what a filter means in SQL on `messages`: " AND ..." conditions (strings are named
// parameters, never pasted in) and their binding. Used by TraceReader::Messages and the GUI's message index.
std::string FilterConditions(const MessageFilter& filter);
void BindFilter(SQLite::Statement& statement, const MessageFilter& filter);

struct CommandStats
{
    std::string command;
    int64_t count = 0;
    int64_t failures = 0;
    int64_t unanswered = 0;
    double p50Ms = 0, p95Ms = 0, p99Ms = 0, maxMs = 0;
};

struct EventStats
{
    std::string event;
    int64_t count = 0;
};

struct TraceStats
{
    std::vector<CommandStats> commands;
    std::vector<EventStats> events;
    int64_t orphans = 0;
    int64_t unanswered = 0;
    int64_t malformed = 0;
};

class TraceReader
{
  public:
    explicit TraceReader(const std::string& storePath); // throws StoreError

    std::vector<SessionSummary> Sessions();
    std::optional<SessionSummary> Session(int64_t id);
    // Messages of a session with id > afterId that pass the filter, in id order, at most `limit`.
    std::vector<MessageSummary> Messages(int64_t session, const MessageFilter& filter, int64_t afterId = 0,
                                         int64_t limit = 1000);
    std::optional<MessageSummary> Message(int64_t id);
    // The messages with these ids (primary-key lookups; unknown ids are skipped), in id order.
    std::vector<MessageSummary> MessagesById(const std::vector<int64_t>& ids);
    // The stored bytes of a message (including the chunks of a large one).
    std::string MessageData(int64_t id);
    // Per-command latency statistics over the given sessions (all when empty).
    TraceStats Stats(const std::vector<int64_t>& sessions);
    // Size of the store in bytes (database + WAL).
    int64_t StoreBytes();

    SQLite::Database& Db() { return m_db; }

  private:
    std::string m_path;
    SQLite::Database m_db; // read-only
};

} // namespace dapscope::storage
