// Issue 6 end to end: a scripted SDK session captured through the proxy against the mock engine, then replayed
// with the real `dapscope replay` / `dapscope serve-replay` executables over loopback sockets.

#include "Harness.hpp"
#include "mock/DemoSession.hpp"

#include <algorithm>
#include <fstream>

using namespace dapscope;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace
{
constexpr const char* kKey = "sk-test-0000-replay-key";

struct ReplayEndToEnd : ::testing::Test
{
    test::TempDir dir;
    std::string db = dir.File("traces.db");
    std::string reportPath = dir.File("report.json");
    int64_t original = 0;

    void SetUp() override
    {
        unsetenv("ROCKETRIDE_APIKEY"); // the key must come from where each test says
        test::Engine engine;
        original = test::CaptureThroughProxy(db, engine.Port(),
                                             [](const std::string& url)
                                             {
                                                 auto report = mock::RunDemoSession(url, kKey);
                                                 EXPECT_TRUE(report.problems.empty()) << report.problems.front();
                                             });
        ASSERT_GT(original, 0);
    }

    test::CommandResult Replay(const std::string& to, std::vector<std::string> extra = {})
    {
        std::vector<std::string> args = {"replay",  std::to_string(original), "--to", to, "--db", db, "--report",
                                         reportPath};
        args.insert(args.end(), extra.begin(), extra.end());
        return test::RunDapscopeStdout(args);
    }
};

// The stored messages of a session in one direction, with their bytes.
std::vector<std::pair<storage::MessageSummary, std::string>> Stored(storage::TraceReader& reader, int64_t session,
                                                                    inspector::Direction dir)
{
    storage::MessageFilter filter;
    filter.dir = dir;
    std::vector<std::pair<storage::MessageSummary, std::string>> out;
    for (auto& m : reader.Messages(session, filter, 0, 100000))
        if (m.kind != inspector::Kind::Control)
            out.emplace_back(m, reader.MessageData(m.id));
    return out;
}

// A message without its numbering, which every connection does its own way.
std::string WithoutSeq(const std::string& bytes)
{
    size_t newline = bytes.find('\n');
    auto doc = json::parse(bytes.substr(0, newline)).as_object();
    doc.erase("seq");
    doc.erase("request_seq");
    return json::serialize(doc) + (newline == std::string::npos ? "" : bytes.substr(newline));
}
} // namespace

TEST_F(ReplayEndToEnd, AgainstAFreshMockEngineItIsEquivalentAndCapturedAsALinkedSession)
{
    test::Engine fresh;
    auto run = Replay(fresh.Address(), {"--apikey", kKey});
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("equivalent"), std::string::npos) << run.output;
    auto report = test::ReadJsonFile(reportPath);
    EXPECT_EQ(report["outcome"], "equivalent");
    EXPECT_EQ(report["summary"].at("requests"), 32);
    EXPECT_EQ(report["summary"].at("matched"), 32);
    EXPECT_EQ(report["summary"].at("eventsNow"), report["summary"].at("eventsThen"));

    storage::TraceReader reader(db);
    ASSERT_TRUE(report["replay"].is_int64()) << json::serialize(report);
    auto replayed = reader.Session(report["replay"].as_int64());
    ASSERT_TRUE(replayed);
    EXPECT_EQ(replayed->source, "replay");
    EXPECT_EQ(replayed->replayOf, original);
    EXPECT_EQ(replayed->messages, reader.Session(original)->messages);

    // What went out: every binary message (pipe writes, the store write) byte for byte as captured.
    auto then = Stored(reader, original, inspector::Direction::ClientToServer);
    auto now = Stored(reader, replayed->id, inspector::Direction::ClientToServer);
    ASSERT_EQ(then.size(), now.size());
    size_t binaries = 0;
    for (size_t i = 0; i < then.size(); ++i)
    {
        ASSERT_EQ(then[i].first.opcode, now[i].first.opcode) << "message " << i;
        if (then[i].first.opcode != inspector::Opcode::Binary)
            continue;
        ++binaries;
        EXPECT_TRUE(then[i].second == now[i].second) << "binary message " << i << " differs";
    }
    EXPECT_EQ(binaries, 9u);

    // What the engine got: the file the replay wrote reads back exactly.
    auto client = mock::DapClient::Connect(fresh.Url());
    ASSERT_TRUE(client->Call("auth", {{"auth", kKey}}));
    auto opened = client->Call("rrext_store", {{"subcommand", "fs_open"}, {"path", "demo/notes.txt"}, {"mode", "r"}});
    ASSERT_TRUE(opened);
    auto handle = opened->at("body").at("handle");
    ASSERT_TRUE(
        client->Call("rrext_store", {{"subcommand", "fs_read"}, {"handle", handle}, {"offset", 0}, {"length", 4096}}));
    EXPECT_EQ(client->LastPayload(), "dapscope was here\n");
    client->Close();

    // The same engine again: it now hands out other store handles and object ids, which replay remaps.
    run = Replay(fresh.Address(), {"--apikey", kKey});
    EXPECT_EQ(run.status, 0) << run.output;
}

