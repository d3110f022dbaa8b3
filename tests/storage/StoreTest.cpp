// The trace store: migrations from older versions, refusal of unusable files, block-summary filters that
// agree with a plain scan, readers that see a live writer, and a kill -9 in the middle of heavy traffic.

#include "storage/Store.hpp"
#include "bench/SyntheticTraffic.hpp"
#include "net/WsClient.hpp"
#include "storage/Import.hpp"
#include "storage/Ingestor.hpp"
#include "storage/Retention.hpp"
#include "storage/TraceReader.hpp"
#include "support/ProxyProcess.hpp"
#include "support/TestProcess.hpp"
#include "support/Upstream.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;

namespace
{
std::string CopyFixture(const test::TempDir& dir, const std::string& name)
{
    std::string path = dir.File(name);
    std::filesystem::copy_file(std::string(DAPSCOPE_FIXTURES) + "/stores/" + name, path);
    return path;
}

// A store with `messages` synthetic messages in one session, written the way the recorder writes.
void WriteSynthetic(const std::string& path, size_t messages, size_t batch = 1000, bool close = true)
{
    SQLite::Database db = storage::OpenForWriting(path);
    storage::TraceWriter writer(db);
    storage::Ingestor ingestor(writer, {});
    bench::SyntheticTraffic traffic;
    std::vector<capture::TapRecord> records = traffic.Open();
    while (ingestor.Stats().messages < messages)
    {
        traffic.Next(std::min(batch, messages - ingestor.Stats().messages), records);
        writer.Begin();
        for (auto& record : records)
            ingestor.Apply(record);
        ingestor.Flush();
        writer.Commit();
        records.clear();
    }
    if (!close)
        return;
    records.push_back(traffic.Close());
    writer.Begin();
    ingestor.Apply(records.back());
    ingestor.Flush();
    writer.Commit();
}

std::vector<int64_t> Ids(const std::vector<storage::MessageSummary>& messages)
{
    std::vector<int64_t> ids;
    for (const auto& m : messages)
        ids.push_back(m.id);
    return ids;
}

// The same filter as TraceReader::Messages, evaluated by a plain scan of every row.
std::vector<int64_t> ScanIds(SQLite::Database& db, int64_t session, const std::string& where)
{
    std::vector<int64_t> ids;
    SQLite::Statement q(db, "SELECT id FROM messages WHERE session_id = ? AND (" + where + ") ORDER BY id");
    q.bind(1, session);
    while (q.executeStep())
        ids.push_back(q.getColumn(0).getInt64());
    return ids;
}

// Every page of a filtered query, concatenated.
std::vector<int64_t> PagedIds(storage::TraceReader& reader, int64_t session, const storage::MessageFilter& filter)
{
    std::vector<int64_t> ids;
    for (int64_t after = 0;;)
    {
        auto page = reader.Messages(session, filter, after, 97);
        if (page.empty())
            return ids;
        for (int64_t id : Ids(page))
            ids.push_back(id);
        after = page.back().id;
    }
}
} // namespace

TEST(Store, VersionOneStoreIsMigratedAndKeepsItsMessages)
{
    test::TempDir dir;
    std::string path = CopyFixture(dir, "v1-demo.db");
    {
        SQLite::Database before(path);
        ASSERT_EQ(before.execAndGet("PRAGMA user_version").getInt(), 1);
    }
    storage::TraceReader reader(path); // a writable older store is migrated on open
    SQLite::Database after(path);
    EXPECT_EQ(after.execAndGet("PRAGMA user_version").getInt(), storage::kSchemaVersion);
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].messages, 98);
    // The migration built block summaries, so filters work on the old messages too.
    storage::MessageFilter failed;
    failed.failedOnly = true;
    EXPECT_EQ(PagedIds(reader, sessions[0].id, failed),
              ScanIds(after, sessions[0].id, "success = 0 OR kind = 3 OR state IN (3, 4, 5, 6)"));
    storage::MessageFilter command;
    command.command = "rrext_store";
    EXPECT_EQ(PagedIds(reader, sessions[0].id, command).size(), 12u);
}

