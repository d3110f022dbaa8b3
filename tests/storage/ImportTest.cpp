// Import: a HAR written by Chrome DevTools, the shared SDK sample sessions, other tools' HAR quirks, and
// malformed files, each refused with its position and without touching the store; files parsed as they are read
// (whatever the block size, in memory bounded by the largest message, --max-message-bytes).

#include "storage/Import.hpp"
#include "cli/Format.hpp"
#include "storage/ExportEncoding.hpp"
#include "storage/ImportParse.hpp"
#include "storage/TraceReader.hpp"
#include "support/TestProcess.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <random>
#include <thread>

using namespace dapscope;
using inspector::Direction;
using inspector::ExchangeState;
using inspector::Kind;
using inspector::Opcode;

namespace
{
const std::string kFixtures = DAPSCOPE_FIXTURES;

std::string ReadAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void WriteAll(const std::string& path, std::string_view bytes)
{
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<storage::MessageSummary> AllMessages(storage::TraceReader& reader, int64_t session)
{
    return reader.Messages(session, {}, 0, 1000000);
}

// Every request of the session got its response.
void ExpectEveryRequestAnswered(storage::TraceReader& reader, int64_t session)
{
    int requests = 0;
    for (const auto& m : AllMessages(reader, session))
        if (m.kind == Kind::Request)
        {
            ++requests;
            EXPECT_EQ(m.state, ExchangeState::Answered) << "message " << m.id << " " << m.command;
        }
    EXPECT_GT(requests, 5);
}

struct Counts
{
    int64_t sessions = 0;
    int64_t messages = 0;
    bool operator==(const Counts&) const = default;
};

Counts CountRows(const std::string& db)
{
    SQLite::Database read(db, SQLite::OPEN_READONLY);
    return {read.execAndGet("SELECT count(*) FROM sessions").getInt64(),
            read.execAndGet("SELECT count(*) FROM messages").getInt64()};
}

class SdkFixture : public ::testing::TestWithParam<std::pair<std::string, std::string>>
{
};

struct BadFile
{
    std::string name;     // file name (its extension does not matter: the content decides)
    std::string content;  // what is in it
    std::string expected; // part of the error, after the file name
};

class MalformedFile : public ::testing::TestWithParam<BadFile>
{
};

std::string TruncatedFixture(const std::string& name, size_t keep)
{
    return ReadAll(kFixtures + "/" + name).substr(0, keep);
}

std::string ChromeHarWith(const std::string& from, const std::string& to)
{
    std::string har = ReadAll(kFixtures + "/har/chrome-websocket.har");
    size_t at = har.find(from); // if the fixture changes, the unchanged file imports and the test fails
    return at == std::string::npos ? har : har.replace(at, from.size(), to);
}
} // namespace

TEST(Import, ChromeDevToolsHarBecomesADecodedSession)
{
    test::TempDir dir;
    const std::string db = dir.File("traces.db");
    storage::ImportResult result = storage::ImportFile(db, kFixtures + "/har/chrome-websocket.har");
    ASSERT_EQ(result.sessions.size(), 1u); // the page's own HTTP request is not a session
    EXPECT_EQ(result.messages, 32u);

    storage::TraceReader reader(db);
    auto session = reader.Session(result.sessions[0]);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->source, "import");
    EXPECT_EQ(session->upstream, "ws://localhost:5565");
    EXPECT_EQ(session->path, "/task/service");
    EXPECT_TRUE(session->userAgent.starts_with("Mozilla/5.0 (X11; Linux x86_64)"));
    EXPECT_EQ(session->upstreamOk, true);
    EXPECT_EQ(session->clientName, "TypeScript SDK");
    EXPECT_EQ(session->auth, "ok");
    EXPECT_TRUE(session->endedNs);
    EXPECT_EQ(session->messages, 32);
    ExpectEveryRequestAnswered(reader, session->id);

    auto messages = AllMessages(reader, session->id);
    ASSERT_EQ(messages.size(), 32u);
    EXPECT_EQ(messages[0].command, "auth");
    EXPECT_EQ(messages[0].dir, Direction::ClientToServer);
    EXPECT_EQ(messages[0].tsNs, 1796036841719618000); // "time": 1796036841.7196176, to the microsecond
    EXPECT_EQ(messages[1].dir, Direction::ServerToClient);
    EXPECT_EQ(messages[9].success, false); // the engine's error reply
    const auto binary =
        std::find_if(messages.begin(), messages.end(), [](const auto& m) { return m.opcode == Opcode::Binary; });
    ASSERT_NE(binary, messages.end());
    EXPECT_EQ(binary->subcommand, "write");
    EXPECT_TRUE(reader.MessageData(binary->id)
                    .ends_with("Hello from the RocketRide proxy harness! \xC3\xA9\xC3\xA8\xC3\xBC "
                               "\xE2\x9C\x93"));
    EXPECT_EQ(reader.MessageData(messages[0].id).find("sk-example-chrome-0000"), std::string::npos);
}