// `dapscope diff` of the capture with its own replay: other task tokens, handles and pipe ids, the same meaning.
TEST_F(ReplayEndToEnd, DiffOfTheCaptureWithItsReplayIsEquivalentAndWithAChangedEngineNamesThePath)
{
    test::Engine fresh;
    ASSERT_EQ(Replay(fresh.Address(), {"--apikey", kKey}).status, 0);
    mock::EngineOptions options;
    options.overrides = {"rrext_ping:$.body.pong=false"};
    test::Engine changed(options);
    ASSERT_EQ(Replay(changed.Address(), {"--apikey", kKey}).status, 1);
    storage::TraceReader reader(db);
    std::vector<storage::SessionSummary> sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 3u);
    const std::string same = std::to_string(sessions[1].id);
    const std::string other = std::to_string(sessions[2].id);
    const std::string self = std::to_string(original);

    auto run = test::RunDapscopeStdout({"diff", self, same, "--db", db});
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("32 requests: 32 matched"), std::string::npos) << run.output;

    run = test::RunDapscopeStdout({"diff", self, "last", "--db", db, "--report", reportPath});
    EXPECT_EQ(run.status, 1) << run.output;
    auto report = test::ReadJsonFile(reportPath);
    EXPECT_EQ(report["outcome"], "differs");
    EXPECT_EQ(report["b"].as_string(), "session " + other);
    EXPECT_EQ(report["summary"].at("differs"), 1);
    EXPECT_EQ(report["summary"].at("matched"), 31);
    for (const auto& row : report["requests"].as_array())
        if (row.at("status") == "differs")
        {
            EXPECT_EQ(row.at("command"), "rrext_ping");
            ASSERT_EQ(row.at("differences").as_array().size(), 1u);
            EXPECT_EQ(row.at("differences").as_array()[0].at("path"), "$.body.pong");
            EXPECT_EQ(row.at("differences").as_array()[0].at("a"), "true");
            EXPECT_EQ(row.at("differences").as_array()[0].at("b"), "false");
        }
    // --ignore takes the difference away.
    EXPECT_EQ(test::RunDapscopeStdout({"diff", self, other, "--db", db, "--ignore", "$.body.pong"}).status, 0);

    // A golden file against the store: the capture exported as HAR, compared with the replay.
    const std::string har = dir.File("golden.har");
    ASSERT_EQ(test::RunDapscopeStdout({"export", self, "--db", db, "-o", har}).status, 0);
    run = test::RunDapscopeStdout({"diff", har, same, "--db", db, "--json"});
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_EQ(json::parse(run.output).at("outcome"), "equivalent");
    EXPECT_EQ(test::RunDapscopeStdout({"diff", har, other, "--db", db}).status, 1);

    // What cannot be compared: exit 2 with the reason.
    run = test::RunDapscopeStdout({"diff", self, "999", "--db", db});
    EXPECT_EQ(run.status, 2);
    EXPECT_EQ(test::RunDapscopeStdout({"diff", dir.File("missing.har"), self, "--db", db}).status, 2);
    const std::string bad = dir.File("bad.har");
    std::ofstream(bad) << "{\"log\": [";
    EXPECT_EQ(test::RunDapscopeStdout({"diff", bad, self, "--db", db}).status, 2);
    EXPECT_EQ(test::RunDapscopeStdout({"diff", self, same, "--db", db, "--ignore", "body.pong"}).status, 2);
}

TEST_F(ReplayEndToEnd, AnEngineThatAnswersOneFieldDifferentlyGivesExit1AndThePath)
{
    mock::EngineOptions options;
    options.overrides = {"rrext_ping:$.body.pong=false"};
    test::Engine changed(options);
    auto run = Replay(changed.Address(), {"--apikey", kKey});
    ASSERT_EQ(run.status, 1) << run.output;
    EXPECT_NE(run.output.find("$.body.pong"), std::string::npos) << run.output;
    auto report = test::ReadJsonFile(reportPath);
    EXPECT_EQ(report["outcome"], "differs");
    EXPECT_EQ(report["summary"].at("differs"), 1);
    auto ping = test::Rows(report, "rrext_ping");
    ASSERT_EQ(ping.size(), 1u);
    EXPECT_EQ(ping[0]["status"], "differs");
    ASSERT_EQ(ping[0]["differences"].as_array().size(), 1u);
    const auto& difference = ping[0]["differences"].as_array()[0];
    EXPECT_EQ(difference.at("path"), "$.body.pong");
    EXPECT_EQ(difference.at("then"), "true");
    EXPECT_EQ(difference.at("now"), "false");
    EXPECT_EQ(ping[0]["successThen"], true);
    EXPECT_EQ(ping[0]["successNow"], true);
    EXPECT_TRUE(ping[0]["latencyThenMs"].is_double());
    EXPECT_TRUE(ping[0]["latencyNowMs"].is_double());
}