TEST(Store, VersionTwoStoreIsMigratedToWebSocketSessionsWithAnUnknownWireSize)
{
    test::TempDir dir;
    std::string path = CopyFixture(dir, "v2-demo.db"); // written by the relay before it was wire-exact
    {
        SQLite::Database before(path);
        ASSERT_EQ(before.execAndGet("PRAGMA user_version").getInt(), 2);
    }
    storage::TraceReader reader(path);
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].protocol, "websocket");
    EXPECT_FALSE(sessions[0].extensions) << "what was negotiated then is not known";
    EXPECT_EQ(sessions[0].messages, 98);
    auto messages = reader.Messages(sessions[0].id, {}, 0, 1000);
    ASSERT_EQ(messages.size(), 98u);
    for (const auto& m : messages)
    {
        EXPECT_FALSE(m.wireSize) << "message " << m.id;
        EXPECT_NE(m.kind, inspector::Kind::HttpRequest);
    }
    SQLite::Database after(path);
    EXPECT_EQ(after.execAndGet("SELECT count(*) FROM message_view WHERE kind = 'request'").getInt(),
              after.execAndGet("SELECT count(*) FROM messages WHERE kind = 0").getInt());
}

TEST(Store, EachMigrationStepRunsAlone)
{
    SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    storage::MigrateStep(db, 0);
    EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 1);
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = 'message_blocks'").getInt(), 0);
    storage::MigrateStep(db, 1);
    EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 2);
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = 'message_blocks'").getInt(), 1);
    storage::MigrateStep(db, 2);
    EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 3);
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'wire_size'").getInt(), 1);
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM pragma_table_info('sessions') WHERE name = 'protocol'").getInt(), 1);
    storage::MigrateStep(db, 3);
    EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 4);
    EXPECT_EQ(
        db.execAndGet("SELECT count(*) FROM pragma_table_info('messages') WHERE name IN ('rule', 'action')").getInt(),
        2);
    EXPECT_EQ(
        db.execAndGet("SELECT count(*) FROM pragma_table_info('message_view') WHERE name = 'synthesized'").getInt(), 1);
    storage::MigrateStep(db, 4);
    EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 5);
    EXPECT_EQ(
        db.execAndGet("SELECT count(*) FROM pragma_table_info('message_blocks') WHERE name = 'trigrams'").getInt(), 1);
    EXPECT_THROW(storage::MigrateStep(db, storage::kSchemaVersion), storage::StoreError);
}

TEST(Store, NewerStoreIsRefusedWithAClearMessage)
{
    test::TempDir dir;
    std::string path = dir.File("future.db");
    storage::OpenForWriting(path).exec("PRAGMA user_version = 99");
    try
    {
        storage::TraceReader reader(path);
        FAIL() << "a store from a newer dapscope was opened";
    }
    catch (const storage::StoreError& e)
    {
        EXPECT_NE(std::string(e.what()).find("newer dapscope"), std::string::npos) << e.what();
    }
    EXPECT_THROW(storage::OpenForWriting(path), storage::StoreError);
}