TEST_P(SdkFixture, ImportsDecodedWithEveryRequestAnsweredAndTheKeyNowhereInTheStore)
{
    const auto& [file, key] = GetParam();
    test::TempDir dir;
    const std::string db = dir.File("traces.db");
    storage::ImportFile(db, kFixtures + "/python-sdk-session.jsonl"); // the store is not new
    // A reader keeps the WAL in place, so the bytes just written are in traces.db-wal when it is read.
    storage::TraceReader reader(db);
    storage::ImportResult result = storage::ImportFile(db, kFixtures + "/" + file);
    ASSERT_EQ(result.sessions, std::vector<int64_t>{2});
    EXPECT_EQ(result.messages, 137u);

    auto session = reader.Session(2);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->messages, 137);
    EXPECT_EQ(session->auth, "ok");
    ExpectEveryRequestAnswered(reader, 2);

    // The bytes are those of the file, redacted: the first request keeps its shape, the key is replaced.
    auto first = storage::ParseJsonl(ReadAll(kFixtures + "/" + file), file)[0].messages[0].data;
    std::string stored = reader.MessageData(AllMessages(reader, 2)[0].id);
    EXPECT_NE(first.find(key), std::string::npos);
    EXPECT_EQ(stored.find(key), std::string::npos);
    EXPECT_NE(stored.find("[redacted:"), std::string::npos);

    std::string files = ReadAll(db) + ReadAll(db + "-wal");
    EXPECT_GT(ReadAll(db + "-wal").size(), 0u);
    EXPECT_NE(files.find("rrext_process"), std::string::npos); // the search below looks at real content
    EXPECT_EQ(files.find(key), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Import, SdkFixture,
                         ::testing::Values(std::pair{"python-sdk-session.jsonl", "sk-example-python-0000"},
                                           std::pair{"typescript-sdk-session.jsonl", "sk-example-ts-0000"}));

TEST(Import, OtherToolsHarQuirks)
{
    // mitmproxy: http(s) URL for the WebSocket, compact one-line file; Chrome: a message split in frames
    // (opcode 0 continues the last message of that direction) and "error" entries that are no messages.
    const std::string har =
        R"({"log":{"version":"1.2","creator":{"name":"mitmproxy","version":"11.0"},"entries":[{"startedDateTime":)"
        R"("2026-11-27T04:21:00.500000+00:00","request":{"method":"GET","url":"https://engine.example:5566/task/service?x=1",)"
        R"("headers":[{"name":"user-agent","value":"python-websockets/13"}]},"response":{"status":101},)"
        R"("_resourceType":"websocket","_webSocketMessages":[)"
        R"({"type":"send","time":1795753260.5,"opcode":1,"data":"{\"type\":\"request\",\"seq\":1,"},)"
        R"({"type":"receive","time":1795753260.6,"opcode":2,"data":"AAE="},)"
        R"({"type":"send","time":1795753260.7,"opcode":0,"data":"\"command\":\"rrext_ping\"}"},)"
        R"({"type":"error","time":1795753260.8,"opcode":-1,"data":"net::ERR_CONNECTION_RESET"},)"
        R"({"type":"receive","time":1795753260.9,"opcode":0,"data":"Ag=="}]}]}})";
    auto sessions = storage::ParseImport(har, "flows.har");
    ASSERT_EQ(sessions.size(), 1u);
    const storage::ImportedSession& s = sessions[0];
    EXPECT_EQ(s.upstream, "wss://engine.example:5566");
    EXPECT_EQ(s.path, "/task/service?x=1");
    EXPECT_EQ(s.userAgent, "python-websockets/13");
    EXPECT_EQ(s.startedNs, 1795753260500000000);
    EXPECT_EQ(s.upstreamOk, true);
    ASSERT_EQ(s.messages.size(), 2u);
    EXPECT_EQ(s.messages[0].data, R"({"type":"request","seq":1,"command":"rrext_ping"})");
    EXPECT_EQ(s.messages[0].durNs, 200000000);
    EXPECT_EQ(s.messages[1].opcode, Opcode::Binary);
    EXPECT_EQ(s.messages[1].data, std::string("\x00\x01\x02", 3));
    EXPECT_EQ(s.messages[1].size, 3u);
}

