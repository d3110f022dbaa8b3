#include "Retention.hpp"

#include "Store.hpp"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

namespace dapscope::storage
{

Pruner::Pruner(const std::string& path) : m_db(OpenForWriting(path)) {}

Pruner::State Pruner::SessionState(int64_t session)
{
    SQLite::Statement q(m_db, "SELECT ended_ns IS NULL FROM sessions WHERE id = ?");
    q.bind(1, session);
    if (!q.executeStep())
        return State::Missing;
    return q.getColumn(0).getInt() ? State::Live : State::Ended;
}

int64_t Pruner::Vacuum()
{
    m_db.exec("VACUUM");
    return UsedBytes(m_db);
}

int64_t UsedBytes(SQLite::Database& db)
{
    int64_t pages = db.execAndGet("PRAGMA page_count").getInt64();
    int64_t free = db.execAndGet("PRAGMA freelist_count").getInt64();
    return (pages - free) * db.execAndGet("PRAGMA page_size").getInt64();
}

std::vector<int64_t> EndedSessionsBefore(SQLite::Database& db, int64_t ns)
{
    SQLite::Statement q(db,
                        "SELECT id FROM sessions WHERE ended_ns IS NOT NULL AND ended_ns < ? ORDER BY ended_ns, id");
    q.bind(1, ns);
    std::vector<int64_t> ids;
    while (q.executeStep())
        ids.push_back(q.getColumn(0).getInt64());
    return ids;
}

PruneResult PruneSessions(SQLite::Database& db, const std::vector<int64_t>& sessions)
{
    PruneResult result;
    SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement chunks(db, "DELETE FROM message_chunks WHERE message_id IN "
                                 "(SELECT id FROM messages WHERE session_id = ?)");
    SQLite::Statement messages(db, "DELETE FROM messages WHERE session_id = ?");
    SQLite::Statement blocks(db, "DELETE FROM message_blocks WHERE session_id = ?");
    SQLite::Statement session(db, "DELETE FROM sessions WHERE id = ?");
    auto run = [](SQLite::Statement& statement, int64_t session)
    {
        statement.bind(1, session);
        int changed = statement.exec();
        statement.reset();
        return changed;
    };
    for (int64_t id : sessions)
    {
        run(chunks, id);
        result.messages += run(messages, id);
        run(blocks, id);
        result.sessions += run(session, id);
    }
    transaction.commit();
    return result;
}

PruneResult EnforceSizeLimit(SQLite::Database& db, int64_t maxBytes)
{
    PruneResult total;
    while (UsedBytes(db) > maxBytes)
    {
        std::vector<int64_t> oldest = EndedSessionsBefore(db, INT64_MAX);
        if (oldest.empty())
            break; // only live sessions left: nothing may go
        oldest.resize(1);
        PruneResult step = PruneSessions(db, oldest);
        total.sessions += step.sessions;
        total.messages += step.messages;
    }
    return total;
}

} // namespace dapscope::storage
