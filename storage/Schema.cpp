#include "Schema.hpp"

#include "MessageBlocks.hpp"

#include <sqlite3.h>

#include <SQLiteCpp/Transaction.h>

namespace dapscope::storage
{

namespace
{
// Version 0 -> 1: sessions, messages, chunks of large messages, and the views sqlite3 users query.
const char* const kSchemaV1 = R"sql(
CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY,
    started_ns     INTEGER NOT NULL,          -- client connected (ns since the Unix epoch)
    ended_ns       INTEGER,                   -- both sides closed; NULL while live
    client         TEXT NOT NULL DEFAULT '',  -- SDK address ip:port
    path           TEXT NOT NULL DEFAULT '',  -- request path and query
    upstream       TEXT NOT NULL DEFAULT '',  -- engine ws[s]://host:port
    user_agent     TEXT NOT NULL DEFAULT '',
    upstream_ok    INTEGER,                   -- 1 connected, 0 failed, NULL not yet known
    client_name    TEXT NOT NULL DEFAULT '',  -- from the auth request
    client_version TEXT NOT NULL DEFAULT '',
    auth           TEXT NOT NULL DEFAULT '',  -- '', 'pending', 'ok', 'failed'
    close_code     INTEGER,                   -- first close code seen (1006 = vanished)
    close_reason   TEXT NOT NULL DEFAULT '',
    closed_by      TEXT NOT NULL DEFAULT '',  -- 'client', 'upstream' or 'proxy'
    error          TEXT NOT NULL DEFAULT '',  -- why the session failed, if it did
    messages       INTEGER NOT NULL DEFAULT 0,
    bytes          INTEGER NOT NULL DEFAULT 0, -- wire bytes of all messages
    elided         INTEGER NOT NULL DEFAULT 0, -- messages whose bytes were dropped (capture fell behind)
    source         TEXT NOT NULL DEFAULT 'proxy', -- 'proxy', 'import', 'replay'
    replay_of      INTEGER REFERENCES sessions(id)
);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id),
    dir         INTEGER NOT NULL,           -- 0 c2s (SDK -> engine), 1 s2c
    opcode      INTEGER NOT NULL,           -- 1 text, 2 binary, 8 close, 10 pong
    size        INTEGER NOT NULL,           -- full size on the wire
    ts_ns       INTEGER NOT NULL,           -- first byte arrived
    dur_ns      INTEGER NOT NULL DEFAULT 0, -- last byte - first byte
    fragments   INTEGER NOT NULL DEFAULT 1, -- chunks observed by the relay
    flags       INTEGER NOT NULL DEFAULT 0, -- 1 truncated, 2 elided, 4 redacted
    kind        INTEGER NOT NULL DEFAULT 3, -- 0 request, 1 response, 2 event, 3 malformed, 4 control
    seq         INTEGER,
    request_seq INTEGER,
    command     TEXT,
    subcommand  TEXT,
    event       TEXT,
    success     INTEGER,
    error       TEXT,                       -- failure message of a response
    trace       TEXT,                       -- file:line of a failure
    task        TEXT,                       -- task display id when known
    pipe_id     INTEGER,
    state       INTEGER NOT NULL DEFAULT 0, -- 0 none, 1 pending, 2 answered, 3 unanswered, 4 orphan, 5 duplicate, 6 mismatch
    pair_id     INTEGER,                    -- the paired request / response
    latency_ns  INTEGER,                    -- response first byte - request last byte
    malformed   TEXT,                       -- why the message could not be decoded
    data        BLOB                        -- captured bytes (secrets redacted); the rest of big ones in message_chunks
);
CREATE INDEX messages_by_session ON messages(session_id, id);

CREATE TABLE message_chunks (
    message_id INTEGER NOT NULL,
    idx        INTEGER NOT NULL,            -- 1, 2, ...: continue messages.data in order
    data       BLOB NOT NULL,
    PRIMARY KEY (message_id, idx)
) WITHOUT ROWID;