TEST(Store, UnusableFilesGetOneLineErrorsFromTheCli)
{
    test::TempDir dir;
    std::string text = dir.File("notes.txt");
    std::ofstream(text) << "this is not a database, just some notes that are long enough for SQLite to look at\n";
    std::string other = dir.File("other.db");
    SQLite::Database(other, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE).exec("CREATE TABLE t(x)");
    std::string corrupt = dir.File("corrupt.db");
    WriteSynthetic(corrupt, 5000);
    {
        // Overwrite the middle of the file: pages of the messages table become garbage.
        std::fstream file(corrupt, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(200 * 1024);
        std::string garbage(64 * 1024, '\xA5');
        file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    struct Case
    {
        std::string path;
        std::string expected;
    };
    for (const Case& c : {Case{text, "not a dapscope store"}, Case{other, "another application"},
                          Case{dir.File("missing.db"), "no such store"}, Case{corrupt, "corrupt"}})
    {
        test::TestProcess show({test::BinPath("dapscope"), "show", "1", "--db", c.path});
        auto status = show.Wait(30s);
        ASSERT_TRUE(status) << c.path;
        EXPECT_EQ(*status, 2) << c.path;
        // The message goes to stderr; the test only sees stdout, which must stay clean.
        EXPECT_EQ(show.Output(), "") << c.path;
    }
    // The same cases through the API, where the message can be checked.
    for (const Case& c : {Case{text, "not a dapscope store"}, Case{other, "another application"},
                          Case{dir.File("missing.db"), "no such store"}})
    {
        try
        {
            storage::TraceReader reader(c.path);
            FAIL() << c.path << " was opened";
        }
        catch (const storage::StoreError& e)
        {
            EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << e.what();
        }
    }
    try
    {
        storage::TraceReader reader(corrupt);
        for (int64_t after = 0;;)
        {
            auto page = reader.Messages(1, {}, after, 1000);
            if (page.empty())
                break;
            after = page.back().id;
            for (const auto& m : page)
                reader.MessageData(m.id);
        }
        ADD_FAILURE() << "reading a corrupt store raised no error";
    }
    catch (const std::exception& e)
    {
        EXPECT_NE(std::string(e.what()).find("malformed"), std::string::npos) << e.what();
    }
}

TEST(Store, LockedStoreGetsAClearErrorFromTheProxy)
{
    test::TempDir dir;
    std::string path = dir.File("traces.db");
    storage::OpenForWriting(path);
    SQLite::Database holder(path, SQLite::OPEN_READWRITE);
    holder.exec("BEGIN EXCLUSIVE");
    test::ProxyProcess proxy("", path);
    auto status = proxy.Process().Wait(30s);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, 2);
    holder.exec("ROLLBACK");
}

TEST(Store, BlockFiltersAgreeWithAPlainScan)
{
    test::TempDir dir;
    std::string path = dir.File("traces.db");
    WriteSynthetic(path, 60000, 700); // batches that do not line up with the 1,024-message blocks
    storage::TraceReader reader(path);
    SQLite::Database db(path);
    int64_t session = reader.Sessions().at(0).id;

    struct Case
    {
        storage::MessageFilter filter;
        std::string where;
    };
    std::vector<Case> cases(6);
    cases[0].filter.command = "rrext_get_task_status";
    cases[0].where = "command = 'rrext_get_task_status'";
    cases[1].filter.task = "9f86d081.webhook_2";
    cases[1].where = "task = '9f86d081.webhook_2'";
    cases[2].filter.failedOnly = true;
    cases[2].where = "success = 0 OR kind = 3 OR state IN (3, 4, 5, 6)";
    cases[3].filter.event = "apaevt_sse";
    cases[3].filter.task = "9f86d081.webhook_2";
    cases[3].where = "event = 'apaevt_sse' AND task = '9f86d081.webhook_2'";
    cases[4].filter.minLatencyNs = 100'000;
    cases[4].where = "latency_ns >= 100000";
    cases[5].filter.command = "no_such_command";
    cases[5].where = "command = 'no_such_command'";
    for (const Case& c : cases)
    {
        auto expected = ScanIds(db, session, c.where);
        EXPECT_EQ(PagedIds(reader, session, c.filter), expected) << c.where;
    }
    EXPECT_FALSE(ScanIds(db, session, cases[0].where).empty()); // the rare cases do occur
    EXPECT_FALSE(ScanIds(db, session, cases[2].where).empty());
}

TEST(Store, ReaderSeesMessagesWhileTheWriterRuns)
{
    test::TempDir dir;
    std::string path = dir.File("traces.db");
    SQLite::Database db = storage::OpenForWriting(path);
    storage::TraceWriter writer(db);
    storage::Ingestor ingestor(writer, {});
    bench::SyntheticTraffic traffic;
    std::vector<capture::TapRecord> records = traffic.Open();
    storage::TraceReader reader(path);
    int64_t seen = 0;
    for (int round = 0; round < 5; ++round)
    {
        traffic.Next(1000, records);
        writer.Begin();
        for (auto& record : records)
            ingestor.Apply(record);
        ingestor.Flush();
        writer.Commit();
        records.clear();
        auto sessions = reader.Sessions(); // the same read-only connection, after each commit
        ASSERT_EQ(sessions.size(), 1u);
        EXPECT_GT(sessions[0].messages, seen);
        EXPECT_FALSE(sessions[0].endedNs);
        seen = sessions[0].messages;
    }
    EXPECT_GE(seen, 5000);
}

TEST(Store, KillNineDuringHeavyTrafficLosesAtMostTheLastBatch)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    std::string path = dir.File("traces.db");
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), path, {"--quiet"});
    ASSERT_NE(proxy.Port(), 0);
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    int echoed = 0;
    auto deadline = std::chrono::steady_clock::now() + 2s;
    for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i)
    {
        for (int j = 0; j < 50; ++j)
            client->SendText(R"({"type":"request","seq":)" + std::to_string(i * 50 + j + 1) +
                             R"(,"command":"rrext_ping","arguments":{}})");
        for (int j = 0; j < 50; ++j)
            echoed += client->Receive(5s) ? 1 : 0;
    }
    proxy.Process().Signal(SIGKILL);
    ASSERT_TRUE(proxy.Process().Wait(10s));

    SQLite::Database db(path);
    EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
    int64_t stored = db.execAndGet("SELECT count(*) FROM messages WHERE dir = 1").getInt64();
    // A batch is at most ~50 ms of traffic: everything older than the batch being written and the one being
    // decoded is committed, i.e. all but ~100 ms of the 2 s (5%, at least 2,000 messages).
    int64_t allowed = std::max<int64_t>(2000, echoed / 20);
    EXPECT_GE(stored, echoed - allowed) << "echoed " << echoed;
    EXPECT_LE(stored, echoed);
    storage::TraceReader reader(path); // and dapscope opens it again
    EXPECT_EQ(reader.Sessions().size(), 1u);
}