TEST(Import, JsonlWithoutHeadersSplitsWhereTheSessionChanges)
{
    const std::string jsonl = R"({"session":4,"dir":"c2s","opcode":"text","ts_ns":1000,"data":"a"}
{"session":4,"dir":"s2c","opcode":"binary","ts_ns":2000,"data_b64":"/w=="}

{"session":9,"dir":"c2s","opcode":"close","ts_ns":3000,"data_b64":"A+g="}
)";
    auto sessions = storage::ParseImport(jsonl, "x.jsonl");
    ASSERT_EQ(sessions.size(), 2u);
    ASSERT_EQ(sessions[0].messages.size(), 2u);
    EXPECT_EQ(sessions[0].messages[1].data, "\xFF");
    ASSERT_EQ(sessions[1].messages.size(), 1u);
    EXPECT_EQ(sessions[1].messages[0].opcode, Opcode::Close);
    EXPECT_EQ(sessions[1].messages[0].data, "\x03\xE8");
}

TEST_P(MalformedFile, IsRefusedWithItsPositionAndTheStoreIsUnchanged)
{
    const BadFile& bad = GetParam();
    test::TempDir dir;
    const std::string db = dir.File("traces.db");
    storage::ImportFile(db, kFixtures + "/typescript-sdk-session.jsonl");
    const Counts before = CountRows(db);

    const std::string path = dir.File(bad.name);
    WriteAll(path, bad.content);
    try
    {
        storage::ImportFile(db, path);
        ADD_FAILURE() << "imported " << bad.name;
    }
    catch (const storage::ImportError& e)
    {
        EXPECT_EQ(std::string(e.what()), path + bad.expected);
    }
    EXPECT_EQ(CountRows(db), before);
}

INSTANTIATE_TEST_SUITE_P(
    Import, MalformedFile,
    ::testing::Values(
        BadFile{"notes.txt", "hello, world\n", ":1:1: not JSON (syntax error)"},
        BadFile{"empty.jsonl", "\n  \n", ": empty file, nothing to import"},
        BadFile{"shape.har", "{\n  \"log\": {\"entries\": {}}\n}\n", ": not a HAR file (no log.entries array)"},
        BadFile{"http.har", R"({"log":{"entries":[{"request":{"url":"http://a/"}}]}})",
                ": no WebSocket entries (with _webSocketMessages) to import"},
        BadFile{"cut.har", TruncatedFixture("har/chrome-websocket.har", 5000),
                ":176:4: truncated: the JSON ends in the middle of a value"},
        BadFile{"cut.jsonl", TruncatedFixture("python-sdk-session.jsonl", 3000),
                ":6:1485: truncated: the JSON ends in the middle of a value"},
        BadFile{"opcode.har", ChromeHarWith("\"opcode\": 2", "\"opcode\": 7"),
                ": log.entries[1]._webSocketMessages[21]: \"opcode\" 7 is not 1 (text), 2 (binary) or 0 "
                "(continuation)"},
        BadFile{"base64.har", ChromeHarWith("\"data\": \"eyJ0eXBl", "\"data\": \"@@eyJ0eXBl"),
                ": log.entries[1]._webSocketMessages[21]: \"data\" is not valid base64"},
        BadFile{"time.har", ChromeHarWith("\"time\": 1796036841.7196176,", ""),
                ": log.entries[1]._webSocketMessages[0]: no \"time\""},
        BadFile{"type.har", ChromeHarWith("\"type\": \"receive\"", "\"type\": \"recv\""),
                ": log.entries[1]._webSocketMessages[1]: \"type\" must be send or receive"},
        BadFile{"opcode.jsonl",
                "{\"dir\":\"c2s\",\"t\":1.5,\"opcode\":\"text\",\"data\":\"{}\"}\n"
                "{\"dir\":\"s2c\",\"t\":1.6,\"opcode\":\"continuation\",\"data\":\"{}\"}\n",
                ":2: \"opcode\" must be text, binary, close, ping or pong"},
        BadFile{"base64.jsonl", "{\"dir\":\"c2s\",\"t\":1.5,\"opcode\":\"binary\",\"data_b64\":\"AB=C\"}\n",
                ":1: \"data_b64\" is not valid base64"},
        BadFile{"dir.jsonl", "\n{\"dir\":\"up\",\"t\":1.5,\"opcode\":\"text\",\"data\":\"x\"}\n",
                ":2: \"dir\" must be \"c2s\" or \"s2c\""},
        BadFile{"controls.har",
                R"({"log":{"entries":[{"_webSocketMessages":[],"_dapscope":{"control_frames":[)"
                R"({"index":3,"dir":"c2s","opcode":"close","ts_ns":1,"data_b64":""}]}}]}})",
                ": log.entries[0]._dapscope.control_frames[0]: \"index\" 3 is out of order"},
        BadFile{"array.jsonl", "[1, 2]\n", ":1: expected a JSON object"},
        BadFile{"two.jsonl", "{\"dir\":\"c2s\",\"t\":1,\"opcode\":\"text\",\"data\":\"\"} {}\n",
                ":1:47: more than one JSON value"}),
    [](const auto& info)
    {
        std::string name = info.param.name;
        std::replace(name.begin(), name.end(), '.', '_');
        return name;
    });

