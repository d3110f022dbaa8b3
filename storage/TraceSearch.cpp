// TraceReader::Search: a filter over every session of the store. Each session is read with Messages(), so a
// filter means the same across sessions as in one, and selective filters skip blocks through the session's block
// summaries (MessageBlocks.hpp) instead of scanning it.

#include "TraceReader.hpp"

#include <SQLiteCpp/Statement.h>

namespace dapscope::storage
{

namespace
{
constexpr int kExcerptBefore = 40; // characters of context before the match
constexpr int kExcerptChars = 160; // characters in all
} // namespace

std::vector<SearchHit> TraceReader::Search(const MessageFilter& filter, const SearchScope& scope, int64_t limit)
{
    std::vector<SearchHit> hits;
    if (limit <= 0)
        return hits;
    // The sessions to visit, from the one the page resumes in. A session ended before `since` holds nothing newer
    // (the writer ends a session after its last message); live ones (no end) are kept.
    std::string sql = "SELECT id FROM sessions WHERE id >= :from";
    if (!scope.sessions.empty())
    {
        sql += " AND id IN (";
        for (size_t i = 0; i < scope.sessions.size(); ++i)
            sql += (i ? "," : "") + std::to_string(scope.sessions[i]);
        sql += ")";
    }
    if (filter.sinceNs)
        sql += " AND (ended_ns IS NULL OR ended_ns >= :since)";
    SQLite::Statement sessions(m_db, sql + " ORDER BY id");
    sessions.bind(":from", scope.afterSession);
    if (filter.sinceNs)
        sessions.bind(":since", *filter.sinceNs);
    std::vector<int64_t> ids;
    while (sessions.executeStep())
        ids.push_back(sessions.getColumn(0).getInt64());

    // A window of the message's text around the first match: in its bytes, else in its HTTP head, else the start.
    SQLite::Statement excerpt(
        m_db, "SELECT CASE WHEN instr(CAST(data AS TEXT), :t) > 0 THEN "
              "substr(CAST(data AS TEXT), max(1, instr(CAST(data AS TEXT), :t) - :before), :chars) "
              "WHEN instr(headers, :t) > 0 THEN substr(headers, max(1, instr(headers, :t) - :before), :chars) "
              "ELSE substr(CAST(data AS TEXT), 1, :chars) END FROM messages WHERE id = :id");
    excerpt.bind(":t", filter.text);
    excerpt.bind(":before", kExcerptBefore);
    excerpt.bind(":chars", kExcerptChars);

    for (int64_t session : ids)
    {
        int64_t after = session == scope.afterSession ? scope.afterId : 0;
        for (MessageSummary& m : Messages(session, filter, after, limit - static_cast<int64_t>(hits.size())))
        {
            SearchHit& hit = hits.emplace_back();
            excerpt.reset();
            excerpt.bind(":id", m.id);
            if (excerpt.executeStep() && !excerpt.getColumn(0).isNull())
                hit.excerpt = excerpt.getColumn(0).getString();
            hit.message = std::move(m);
        }
        if (static_cast<int64_t>(hits.size()) >= limit)
            break;
    }
    return hits;
}

} // namespace dapscope::storage