TEST_F(ReplayEndToEnd, AgainstServeReplayOfTheSameCaptureItIsEquivalent)
{
    test::ServeReplayProcess serve(db, original);
    ASSERT_NE(serve.port, 0) << serve.process->Output();
    auto run = Replay(serve.Address(), {"--apikey", kKey});
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_EQ(test::ReadJsonFile(reportPath)["outcome"], "equivalent");
}

TEST_F(ReplayEndToEnd, AClientAgainstServeReplayGetsTheSameResponsesAndEvents)
{
    test::ServeReplayProcess serve(db, original);
    ASSERT_NE(serve.port, 0) << serve.process->Output();
    mock::DemoReport demo;
    int64_t again = test::CaptureThroughProxy(
        db, serve.port, [&demo](const std::string& url) { demo = mock::RunDemoSession(url, kKey); });
    EXPECT_TRUE(demo.problems.empty()) << demo.problems.front();
    EXPECT_EQ(demo.answered, 32);

    storage::TraceReader reader(db);
    auto then = Stored(reader, original, inspector::Direction::ServerToClient);
    auto now = Stored(reader, again, inspector::Direction::ServerToClient);
    ASSERT_EQ(then.size(), now.size());
    // Responses by the request they answer (the same script sent the same requests); events as a whole, since
    // an event and an answer due at the same moment may swap.
    const auto split = [&reader](auto& messages)
    {
        std::vector<std::pair<int64_t, std::string>> responses;
        std::vector<std::string> events;
        for (auto& [m, bytes] : messages)
        {
            if (m.kind == inspector::Kind::Response)
                responses.emplace_back(m.pairId.value_or(0), WithoutSeq(bytes));
            if (m.kind == inspector::Kind::Event)
                events.push_back(WithoutSeq(bytes));
        }
        std::sort(responses.begin(), responses.end());
        std::sort(events.begin(), events.end());
        return std::make_pair(responses, events);
    };
    auto [responsesThen, eventsThen] = split(then);
    auto [responsesNow, eventsNow] = split(now);
    ASSERT_EQ(responsesThen.size(), 32u);
    ASSERT_EQ(responsesNow.size(), 32u);
    for (size_t i = 0; i < responsesThen.size(); ++i)
        EXPECT_EQ(responsesThen[i].second, responsesNow[i].second) << "response " << i;
    EXPECT_EQ(eventsThen.size(), 33u);
    EXPECT_EQ(eventsThen, eventsNow);
}

TEST_F(ReplayEndToEnd, OriginalTimingKeepsTheCapturedGaps)
{
    storage::TraceReader reader(db);
    auto sent = Stored(reader, original, inspector::Direction::ClientToServer);
    const int64_t spanNs = sent.back().first.tsNs - sent.front().first.tsNs;
    test::Engine fresh;
    auto run = Replay(fresh.Address(), {"--apikey", kKey, "--timing", "2"});
    ASSERT_EQ(run.status, 0) << run.output;
    auto report = test::ReadJsonFile(reportPath);
    EXPECT_EQ(report["timing"], "2");
    // Every gap between two client messages is kept (doubled), so the whole replay lasts at least that long.
    EXPECT_GE(report["summary"].at("durationMs").as_double(), 2 * static_cast<double>(spanNs) / 1e6);
}

TEST_F(ReplayEndToEnd, ARedactedKeyAndNoApiKeyCannotRunAndSaysWhy)
{
    test::Engine fresh;
    auto run = Replay(fresh.Address());
    ASSERT_EQ(run.status, 2) << run.output;
    auto report = test::ReadJsonFile(reportPath);
    EXPECT_EQ(report["outcome"], "could-not-run");
    const std::string reason(report["reason"].as_string());
    EXPECT_NE(reason.find("API key is redacted"), std::string::npos) << reason;
    EXPECT_NE(reason.find("--apikey"), std::string::npos) << reason;
    EXPECT_NE(reason.find("ROCKETRIDE_APIKEY"), std::string::npos) << reason;
    EXPECT_EQ(storage::TraceReader(db).Sessions().size(), 1u) << "nothing was sent, nothing recorded";
}

TEST_F(ReplayEndToEnd, UnreachableEngineOrUnknownSessionCannotRun)
{
    auto run = Replay("127.0.0.1:1", {"--apikey", kKey});
    EXPECT_EQ(run.status, 2);
    EXPECT_NE(std::string(test::ReadJsonFile(reportPath)["reason"].as_string()).find("cannot connect"),
              std::string::npos);
    run = test::RunDapscopeStdout({"replay", "999", "--to", "127.0.0.1:1", "--db", db, "--report", reportPath});
    EXPECT_EQ(run.status, 2);
    EXPECT_NE(std::string(test::ReadJsonFile(reportPath)["reason"].as_string()).find("no session 999"),
              std::string::npos);
}