// The old importer refused files over 256 MiB (it held them whole); now only their content counts. A sparse file
// (no disk) of "{}" and NUL bytes is refused for its second byte, after one block of it has been read.
TEST(Import, AFileOverTheOld256MiBLimitIsJudgedByItsContentNotItsSize)
{
    test::TempDir dir;
    const std::string db = dir.File("traces.db");
    storage::ImportFile(db, kFixtures + "/python-sdk-session.jsonl");
    const std::string huge = dir.File("huge.jsonl");
    WriteAll(huge, "{}");
    std::filesystem::resize_file(huge, (size_t(256) << 20) + 1);
    try
    {
        storage::ImportFile(db, huge);
        ADD_FAILURE() << "imported a file of NUL bytes";
    }
    catch (const storage::ImportError& e)
    {
        EXPECT_EQ(std::string(e.what()), huge + ":1:3: more than one JSON value");
    }
    EXPECT_EQ(CountRows(db), (Counts{1, 137}));
}

TEST(Import, RedactionOptionsApplyAsForACapture)
{
    test::TempDir dir;
    const std::string db = dir.File("traces.db");
    const std::string fixture = kFixtures + "/python-sdk-session.jsonl";
    storage::ImportFile(db, fixture, {.enabled = false});
    storage::ImportFile(db, fixture, {.enabled = true, .userRules = {"$.arguments.clientName"}});
    storage::TraceReader reader(db);
    std::string plain = reader.MessageData(AllMessages(reader, 1)[0].id);
    std::string redacted = reader.MessageData(AllMessages(reader, 2)[0].id);
    EXPECT_NE(plain.find("sk-example-python-0000"), std::string::npos); // --no-redact
    EXPECT_NE(plain.find("Python SDK"), std::string::npos);
    EXPECT_EQ(redacted.find("sk-example-python-0000"), std::string::npos);
    EXPECT_EQ(redacted.find("Python SDK"), std::string::npos); // --redact '$.arguments.clientName'
}

TEST(Import, MissingFileIsAnImportError)
{
    test::TempDir dir;
    EXPECT_THROW(storage::ImportFile(dir.File("traces.db"), dir.File("nope.har")), storage::ImportError);
    EXPECT_FALSE(std::filesystem::exists(dir.File("traces.db"))); // no store is created for nothing
}

// ---- Streaming ----

