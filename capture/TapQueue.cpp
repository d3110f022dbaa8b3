#include "TapQueue.hpp"

#include <algorithm>

namespace dapscope::capture
{

namespace
{
// Records that carry traffic; the others (session facts, HTTP heads and ends) are never dropped.
bool IsBytes(TapRecord::Type type)
{
    return type == TapRecord::Type::Chunk || type == TapRecord::Type::WsBytes || type == TapRecord::Type::HttpBody;
}
} // namespace

void TapQueue::Push(TapRecord&& record)
{
    bool wake = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_records.size() >= kMaxRecords && IsBytes(record.type))
        {
            // Even metadata must stay bounded; session records are never dropped.
            m_dropped.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        // Small messages (DAP JSON) may use a reserve beyond the budget, so bulk payloads are elided first.
        size_t limit = record.bytes.size() <= kSmallChunk ? m_budget + m_budget / 4 : m_budget;
        if (m_bytes + record.bytes.size() > limit)
        {
            m_elidedChunks.fetch_add(1, std::memory_order_relaxed);
            m_elidedBytes.fetch_add(record.bytes.size(), std::memory_order_relaxed);
            record.elidedBytes = record.bytes.size();
            record.bytes.clear();
            record.elided = true;
        }
        m_bytes += record.bytes.size();
        m_records.push_back(std::move(record));
        m_pushed.fetch_add(1, std::memory_order_relaxed);
        // Waking the recorder costs a syscall: only do it when batching has nothing to gain.
        wake = m_consumerWaiting && (m_records.size() >= kWakeRecords || m_bytes > m_budget / 4 ||
                                     !IsBytes(m_records.back().type));
    }
    if (wake)
        m_ready.notify_one();
}

bool TapQueue::PopAll(std::vector<TapRecord>& out, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_mutex);
    if (m_records.empty() && !m_closed)
    {
        m_consumerWaiting = true;
        m_ready.wait_for(lock, timeout, [&] { return m_closed || !m_records.empty(); });
        m_consumerWaiting = false;
    }
    if (m_records.empty())
        return !m_closed;
    out.clear();
    out.swap(m_records);
    return true;
}

void TapQueue::Release(size_t bytes)
{
    std::lock_guard lock(m_mutex);
    m_bytes -= std::min(bytes, m_bytes);
}

void TapQueue::Close()
{
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
    }
    m_ready.notify_all();
}

size_t TapQueue::QueuedBytes()
{
    std::lock_guard lock(m_mutex);
    return m_bytes;
}

} // namespace dapscope::capture
