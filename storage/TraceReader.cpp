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
    "method, path, status, headers";

std::string Text(const SQLite::Column& column)
{
    return column.isNull() ? std::string() : column.getString();
}

std::optional<int64_t> OptionalInt(const SQLite::Column& column)
{
    return column.isNull() ? std::nullopt : std::optional<int64_t>(column.getInt64());
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
    return s;
}

const char* const kSessionQuery =
    "SELECT id, started_ns, ended_ns, client, path, upstream, user_agent, upstream_ok, client_name, "
    "client_version, auth, close_code, close_reason, closed_by, error, messages, bytes, elided, source, replay_of, "
    "protocol, extensions, subprotocol, handshake FROM sessions";

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
        sql += " AND (success = 0 OR kind = 3 OR state IN (3, 4, 5, 6) OR status >= 400)";
    if (filter.minLatencyNs)
        sql += " AND latency_ns >= " + std::to_string(*filter.minLatencyNs);
    if (!filter.text.empty())
        sql += " AND (instr(CAST(data AS TEXT), :text) > 0 OR instr(path, :text) > 0 OR instr(headers, :text) > 0)";
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
                     filter.minLatencyNs;
    if (!selective)
    {
        scan(afterId, INT64_MAX);
        return out;
    }
    // Visit only the blocks whose summary can match (MessageBlocks.hpp), in id order.
    std::string blockSql = "SELECT first_id, last_id FROM message_blocks WHERE session_id = ? AND last_id > ?";
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
    std::string scope; // every query below names the messages table `q`
    if (!sessions.empty())
    {
        scope = " AND q.session_id IN (";
        for (size_t i = 0; i < sessions.size(); ++i)
            scope += (i ? "," : "") + std::to_string(sessions[i]);
        scope += ")";
    }
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

} // namespace dapscope::storage