CREATE VIEW message_view AS
SELECT m.id, m.session_id AS session,
       strftime('%Y-%m-%dT%H:%M:%f', m.ts_ns / 1e9, 'unixepoch') AS time,
       m.ts_ns,
       CASE m.dir WHEN 0 THEN 'c2s' ELSE 's2c' END AS dir,
       CASE m.opcode WHEN 1 THEN 'text' WHEN 2 THEN 'binary' WHEN 8 THEN 'close' WHEN 9 THEN 'ping'
                     WHEN 10 THEN 'pong' ELSE 'other' END AS opcode,
       m.size,
       CASE m.kind WHEN 0 THEN 'request' WHEN 1 THEN 'response' WHEN 2 THEN 'event' WHEN 3 THEN 'malformed'
                   ELSE 'control' END AS kind,
       m.command, m.subcommand, m.event, m.seq, m.request_seq, m.success, m.error,
       m.latency_ns / 1e6 AS latency_ms, m.task,
       CASE m.state WHEN 1 THEN 'pending' WHEN 2 THEN 'answered' WHEN 3 THEN 'unanswered' WHEN 4 THEN 'orphan'
                    WHEN 5 THEN 'duplicate' WHEN 6 THEN 'mismatch' ELSE '' END AS state,
       m.pair_id, m.malformed,
       (m.flags & 1) != 0 AS truncated, (m.flags & 2) != 0 AS elided, (m.flags & 4) != 0 AS redacted,
       CASE WHEN m.opcode = 1 THEN CAST(m.data AS TEXT) END AS text
FROM messages m;

CREATE VIEW exchanges AS
SELECT q.session_id AS session, q.id AS request_id, r.id AS response_id,
       q.command, q.subcommand, q.seq, q.task,
       strftime('%Y-%m-%dT%H:%M:%f', q.ts_ns / 1e9, 'unixepoch') AS time,
       r.success, r.error, q.latency_ns / 1e6 AS latency_ms,
       CASE q.state WHEN 1 THEN 'pending' WHEN 2 THEN 'answered' WHEN 3 THEN 'unanswered'
                    WHEN 5 THEN 'duplicate' WHEN 6 THEN 'mismatch' ELSE '' END AS state
FROM messages q LEFT JOIN messages r ON r.id = q.pair_id
WHERE q.kind = 0;
)sql";

// Version 1 -> 2: block summaries (see MessageBlocks.hpp) so selective filters skip what cannot match.
const char* const kSchemaV2 = R"sql(
CREATE TABLE message_blocks (
    session_id     INTEGER NOT NULL,
    block          INTEGER NOT NULL, -- 0, 1, ...: the session's messages in groups of 1,024
    first_id       INTEGER NOT NULL, -- smallest message id in the block
    last_id        INTEGER NOT NULL, -- largest message id in the block
    names          TEXT NOT NULL,    -- '|c:command|e:event|t:task|' for every distinct one in the block
    problems       INTEGER NOT NULL, -- > 0: the block has messages the 'failed' filter shows
    max_latency_ns INTEGER,          -- largest latency in the block
    PRIMARY KEY (session_id, block)
) WITHOUT ROWID;

CREATE TABLE capture_gaps (
    id           INTEGER PRIMARY KEY,
    started_ns   INTEGER NOT NULL, -- the store stopped taking writes (first failure)
    ended_ns     INTEGER NOT NULL, -- it took them again
    lost_records INTEGER NOT NULL, -- relay records dropped meanwhile (messages whose bytes were elided are flagged)
    error        TEXT NOT NULL     -- why, e.g. 'database or disk is full'
);
)sql";

