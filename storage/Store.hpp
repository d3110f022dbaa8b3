#pragma once
// Where the trace store lives and how it is opened: one read-write connection for the single writer,
// read-only connections for everyone else (CLI, GUI, export).

#include "Schema.hpp"

#include <SQLiteCpp/Database.h>

#include <string>

namespace dapscope::storage
{

// $DAPSCOPE_DB, else $XDG_DATA_HOME/dapscope/traces.db, else ~/.local/share/dapscope/traces.db.
std::string DefaultStorePath();

// Open for writing: parent folders are created (0700), a new file is created 0600, the schema is migrated.
// Throws StoreError with a one-line message.
SQLite::Database OpenForWriting(const std::string& path);

// Open read-only. A store written by an older dapscope is migrated first when the file is writable.
// Throws StoreError (missing file, not a store, newer version, corrupt, locked).
SQLite::Database OpenForReading(const std::string& path);

} // namespace dapscope::storage