namespace
{
// Every row of every table, as text, sorted: two stores with the same digest hold the same data.
std::string StoreDigest(const std::string& db)
{
    SQLite::Database read(db, SQLite::OPEN_READONLY);
    std::vector<std::string> tables;
    SQLite::Statement list(read, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
    while (list.executeStep())
        tables.push_back(list.getColumn(0).getString());
    std::string digest;
    for (const std::string& table : tables)
    {
        std::vector<std::string> rows;
        SQLite::Statement select(read, "SELECT * FROM \"" + table + "\"");
        while (select.executeStep())
        {
            std::string row;
            for (int i = 0; i < select.getColumnCount(); ++i)
                row += (select.getColumn(i).isNull() ? "NULL" : select.getColumn(i).getString()) + "\x1F";
            rows.push_back(std::move(row));
        }
        std::sort(rows.begin(), rows.end());
        digest += table + ": " + std::to_string(rows.size()) + " rows, hash " +
                  std::to_string(std::hash<std::string>{}(std::accumulate(rows.begin(), rows.end(), std::string()))) +
                  "\n";
    }
    return digest;
}

// A dapscope HAR of `sessions` sessions (the SDK fixtures, alternately), about 140 KB each.
std::string ExportedHar(const test::TempDir& dir, int sessions)
{
    const std::string db = dir.File("source.db");
    std::vector<int64_t> ids;
    for (int i = 0; i < sessions; ++i)
    {
        auto result = storage::ImportFile(
            db, kFixtures + (i % 2 ? "/typescript-sdk-session.jsonl" : "/python-sdk-session.jsonl"));
        ids.push_back(result.sessions.at(0));
    }
    storage::TraceReader reader(db);
    cli::ExportSessions(reader, ids, storage::ExportFormat::Har, dir.File("source.har"));
    return ReadAll(dir.File("source.har"));
}

// Everything a parse gave, as text (for comparing two parses).
std::string Describe(const std::vector<storage::ImportedSession>& sessions)
{
    std::string text;
    for (const auto& s : sessions)
    {
        text += "session " + std::to_string(s.startedNs.value_or(-1)) + " " + std::to_string(s.endedNs.value_or(-1)) +
                " " + s.client + " " + s.path + " " + s.upstream + " " + s.userAgent + " " +
                std::to_string(s.upstreamOk.value_or(false)) + std::to_string(s.upstreamOk.has_value()) + " " +
                std::to_string(s.closeCode) + " " + s.closeReason + " " + s.closedBy + " " + s.error + " " +
                s.protocol + " " + s.handshake + "\n";
        for (const auto& m : s.messages)
            text += std::to_string(static_cast<int>(m.dir)) + " " + std::to_string(static_cast<int>(m.opcode)) + " " +
                    std::to_string(m.tsNs) + " " + std::to_string(m.durNs) + " " + std::to_string(m.size) + " " +
                    std::to_string(m.wireSize.value_or(0)) + " " + std::to_string(m.truncated) +
                    std::to_string(m.elided) + std::to_string(m.redacted) + std::to_string(m.generated) + " " + m.http +
                    " " + m.head + " " + storage::Base64Encode(m.data) + "\n";
    }
    return text;
}

std::vector<storage::ImportedSession> ParseInBlocks(std::string_view bytes, std::function<size_t()> nextBlock)
{
    storage::MemorySource source(bytes, std::move(nextBlock));
    storage::CollectSink sink;
    storage::ParseImport(source, "x", sink, {.blockBytes = 1 << 16});
    return std::move(sink.sessions);
}

// A Chrome-style HAR entry (no `_dapscope`) with these `_webSocketMessages` items.
std::string WebSocketHar(const std::vector<std::string>& items)
{
    std::string har = R"({"log":{"entries":[{"request":{"url":"ws://e:5565/task/service"},"_webSocketMessages":[)";
    for (size_t i = 0; i < items.size(); ++i)
        har += (i ? "," : "") + items[i];
    return har + "]}]}}";
}

std::string Item(const std::string& type, int opcode, const std::string& data, double time = 1795753260.5)
{
    return R"({"type":")" + type + R"(","time":)" + std::to_string(time) + R"(,"opcode":)" + std::to_string(opcode) +
           R"(,"data":")" + data + R"("})";
}
} // namespace

TEST(Import, TheSameSessionsWhateverTheBlocksTheFileIsReadIn)
{
    test::TempDir dir;
    const std::vector<std::string> files = {
        ReadAll(kFixtures + "/har/chrome-websocket.har"),
        ReadAll(kFixtures + "/python-sdk-session.jsonl"),
        "\xEF\xBB\xBF" + ReadAll(kFixtures + "/typescript-sdk-session.jsonl"),
        ExportedHar(dir, 2),
    };
    std::mt19937 rng(17);
    for (size_t f = 0; f < files.size(); ++f)
    {
        const std::string whole = Describe(storage::ParseImport(files[f], "x"));
        ASSERT_GT(whole.size(), 10000u);
        EXPECT_TRUE(Describe(ParseInBlocks(files[f], [] { return size_t(1); })) == whole) << "file " << f;
        EXPECT_TRUE(Describe(ParseInBlocks(files[f], [] { return size_t(7); })) == whole) << "file " << f;
        EXPECT_TRUE(Describe(ParseInBlocks(files[f], [&] { return size_t(1 + rng() % 5000); })) == whole)
            << "file " << f;
    }
}

// Found by FuzzImport: Boost.JSON rounds a number split between two blocks differently from one read whole.
TEST(Import, ATimeSplitBetweenBlocksIsReadAsTheSameNumber)
{
    const std::string line = R"({"dir": "c2s", "t": 1785752441.41154154, "opcode": "text", "data": "{}"})"
                             "\n";
    auto parse = [&](std::function<size_t()> blocks)
    {
        storage::MemorySource source(line, std::move(blocks));
        storage::CollectSink sink;
        storage::ParseJsonl(source, "x", sink, {.blockBytes = 1 << 16});
        return Describe(sink.sessions);
    };
    const std::string whole = parse({});
    for (size_t cut = 1; cut < line.size(); ++cut)
    {
        bool first = true;
        EXPECT_EQ(parse([&] { return std::exchange(first, false) ? cut : line.size(); }), whole) << "cut at " << cut;
    }
}

// Boost.JSON 1.81 garbles a long string whose UTF-8 sequences are split between two write_some calls; the
// importer's blocks end between sequences. A 300 KB string of 2- and 3-byte characters, in blocks of several
// sizes and at several alignments, as JSONL and as HAR.
TEST(Import, ALongStringOfMultiByteCharactersIsReadExactlyWhateverTheBlocks)
{
    std::string text;
    while (text.size() < 300000)
        text += "caf\xC3\xA9 \xE2\x9C\x93 ";
    for (size_t blockBytes : {size_t(4096), size_t(1) << 16})
        for (int pad = 0; pad < 4; ++pad)
        {
            const std::string padding(pad, 'x');
            const std::string jsonl =
                R"({"dir":"s2c","t":1.5,"opcode":"text","pad":")" + padding + R"(","data":")" + text + "\"}\n";
            const std::string har = WebSocketHar({Item("receive", 1, padding + text)});
            for (const std::string* file : {&jsonl, &har})
            {
                storage::MemorySource source(*file, {});
                storage::CollectSink sink;
                storage::ParseImport(source, "x", sink, {.blockBytes = blockBytes});
                ASSERT_EQ(sink.sessions.size(), 1u);
                EXPECT_TRUE(sink.sessions[0].messages.back().data == (file == &har ? padding : "") + text)
                    << (file == &har ? "har" : "jsonl") << ", blocks of " << blockBytes << ", pad " << pad;
            }
        }
}