// Version 2 -> 3: the wire-exact relay. Plain HTTP connections are sessions too; WebSocket sessions record
// what SDK and engine negotiated; messages record their size on the wire beside their decoded size.
const char* const kSchemaV3 = R"sql(
ALTER TABLE sessions ADD COLUMN protocol TEXT NOT NULL DEFAULT 'websocket'; -- 'websocket' or 'http'
ALTER TABLE sessions ADD COLUMN extensions TEXT;  -- Sec-WebSocket-Extensions of the 101 ('' none; NULL unknown)
ALTER TABLE sessions ADD COLUMN subprotocol TEXT; -- Sec-WebSocket-Protocol of the 101 (NULL none)
ALTER TABLE sessions ADD COLUMN handshake TEXT;   -- the upgrade request and the 101 heads, secrets redacted
ALTER TABLE messages ADD COLUMN wire_size INTEGER; -- bytes on the wire: frame headers or HTTP head included,
                                                   -- compressed where compressed (NULL: not known)
ALTER TABLE messages ADD COLUMN method TEXT;      -- http_request: GET, POST, ...
ALTER TABLE messages ADD COLUMN path TEXT;        -- http_request: path and query (secrets redacted)
ALTER TABLE messages ADD COLUMN status INTEGER;   -- http_response: the status code
ALTER TABLE messages ADD COLUMN headers TEXT;     -- http_*: the head as sent (secrets redacted)

DROP VIEW message_view;
CREATE VIEW message_view AS
SELECT m.id, m.session_id AS session,
       strftime('%Y-%m-%dT%H:%M:%f', m.ts_ns / 1e9, 'unixepoch') AS time,
       m.ts_ns,
       CASE m.dir WHEN 0 THEN 'c2s' ELSE 's2c' END AS dir,
       CASE m.opcode WHEN 1 THEN 'text' WHEN 2 THEN 'binary' WHEN 8 THEN 'close' WHEN 9 THEN 'ping'
                     WHEN 10 THEN 'pong' ELSE 'other' END AS opcode,
       m.size, m.wire_size,
       CASE m.kind WHEN 0 THEN 'request' WHEN 1 THEN 'response' WHEN 2 THEN 'event' WHEN 3 THEN 'malformed'
                   WHEN 4 THEN 'control' WHEN 5 THEN 'http_request' ELSE 'http_response' END AS kind,
       m.command, m.subcommand, m.event, m.seq, m.request_seq, m.success, m.error,
       m.method, m.path, m.status,
       m.latency_ns / 1e6 AS latency_ms, m.task,
       CASE m.state WHEN 1 THEN 'pending' WHEN 2 THEN 'answered' WHEN 3 THEN 'unanswered' WHEN 4 THEN 'orphan'
                    WHEN 5 THEN 'duplicate' WHEN 6 THEN 'mismatch' ELSE '' END AS state,
       m.pair_id, m.malformed,
       (m.flags & 1) != 0 AS truncated, (m.flags & 2) != 0 AS elided, (m.flags & 4) != 0 AS redacted,
       (m.flags & 8) != 0 AS generated,
       CASE WHEN m.opcode = 1 OR m.kind IN (5, 6) THEN CAST(m.data AS TEXT) END AS text
FROM messages m;
)sql";

