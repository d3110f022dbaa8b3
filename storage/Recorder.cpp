#include "Recorder.hpp"

#include "Retention.hpp"
#include "Store.hpp"
#include "capture/Clock.hpp"

#include <malloc.h>

#include <cstdio>

namespace dapscope::storage
{

Recorder::Recorder(const std::string& storePath, capture::TapQueue& queue, IngestOptions options,
                   BatchObserver observer)
    : m_path(storePath), m_queue(queue), m_db(OpenForWriting(storePath)), m_writer(m_db),
      m_ingestor(m_writer, std::move(options)), m_observer(std::move(observer))
{
    m_writeThread = std::thread([this] { WriteLoop(); });
    m_decodeThread = std::thread([this] { DecodeLoop(); });
}

Recorder::~Recorder()
{
    Stop();
}

void Recorder::Stop()
{
    if (m_stopping.exchange(true))
        return;
    m_queue.Close();
    m_changed.notify_all();
    if (m_decodeThread.joinable())
        m_decodeThread.join();
    if (m_writeThread.joinable())
        m_writeThread.join();
}

void Recorder::DecodeLoop()
{
    std::vector<capture::TapRecord> records;
    while (m_queue.PopAll(records, std::chrono::milliseconds(50)))
    {
        size_t payload = 0;
        uint64_t applied = 0;
        for (capture::TapRecord& record : records)
        {
            payload += record.bytes.size();
            {
                std::lock_guard lock(m_ingestMutex);
                m_ingestor.Apply(record);
            }
            ++applied;
            if (payload >= kBatchBytes)
            {
                HandOff(applied, payload);
                payload = 0;
                applied = 0;
            }
        }
        records.clear(); // the relay's buffers: their bytes now live in the batches
        HandOff(applied, payload);
    }
    {
        std::lock_guard lock(m_ingestMutex);
        m_ingestor.FinishAll(capture::WallNs(), "capture stopped before the session ended");
    }
    HandOff(0, 0);
    std::lock_guard lock(m_mutex);
    m_decodeDone = true;
    m_changed.notify_all();
}

void Recorder::HandOff(uint64_t records, size_t tapBytes)
{
    Batch batch;
    {
        std::lock_guard lock(m_ingestMutex);
        batch.ops = m_ingestor.TakeBatch();
    }
    batch.records = records;
    batch.tapBytes = tapBytes;
    if (batch.ops.empty() && records == 0)
        return;
    if (m_observer && !batch.ops.empty())
        m_observer(batch.ops);
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_batches.size() < kMaxWaitingBatches; });
    m_batches.push_back(std::move(batch));
    m_changed.notify_all();
}

void Recorder::WriteLoop()
{
    while (true)
    {
        Batch batch;
        {
            std::unique_lock lock(m_mutex);
            if (!m_changed.wait_for(lock, std::chrono::seconds(5), [&] { return !m_batches.empty() || m_decodeDone; }))
            {
                lock.unlock();
                ReturnFreeMemory(); // idle: a good moment
                continue;
            }
            if (m_batches.empty())
                return;
            batch = std::move(m_batches.front());
            m_batches.pop_front();
            m_changed.notify_all(); // room for the decode thread
        }
        Write(batch);
        // Capture memory is bounded by the TapQueue budget until the bytes are in the store.
        m_queue.Release(batch.tapBytes);
        EnforceSizeLimit();
        ReturnFreeMemory();
    }
}

void Recorder::Write(Batch& batch)
{
    int64_t gapStart = 0;
    uint64_t droppedBefore = m_queue.DroppedRecords() + m_queue.ElidedChunks();
    std::string error;
    for (int attempt = 0;; ++attempt)
    {
        try
        {
            m_writer.Begin();
            m_writer.Apply(batch.ops);
            m_writer.Commit();
            break;
        }
        catch (const std::exception& e)
        {
            error = e.what();
            try
            {
                m_writer.Rollback();
            }
            catch (const std::exception&)
            {
            }
        }
        if (attempt == 0)
        {
            gapStart = capture::WallNs();
            std::fprintf(stderr,
                         "dapscope: cannot write to the store %s: %s; capture paused, relaying goes on, retrying\n",
                         m_path.c_str(), error.c_str());
            std::lock_guard lock(m_mutex);
            m_stats.lastError = error;
        }
        if (m_stopping && attempt >= 3)
        {
            // Shutting down and the store still refuses: give the batch up rather than hang.
            std::fprintf(stderr, "dapscope: store %s: %llu record(s) not written: %s\n", m_path.c_str(),
                         static_cast<unsigned long long>(batch.records), error.c_str());
            std::lock_guard lock(m_mutex);
            m_stats.lostRecords += batch.records;
            gapStart = 0;
            break;
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    if (gapStart)
    {
        // The store takes writes again: say so in the store itself, with what the relay had to drop meanwhile.
        uint64_t lost = m_queue.DroppedRecords() + m_queue.ElidedChunks() - droppedBefore;
        try
        {
            m_writer.Begin();
            m_writer.RecordGap(gapStart, capture::WallNs(), lost, error);
            m_writer.Commit();
        }
        catch (const std::exception&)
        {
            m_writer.Rollback();
        }
        std::fprintf(stderr,
                     "dapscope: store %s writable again: capture resumed (%llu record(s) dropped or elided "
                     "meanwhile)\n",
                     m_path.c_str(), static_cast<unsigned long long>(lost));
    }
    std::lock_guard lock(m_mutex);
    {
        std::lock_guard ingest(m_ingestMutex);
        const IngestStats& ingested = m_ingestor.Stats();
        m_stats.sessions = ingested.sessions;
        m_stats.messages = ingested.messages;
        m_stats.elided = ingested.elided;
    }
    m_stats.lostRecords = std::max(m_stats.lostRecords, m_queue.DroppedRecords());
    m_stats.gaps += gapStart ? 1 : 0;
    m_committed += batch.records;
    m_changed.notify_all();
}

void Recorder::ReturnFreeMemory()
{
    // glibc keeps freed memory in its per-thread arenas; after bursts of sessions or large messages that can
    // be tens of MiB. Hand it back now and then, from this thread, never from the relay's.
    auto now = std::chrono::steady_clock::now();
    if (now - m_lastTrim < std::chrono::seconds(5))
        return;
    m_lastTrim = now;
    malloc_trim(0);
}

void Recorder::EnforceSizeLimit()
{
    int64_t limit = m_sizeLimit.load();
    auto now = std::chrono::steady_clock::now();
    if (limit <= 0 || now - m_lastSizeCheck < std::chrono::seconds(2))
        return;
    m_lastSizeCheck = now;
    try
    {
        PruneResult pruned = storage::EnforceSizeLimit(m_db, limit);
        if (pruned.sessions)
            std::fprintf(stderr, "dapscope: store over %lld MB: removed the %lld oldest session(s) (%lld messages)\n",
                         static_cast<long long>(limit / 1000000), static_cast<long long>(pruned.sessions),
                         static_cast<long long>(pruned.messages));
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "dapscope: cannot prune the store %s: %s\n", m_path.c_str(), e.what());
    }
}

bool Recorder::Sync(std::chrono::milliseconds timeout)
{
    uint64_t target = m_queue.PushedRecords();
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout, [&] { return m_committed >= target; });
}

RecorderStats Recorder::Stats()
{
    std::lock_guard lock(m_mutex);
    return m_stats;
}

int64_t Recorder::StoreSession(uint64_t relaySession)
{
    std::lock_guard lock(m_ingestMutex);
    return m_ingestor.StoreSession(relaySession);
}

} // namespace dapscope::storage
