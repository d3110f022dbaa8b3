// TraceReader's counts: for `dapscope mcp`, how many messages a bounded answer left out and the flags a session
// summary reports; for the benchmarks, what the store holds of what was captured.

#include "TraceReader.hpp"

#include <SQLiteCpp/Statement.h>

namespace dapscope::storage
{

int64_t TraceReader::CountMessages(int64_t session, const MessageFilter& filter, int64_t afterId)
{
    SQLite::Statement q(m_db, "SELECT count(*) FROM messages WHERE session_id = :session AND id > :after" +
                                  FilterConditions(filter));
    q.bind(":session", session);
    q.bind(":after", afterId);
    BindFilter(q, filter);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

MessageFlagCounts TraceReader::FlagCounts(int64_t session)
{
    SQLite::Statement q(m_db, "SELECT total(flags & 1 != 0), total(flags & 2 != 0), total(flags & 4 != 0), "
                              "total(flags & 8 != 0) FROM messages WHERE session_id = ?");
    q.bind(1, session);
    q.executeStep();
    auto at = [&](int column) { return static_cast<int64_t>(q.getColumn(column).getDouble()); };
    return MessageFlagCounts{at(0), at(1), at(2), at(3)};
}

CaptureTally TraceReader::Tally()
{
    Snapshot snapshot(*this);
    CaptureTally tally;
    // Kinds 5 and 6 are HTTP exchanges; a WebSocket message's tail beyond 1 MiB is in message_chunks.
    SQLite::Statement rows(m_db, "SELECT count(*), total(length(CAST(data AS BLOB))), total(flags & 2 != 0) "
                                 "FROM messages WHERE opcode IN (1, 2) AND kind NOT IN (5, 6)");
    rows.executeStep();
    tally.messages = rows.getColumn(0).getInt64();
    tally.payloadBytes = static_cast<int64_t>(rows.getColumn(1).getDouble());
    tally.elided = static_cast<int64_t>(rows.getColumn(2).getDouble());
    SQLite::Statement chunks(m_db, "SELECT total(length(CAST(c.data AS BLOB))) FROM message_chunks c JOIN messages m "
                                   "ON c.message_id = m.id WHERE m.opcode IN (1, 2) AND m.kind NOT IN (5, 6)");
    chunks.executeStep();
    tally.payloadBytes += static_cast<int64_t>(chunks.getColumn(0).getDouble());
    tally.gaps = m_db.execAndGet("SELECT count(*) FROM capture_gaps").getInt64();
    return tally;
}

} // namespace dapscope::storage
