#pragma once
// The only code that writes rows: prepared statements over the single read-write connection.
// Callers group calls in transactions (Begin/Commit); nothing here is thread-safe.

#include "StoreOps.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dapscope::storage
{

namespace MessageFlag
{
enum : uint32_t
{
    Truncated = 1,  // bytes beyond --max-capture-bytes were not kept
    Elided = 2,     // bytes were dropped because capture fell behind
    Redacted = 4,   // secrets were replaced in the stored bytes
    Generated = 8,  // the proxy wrote it itself (an HTTP error it answered, a close frame it sent)
    Dropped = 16,   // a rule took it out: received, never sent (drop, close, the request a respond answered)
    Replaced = 32,  // a rule rewrote it: this is what was received, the next message of its direction what was sent
    Rewritten = 64, // a rule (or the proxy's seq renumbering) changed it: this is what was sent
};
} // namespace MessageFlag

class TraceWriter
{
  public:
    explicit TraceWriter(SQLite::Database& db);

    void Begin();
    void Commit();
    void Rollback();

    // One past the largest ids in the store: the Ingestor hands out ids itself.
    int64_t NextMessageId();
    int64_t NextSessionId();
    // One past the last block summary of `session` (0 when it has none).
    int64_t NextBlock(int64_t session);

    // Set when `session` ended, or clear it (nullopt: live again), keeping how it closed. Capture never reopens
    // a session; the GUI benchmark's synthetic sessions do (bench/SyntheticStore).
    void SetSessionEnded(int64_t session, std::optional<int64_t> endedNs);

    // Apply a batch of operations (inside the caller's transaction).
    void Apply(const StoreOps& ops);
    // Record that capture lost records between two times (store errors such as a full disk).
    void RecordGap(int64_t startedNs, int64_t endedNs, uint64_t lostRecords, const std::string& error);

  private:
    void Write(const op::BeginSession& op);
    void Write(const op::SessionUpgrade& op);
    void Write(const op::UpstreamResult& op);
    void Write(const op::InsertMessage& op);
    void Write(const op::UpdateMessage& op);
    void Write(const op::AppendChunk& op);
    void Write(const op::SessionTotals& op);
    void Write(const op::SessionFacts& op);
    void Write(const op::EndSession& op);
    void Write(const op::UpsertBlock& op);

    SQLite::Database& m_db;
    SQLite::Statement m_insertSession;
    SQLite::Statement m_sessionUpgrade;
    SQLite::Statement m_upstreamResult;
    SQLite::Statement m_sessionFacts;
    SQLite::Statement m_sessionTotals;
    SQLite::Statement m_endSession;
    SQLite::Statement m_insertMessage;
    SQLite::Statement m_updateMessage;
    SQLite::Statement m_insertChunk;
    SQLite::Statement m_upsertBlock;
    bool m_inTransaction = false; // Begin() ran without Commit()/Rollback()
};

} // namespace dapscope::storage
