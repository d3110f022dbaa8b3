#pragma once
// The recorder thread: drains the relay's TapQueue every ~50 ms (or sooner under load) and writes what it
// took in one transaction, through the Ingestor. It owns the store's only read-write connection.

#include "Ingestor.hpp"
#include "proxy/TapQueue.hpp"

#include <SQLiteCpp/Database.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace dapscope::storage
{

struct RecorderStats
{
    uint64_t sessions = 0;
    uint64_t messages = 0;
    uint64_t elided = 0;      // messages stored without their bytes (the recorder fell behind)
    uint64_t lostRecords = 0; // records that could not be written (store errors)
    std::string lastError;    // the last store error, if any
};

class Recorder
{
  public:
    // Opens (creating/migrating) the store; throws StoreError. Starts the thread.
    Recorder(const std::string& storePath, proxy::TapQueue& queue, IngestOptions options);
    ~Recorder(); // Stop()

    // Drain everything queued, end sessions left open, commit, and stop the thread. Idempotent.
    void Stop();

    // Block until every record pushed before this call is committed (tests, `demo`). False on timeout.
    bool Sync(std::chrono::milliseconds timeout);

    RecorderStats Stats();
    // Store id of a relay session (0 if unknown).
    int64_t StoreSession(uint64_t relaySession);
    const std::string& StorePath() const { return m_path; }

  private:
    static constexpr size_t kTransactionBytes = 4u << 20; // payload bytes per transaction at most

    void Run();
    void WriteBatch(std::vector<proxy::TapRecord>& batch);

    std::string m_path;
    proxy::TapQueue& m_queue;
    SQLite::Database m_db; // the only read-write connection (used by the thread only)
    TraceWriter m_writer;
    Ingestor m_ingestor;
    std::mutex m_mutex;                 // guards m_stats, m_committed and the ingestor's id map
    std::condition_variable m_progress; // signalled after each commit
    RecorderStats m_stats;
    uint64_t m_committed = 0; // records applied and committed so far
    std::thread m_thread;
    std::atomic<bool> m_stopped{false};
};

} // namespace dapscope::storage
