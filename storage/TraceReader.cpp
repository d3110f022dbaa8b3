#include "TraceReader.hpp"

#include "MessageBlocks.hpp"
#include "Store.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <map>

namespace dapscope::storage
{

namespace
{
const char* const kMessageColumns =
    "id, session_id, ts_ns, dur_ns, dir, opcode, size, fragments, flags, kind, seq, request_seq, command, "
    "subcommand, event, success, error, trace, task, pipe_id, state, pair_id, latency_ns, malformed, wire_size, "
    "method, path, status, headers, rule, action";

std::string Text(const SQLite::Column& column)
{
    return column.isNull() ? std::string() : column.getString();
}

std::optional<int64_t> OptionalInt(const SQLite::Column& column)
{
    return column.isNull() ? std::nullopt : std::optional<int64_t>(column.getInt64());
}

std::optional<bool> OptionalBool(const SQLite::Column& column)
{
    return column.isNull() ? std::nullopt : std::optional<bool>(column.getInt() != 0);
}

// A column into a reused string (keeps its capacity).
void AssignText(std::string& out, const SQLite::Column& column)
{
    if (column.isNull())
        out.clear();
    else
        out.assign(static_cast<const char*>(column.getBlob()), static_cast<size_t>(column.getBytes()));
}

// " AND <column> IN (1,2,3)", or "" for every session.
std::string SessionScope(const char* column, const std::vector<int64_t>& sessions)
{
    if (sessions.empty())
        return "";
    std::string scope = std::string(" AND ") + column + " IN (";
    for (size_t i = 0; i < sessions.size(); ++i)
        scope += (i ? "," : "") + std::to_string(sessions[i]);
    return scope + ")";
}

MessageSummary ReadMessage(SQLite::Statement& q)
{
    MessageSummary m;
    m.id = q.getColumn(0).getInt64();
    m.session = q.getColumn(1).getInt64();
    m.tsNs = q.getColumn(2).getInt64();
    m.durNs = q.getColumn(3).getInt64();
    m.dir = static_cast<inspector::Direction>(q.getColumn(4).getInt());
    m.opcode = static_cast<inspector::Opcode>(q.getColumn(5).getInt());
    m.size = q.getColumn(6).getInt64();
    m.fragments = q.getColumn(7).getInt64();
    m.flags = static_cast<uint32_t>(q.getColumn(8).getInt64());
    m.kind = static_cast<inspector::Kind>(q.getColumn(9).getInt());
    m.seq = OptionalInt(q.getColumn(10));
    m.requestSeq = OptionalInt(q.getColumn(11));
    m.command = Text(q.getColumn(12));
    m.subcommand = Text(q.getColumn(13));
    m.event = Text(q.getColumn(14));
    if (!q.getColumn(15).isNull())
        m.success = q.getColumn(15).getInt() != 0;
    m.error = Text(q.getColumn(16));
    m.trace = Text(q.getColumn(17));
    m.task = Text(q.getColumn(18));
    m.pipeId = OptionalInt(q.getColumn(19));
    m.state = static_cast<inspector::ExchangeState>(q.getColumn(20).getInt());
    m.pairId = OptionalInt(q.getColumn(21));
    m.latencyNs = OptionalInt(q.getColumn(22));
    m.malformed = Text(q.getColumn(23));
    m.wireSize = OptionalInt(q.getColumn(24));
    m.method = Text(q.getColumn(25));
    m.path = Text(q.getColumn(26));
    if (!q.getColumn(27).isNull())
        m.status = q.getColumn(27).getInt();
    m.headers = Text(q.getColumn(28));
    m.rule = Text(q.getColumn(29));
    m.action = Text(q.getColumn(30));
    return m;
}

SessionSummary ReadSession(SQLite::Statement& q)
{
    SessionSummary s;
    s.id = q.getColumn(0).getInt64();
    s.startedNs = q.getColumn(1).getInt64();
    s.endedNs = OptionalInt(q.getColumn(2));
    s.client = Text(q.getColumn(3));
    s.path = Text(q.getColumn(4));
    s.upstream = Text(q.getColumn(5));
    s.userAgent = Text(q.getColumn(6));
    if (!q.getColumn(7).isNull())
        s.upstreamOk = q.getColumn(7).getInt() != 0;
    s.clientName = Text(q.getColumn(8));
    s.clientVersion = Text(q.getColumn(9));
    s.auth = Text(q.getColumn(10));
    if (!q.getColumn(11).isNull())
        s.closeCode = q.getColumn(11).getInt();
    s.closeReason = Text(q.getColumn(12));
    s.closedBy = Text(q.getColumn(13));
    s.error = Text(q.getColumn(14));
    s.messages = q.getColumn(15).getInt64();
    s.bytes = q.getColumn(16).getInt64();
    s.elided = q.getColumn(17).getInt64();
    s.source = Text(q.getColumn(18));
    s.replayOf = OptionalInt(q.getColumn(19));
    s.protocol = Text(q.getColumn(20));
    if (!q.getColumn(21).isNull())
        s.extensions = q.getColumn(21).getString();
    if (!q.getColumn(22).isNull())
        s.subprotocol = q.getColumn(22).getString();
    s.handshake = Text(q.getColumn(23));
    s.rules = q.getColumn(24).getInt() != 0;
    return s;
}

const char* const kSessionQuery =
    "SELECT id, started_ns, ended_ns, client, path, upstream, user_agent, upstream_ok, client_name, "
    "client_version, auth, close_code, close_reason, closed_by, error, messages, bytes, elided, source, replay_of, "
    "protocol, extensions, subprotocol, handshake, rules FROM sessions";

double Percentile(const std::vector<int64_t>& sorted, double p)
{
    if (sorted.empty())
        return 0;
    size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return static_cast<double>(sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1]) / 1e6;
}
} // namespace

