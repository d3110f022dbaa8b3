#include "MessageIndex.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>

namespace dapscope::ui
{

MessageIndex::MessageIndex(TaskRunner& tasks, std::string storePath) : m_tasks(tasks), m_path(std::move(storePath)) {}

void MessageIndex::Reset(int64_t session, const storage::MessageFilter& filter)
{
    if (m_job)
        m_job->cancelled = true;
    m_job.reset();
    ++m_generation;
    m_session = session;
    m_filter = filter;
    m_ids.clear();
    m_ids.shrink_to_fit();
    m_scannedTo = 0;
    m_scanning = false;
    m_pokedWhileScanning = false;
    m_progress = 0;
    m_error.clear();
    if (session != 0)
        StartScan();
}

void MessageIndex::Poke()
{
    if (m_session == 0)
        return;
    if (m_scanning)
        m_pokedWhileScanning = true;
    else
        StartScan();
}

std::optional<size_t> MessageIndex::Position(int64_t id) const
{
    auto it = std::lower_bound(m_ids.begin(), m_ids.end(), id);
    if (it == m_ids.end() || *it != id)
        return std::nullopt;
    return static_cast<size_t>(it - m_ids.begin());
}

void MessageIndex::StartScan()
{
    m_scanning = true;
    m_pokedWhileScanning = false;
    const uint64_t generation = m_generation;
    const std::weak_ptr<const char> alive = m_lifetime.Token();
    const std::string path = m_path;
    const int64_t session = m_session;
    const int64_t from = m_scannedTo;
    const storage::MessageFilter filter = m_filter;
    auto sameIndex = [this, alive, generation] { return !alive.expired() && m_generation == generation; };

    m_job = m_tasks.Run(
        "", // not shown: the table shows its own progress
        [=, this](TaskContext& ctx)
        {
            SQLite::Database& db = ctx.Reader(path).Db();
            int64_t lo = from, hi = from;
            {
                // Two index lookups (min() / max() with a WHERE would walk the whole range).
                SQLite::Statement first(db,
                                        "SELECT id FROM messages WHERE session_id = ? AND id > ? ORDER BY id LIMIT 1");
                first.bind(1, session);
                first.bind(2, from);
                SQLite::Statement last(db, "SELECT id FROM messages WHERE session_id = ? ORDER BY id DESC LIMIT 1");
                last.bind(1, session);
                if (first.executeStep() && last.executeStep())
                {
                    lo = first.getColumn(0).getInt64() - 1;
                    hi = last.getColumn(0).getInt64();
                }
            }
            const bool unfiltered = filter.Empty();
            SQLite::Statement q(db, "SELECT id FROM messages WHERE session_id = :session AND id > :lo AND id <= :hi" +
                                        storage::FilterConditions(filter) + " ORDER BY id");
            // Small first window: the first rows show at once; then larger ones (fewer round trips).
            int64_t window = unfiltered ? 4096 : 2048;
            int64_t cursor = lo;
            while (cursor < hi && !ctx.Cancelled())
            {
                const int64_t end = std::min(hi, cursor + window);
                q.reset();
                q.bind(":session", session);
                q.bind(":lo", cursor);
                q.bind(":hi", end);
                storage::BindFilter(q, filter);
                std::vector<int64_t> ids;
                while (q.executeStep())
                    ids.push_back(q.getColumn(0).getInt64());
                cursor = end;
                const float progress =
                    hi > lo ? static_cast<float>(static_cast<double>(cursor - lo) / static_cast<double>(hi - lo)) : 1;
                ctx.SetProgress(static_cast<uint64_t>(cursor - lo), static_cast<uint64_t>(hi - lo));
                ctx.DoLater(
                    [this, sameIndex, ids = std::move(ids), end, progress]() mutable
                    {
                        if (!sameIndex())
                            return;
                        // Ids only grow, and windows arrive in order.
                        m_ids.insert(m_ids.end(), ids.begin(), ids.end());
                        m_scannedTo = std::max(m_scannedTo, end);
                        m_progress = progress;
                    });
                window = std::min<int64_t>(window * 4, unfiltered ? (1 << 20) : (1 << 16));
            }
            ctx.DoLater(
                [this, sameIndex, hi]
                {
                    if (!sameIndex())
                        return;
                    m_scannedTo = std::max(m_scannedTo, hi);
                    m_scanning = false;
                    m_progress = 1;
                    m_job.reset();
                    if (m_pokedWhileScanning)
                        StartScan();
                });
        },
        [this, sameIndex](const std::string& error)
        {
            if (!sameIndex())
                return;
            m_error = error;
            m_scanning = false;
            m_job.reset();
        });
}

} // namespace dapscope::ui