TEST(Import, AHarCutOffAt90PercentIsRefusedAndTheStoreIsUnchanged)
{
    test::TempDir dir;
    const std::string har = ExportedHar(dir, 10);
    const std::string db = dir.File("traces.db");
    storage::ImportFile(db, kFixtures + "/typescript-sdk-session.jsonl");
    storage::ImportFile(db, kFixtures + "/har/chrome-websocket.har");
    const std::string before = StoreDigest(db);
    auto refusal = [&](const std::string& file, uint64_t& read)
    {
        try
        {
            storage::ImportFile(db, file, {}, [&](uint64_t done, uint64_t) { read = std::max(read, done); },
                                {.blockBytes = 4096});
            return std::string("imported");
        }
        catch (const storage::ImportError& e)
        {
            return std::string(e.what());
        }
    };

    // Cut short: the whole file is checked before anything is imported.
    const std::string cut = dir.File("cut.har");
    WriteAll(cut, std::string_view(har).substr(0, har.size() * 9 / 10));
    uint64_t read = 0;
    std::string error = refusal(cut, read);
    EXPECT_TRUE(error.starts_with(cut + ":")) << error;
    EXPECT_TRUE(error.ends_with(": truncated: the JSON ends in the middle of a value")) << error;
    EXPECT_EQ(read, 0u);
    EXPECT_EQ(StoreDigest(db), before);

    // Valid JSON with a bad message in the last session: the nine sessions before it (1,233 messages) are read and
    // written, and flushed to SQLite (every 1,000 messages) in the import's transaction, which is rolled back.
    const std::string bad = dir.File("bad.har");
    std::string changed = har;
    changed.replace(changed.rfind("\"opcode\":1,"), 11, "\"opcode\":7,");
    WriteAll(bad, changed);
    read = 0;
    error = refusal(bad, read);
    EXPECT_TRUE(error.starts_with(bad + ": log.entries[9]._webSocketMessages[")) << error;
    EXPECT_TRUE(error.ends_with("\"opcode\" 7 is not 1 (text), 2 (binary) or 0 (continuation)")) << error;
    EXPECT_GT(read, changed.size() * 8 / 10) << "the sessions before it were read";
    EXPECT_EQ(StoreDigest(db), before);
    EXPECT_EQ(CountRows(db), (Counts{2, 169}));

    // Into a store that was not there: it is not there after.
    EXPECT_THROW(storage::ImportFile(dir.File("new.db"), bad), storage::ImportError);
    EXPECT_FALSE(std::filesystem::exists(dir.File("new.db")));
    EXPECT_FALSE(std::filesystem::exists(dir.File("new.db-wal")));
}

