#pragma once
// The read API of the trace store, used by the CLI, the GUI, replay and export: the only code that queries the
// schema. Each reader owns a read-only connection and sees new messages as the recorder commits them (WAL).
// Filters run in SQL.

#include "Problems.hpp"
#include "inspector/Types.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
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
    bool rules = false;                     // relayed with rules or the control endpoint on
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
    std::string rule;                // the rule that acted on it ("" none or the proxy's renumbering)
    std::string action;              // what was done to it ("" nothing): flags say dropped / replaced / rewritten
};

struct MessageFilter
{
    std::optional<inspector::Direction> dir;
    std::optional<inspector::Kind> kind;
    std::string command;                 // exact
    std::string event;                   // exact
    std::string task;                    // exact
    bool failedOnly = false;             // IsProblem (Problems.hpp): failed, malformed, unanswered, orphan...
    std::optional<int64_t> minLatencyNs; // latency at least this
    std::string text;                    // substring of the stored bytes (and of an HTTP message's path and head)
    std::optional<int64_t> sinceNs;      // ts_ns at least this

    bool Empty() const
    {
        return !dir && !kind && command.empty() && event.empty() && task.empty() && !failedOnly && !minLatencyNs &&
               text.empty() && !sinceNs;
    }
};

// The one definition of what a filter means in SQL on `messages`: " AND ..." conditions (strings are named
// parameters, never pasted in) and their binding. Used by TraceReader::Messages and TraceReader::MessageIds.
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

// How often a rule (or a person, or the proxy's renumbering: rule "") did something.
struct RuleStats
{
    std::string rule;
    std::string action;
    int64_t count = 0;
};

struct TraceStats
{
    std::vector<CommandStats> commands;
    std::vector<EventStats> events;
    std::vector<RuleStats> rules;
    int64_t orphans = 0;
    int64_t unanswered = 0;
    int64_t malformed = 0;
};

// A message with its stored bytes (those of its chunks included).
struct StoredMessage
{
    MessageSummary summary;
    std::string data;
};

// The ids a scan of a session's messages covers: after < id <= last.
struct IdRange
{
    int64_t after = 0;
    int64_t last = 0;
};

// What a session's timeline needs of one message.
struct TimelineMessage
{
    int64_t id = 0;
    int64_t tsNs = 0;
    inspector::Kind kind = inspector::Kind::Malformed;
    inspector::ExchangeState state = inspector::ExchangeState::None;
    int64_t pairId = 0; // 0 = none
    std::optional<bool> success;
    std::optional<int> status; // HTTP responses
    inspector::Opcode opcode = inspector::Opcode::Text;
    std::string command;
    std::string subcommand;
    std::string event;
    std::string method; // HTTP requests
    std::string path;
};

// One task of a session: the messages the inspector linked to it.
struct TaskSummary
{
    std::string task;     // display id ("5d41402a.webhook_1")
    int64_t first = 0;    // first message (ns)
    int64_t last = 0;     // last message (ns)
    int64_t messages = 0; // messages linked to it
    int64_t requests = 0; // of which requests
    int64_t events = 0;   // of which events
    int64_t failures = 0; // failed responses
};

// One message of a task.
struct TaskMessage
{
    int64_t id = 0;
    int64_t tsNs = 0;
    inspector::Kind kind = inspector::Kind::Event;
    inspector::Opcode opcode = inspector::Opcode::Text;
    std::string command;
    std::string subcommand;
    std::string event;
    std::optional<int64_t> pipe;
    inspector::ExchangeState state = inspector::ExchangeState::None;
    std::optional<int64_t> latencyNs;
    std::optional<bool> success;
    int64_t pairId = 0; // the paired request / response (0 = none)
};

// Columns whose distinct values a session can be asked for (filter suggestions).
enum class NameColumn
{
    Command,
    Event,
    Task,
};

// Where TraceReader::Search looks, and where a page of results resumes.
struct SearchScope
{
    std::vector<int64_t> sessions; // all when empty
    int64_t afterSession = 0;      // resume after the hit (afterSession, afterId): the last one of a previous page
    int64_t afterId = 0;
};

// A message found by TraceReader::Search, with a short window of its text around the first match of the filter's
// text (the start of its stored bytes when there is no text, or its HTTP head when the text is only there).
struct SearchHit
{
    MessageSummary message;
    std::string excerpt;
};