// Version 3 -> 4: rules and the control endpoint act on traffic. A message records the rule that acted on it and
// what it did; a session records whether it was relayed with them on.
const char* const kSchemaV4 = R"sql(
ALTER TABLE sessions ADD COLUMN rules INTEGER NOT NULL DEFAULT 0; -- 1: relayed with rules or the control endpoint
ALTER TABLE messages ADD COLUMN rule TEXT;   -- the rule that acted on it (NULL: none, or the proxy's renumbering)
ALTER TABLE messages ADD COLUMN action TEXT; -- what was done: delay, drop, close, respond, edit, duplicate, event,
                                             -- break (released / edited / dropped / timed out), inject, renumber
                                             -- flags: 16 dropped (received, never sent), 32 replaced (received; the
                                             -- next message of its direction is what was sent), 64 rewritten (sent
                                             -- changed); generated (8) with an action: synthesized by the proxy

DROP VIEW message_view;
CREATE VIEW message_view AS
SELECT m.id, m.session_id AS session,
       strftime('%Y-%m-%dT%H:%M:%f', m.ts_ns / 1e9, 'unixepoch') AS time,
       m.ts_ns,
       CASE m.dir WHEN 0 THEN 'c2s' ELSE 's2c' END AS dir,
       CASE m.opcode WHEN 1 THEN 'text' WHEN 2 THEN 'binary' WHEN 8 THEN 'close' WHEN 9 THEN 'ping'
                     WHEN 10 THEN 'pong' ELSE 'other' END AS opcode,
       m.size, m.wire_size,
       CASE m.kind WHEN 0 THEN 'request' WHEN 1 THEN 'response' WHEN 2 THEN 'event' WHEN 3 THEN 'malformed'
                   WHEN 4 THEN 'control' WHEN 5 THEN 'http_request' ELSE 'http_response' END AS kind,
       m.command, m.subcommand, m.event, m.seq, m.request_seq, m.success, m.error,
       m.method, m.path, m.status,
       m.latency_ns / 1e6 AS latency_ms, m.task,
       CASE m.state WHEN 1 THEN 'pending' WHEN 2 THEN 'answered' WHEN 3 THEN 'unanswered' WHEN 4 THEN 'orphan'
                    WHEN 5 THEN 'duplicate' WHEN 6 THEN 'mismatch' ELSE '' END AS state,
       m.pair_id, m.malformed,
       (m.flags & 1) != 0 AS truncated, (m.flags & 2) != 0 AS elided, (m.flags & 4) != 0 AS redacted,
       (m.flags & 8) != 0 AS generated,
       m.rule, m.action,
       (m.flags & 16) != 0 AS dropped, (m.flags & 32) != 0 AS replaced, (m.flags & 64) != 0 AS rewritten,
       (m.flags & 8) != 0 AND m.action IS NOT NULL AS synthesized,
       CASE WHEN m.opcode = 1 OR m.kind IN (5, 6) THEN CAST(m.data AS TEXT) END AS text
FROM messages m;
)sql";

// Version 4 -> 5: a Bloom filter of each block's text, so a text search reads only the blocks that may hold it
// (blocks written before have NULL: always read).
const char* const kSchemaV5 = R"sql(
ALTER TABLE message_blocks ADD COLUMN trigrams BLOB; -- AddTrigrams (MessageBlocks.hpp) of the block's text
)sql";

// Summaries for the messages a version-1 store already holds, built the way the writer builds them.
void BackfillBlocks(SQLite::Database& db)
{
    SQLite::Statement messages(db, "SELECT session_id, id, command, event, task, success, kind, state, latency_ns "
                                   "FROM messages ORDER BY session_id, id");
    SQLite::Statement insert(db, "INSERT INTO message_blocks (session_id, block, first_id, last_id, names, problems, "
                                 "max_latency_ns) VALUES (?, ?, ?, ?, ?, ?, ?)");
    auto write = [&](int64_t session, SessionBlocks& blocks)
    {
        for (const BlockSummary* block : blocks.TakeDirty())
        {
            std::string names = block->NamesColumn();
            insert.bind(1, session);
            insert.bind(2, block->block);
            insert.bind(3, block->firstId);
            insert.bind(4, block->lastId);
            insert.bind(5, names);
            insert.bind(6, block->problems);
            if (block->maxLatencyNs >= 0)
                insert.bind(7, block->maxLatencyNs);
            else
                insert.bind(7);
            insert.exec();
            insert.reset();
        }
    };
    int64_t session = -1;
    SessionBlocks blocks;
    while (messages.executeStep())
    {
        int64_t next = messages.getColumn(0).getInt64();
        if (next != session)
        {
            write(session, blocks);
            blocks = SessionBlocks();
            session = next;
        }
        auto text = [&](int column)
        { return messages.getColumn(column).isNull() ? std::string() : messages.getColumn(column).getString(); };
        BlockEntry entry;
        entry.id = messages.getColumn(1).getInt64();
        entry.command = text(2);
        entry.event = text(3);
        entry.task = text(4);
        int state = messages.getColumn(7).getInt();
        entry.problem = (!messages.getColumn(5).isNull() && messages.getColumn(5).getInt() == 0) ||
                        messages.getColumn(6).getInt() == 3 || (state >= 3 && state <= 6);
        entry.latencyNs = messages.getColumn(8).isNull() ? -1 : messages.getColumn(8).getInt64();
        blocks.Add(entry);
    }
    write(session, blocks);
}