// Stand-in for a HAR over the old 256 MiB limit (too big for `make test`): the old importer held the whole file
// (about five times its size in memory) and so refused big ones. A 64 MB HAR imports with a peak RSS below
// 48 MiB: the file is never held whole, so its size no longer matters. (The test above with a sparse file shows
// that no size check is left.) The peak is polled while the process runs: the old importer's peak comes early.
TEST(Import, A64MBHarImportsInLessMemoryThanItsSize)
{
    test::TempDir dir;
    const std::string har = dir.File("big.har");
    const std::string payload(600, 'x');
    size_t messages = 0;
    {
        std::ofstream out(har, std::ios::binary);
        out << R"({"log":{"entries":[{"request":{"url":"ws://e:5565/task/service"},"_webSocketMessages":[)";
        for (size_t bytes = 0; bytes < (64u << 20); ++messages)
        {
            std::string item = std::string(messages ? "," : "") + R"({"type":")" + (messages % 2 ? "receive" : "send") +
                               R"(","time":)" + std::to_string(1795753260 + messages / 1000) +
                               R"(,"opcode":1,"data":"{\"type\":\"event\",\"seq\":)" + std::to_string(messages) +
                               R"(,\"body\":\")" + payload + R"(\"}"})" + "\n";
            out << item;
            bytes += item.size();
        }
        out << "]}]}}\n";
    }
    ASSERT_GT(std::filesystem::file_size(har), 64u << 20);

    const std::string db = dir.File("traces.db");
    test::TestProcess importer({test::BinPath("dapscope"), "import", har, "--db", db});
    long peakKiB = 0;
    std::optional<int> status;
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
         !status && std::chrono::steady_clock::now() < deadline;)
    {
        peakKiB = std::max(peakKiB, importer.PeakRssKiB());
        status = importer.Wait(std::chrono::milliseconds(0));
        if (!status)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_EQ(status, 0) << importer.Output();
    EXPECT_GT(peakKiB, 0);
    EXPECT_LT(peakKiB, 48 * 1024) << "peak RSS of the import of a 64 MB file";
    EXPECT_EQ(CountRows(db), (Counts{1, static_cast<int64_t>(messages)}));
}

TEST(Import, AMessageOverMaxMessageBytesIsRefusedWithItsPosition)
{
    test::TempDir dir;
    const std::string db = dir.File("traces.db");
    storage::ImportFile(db, kFixtures + "/typescript-sdk-session.jsonl");
    const std::string before = StoreDigest(db);
    const std::string chrome = kFixtures + "/har/chrome-websocket.har";
    auto refusal = [&](const std::string& file, uint64_t limit)
    {
        try
        {
            storage::ImportFile(db, file, {}, {}, {.maxMessageBytes = limit});
            return std::string("imported");
        }
        catch (const storage::ImportError& e)
        {
            return std::string(e.what());
        }
    };
    // Message 5 of the Chrome HAR has 1,723 bytes; message 1 has 627.
    EXPECT_EQ(refusal(chrome, 1500),
              chrome + ": log.entries[1]._webSocketMessages[5]: the message is 1723 bytes, over the limit of 1500 "
                       "(--max-message-bytes)");
    // A string longer than any message under the limit can need (even in base64) is refused as it is read, where
    // it ends: message 1's data ends at line 235, column 759.
    EXPECT_EQ(refusal(chrome, 400), chrome + ":235:759: a JSON string of more than 536 bytes, more than a message "
                                             "under the limit of 400 may need (--max-message-bytes)");
    const std::string python = kFixtures + "/python-sdk-session.jsonl";
    EXPECT_EQ(refusal(python, 1700),
              python + ":6: the message is 1723 bytes, over the limit of 1700 (--max-message-bytes)");
    EXPECT_EQ(StoreDigest(db), before);
    EXPECT_EQ(refusal(chrome, 1723), "imported");

    // The command's option.
    test::TestProcess shell(
        {"/bin/sh", "-c",
         test::BinPath("dapscope") + " import " + chrome + " --max-message-bytes 1KiB --db " + db + " 2>&1"});
    ASSERT_EQ(shell.Wait(std::chrono::seconds(30)), 2);
    while (shell.ReadLine(std::chrono::milliseconds(100)))
    {
    }
    EXPECT_NE(shell.Output().find("dapscope: " + chrome + ":"), std::string::npos) << shell.Output();
    EXPECT_NE(shell.Output().find("limit of 1024 "), std::string::npos) << shell.Output();
}

