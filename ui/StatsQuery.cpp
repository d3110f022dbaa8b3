#include "StatsQuery.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace dapscope::ui
{

namespace
{
// Nearest-rank percentile, in ms.
double Percentile(const std::vector<int64_t>& sorted, double p)
{
    if (sorted.empty())
        return 0;
    const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return static_cast<double>(sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1]) / 1e6;
}
} // namespace

storage::TraceStats ComputeStats(SQLite::Database& db, int64_t session)
{
    const std::string scope = session ? " AND q.session_id = :session" : "";
    storage::TraceStats stats;
    std::map<std::string, storage::CommandStats> commands;
    std::map<std::string, std::vector<int64_t>> latencies;
    SQLite::Statement requests(db, "SELECT q.command, q.state, q.latency_ns, r.success FROM messages q "
                                   "LEFT JOIN messages r ON r.id = q.pair_id WHERE q.kind = 0" +
                                       scope);
    if (session)
        requests.bind(":session", session);
    while (requests.executeStep())
    {
        const std::string command = requests.getColumn(0).isNull() ? "" : requests.getColumn(0).getString();
        storage::CommandStats& c = commands[command];
        c.command = command;
        ++c.count;
        const auto state = static_cast<inspector::ExchangeState>(requests.getColumn(1).getInt());
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
    const std::string where = session ? " AND session_id = :session" : "";
    SQLite::Statement events(db, "SELECT event, count(*) FROM messages WHERE kind = 2" + where +
                                     " GROUP BY event ORDER BY count(*) DESC, event");
    if (session)
        events.bind(":session", session);
    while (events.executeStep())
        stats.events.push_back(
            {events.getColumn(0).isNull() ? "" : events.getColumn(0).getString(), events.getColumn(1).getInt64()});
    SQLite::Statement other(db, "SELECT coalesce(sum(state = 4), 0), coalesce(sum(kind = 3), 0) FROM messages "
                                "WHERE 1" +
                                    where);
    if (session)
        other.bind(":session", session);
    if (other.executeStep())
    {
        stats.orphans = other.getColumn(0).getInt64();
        stats.malformed = other.getColumn(1).getInt64();
    }
    return stats;
}

} // namespace dapscope::ui