int UserVersion(SQLite::Database& db)
{
    return db.execAndGet("PRAGMA user_version").getInt();
}

int ApplicationId(SQLite::Database& db)
{
    return db.execAndGet("PRAGMA application_id").getInt();
}

bool HasTables(SQLite::Database& db)
{
    return db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").getInt() > 0;
}

// Turn SQLite's terse errors into something a user can act on.
[[noreturn]] void Rethrow(const SQLite::Exception& e, const std::string& path)
{
    throw StoreError(DescribeStoreError(path, e));
}

void CheckIdentity(SQLite::Database& db, const std::string& path)
{
    int version = UserVersion(db);
    if (ApplicationId(db) != kApplicationId)
    {
        if (HasTables(db))
            throw StoreError(path + ": not a dapscope store (an SQLite database of another application)");
        return; // empty: a new store
    }
    if (version > kSchemaVersion)
        throw StoreError(path + ": written by a newer dapscope (store version " + std::to_string(version) +
                         ", this build reads up to " + std::to_string(kSchemaVersion) + "); upgrade dapscope");
}
} // namespace

std::string DescribeStoreError(const std::string& path, const SQLite::Exception& e)
{
    switch (e.getErrorCode())
    {
    case SQLITE_NOTADB:
        return path + ": not a dapscope store (not an SQLite database)";
    case SQLITE_CORRUPT:
        return path + ": the store is corrupt (" + e.what() + "); `sqlite3 " + path + " .recover` may save its data";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return path + ": the store is locked by another process";
    case SQLITE_CANTOPEN:
        return path + ": cannot open the store (" + e.what() + ")";
    case SQLITE_READONLY:
        return path + ": the store is read-only";
    case SQLITE_FULL:
        return path + ": the disk is full";
    default:
        return path + ": " + e.what();
    }
}

std::string DescribeStoreError(const std::string& path, const std::exception& e)
{
    if (const auto* sqlite = dynamic_cast<const SQLite::Exception*>(&e))
        return DescribeStoreError(path, *sqlite);
    return e.what();
}

void MigrateStep(SQLite::Database& db, int fromVersion)
{
    switch (fromVersion)
    {
    case 0:
        db.exec(kSchemaV1);
        break;
    case 1:
        db.exec(kSchemaV2);
        BackfillBlocks(db);
        break;
    case 2:
        db.exec(kSchemaV3);
        break;
    case 3:
        db.exec(kSchemaV4);
        break;
    case 4:
        db.exec(kSchemaV5);
        break;

    default:
        throw StoreError("no migration from store version " + std::to_string(fromVersion));
    }
    db.exec("PRAGMA user_version = " + std::to_string(fromVersion + 1));
    db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
}

void Migrate(SQLite::Database& db, const std::string& path)
{
    try
    {
        CheckIdentity(db, path);
        db.exec("PRAGMA journal_mode = WAL");
        for (int version = UserVersion(db); version < kSchemaVersion; ++version)
        {
            SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
            MigrateStep(db, version);
            transaction.commit();
        }
    }
    catch (const SQLite::Exception& e)
    {
        Rethrow(e, path);
    }
}

void CheckReadable(SQLite::Database& db, const std::string& path)
{
    try
    {
        CheckIdentity(db, path);
        if (ApplicationId(db) != kApplicationId)
            throw StoreError(path + ": empty, not a dapscope store yet");
    }
    catch (const SQLite::Exception& e)
    {
        Rethrow(e, path);
    }
}

} // namespace dapscope::storage