TEST(Import, HttpExchangesOfASessionComeInTimeOrderAndEntriesOfAnotherSessionStartOne)
{
    // Two exchanges of session 7 that overlap (pipelined): the second request came before the first response.
    auto exchange = [](int64_t id, int64_t requestNs, int64_t responseNs)
    {
        auto fields = [](const char* kind, int64_t ns, const char* head) {
            return R"({"kind":")" + std::string(kind) + R"(","headers":")" + head + R"(","ts_ns":)" +
                   std::to_string(ns) + "}";
        };
        return R"({"_resourceType":"fetch","request":{"url":"http://e:5565/x","postData":{"text":"q)" +
               std::to_string(requestNs) + R"("}},"response":{"status":200,"content":{"text":"r)" +
               std::to_string(responseNs) + R"("}},"_dapscope":{"id":)" + std::to_string(id) +
               R"(,"protocol":"http","request":)" + fields("http_request", requestNs, "GET /x HTTP/1.1\\r\\n\\r\\n") +
               R"(,"response":)" + fields("http_response", responseNs, "HTTP/1.1 200 OK\\r\\n\\r\\n") + "}}";
    };
    const std::string har = R"({"log":{"entries":[)" + exchange(7, 100, 400) + "," + exchange(7, 200, 300) + "," +
                            exchange(8, 500, 600) + "," + exchange(7, 700, 800) + "]}}";
    auto sessions = storage::ParseImport(har, "http.har");
    ASSERT_EQ(sessions.size(), 3u);
    std::vector<std::string> order;
    for (const auto& m : sessions[0].messages)
        order.push_back(m.data);
    EXPECT_EQ(order, (std::vector<std::string>{"q100", "q200", "r300", "r400"}));
    EXPECT_EQ(sessions[0].protocol, "http");
    EXPECT_EQ(sessions[1].messages.size(), 2u);
    EXPECT_EQ(sessions[2].messages.at(0).data, "q700"); // session 7 again, after session 8: a session of its own
}

TEST(Import, MessagesWaitingForAContinuationAreBounded)
{
    // One request, then 5,000 events: the request cannot wait for a continuation for ever, the events behind it.
    std::vector<std::string> items = {Item("send", 1, "{}")};
    for (int i = 0; i < 5000; ++i)
        items.push_back(Item("receive", 1, "e" + std::to_string(i)));
    auto sessions = storage::ParseImport(WebSocketHar(items), "long.har");
    ASSERT_EQ(sessions.size(), 1u);
    ASSERT_EQ(sessions[0].messages.size(), 5001u);
    EXPECT_EQ(sessions[0].messages[0].data, "{}");
    EXPECT_EQ(sessions[0].messages[5000].data, "e4999");

    // So a continuation that far away is refused, naming it; one within the window joins its message.
    items.push_back(Item("send", 0, "more"));
    EXPECT_THROW(
        {
            try
            {
                storage::ParseImport(WebSocketHar(items), "long.har");
            }
            catch (const storage::FormatError& e)
            {
                EXPECT_EQ(std::string(e.what()),
                          "long.har: log.entries[0]._webSocketMessages[5001]: a continuation (opcode 0) more than 4096 "
                          "messages or 16 MiB after the message it continues");
                throw;
            }
        },
        storage::FormatError);
    items.erase(items.begin() + 4000, items.end() - 1);
    sessions = storage::ParseImport(WebSocketHar(items), "long.har");
    ASSERT_EQ(sessions.at(0).messages.size(), 4000u);
    EXPECT_EQ(sessions[0].messages[0].data, "{}more");
}

TEST(Import, ASecondLogEntriesArrayIsRefused)
{
    // JSON would keep the last one; the first is streamed as it is read, so the file is refused instead.
    const std::string har = WebSocketHar({Item("send", 1, "{}")});
    const std::string twice = har.substr(0, har.size() - 2) + R"(,"entries":[]}})";
    try
    {
        storage::ParseImport(twice, "twice.har");
        ADD_FAILURE() << "imported";
    }
    catch (const storage::FormatError& e)
    {
        // At the end of its name.
        EXPECT_EQ(std::string(e.what()), "twice.har:1:" + std::to_string(twice.rfind("\"entries\"") + 9) +
                                             ": a second \"entries\" member (the first was imported)");
    }
}

TEST(Import, AFileFromAPipeIsImported)
{
    test::TempDir dir;
    const std::string fifo = dir.File("chrome.har");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    std::thread writer([&] { WriteAll(fifo, ReadAll(kFixtures + "/har/chrome-websocket.har")); });
    storage::ImportResult result = storage::ImportFile(dir.File("traces.db"), fifo);
    writer.join();
    EXPECT_EQ(result.sessions.size(), 1u);
    EXPECT_EQ(result.messages, 32u);
}
