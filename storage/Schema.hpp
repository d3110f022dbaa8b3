#pragma once
// The trace store's schema and its migrations (docs/trace-store.md documents every table and view).
// The version lives in PRAGMA user_version; application_id marks the file as a dapscope store.

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>

#include <stdexcept>
#include <string>

namespace dapscope::storage
{

constexpr int kSchemaVersion = 5;
constexpr int kApplicationId = 0x44415053; // "DAPS"

// A store that cannot be used: not SQLite, not dapscope's, newer than this build, locked, corrupt...
// The message is one line, meant for the user.
class StoreError : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

// A one-line explanation of an SQLite failure on the store at `path` (corrupt, locked, not a database...).
std::string DescribeStoreError(const std::string& path, const SQLite::Exception& e);
// The same for any failure met while using the store: SQLite's explained, others' what() as it is. For
// callers above storage, which do not know SQLite.
std::string DescribeStoreError(const std::string& path, const std::exception& e);

// Bring a writable store to kSchemaVersion (creating it when empty). Throws StoreError.
void Migrate(SQLite::Database& db, const std::string& path);

// Check that a store opened read-only is a dapscope store this build can read. Throws StoreError.
void CheckReadable(SQLite::Database& db, const std::string& path);

// Individual migration steps, exposed for their tests: MigrateStep(db, n) takes a store from version n to n+1.
void MigrateStep(SQLite::Database& db, int fromVersion);

} // namespace dapscope::storage
