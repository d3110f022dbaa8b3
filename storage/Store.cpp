#include "Store.hpp"

#include <algorithm>

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace dapscope::storage
{

namespace
{
constexpr int kBusyTimeoutMs = 5000;

// SQLite's global memory statistics cost a mutex per allocation; dapscope never reads them.
[[maybe_unused]] const bool kMemstatusOff = []
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
}();

void CreatePrivateFile(const std::string& path)
{
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && !std::filesystem::exists(parent))
    {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec)
            throw StoreError(path + ": cannot create folder " + parent.string() + " (" + ec.message() + ")");
        std::filesystem::permissions(parent, std::filesystem::perms::owner_all, ec);
    }
    // Created by us with 0600 so captured traffic is never world-readable; SQLite gives -wal/-shm the same mode.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        throw StoreError(path + ": cannot create the store (" + std::strerror(errno) + ")");
    ::close(fd);
}
} // namespace

std::string DefaultStorePath()
{
    if (const char* env = std::getenv("DAPSCOPE_DB"); env && *env)
        return env;
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        return std::string(xdg) + "/dapscope/traces.db";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : ".") + "/.local/share/dapscope/traces.db";
}

constexpr int kPageBytes = 16384;

SQLite::Database OpenForWriting(const std::string& path)
{
    CreatePrivateFile(path);
    try
    {
        // The writer connection is used by one thread only: skip SQLite's per-call mutexes.
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, kBusyTimeoutMs);
        // A new store gets large pages: payloads go to SQLite (and the WAL, and back at each checkpoint) a page at
        // a time, so fewer, larger pages cost less per byte. Older stores keep theirs.
        if (db.execAndGet("SELECT count(*) FROM sqlite_schema").getInt() == 0)
            db.exec("PRAGMA page_size = " + std::to_string(kPageBytes));
        Migrate(db, path);
        // The writer only appends: the pages it touches are the ends of a few B-trees. A small cache is as fast
        // (dapscope-bench-store) and keeps the proxy's memory down (SQLite's default 2 MB kept ~8 MiB of 16 KiB
        // pages resident after a churn of thousands of sessions).
        db.exec("PRAGMA cache_size = -500");
        db.exec("PRAGMA synchronous = NORMAL"); // WAL + NORMAL: a crash loses at most the last commits, never the file
        // Checkpoint every 64 MiB of WAL, not every 4 MiB: the pages a batch rewrites (the last leaf, the session
        // row, the block summary) are then copied back once per checkpoint, not over and over (ingest ~30% faster).
        int pageBytes = db.execAndGet("PRAGMA page_size").getInt();
        db.exec("PRAGMA wal_autocheckpoint = " + std::to_string((64 << 20) / std::max(pageBytes, 512)));
        // Fail now, not at the first batch of a capture, when another process holds the write lock.
        db.exec("BEGIN IMMEDIATE");
        db.exec("COMMIT");
        return db;
    }
    catch (const SQLite::Exception& e)
    {
        throw StoreError(DescribeStoreError(path, e));
    }
}

SQLite::Database OpenForReading(const std::string& path)
{
    if (!std::filesystem::exists(path))
        throw StoreError(path + ": no such store (capture something first: dapscope proxy, or dapscope demo)");
    try
    {
        {
            SQLite::Database probe(path, SQLite::OPEN_READONLY, kBusyTimeoutMs);
            int version = probe.execAndGet("PRAGMA user_version").getInt();
            bool old = version < kSchemaVersion && probe.execAndGet("PRAGMA application_id").getInt() == kApplicationId;
            if (old && ::access(path.c_str(), W_OK) == 0)
            {
                SQLite::Database writer(path, SQLite::OPEN_READWRITE, kBusyTimeoutMs);
                Migrate(writer, path);
            }
        }
        SQLite::Database db(path, SQLite::OPEN_READONLY, kBusyTimeoutMs);
        CheckReadable(db, path);
        return db;
    }
    catch (const StoreError&)
    {
        throw;
    }
    catch (const SQLite::Exception& e)
    {
        throw StoreError(DescribeStoreError(path, e));
    }
}

} // namespace dapscope::storage