TraceReader::TraceReader(const std::string& storePath) : m_path(storePath), m_db(OpenForReading(storePath)) {}

std::vector<SessionSummary> TraceReader::Sessions()
{
    SQLite::Statement q(m_db, std::string(kSessionQuery) + " ORDER BY id");
    std::vector<SessionSummary> out;
    while (q.executeStep())
        out.push_back(ReadSession(q));
    return out;
}

std::optional<SessionSummary> TraceReader::Session(int64_t id)
{
    SQLite::Statement q(m_db, std::string(kSessionQuery) + " WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep())
        return std::nullopt;
    return ReadSession(q);
}

std::string FilterConditions(const MessageFilter& filter)
{
    std::string sql;
    if (filter.dir)
        sql += " AND dir = " + std::to_string(static_cast<int>(*filter.dir));
    if (filter.kind)
        sql += " AND kind = " + std::to_string(static_cast<int>(*filter.kind));
    if (!filter.command.empty())
        sql += " AND command = :command";
    if (!filter.event.empty())
        sql += " AND event = :event";
    if (!filter.task.empty())
        sql += " AND task = :task";
    if (filter.failedOnly)
        sql += " AND " + ProblemCondition();
    if (filter.minLatencyNs)
        sql += " AND latency_ns >= " + std::to_string(*filter.minLatencyNs);
    if (!filter.text.empty())
        sql += " AND (instr(CAST(data AS TEXT), :text) > 0 OR instr(path, :text) > 0 OR instr(headers, :text) > 0)";
    if (filter.sinceNs)
        sql += " AND ts_ns >= " + std::to_string(*filter.sinceNs);
    return sql;
}

void BindFilter(SQLite::Statement& statement, const MessageFilter& filter)
{
    if (!filter.command.empty())
        statement.bind(":command", filter.command);
    if (!filter.event.empty())
        statement.bind(":event", filter.event);
    if (!filter.task.empty())
        statement.bind(":task", filter.task);
    if (!filter.text.empty())
        statement.bind(":text", filter.text);
}

std::vector<MessageSummary> TraceReader::Messages(int64_t session, const MessageFilter& filter, int64_t afterId,
                                                  int64_t limit)
{
    std::string where = " WHERE session_id = :session AND id > :after AND id <= :last" + FilterConditions(filter);
    SQLite::Statement q(m_db, std::string("SELECT ") + kMessageColumns + " FROM messages" + where +
                                  " ORDER BY id LIMIT :limit");
    q.bind(":session", session);
    BindFilter(q, filter);

    std::vector<MessageSummary> out;
    // Rows of (after, last], up to what the page still needs.
    auto scan = [&](int64_t after, int64_t last)
    {
        q.reset();
        q.bind(":after", after);
        q.bind(":last", last);
        q.bind(":limit", limit - static_cast<int64_t>(out.size()));
        while (q.executeStep())
            out.push_back(ReadMessage(q));
    };

    bool selective = !filter.command.empty() || !filter.event.empty() || !filter.task.empty() || filter.failedOnly ||
                     filter.minLatencyNs || filter.text.size() >= 3;
    if (!selective)
    {
        scan(afterId, INT64_MAX);
        return out;
    }
    // Visit only the blocks whose summary can match (MessageBlocks.hpp), in id order.
    std::string blockSql =
        "SELECT first_id, last_id, trigrams FROM message_blocks WHERE session_id = ? AND last_id > ?";
    std::vector<std::string> tokens;
    if (!filter.command.empty())
        tokens.push_back("|" + BlockNameToken('c', filter.command) + "|");
    if (!filter.event.empty())
        tokens.push_back("|" + BlockNameToken('e', filter.event) + "|");
    if (!filter.task.empty())
        tokens.push_back("|" + BlockNameToken('t', filter.task) + "|");
    for (size_t i = 0; i < tokens.size(); ++i)
        blockSql += " AND instr(names, ?) > 0";
    if (filter.failedOnly)
        blockSql += " AND problems > 0";
    if (filter.minLatencyNs)
        blockSql += " AND max_latency_ns >= " + std::to_string(*filter.minLatencyNs);
    SQLite::Statement blocks(m_db, blockSql + " ORDER BY first_id");
    blocks.bind(1, session);
    blocks.bind(2, afterId);
    for (size_t i = 0; i < tokens.size(); ++i)
        blocks.bind(static_cast<int>(3 + i), tokens[i]);
    int64_t scanned = afterId; // everything up to here has been looked at
    while (static_cast<int64_t>(out.size()) < limit && blocks.executeStep())
    {
        int64_t first = blocks.getColumn(0).getInt64();
        int64_t last = blocks.getColumn(1).getInt64();
        if (last <= scanned)
            continue;
        const SQLite::Column trigrams = blocks.getColumn(2);
        if (!filter.text.empty() && !trigrams.isNull() &&
            !MayContain(static_cast<const uint8_t*>(trigrams.getBlob()), static_cast<size_t>(trigrams.getBytes()),
                        filter.text))
            continue; // no message of the block holds the text
        scan(std::max(scanned, first - 1), last);
        scanned = last;
    }
    return out;
}

std::optional<MessageSummary> TraceReader::Message(int64_t id)
{
    SQLite::Statement q(m_db, std::string("SELECT ") + kMessageColumns + " FROM messages WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep())
        return std::nullopt;
    return ReadMessage(q);
}

std::vector<MessageSummary> TraceReader::MessagesById(const std::vector<int64_t>& ids)
{
    std::vector<MessageSummary> out;
    if (ids.empty())
        return out;
    std::string sql = std::string("SELECT ") + kMessageColumns + " FROM messages WHERE id IN (";
    for (size_t i = 0; i < ids.size(); ++i)
        sql += i ? ",?" : "?";
    SQLite::Statement q(m_db, sql + ") ORDER BY id");
    for (size_t i = 0; i < ids.size(); ++i)
        q.bind(static_cast<int>(i + 1), ids[i]);
    while (q.executeStep())
        out.push_back(ReadMessage(q));
    return out;
}

std::string TraceReader::MessageData(int64_t id)
{
    std::string data;
    SQLite::Statement head(m_db, "SELECT data FROM messages WHERE id = ?");
    head.bind(1, id);
    if (head.executeStep() && !head.getColumn(0).isNull())
        data.assign(static_cast<const char*>(head.getColumn(0).getBlob()), head.getColumn(0).getBytes());
    SQLite::Statement chunks(m_db, "SELECT data FROM message_chunks WHERE message_id = ? ORDER BY idx");
    chunks.bind(1, id);
    while (chunks.executeStep())
        data.append(static_cast<const char*>(chunks.getColumn(0).getBlob()), chunks.getColumn(0).getBytes());
    return data;
}

TraceStats TraceReader::Stats(const std::vector<int64_t>& sessions)
{
    const std::string scope = SessionScope("q.session_id", sessions); // every query below names messages `q`
    TraceStats stats;
    std::map<std::string, std::vector<int64_t>> latencies;
    std::map<std::string, CommandStats> commands;
    SQLite::Statement requests(m_db, "SELECT q.command, q.state, q.latency_ns, r.success FROM messages q "
                                     "LEFT JOIN messages r ON r.id = q.pair_id WHERE q.kind = 0" +
                                         scope);
    while (requests.executeStep())
    {
        std::string command = Text(requests.getColumn(0));
        CommandStats& c = commands[command];
        c.command = command;
        ++c.count;
        auto state = static_cast<inspector::ExchangeState>(requests.getColumn(1).getInt());
        if (state == inspector::ExchangeState::Unanswered || state == inspector::ExchangeState::Pending)
        {
            ++c.unanswered;
            ++stats.unanswered;
        }
        if (!requests.getColumn(3).isNull() && requests.getColumn(3).getInt() == 0)
            ++c.failures;
        if (!requests.getColumn(2).isNull())
            latencies[command].push_back(requests.getColumn(2).getInt64());
    }
    for (auto& [command, c] : commands)
    {
        std::vector<int64_t>& values = latencies[command];
        std::sort(values.begin(), values.end());
        c.p50Ms = Percentile(values, 0.50);
        c.p95Ms = Percentile(values, 0.95);
        c.p99Ms = Percentile(values, 0.99);
        c.maxMs = values.empty() ? 0 : static_cast<double>(values.back()) / 1e6;
        stats.commands.push_back(c);
    }
    SQLite::Statement events(m_db, "SELECT event, count(*) FROM messages q WHERE kind = 2" + scope +
                                       " GROUP BY event ORDER BY count(*) DESC, event");
    while (events.executeStep())
        stats.events.push_back({Text(events.getColumn(0)), events.getColumn(1).getInt64()});
    // A rewrite is one application stored as two rows (as received, as sent): count the one sent.
    SQLite::Statement rules(m_db, "SELECT coalesce(rule, ''), action, count(*) FROM messages q WHERE action IS NOT "
                                  "NULL AND (flags & 32) = 0" +
                                      scope + " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2");
    while (rules.executeStep())
        stats.rules.push_back({Text(rules.getColumn(0)), Text(rules.getColumn(1)), rules.getColumn(2).getInt64()});
    SQLite::Statement other(m_db, "SELECT coalesce(sum(state = 4), 0), coalesce(sum(kind = 3), 0) FROM messages q "
                                  "WHERE 1" +
                                      scope);
    if (other.executeStep())
    {
        stats.orphans = other.getColumn(0).getInt64();
        stats.malformed = other.getColumn(1).getInt64();
    }
    return stats;
}

int64_t TraceReader::StoreBytes()
{
    std::error_code ec;
    auto size = [&](const std::string& path)
    {
        auto bytes = std::filesystem::file_size(path, ec);
        return ec ? 0 : static_cast<int64_t>(bytes);
    };
    return size(m_path) + size(m_path + "-wal");
}

int64_t TraceReader::DataVersion()
{
    return m_db.execAndGet("PRAGMA data_version").getInt64();
}

std::vector<StoredMessage> TraceReader::MessagesWithData(int64_t session, int64_t afterId, int64_t limit)
{
    std::vector<StoredMessage> out;
    SQLite::Statement q(m_db, std::string("SELECT ") + kMessageColumns +
                                  ", data FROM messages WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?");
    q.bind(1, session);
    q.bind(2, afterId);
    q.bind(3, limit);
    while (q.executeStep())
    {
        StoredMessage& m = out.emplace_back();
        m.summary = ReadMessage(q);
        AssignText(m.data, q.getColumn(31));
    }
    if (out.empty())
        return out;
    // Messages over 1 MiB keep their tail in message_chunks (docs/trace-store.md): one range lookup per page.
    SQLite::Statement chunked(m_db, "SELECT DISTINCT message_id FROM message_chunks WHERE message_id > ? AND "
                                    "message_id <= ? ORDER BY message_id");
    chunked.bind(1, afterId);
    chunked.bind(2, out.back().summary.id);
    std::vector<int64_t> ids;
    while (chunked.executeStep())
        ids.push_back(chunked.getColumn(0).getInt64());
    if (ids.empty())
        return out;
    SQLite::Statement chunks(m_db, "SELECT data FROM message_chunks WHERE message_id = ? ORDER BY idx");
    for (StoredMessage& m : out)
    {
        if (!std::binary_search(ids.begin(), ids.end(), m.summary.id))
            continue;
        chunks.reset();
        chunks.bind(1, m.summary.id);
        while (chunks.executeStep())
            m.data.append(static_cast<const char*>(chunks.getColumn(0).getBlob()), chunks.getColumn(0).getBytes());
    }
    return out;
}

std::optional<IdRange> TraceReader::MessageIdRange(int64_t session, int64_t afterId)
{
    // Two index lookups (min() / max() with a WHERE would walk the whole range).
    SQLite::Statement first(m_db, "SELECT id FROM messages WHERE session_id = ? AND id > ? ORDER BY id LIMIT 1");
    first.bind(1, session);
    first.bind(2, afterId);
    SQLite::Statement last(m_db, "SELECT id FROM messages WHERE session_id = ? ORDER BY id DESC LIMIT 1");
    last.bind(1, session);
    if (!first.executeStep() || !last.executeStep())
        return std::nullopt;
    return IdRange{first.getColumn(0).getInt64() - 1, last.getColumn(0).getInt64()};
}

std::vector<int64_t> TraceReader::MessageIds(int64_t session, const MessageFilter& filter, IdRange range)
{
    SQLite::Statement q(m_db, "SELECT id FROM messages WHERE session_id = :session AND id > :lo AND id <= :hi" +
                                  FilterConditions(filter) + " ORDER BY id");
    q.bind(":session", session);
    q.bind(":lo", range.after);
    q.bind(":hi", range.last);
    BindFilter(q, filter);
    std::vector<int64_t> ids;
    while (q.executeStep())
        ids.push_back(q.getColumn(0).getInt64());
    return ids;
}

std::vector<std::string> TraceReader::DistinctNames(int64_t session, NameColumn column, int64_t limit)
{
    const char* name = column == NameColumn::Command ? "command" : column == NameColumn::Event ? "event" : "task";
    SQLite::Statement q(m_db, std::string("SELECT DISTINCT ") + name + " FROM messages WHERE session_id = ? AND " +
                                  name + " IS NOT NULL AND " + name + " != '' LIMIT ?");
    q.bind(1, session);
    q.bind(2, limit);
    std::vector<std::string> values;
    while (q.executeStep())
        values.push_back(q.getColumn(0).getString());
    std::sort(values.begin(), values.end());
    return values;
}

void TraceReader::ForEachTimelineMessage(int64_t session, int64_t afterId,
                                         const std::function<bool(const TimelineMessage&)>& visit)
{
    SQLite::Statement q(m_db, "SELECT id, ts_ns, kind, state, pair_id, success, status, opcode, command, subcommand, "
                              "event, method, path FROM messages WHERE session_id = ? AND id > ? ORDER BY id");
    q.bind(1, session);
    q.bind(2, afterId);
    TimelineMessage m;
    while (q.executeStep())
    {
        m.id = q.getColumn(0).getInt64();
        m.tsNs = q.getColumn(1).getInt64();
        m.kind = static_cast<inspector::Kind>(q.getColumn(2).getInt());
        m.state = static_cast<inspector::ExchangeState>(q.getColumn(3).getInt());
        m.pairId = q.getColumn(4).isNull() ? 0 : q.getColumn(4).getInt64();
        m.success = OptionalBool(q.getColumn(5));
        m.status = q.getColumn(6).isNull() ? std::nullopt : std::optional<int>(q.getColumn(6).getInt());
        m.opcode = static_cast<inspector::Opcode>(q.getColumn(7).getInt());
        AssignText(m.command, q.getColumn(8));
        AssignText(m.subcommand, q.getColumn(9));
        AssignText(m.event, q.getColumn(10));
        AssignText(m.method, q.getColumn(11));
        AssignText(m.path, q.getColumn(12));
        if (!visit(m))
            return;
    }
}

std::vector<TaskSummary> TraceReader::Tasks(int64_t session, int64_t limit)
{
    SQLite::Statement q(m_db, "SELECT task, count(*), min(ts_ns), max(ts_ns), sum(kind = 0), sum(kind = 2), "
                              "sum(kind = 1 AND success = 0) FROM messages WHERE session_id = ? AND task IS NOT NULL "
                              "AND task != '' GROUP BY task ORDER BY min(id) LIMIT ?");
    q.bind(1, session);
    q.bind(2, limit);
    std::vector<TaskSummary> tasks;
    while (q.executeStep())
    {
        TaskSummary& t = tasks.emplace_back();
        t.task = q.getColumn(0).getString();
        t.messages = q.getColumn(1).getInt64();
        t.first = q.getColumn(2).getInt64();
        t.last = q.getColumn(3).getInt64();
        t.requests = q.getColumn(4).getInt64();
        t.events = q.getColumn(5).getInt64();
        t.failures = q.getColumn(6).getInt64();
    }
    return tasks;
}

void TraceReader::ForEachTaskMessage(int64_t session, const std::string& task,
                                     const std::function<bool(const TaskMessage&, std::string_view flow)>& visit)
{
    SQLite::Statement q(m_db, "SELECT id, ts_ns, kind, command, subcommand, event, pipe_id, state, latency_ns, "
                              "success, coalesce(pair_id, 0), opcode, CASE WHEN event = 'apaevt_flow' THEN data END "
                              "FROM messages WHERE session_id = ? AND task = ? ORDER BY id");
    q.bind(1, session);
    q.bind(2, task);
    TaskMessage m;
    std::string flow;
    while (q.executeStep())
    {
        m.id = q.getColumn(0).getInt64();
        m.tsNs = q.getColumn(1).getInt64();
        m.kind = static_cast<inspector::Kind>(q.getColumn(2).getInt());
        AssignText(m.command, q.getColumn(3));
        AssignText(m.subcommand, q.getColumn(4));
        AssignText(m.event, q.getColumn(5));
        m.pipe = OptionalInt(q.getColumn(6));
        m.state = static_cast<inspector::ExchangeState>(q.getColumn(7).getInt());
        m.latencyNs = OptionalInt(q.getColumn(8));
        m.success = OptionalBool(q.getColumn(9));
        m.pairId = q.getColumn(10).getInt64();
        m.opcode = static_cast<inspector::Opcode>(q.getColumn(11).getInt());
        AssignText(flow, q.getColumn(12));
        if (!visit(m, flow))
            return;
    }
}

std::vector<int64_t> TraceReader::RequestLatencies(const std::vector<int64_t>& sessions, const std::string& command)
{
    SQLite::Statement q(m_db, "SELECT latency_ns FROM messages WHERE kind = 0 AND command = ? AND latency_ns IS NOT "
                              "NULL" +
                                  SessionScope("session_id", sessions));
    q.bind(1, command);
    std::vector<int64_t> latencies;
    while (q.executeStep())
        latencies.push_back(q.getColumn(0).getInt64());
    return latencies;
}

} // namespace dapscope::storage
