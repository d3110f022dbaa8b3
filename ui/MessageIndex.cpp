#include "MessageIndex.hpp"

#include <algorithm>

namespace dapscope::ui
{

MessageIndex::MessageIndex(TaskRunner& tasks, std::string storePath) : m_path(std::move(storePath)), m_loader(tasks) {}

void MessageIndex::Reset(int64_t session, const storage::MessageFilter& filter)
{
    if (m_job)
        m_job->cancelled = true;
    m_job.reset();
    ++m_generation;
    m_loader.Reset();
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
    const int64_t session = m_session;
    const int64_t from = m_scannedTo;
    const storage::MessageFilter filter = m_filter;
    const auto wanted = m_loader.Wanted();

    m_job = m_loader.Run(
        "", // not shown: the table shows its own progress
        m_path,
        [=, this](storage::TraceReader& reader, TaskContext& ctx)
        {
            const storage::IdRange range = reader.MessageIdRange(session, from).value_or(storage::IdRange{from, from});
            const int64_t lo = range.after, hi = range.last;
            const bool unfiltered = filter.Empty();
            // Small first window: the first rows show at once; then larger ones (fewer round trips).
            int64_t window = unfiltered ? 4096 : 2048;
            int64_t cursor = lo;
            while (cursor < hi && !ctx.Cancelled())
            {
                const int64_t end = std::min(hi, cursor + window);
                std::vector<int64_t> ids = reader.MessageIds(session, filter, {cursor, end});
                cursor = end;
                const float progress =
                    hi > lo ? static_cast<float>(static_cast<double>(cursor - lo) / static_cast<double>(hi - lo)) : 1;
                ctx.SetProgress(static_cast<uint64_t>(cursor - lo), static_cast<uint64_t>(hi - lo));
                ctx.DoLater(
                    [this, wanted, ids = std::move(ids), end, progress]() mutable
                    {
                        if (!wanted())
                            return;
                        // Ids only grow, and windows arrive in order.
                        m_ids.insert(m_ids.end(), ids.begin(), ids.end());
                        m_scannedTo = std::max(m_scannedTo, end);
                        m_progress = progress;
                    });
                window = std::min<int64_t>(window * 4, unfiltered ? (1 << 20) : (1 << 16));
            }
            return hi;
        },
        [this](int64_t hi)
        {
            m_scannedTo = std::max(m_scannedTo, hi);
            m_scanning = false;
            m_progress = 1;
            m_job.reset();
            if (m_pokedWhileScanning)
                StartScan();
        },
        [this](const std::string& error)
        {
            m_error = error;
            m_scanning = false;
            m_job.reset();
        });
}

} // namespace dapscope::ui
