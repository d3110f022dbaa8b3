#pragma once
// The bounded hand-off between the thread that taps traffic (the relay's, or a client replay's) and the recorder
// thread (storage::Recorder), like Tracy's Network -> Exec.
// Push never blocks on the consumer: when the bytes queued or being written exceed the budget, the chunk's
// bytes are dropped (its metadata is kept, flagged `elided` and counted) so capture can never slow the relay.
// The budget is the bound on capture memory; small chunks (JSON messages) get a reserve on top of it.

#include "TapRecord.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace dapscope::capture
{

class TapQueue
{
  public:
    explicit TapQueue(size_t byteBudget = 8u << 20) : m_budget(byteBudget) {}

    // Relay thread. Never waits for the consumer.
    void Push(TapRecord&& record);

    // Recorder thread: wait up to `timeout` for records, then move every queued record into `out`.
    // Their bytes still count against the budget until Release(): the budget bounds all capture memory.
    // Returns false once the queue is closed and empty.
    bool PopAll(std::vector<TapRecord>& out, std::chrono::milliseconds timeout);
    // The recorder is done with `bytes` payload bytes taken by PopAll.
    void Release(size_t bytes);

    // No more records will come; PopAll drains what is left and then returns false.
    void Close();

    uint64_t PushedRecords() const { return m_pushed.load(); }
    // Chunk records dropped whole because too many records were waiting (the store stopped taking writes).
    uint64_t DroppedRecords() const { return m_dropped.load(); }
    uint64_t ElidedChunks() const { return m_elidedChunks.load(); }
    uint64_t ElidedBytes() const { return m_elidedBytes.load(); }
    size_t QueuedBytes();

  private:
    static constexpr size_t kWakeRecords = 1000; // wake the recorder early once this many are waiting
    static constexpr size_t kSmallChunk = 16384; // chunks up to this size may use the reserve (budget / 4)
    static constexpr size_t kMaxRecords = 1u << 18; // waiting records (~300 bytes each) before chunks are dropped

    const size_t m_budget;                   // most payload bytes allowed to wait
    std::mutex m_mutex;                      // guards everything below it
    std::condition_variable m_ready;         // signalled on kWakeRecords, budget pressure and Close
    std::vector<TapRecord> m_records;        // waiting for the recorder
    size_t m_bytes = 0;                      // payload bytes queued or taken but not yet released
    bool m_closed = false;                   // Close() was called
    bool m_consumerWaiting = false;          // the recorder sleeps in PopAll
    std::atomic<uint64_t> m_pushed{0};       // records queued since creation
    std::atomic<uint64_t> m_dropped{0};      // chunk records dropped whole (kMaxRecords)
    std::atomic<uint64_t> m_elidedChunks{0}; // chunks whose bytes were dropped
    std::atomic<uint64_t> m_elidedBytes{0};  // bytes dropped
};

} // namespace dapscope::capture
