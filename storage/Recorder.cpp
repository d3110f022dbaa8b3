#include "Recorder.hpp"

#include "Store.hpp"
#include "net/Clock.hpp"

#include <cstdio>

namespace dapscope::storage
{

Recorder::Recorder(const std::string& storePath, proxy::TapQueue& queue, IngestOptions options)
    : m_path(storePath), m_queue(queue), m_db(OpenForWriting(storePath)), m_writer(m_db),
      m_ingestor(m_writer, std::move(options))
{
    m_thread = std::thread([this] { Run(); });
}

Recorder::~Recorder()
{
    Stop();
}

void Recorder::Stop()
{
    if (m_stopped.exchange(true))
        return;
    m_queue.Close();
    if (m_thread.joinable())
        m_thread.join();
}

void Recorder::Run()
{
    std::vector<proxy::TapRecord> batch;
    while (m_queue.PopAll(batch, std::chrono::milliseconds(50)))
        if (!batch.empty())
            WriteBatch(batch);
    try
    {
        m_writer.Begin();
        m_ingestor.FinishAll(net::WallNs(), "capture stopped before the session ended");
        m_writer.Commit();
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "dapscope: store %s: %s\n", m_path.c_str(), e.what());
    }
}

void Recorder::WriteBatch(std::vector<proxy::TapRecord>& batch)
{
    std::string error;
    {
        std::lock_guard lock(m_mutex); // StoreSession() reads the ingestor's map
        try
        {
            // Commit every few MiB too: SQLite keeps a transaction's dirty pages in memory.
            size_t bytes = 0;
            m_writer.Begin();
            for (proxy::TapRecord& record : batch)
            {
                bytes += record.bytes.size();
                m_ingestor.Apply(record);
                if (bytes >= kTransactionBytes)
                {
                    m_ingestor.Flush();
                    m_writer.Commit();
                    m_writer.Begin();
                    bytes = 0;
                }
            }
            m_ingestor.Flush();
            m_writer.Commit();
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
        const IngestStats& ingested = m_ingestor.Stats();
        m_stats.sessions = ingested.sessions;
        m_stats.messages = ingested.messages;
        m_stats.elided = ingested.elided;
        if (!error.empty())
        {
            m_stats.lostRecords += batch.size();
            m_stats.lastError = error;
        }
        m_committed += batch.size();
    }
    size_t payload = 0;
    for (const proxy::TapRecord& record : batch)
        payload += record.bytes.size();
    m_queue.Release(payload);
    if (!error.empty())
        std::fprintf(stderr, "dapscope: cannot write to the store %s: %s (%zu records lost)\n", m_path.c_str(),
                     error.c_str(), batch.size());
    m_progress.notify_all();
    batch.clear();
}

bool Recorder::Sync(std::chrono::milliseconds timeout)
{
    uint64_t target = m_queue.PushedRecords();
    std::unique_lock lock(m_mutex);
    return m_progress.wait_for(lock, timeout, [&] { return m_committed >= target; });
}

RecorderStats Recorder::Stats()
{
    std::lock_guard lock(m_mutex);
    return m_stats;
}

int64_t Recorder::StoreSession(uint64_t relaySession)
{
    std::lock_guard lock(m_mutex);
    return m_ingestor.StoreSession(relaySession);
}

} // namespace dapscope::storage