TEST(Store, SizeLimitRemovesTheOldestEndedSessionsAndNeverALiveOne)
{
    test::TempDir dir;
    std::string path = dir.File("traces.db");
    for (int i = 0; i < 3; ++i)
        WriteSynthetic(path, 20000);
    WriteSynthetic(path, 20000, 1000, false); // session 4 is still live
    SQLite::Database db = storage::OpenForWriting(path);
    int64_t full = storage::UsedBytes(db);

    storage::PruneResult pruned = storage::EnforceSizeLimit(db, full * 6 / 10);
    EXPECT_EQ(pruned.sessions, 2);
    EXPECT_EQ(pruned.messages, 40000);
    EXPECT_LE(storage::UsedBytes(db), full * 6 / 10);
    std::vector<int64_t> left;
    SQLite::Statement q(db, "SELECT id FROM sessions ORDER BY id");
    while (q.executeStep())
        left.push_back(q.getColumn(0).getInt64());
    EXPECT_EQ(left, (std::vector<int64_t>{3, 4}));

    pruned = storage::EnforceSizeLimit(db, 1); // impossible: only the live session may stay
    EXPECT_EQ(pruned.sessions, 1);
    EXPECT_EQ(db.execAndGet("SELECT group_concat(id) FROM sessions").getString(), "4");
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM messages WHERE session_id != 4").getInt(), 0);
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM message_blocks WHERE session_id != 4").getInt(), 0);
}

TEST(Store, PruneCommandRefusesLiveSessionsAndRemovesEndedOnes)
{
    test::TempDir dir;
    std::string path = dir.File("traces.db");
    WriteSynthetic(path, 3000);
    WriteSynthetic(path, 3000, 1000, false);
    test::TestProcess live({test::BinPath("dapscope"), "prune", "--session", "2", "--db", path});
    EXPECT_EQ(live.Wait(30s), 2);
    test::TestProcess ended({test::BinPath("dapscope"), "prune", "--session", "1", "--db", path});
    EXPECT_TRUE(ended.WaitForLine("removed 1 session(s), 3000 message(s)", 30s)) << ended.Output();
    EXPECT_EQ(ended.Wait(30s), 0);
    storage::TraceReader reader(path);
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].id, 2);
}

// `dapscope stats N` is the per-session view: it must count that session's requests and nothing else.
TEST(Store, StatsOfOneSessionCountOnlyThatSession)
{
    test::TempDir dir;
    std::string db = dir.File("two.db");
    storage::ImportFile(db, std::string(DAPSCOPE_FIXTURES) + "/python-sdk-session.jsonl");
    storage::ImportFile(db, std::string(DAPSCOPE_FIXTURES) + "/typescript-sdk-session.jsonl");
    storage::TraceReader reader(db);
    auto requests = [](const storage::TraceStats& stats)
    {
        int64_t count = 0;
        for (const storage::CommandStats& c : stats.commands)
            count += c.count;
        return count;
    };
    SQLite::Database sql(db, SQLite::OPEN_READONLY);
    auto stored = [&](int64_t session)
    {
        return sql
            .execAndGet("SELECT count(*) FROM messages WHERE kind = 0 AND session_id = " + std::to_string(session))
            .getInt64();
    };
    ASSERT_GT(stored(1), 0);
    ASSERT_GT(stored(2), 0);
    EXPECT_EQ(requests(reader.Stats({1})), stored(1));
    EXPECT_EQ(requests(reader.Stats({2})), stored(2));
    EXPECT_EQ(requests(reader.Stats({1, 2})), stored(1) + stored(2));
    EXPECT_EQ(requests(reader.Stats({})), stored(1) + stored(2));

    // And through the CLI, which failed on this before ("ambiguous column name").
    test::TestProcess stats({test::BinPath("dapscope"), "stats", "1", "--json", "--db", db});
    EXPECT_EQ(stats.Wait(30s), 0) << stats.Output();
}
