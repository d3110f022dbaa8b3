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
    : m_db(db), m_insertSession(db, "INSERT INTO sessions (id, started_ns, client, path, upstream, user_agent, source, "
                                    "replay_of, protocol, rules) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      m_sessionUpgrade(db, "UPDATE sessions SET protocol = 'websocket', extensions = ?, subprotocol = ?, "
                           "handshake = ? WHERE id = ?"),
      m_upstreamResult(db, "UPDATE sessions SET upstream_ok = ?, error = CASE WHEN ? = '' THEN error ELSE ? END "
                           "WHERE id = ?"),
      m_sessionFacts(db, "UPDATE sessions SET client_name = ?, client_version = ?, auth = ? WHERE id = ?"),
      m_sessionTotals(db, "UPDATE sessions SET messages = messages + ?, bytes = bytes + ?, elided = elided + ? "
                          "WHERE id = ?"),
      m_endSession(db, "UPDATE sessions SET ended_ns = ?, close_code = ?, close_reason = ?, closed_by = ?, "
                       "error = CASE WHEN ? = '' THEN error ELSE ? END WHERE id = ?"),
      m_insertMessage(db, "INSERT INTO messages (id, session_id, dir, opcode, size, ts_ns, dur_ns, fragments, flags, "
                          "kind, seq, request_seq, command, subcommand, event, success, error, trace, task, pipe_id, "
                          "state, pair_id, latency_ns, malformed, data, wire_size, method, path, status, headers, "
                          "rule, action) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
      m_updateMessage(db, "UPDATE messages SET state = ?, pair_id = coalesce(?, pair_id), "
                          "latency_ns = coalesce(?, latency_ns), pipe_id = coalesce(?, pipe_id), "
                          "task = coalesce(?, task) WHERE id = ?"),
      m_insertChunk(db, "INSERT INTO message_chunks (message_id, idx, data) VALUES (?, ?, ?)"),
      m_upsertBlock(db, "INSERT OR REPLACE INTO message_blocks (session_id, block, first_id, last_id, names, problems, "
                        "max_latency_ns, trigrams) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
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
    // A statement that threw mid-step is still active, and SQLite keeps a pager that hit an I/O error in its
    // error state until every statement is reset: without this, a full disk that frees up stays "full".
    for (SQLite::Statement* statement :
         {&m_insertSession, &m_sessionUpgrade, &m_upstreamResult, &m_sessionFacts, &m_sessionTotals, &m_endSession,
          &m_insertMessage, &m_updateMessage, &m_insertChunk, &m_upsertBlock})
    {
        try
        {
            statement->reset();
        }
        catch (const SQLite::Exception&)
        {
            // reset() reports the error of the step that failed; the statement is reset all the same
        }
    }
    if (!m_inTransaction)
        return;
    m_inTransaction = false;
    m_db.exec("ROLLBACK");
}

int64_t TraceWriter::NextMessageId()
{
    return m_db.execAndGet("SELECT coalesce(max(id), 0) + 1 FROM messages").getInt64();
}

int64_t TraceWriter::NextSessionId()
{
    return m_db.execAndGet("SELECT coalesce(max(id), 0) + 1 FROM sessions").getInt64();
}

int64_t TraceWriter::NextBlock(int64_t session)
{
    SQLite::Statement q(m_db, "SELECT coalesce(max(block) + 1, 0) FROM message_blocks WHERE session_id = ?");
    q.bind(1, session);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

void TraceWriter::SetSessionEnded(int64_t session, std::optional<int64_t> endedNs)
{
    SQLite::Statement q(m_db, "UPDATE sessions SET ended_ns = ? WHERE id = ?");
    if (endedNs)
        q.bind(1, *endedNs);
    else
        q.bind(1);
    q.bind(2, session);
    q.exec();
}

void TraceWriter::Apply(const StoreOps& ops)
{
    for (const StoreOp& op : ops)
        std::visit([this](const auto& o) { Write(o); }, op);
}

void TraceWriter::RecordGap(int64_t startedNs, int64_t endedNs, uint64_t lostRecords, const std::string& error)
{
    SQLite::Statement insert(m_db, "INSERT INTO capture_gaps (started_ns, ended_ns, lost_records, error) "
                                   "VALUES (?, ?, ?, ?)");
    insert.bind(1, startedNs);
    insert.bind(2, endedNs);
    insert.bind(3, static_cast<int64_t>(lostRecords));
    insert.bind(4, error);
    insert.exec();
}

void TraceWriter::Write(const op::BeginSession& op)
{
    const SessionRow& row = op.row;
    m_insertSession.bind(1, op.id);
    m_insertSession.bind(2, row.startedNs);
    m_insertSession.bind(3, row.client);
    m_insertSession.bind(4, row.path);
    m_insertSession.bind(5, row.upstream);
    m_insertSession.bind(6, row.userAgent);
    m_insertSession.bind(7, row.source);
    BindOptional(m_insertSession, 8, row.replayOf);
    m_insertSession.bind(9, row.protocol);
    m_insertSession.bind(10, row.rules ? 1 : 0);
    Run(m_insertSession);
}

void TraceWriter::Write(const op::SessionUpgrade& op)
{
    m_sessionUpgrade.bind(1, op.extensions); // '' stays '': no extension was negotiated
    if (op.subprotocol)
        m_sessionUpgrade.bind(2, *op.subprotocol);
    else
        m_sessionUpgrade.bind(2);
    m_sessionUpgrade.bind(3, op.handshake);
    m_sessionUpgrade.bind(4, op.session);
    Run(m_sessionUpgrade);
}

void TraceWriter::Write(const op::UpstreamResult& op)
{
    m_upstreamResult.bind(1, op.ok ? 1 : 0);
    m_upstreamResult.bind(2, op.error);
    m_upstreamResult.bind(3, op.error);
    m_upstreamResult.bind(4, op.session);
    Run(m_upstreamResult);
}

void TraceWriter::Write(const op::SessionFacts& op)
{
    m_sessionFacts.bind(1, op.facts.clientName);
    m_sessionFacts.bind(2, op.facts.clientVersion);
    m_sessionFacts.bind(3, AuthText(op.facts.auth));
    m_sessionFacts.bind(4, op.session);
    Run(m_sessionFacts);
}

void TraceWriter::Write(const op::SessionTotals& op)
{
    m_sessionTotals.bind(1, static_cast<int64_t>(op.messages));
    m_sessionTotals.bind(2, static_cast<int64_t>(op.bytes));
    m_sessionTotals.bind(3, static_cast<int64_t>(op.elided));
    m_sessionTotals.bind(4, op.session);
    Run(m_sessionTotals);
}

void TraceWriter::Write(const op::EndSession& op)
{
    const SessionEnd& end = op.end;
    m_endSession.bind(1, end.endedNs);
    if (end.closeCode)
        m_endSession.bind(2, static_cast<int>(end.closeCode));
    else
        m_endSession.bind(2);
    m_endSession.bind(3, end.closeReason);
    m_endSession.bind(4, end.closedBy);
    m_endSession.bind(5, end.error);
    m_endSession.bind(6, end.error);
    m_endSession.bind(7, op.session);
    Run(m_endSession);
}

void TraceWriter::Write(const op::InsertMessage& op)
{
    const MessageRow& row = op.row;
    const inspector::InspectedMessage& decoded = op.decoded;
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
    s.bindNoCopy(25, op.data.data(), static_cast<int>(op.data.size())); // a blob, empty rather than NULL
    BindOptional(s, 26, row.wireSize);
    const inspector::HttpFields* http = decoded.http ? &*decoded.http : nullptr;
    static const std::string kNone;
    BindText(s, 27, http ? http->method : kNone);
    BindText(s, 28, http ? http->target : kNone);
    if (http && http->status)
        s.bind(29, http->status);
    else
        s.bind(29);
    BindText(s, 30, http ? http->head : kNone);
    BindText(s, 31, row.rule);
    BindText(s, 32, row.action);
    Run(s);
}

void TraceWriter::Write(const op::UpdateMessage& op)
{
    const inspector::MessageUpdate& update = op.update;
    m_updateMessage.bind(1, static_cast<int>(update.state));
    BindOptional(m_updateMessage, 2, update.pairId);
    BindOptional(m_updateMessage, 3, update.latencyNs);
    BindOptional(m_updateMessage, 4, update.pipeId);
    BindText(m_updateMessage, 5, update.task);
    m_updateMessage.bind(6, update.id);
    Run(m_updateMessage);
}

void TraceWriter::Write(const op::AppendChunk& op)
{
    m_insertChunk.bind(1, op.message);
    m_insertChunk.bind(2, op.index);
    m_insertChunk.bindNoCopy(3, op.data.data(), static_cast<int>(op.data.size()));
    Run(m_insertChunk);
}

void TraceWriter::Write(const op::UpsertBlock& op)
{
    const BlockSummary& block = op.block;
    std::string names = block.NamesColumn();
    m_upsertBlock.bind(1, op.session);
    m_upsertBlock.bind(2, block.block);
    m_upsertBlock.bind(3, block.firstId);
    m_upsertBlock.bind(4, block.lastId);
    m_upsertBlock.bindNoCopy(5, names);
    m_upsertBlock.bind(6, block.problems);
    if (block.maxLatencyNs >= 0)
        m_upsertBlock.bind(7, block.maxLatencyNs);
    else
        m_upsertBlock.bind(7);
    if (block.trigrams.empty())
        m_upsertBlock.bind(8); // NULL: may hold anything
    else
        m_upsertBlock.bindNoCopy(8, block.trigrams.data(), static_cast<int>(block.trigrams.size()));
    Run(m_upsertBlock);
}

} // namespace dapscope::storage
