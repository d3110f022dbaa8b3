#pragma once
// The only code that writes rows: prepared statements over the single read-write connection.
// Callers group calls in transactions (Begin/Commit); nothing here is thread-safe.

#include "MessageBlocks.hpp"
#include "inspector/SessionInspector.hpp"

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
    Truncated = 1, // bytes beyond --max-capture-bytes were not kept
    Elided = 2,    // bytes were dropped because capture fell behind
    Redacted = 4,  // secrets were replaced in the stored bytes
};
} // namespace MessageFlag

struct SessionRow
{
    int64_t startedNs = 0;
    std::string client;
    std::string path;
    std::string upstream;
    std::string userAgent;
    std::string source = "proxy"; // 'proxy', 'import', 'replay'
    std::optional<int64_t> replayOf;
};

struct MessageRow
{
    int64_t id = 0;
    int64_t session = 0;
    inspector::Direction dir = inspector::Direction::ClientToServer;
    inspector::Opcode opcode = inspector::Opcode::Text;
    uint64_t size = 0;
    int64_t tsNs = 0;
    int64_t durNs = 0;
    uint32_t fragments = 1;
    uint32_t flags = 0;
    std::string_view data; // bytes to store (already redacted)
};

struct SessionEnd
{
    int64_t endedNs = 0;
    uint16_t closeCode = 0;
    std::string closeReason;
    std::string closedBy;
    std::string error;
};

class TraceWriter
{
  public:
    explicit TraceWriter(SQLite::Database& db);

    void Begin();
    void Commit();
    void Rollback();

    int64_t NextMessageId(); // one past the largest id in the store (the writer hands out ids itself)

    int64_t BeginSession(const SessionRow& row);
    void SetUpstreamResult(int64_t session, bool ok, std::string_view error);
    void UpdateSessionFacts(int64_t session, const inspector::SessionFacts& facts);
    void AddSessionTotals(int64_t session, uint64_t messages, uint64_t bytes, uint64_t elided);
    void EndSession(int64_t session, const SessionEnd& end);

    void InsertMessage(const MessageRow& row, const inspector::InspectedMessage& decoded);
    void UpdateMessage(const inspector::MessageUpdate& update);
    void AppendChunk(int64_t messageId, int index, std::string_view data);
    void UpsertBlock(int64_t session, const BlockSummary& block);

  private:
    SQLite::Database& m_db;
    SQLite::Statement m_insertSession;
    SQLite::Statement m_upstreamResult;
    SQLite::Statement m_sessionFacts;
    SQLite::Statement m_sessionTotals;
    SQLite::Statement m_endSession;
    SQLite::Statement m_insertMessage;
    SQLite::Statement m_updateMessage;
    SQLite::Statement m_updateMessageTask;
    SQLite::Statement m_insertChunk;
    SQLite::Statement m_upsertBlock;
    bool m_inTransaction = false; // Begin() ran without Commit()/Rollback()
};

} // namespace dapscope::storage
