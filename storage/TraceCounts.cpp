// TraceReader's counts for `dapscope mcp`: how many messages a bounded answer left out, and the flags a session
// summary reports.

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

} // namespace dapscope::storage