// How many of a session's messages carry each stored flag (the capture's gaps and the redactions it applied).
struct MessageFlagCounts
{
    int64_t truncated = 0;
    int64_t elided = 0;
    int64_t redacted = 0;
    int64_t generated = 0;
};

// What a store holds of the WebSocket text and binary messages captured, store-wide: the benchmarks check it
// against what they relayed.
struct CaptureTally
{
    int64_t messages = 0;     // rows (HTTP exchanges not counted)
    int64_t payloadBytes = 0; // their stored bytes, chunks included
    int64_t elided = 0;       // of them stored without (all of) their bytes
    int64_t gaps = 0;         // capture_gaps rows: times the store refused writes
};

struct ExportSpec;

class TraceReader
{
  public:
    explicit TraceReader(const std::string& storePath); // throws StoreError

    // While it lives, everything read through the reader sees one state of the store (a read transaction, so SQLite
    // also takes its locks once instead of for every statement).
    class Snapshot
    {
      public:
        explicit Snapshot(TraceReader& reader) : m_transaction(reader.m_db) {}

      private:
        SQLite::Transaction m_transaction; // never committed: rolling back a read transaction ends it
    };

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
    // SQLite's data_version: it changes when another connection commits (no I/O beyond the WAL index).
    int64_t DataVersion();

    // Messages of a session with id > afterId, in id order, at most `limit`, each with its stored bytes.
    std::vector<StoredMessage> MessagesWithData(int64_t session, int64_t afterId, int64_t limit);
    // The ids of a session's messages after `afterId`: from just before the first one to the last one (two
    // index lookups); nullopt when none follows.
    std::optional<IdRange> MessageIdRange(int64_t session, int64_t afterId);
    // Ids of the messages of a session in `range` that pass the filter, in id order (a plain scan of the range:
    // the GUI's message index fills itself window by window with it).
    std::vector<int64_t> MessageIds(int64_t session, const MessageFilter& filter, IdRange range);
    // Distinct non-empty values of a column among a session's messages (at most `limit`, sorted).
    std::vector<std::string> DistinctNames(int64_t session, NameColumn column, int64_t limit = 500);

    // Calls `visit` for each message of a session with id > afterId, in id order, until it returns false. The
    // message handed over is reused from one call to the next.
    void ForEachTimelineMessage(int64_t session, int64_t afterId,
                                const std::function<bool(const TimelineMessage&)>& visit);
    // The tasks of a session, in order of their first message (at most `limit`).
    std::vector<TaskSummary> Tasks(int64_t session, int64_t limit = 5000);
    // Calls `visit` for each message of a session's task, in id order, until it returns false; `flow` holds the
    // stored bytes of apaevt_flow events and is empty for every other message. Both are reused between calls.
    void ForEachTaskMessage(int64_t session, const std::string& task,
                            const std::function<bool(const TaskMessage&, std::string_view flow)>& visit);
    // Latencies (ns) of the answered requests of `command` in the given sessions (all when empty), in no set order.
    std::vector<int64_t> RequestLatencies(const std::vector<int64_t>& sessions, const std::string& command);
    // The messages of every session in scope that pass the filter (TraceSearch.cpp): sessions in id order, each
    // one's messages in id order, at most `limit`. A session that ended before filter.sinceNs is skipped whole.
    std::vector<SearchHit> Search(const MessageFilter& filter, const SearchScope& scope, int64_t limit);

    // --- Reads for `dapscope mcp` (TraceCounts.cpp): how much a bounded answer left out, and what a summary counts.
    // Messages of a session with id > afterId that pass the filter.
    int64_t CountMessages(int64_t session, const MessageFilter& filter, int64_t afterId = 0);
    MessageFlagCounts FlagCounts(int64_t session);
    // Store-wide capture counts (TraceCounts.cpp), for benchmarks.
    CaptureTally Tally();

  private:
    // Export.cpp still takes its read transaction on the connection itself (to become a Snapshot).
    friend void ExportSessions(TraceReader& reader, const std::vector<int64_t>& sessions, const ExportSpec& spec,
                               const std::string& path);
    SQLite::Database& Db() { return m_db; }

    std::string m_path;
    SQLite::Database m_db; // read-only
};

} // namespace dapscope::storage
