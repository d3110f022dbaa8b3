#pragma once
// Removing old sessions: by hand (`dapscope prune`) or to keep the store under `--max-db-size`.
// Freed pages are reused by new captures; VACUUM (prune --vacuum) gives them back to the file system.

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dapscope::storage
{

struct PruneResult
{
    int64_t sessions = 0;
    int64_t messages = 0;
};

// Bytes the store's data occupies (pages in use, not free pages).
int64_t UsedBytes(SQLite::Database& db);

// Ended sessions that ended before `ns` (ns since the epoch), oldest first.
std::vector<int64_t> EndedSessionsBefore(SQLite::Database& db, int64_t ns);

// Delete sessions with their messages, large-message chunks and block summaries, in one transaction.
PruneResult PruneSessions(SQLite::Database& db, const std::vector<int64_t>& sessions);

// Delete the oldest ended sessions until UsedBytes() <= maxBytes (live sessions are never removed).
PruneResult EnforceSizeLimit(SQLite::Database& db, int64_t maxBytes);

// `dapscope prune`'s store: the writer connection, held while it lives. Throws StoreError.
class Pruner
{
  public:
    explicit Pruner(const std::string& path);

    enum class State : uint8_t
    {
        Missing,
        Live,
        Ended,
    };
    State SessionState(int64_t session);

    PruneResult PruneEndedBefore(int64_t ns) { return PruneSessions(m_db, EndedSessionsBefore(m_db, ns)); }
    PruneResult Prune(const std::vector<int64_t>& sessions) { return PruneSessions(m_db, sessions); }
    PruneResult KeepUnder(int64_t maxBytes) { return EnforceSizeLimit(m_db, maxBytes); }
    // Give free pages back to the file system (rewrites the file); returns UsedBytes() after it.
    int64_t Vacuum();

  private:
    SQLite::Database m_db;
};

} // namespace dapscope::storage
