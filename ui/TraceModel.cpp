#include "TraceModel.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>

namespace dapscope::ui
{

namespace
{
bool SameSession(const storage::SessionSummary& a, const storage::SessionSummary& b)
{
    return a.id == b.id && a.endedNs == b.endedNs && a.messages == b.messages && a.bytes == b.bytes &&
           a.clientName == b.clientName && a.closeCode == b.closeCode && a.error == b.error &&
           a.upstreamOk == b.upstreamOk && a.auth == b.auth;
}

std::optional<int64_t> OptionalInt(const SQLite::Column& column)
{
    return column.isNull() ? std::nullopt : std::optional<int64_t>(column.getInt64());
}

std::string Text(const SQLite::Column& column)
{
    return column.isNull() ? std::string() : column.getString();
}
} // namespace

TraceModel::TraceModel(const std::string& storePath)
    : m_path(storePath), m_reader(std::make_unique<storage::TraceReader>(storePath))
{
    m_dataVersion = m_reader->Db().execAndGet("PRAGMA data_version").getInt64();
    m_lastPoll = std::chrono::steady_clock::now();
    ReloadSessions();
}

bool TraceModel::PollChanges(std::chrono::steady_clock::time_point now, std::chrono::milliseconds interval)
{
    if (now - m_lastPoll < interval)
        return false;
    m_lastPoll = now;
    int64_t version = m_reader->Db().execAndGet("PRAGMA data_version").getInt64();
    if (version == m_dataVersion)
        return false;
    m_dataVersion = version;
    ReloadSessions();
    return true;
}

void TraceModel::ReloadSessions()
{
    std::vector<storage::SessionSummary> sessions = m_reader->Sessions();
    bool same = sessions.size() == m_sessions.size() &&
                std::equal(sessions.begin(), sessions.end(), m_sessions.begin(), SameSession);
    if (!same)
    {
        m_sessions = std::move(sessions);
        ++m_sessionsVersion;
    }
}

const storage::SessionSummary* TraceModel::Session(int64_t id) const
{
    auto it = std::lower_bound(m_sessions.begin(), m_sessions.end(), id,
                               [](const storage::SessionSummary& s, int64_t value) { return s.id < value; });
    return it != m_sessions.end() && it->id == id ? &*it : nullptr;
}

void TraceModel::Prefetch(std::span<const int64_t> ids)
{
    std::vector<int64_t> missing;
    for (int64_t id : ids)
        if (!m_rows.contains(id))
            missing.push_back(id);
    if (missing.empty())
        return;
    if (m_rows.size() + missing.size() > kMaxCachedRows)
        m_rows.clear();
    // Same columns as TraceReader::Message, many ids at once: primary-key lookups only.
    std::string sql = "SELECT id, session_id, ts_ns, dur_ns, dir, opcode, size, fragments, flags, kind, seq, "
                      "request_seq, command, subcommand, event, success, error, trace, task, pipe_id, state, pair_id, "
                      "latency_ns, malformed FROM messages WHERE id IN (";
    for (size_t i = 0; i < missing.size(); ++i)
        sql += i ? ",?" : "?";
    sql += ")";
    SQLite::Statement q(m_reader->Db(), sql);
    for (size_t i = 0; i < missing.size(); ++i)
        q.bind(static_cast<int>(i + 1), missing[i]);
    while (q.executeStep())
    {
        storage::MessageSummary m;
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
        int64_t id = m.id;
        m_rows.emplace(id, std::move(m));
    }
}

const storage::MessageSummary* TraceModel::Row(int64_t id) const
{
    auto it = m_rows.find(id);
    return it == m_rows.end() ? nullptr : &it->second;
}

std::optional<storage::MessageSummary> TraceModel::Message(int64_t id)
{
    return m_reader->Message(id);
}

} // namespace dapscope::ui
