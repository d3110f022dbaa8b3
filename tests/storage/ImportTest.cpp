// Import: a HAR written by Chrome DevTools, the shared SDK sample sessions, other tools' HAR quirks, and
// malformed files, each refused with its position and without touching the store.

#include "storage/Import.hpp"
#include "storage/ExportEncoding.hpp"
#include "storage/ImportParse.hpp"
#include "storage/TraceReader.hpp"
#include "support/TestProcess.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

TEST(Import, AFileOverTheLimitIsRefusedBeforeParsing)
{
    test::TempDir dir;
    const std::string db = dir.File("traces.db");
    storage::ImportFile(db, kFixtures + "/python-sdk-session.jsonl");
    const std::string huge = dir.File("huge.jsonl");
    WriteAll(huge, "{}");
    std::filesystem::resize_file(huge, storage::kMaxImportBytes + 1); // sparse: costs no disk
    try
    {
        storage::ImportFile(db, huge);
        ADD_FAILURE() << "imported a file over the limit";
    }
    catch (const storage::ImportError& e)
    {
        EXPECT_EQ(std::string(e.what()), huge + ": larger than the import limit of 256 MiB");
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
