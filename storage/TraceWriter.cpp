#include "TraceWriter.hpp"

namespace dapscope::storage
{

namespace
{
// TEXT, not BLOB (SQLiteCpp's pointer+size overload binds a blob), without copying; "" becomes NULL, which
// keeps rows small and "IS NULL" queries simple. The text must outlive the statement's execution.
void BindText(SQLite::Statement& statement, int index, const std::string& text)
{
    if (text.empty())
        statement.bind(index);
    else
        statement.bindNoCopy(index, text);
}

template <class T> void BindOptional(SQLite::Statement& statement, int index, const std::optional<T>& value)
{
    if (value)
        statement.bind(index, static_cast<int64_t>(*value));
    else
        statement.bind(index);
}

// Every statement binds all its parameters each time, so bindings need no clearing between runs.
void Run(SQLite::Statement& statement)
{
    statement.exec();
    statement.reset();
}

const char* AuthText(inspector::AuthOutcome outcome)
{
    switch (outcome)
    {
    case inspector::AuthOutcome::Pending:
        return "pending";
    case inspector::AuthOutcome::Succeeded:
        return "ok";
    case inspector::AuthOutcome::Failed:
        return "failed";
    default:
        return "";
    }
}
} // namespace

TraceWriter::TraceWriter(SQLite::Database& db)
    : m_db(db),
      m_insertSession(db, "INSERT INTO sessions (started_ns, client, path, upstream, user_agent, source, replay_of) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)"),
      m_upstreamResult(db, "UPDATE sessions SET upstream_ok = ?, error = CASE WHEN ? = '' THEN error ELSE ? END "
                           "WHERE id = ?"),
      m_sessionFacts(db, "UPDATE sessions SET client_name = ?, client_version = ?, auth = ? WHERE id = ?"),
      m_sessionTotals(db, "UPDATE sessions SET messages = messages + ?, bytes = bytes + ?, elided = elided + ? "
                          "WHERE id = ?"),
      m_endSession(db, "UPDATE sessions SET ended_ns = ?, close_code = ?, close_reason = ?, closed_by = ?, "
                       "error = CASE WHEN ? = '' THEN error ELSE ? END WHERE id = ?"),
      m_insertMessage(db, "INSERT INTO messages (id, session_id, dir, opcode, size, ts_ns, dur_ns, fragments, flags, "
                          "kind, seq, request_seq, command, subcommand, event, success, error, trace, task, pipe_id, "
                          "state, pair_id, latency_ns, malformed, data) "
                          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
      m_updateMessage(db, "UPDATE messages SET state = ?, pair_id = coalesce(?, pair_id), "
                          "latency_ns = coalesce(?, latency_ns) WHERE id = ?"),
      m_updateMessageTask(db, "UPDATE messages SET task = ? WHERE id = ?"),
      m_insertChunk(db, "INSERT INTO message_chunks (message_id, idx, data) VALUES (?, ?, ?)"),
      m_upsertBlock(db, "INSERT OR REPLACE INTO message_blocks (session_id, block, first_id, last_id, names, problems, "
                        "max_latency_ns) VALUES (?, ?, ?, ?, ?, ?, ?)")
{
}

void TraceWriter::Begin()
{
    m_db.exec("BEGIN IMMEDIATE");
    m_inTransaction = true;
}

void TraceWriter::Commit()
{
    if (!m_inTransaction)
        return;
    m_inTransaction = false;
    m_db.exec("COMMIT");
}

void TraceWriter::Rollback()
{
    if (!m_inTransaction)
        return;
    m_inTransaction = false;
    m_db.exec("ROLLBACK");
}

int64_t TraceWriter::NextMessageId()
{
    return m_db.execAndGet("SELECT coalesce(max(id), 0) + 1 FROM messages").getInt64();
}

int64_t TraceWriter::BeginSession(const SessionRow& row)
{
    m_insertSession.bind(1, row.startedNs);
    m_insertSession.bind(2, row.client);
    m_insertSession.bind(3, row.path);
    m_insertSession.bind(4, row.upstream);
    m_insertSession.bind(5, row.userAgent);
    m_insertSession.bind(6, row.source);
    BindOptional(m_insertSession, 7, row.replayOf);
    Run(m_insertSession);
    return m_db.getLastInsertRowid();
}

void TraceWriter::SetUpstreamResult(int64_t session, bool ok, std::string_view error)
{
    m_upstreamResult.bind(1, ok ? 1 : 0);
    m_upstreamResult.bind(2, std::string(error));
    m_upstreamResult.bind(3, std::string(error));
    m_upstreamResult.bind(4, session);
    Run(m_upstreamResult);
}

void TraceWriter::UpdateSessionFacts(int64_t session, const inspector::SessionFacts& facts)
{
    m_sessionFacts.bind(1, facts.clientName);
    m_sessionFacts.bind(2, facts.clientVersion);
    m_sessionFacts.bind(3, AuthText(facts.auth));
    m_sessionFacts.bind(4, session);
    Run(m_sessionFacts);
}

void TraceWriter::AddSessionTotals(int64_t session, uint64_t messages, uint64_t bytes, uint64_t elided)
{
    m_sessionTotals.bind(1, static_cast<int64_t>(messages));
    m_sessionTotals.bind(2, static_cast<int64_t>(bytes));
    m_sessionTotals.bind(3, static_cast<int64_t>(elided));
    m_sessionTotals.bind(4, session);
    Run(m_sessionTotals);
}

void TraceWriter::EndSession(int64_t session, const SessionEnd& end)
{
    m_endSession.bind(1, end.endedNs);
    if (end.closeCode)
        m_endSession.bind(2, static_cast<int>(end.closeCode));
    else
        m_endSession.bind(2);
    m_endSession.bind(3, end.closeReason);
    m_endSession.bind(4, end.closedBy);
    m_endSession.bind(5, end.error);
    m_endSession.bind(6, end.error);
    m_endSession.bind(7, session);
    Run(m_endSession);
}

void TraceWriter::InsertMessage(const MessageRow& row, const inspector::InspectedMessage& decoded)
{
    const inspector::Envelope& e = decoded.envelope;
    SQLite::Statement& s = m_insertMessage;
    s.bind(1, row.id);
    s.bind(2, row.session);
    s.bind(3, static_cast<int>(row.dir));
    s.bind(4, static_cast<int>(row.opcode));
    s.bind(5, static_cast<int64_t>(row.size));
    s.bind(6, row.tsNs);
    s.bind(7, row.durNs);
    s.bind(8, static_cast<int64_t>(row.fragments));
    s.bind(9, static_cast<int64_t>(row.flags));
    s.bind(10, static_cast<int>(e.kind));
    BindOptional(s, 11, e.seq);
    BindOptional(s, 12, e.requestSeq);
    BindText(s, 13, e.command);
    BindText(s, 14, e.subcommand);
    BindText(s, 15, e.event);
    if (e.success)
        s.bind(16, *e.success ? 1 : 0);
    else
        s.bind(16);
    BindText(s, 17, e.message);
    std::string trace = e.traceFile.empty() ? std::string() : e.traceFile + ":" + std::to_string(e.traceLine);
    BindText(s, 18, trace); // `trace` lives until Run() below
    BindText(s, 19, decoded.task);
    BindOptional(s, 20, decoded.pipeId);
    s.bind(21, static_cast<int>(decoded.state));
    BindOptional(s, 22, decoded.pairId);
    BindOptional(s, 23, decoded.latencyNs);
    BindText(s, 24, e.malformedReason);
    s.bindNoCopy(25, row.data.data() ? row.data.data() : "", static_cast<int>(row.data.size())); // empty blob, not NULL
    Run(s);
}

void TraceWriter::UpdateMessage(const inspector::MessageUpdate& update)
{
    m_updateMessage.bind(1, static_cast<int>(update.state));
    BindOptional(m_updateMessage, 2, update.pairId);
    BindOptional(m_updateMessage, 3, update.latencyNs);
    m_updateMessage.bind(4, update.id);
    Run(m_updateMessage);
    if (!update.task.empty())
    {
        m_updateMessageTask.bind(1, update.task);
        m_updateMessageTask.bind(2, update.id);
        Run(m_updateMessageTask);
    }
}

void TraceWriter::AppendChunk(int64_t messageId, int index, std::string_view data)
{
    m_insertChunk.bind(1, messageId);
    m_insertChunk.bind(2, index);
    m_insertChunk.bindNoCopy(3, data.data(), static_cast<int>(data.size()));
    Run(m_insertChunk);
}

void TraceWriter::UpsertBlock(int64_t session, const BlockSummary& block)
{
    std::string names = block.NamesColumn();
    m_upsertBlock.bind(1, session);
    m_upsertBlock.bind(2, block.block);
    m_upsertBlock.bind(3, block.firstId);
    m_upsertBlock.bind(4, block.lastId);
    m_upsertBlock.bindNoCopy(5, names);
    m_upsertBlock.bind(6, block.problems);
    if (block.maxLatencyNs >= 0)
        m_upsertBlock.bind(7, block.maxLatencyNs);
    else
        m_upsertBlock.bind(7);
    Run(m_upsertBlock);
}

} // namespace dapscope::storage
