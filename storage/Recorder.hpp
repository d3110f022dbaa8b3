#pragma once
// The recorder: two threads between the relay's TapQueue and the store, like Tracy's ingest pipeline.
// The decode thread drains the queue every ~50 ms (sooner under load) and turns records into batches of store
// operations (Ingestor); the write thread applies each batch in one transaction on the store's only
// read-write connection. When the store refuses writes (disk full), the write thread keeps the batch and
// retries every second while the relay goes on (the TapQueue elides and counts what does not fit); once the
// store takes writes again it records the gap in `capture_gaps` and carries on.

#include "Ingestor.hpp"
#include "capture/TapQueue.hpp"

#include <SQLiteCpp/Database.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
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
    uint64_t elided = 0;      // messages stored without (all of) their bytes (capture fell behind)
    uint64_t lostRecords = 0; // records that never reached the store (dropped, or a store error at shutdown)
    uint64_t gaps = 0;        // times the store refused writes for a while (see capture_gaps)
    std::string lastError;    // the last store error, if any
};

// Sees each batch on the decode thread before it is written (metrics). It must not block.
using BatchObserver = std::function<void(const StoreOps&)>;

class Recorder
{
  public:
    // Opens (creating/migrating) the store; throws StoreError. Starts the threads.
    Recorder(const std::string& storePath, capture::TapQueue& queue, IngestOptions options,
             BatchObserver observer = {});
    ~Recorder(); // Stop()

    // Drain everything queued, end sessions left open, commit, and stop the threads. Idempotent.
    void Stop();

    // Block until every record pushed before this call is committed (tests, `demo`). False on timeout.
    bool Sync(std::chrono::milliseconds timeout);

    RecorderStats Stats();
    // Store id of a relay session (0 if unknown).
    int64_t StoreSession(uint64_t relaySession);
    // Keep the store under this many bytes by pruning the oldest ended sessions (0 = no limit).
    void SetSizeLimit(int64_t bytes) { m_sizeLimit = bytes; }

  private:
    static constexpr size_t kBatchBytes = 4u << 20; // payload bytes per batch (SQLite keeps a transaction's pages)
    static constexpr size_t kMaxWaitingBatches = 4; // then the decode thread waits and the TapQueue absorbs

    struct Batch
    {
        StoreOps ops;
        uint64_t records = 0; // TapRecords it came from (for Sync)
        size_t tapBytes = 0;  // their payload bytes: released from the TapQueue budget once written
    };

    void DecodeLoop();
    void WriteLoop();
    void HandOff(uint64_t records, size_t tapBytes);
    void Write(Batch& batch);
    void EnforceSizeLimit();
    void ReturnFreeMemory();

    std::string m_path;
    capture::TapQueue& m_queue;
    SQLite::Database m_db; // the only read-write connection (write thread only, after construction)
    TraceWriter m_writer;  // its statements (write thread only)
    Ingestor m_ingestor;   // decode thread only (StoreSession() reads it under m_ingestMutex)
    BatchObserver m_observer;
    std::mutex m_ingestMutex;

    std::mutex m_mutex;                // guards everything below it
    std::condition_variable m_changed; // batches queued or taken, progress, stop
    std::deque<Batch> m_batches;       // waiting for the write thread
    bool m_decodeDone = false;         // no more batches will come
    RecorderStats m_stats;
    uint64_t m_committed = 0; // records whose batch is committed (or given up)

    std::atomic<int64_t> m_sizeLimit{0};                   // --max-db-size in bytes, 0 = none
    std::chrono::steady_clock::time_point m_lastSizeCheck; // the limit is checked every few seconds
    std::chrono::steady_clock::time_point m_lastTrim;      // free memory is given back every few seconds
    std::atomic<bool> m_stopping{false};
    std::thread m_decodeThread;
    std::thread m_writeThread;
};

} // namespace dapscope::storage
