// Issue 8 end to end: captures hold no secrets, yet replay and serve-replay answer and send what the engine
// and the client would, using the secrets given now.

#include "Harness.hpp"
#include "inspector/Redactor.hpp"
#include "mock/DemoSession.hpp"

#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace
{
constexpr const char* kKey = "sk-test-1111-original-key";

struct ReplaySecrets : ::testing::Test
{
    test::TempDir dir;
    std::string db = dir.File("traces.db");
    std::string reportPath = dir.File("report.json");

    void SetUp() override { unsetenv("ROCKETRIDE_APIKEY"); }

    // The scripted SDK session; the mock engine echoes the key as userToken, like the OSS engine.
    int64_t CaptureDemo()
    {
        test::Engine engine;
        return test::CaptureThroughProxy(db, engine.Port(),
                                         [](const std::string& url)
                                         { EXPECT_TRUE(mock::RunDemoSession(url, kKey).problems.empty()); });
    }
};

json::object AuthBody(mock::DapClient& client, const std::string& key)
{
    auto response = client.Call("auth", {{"auth", key}, {"clientName", "secrets test"}});
    EXPECT_TRUE(response);
    return response ? response->at("body").as_object() : json::object();
}
} // namespace

TEST_F(ReplaySecrets, TheCaptureHoldsOnlyMarkersButServeReplayAnswersEachClientWithItsOwnKey)
{
    int64_t session = CaptureDemo();
    {
        storage::TraceReader reader(db);
        storage::MessageFilter responses;
        responses.command = "auth";
        responses.kind = inspector::Kind::Response;
        auto auth = reader.Messages(session, responses);
        ASSERT_EQ(auth.size(), 1u);
        const std::string stored = reader.MessageData(auth[0].id);
        EXPECT_EQ(stored.find(kKey), std::string::npos);
        EXPECT_NE(stored.find("\"userToken\":\"" + inspector::RedactionMarker(kKey) + "\""), std::string::npos);
    }

    test::ServeReplayProcess serve(db, session);
    ASSERT_NE(serve.port, 0) << serve.process->Output();
    for (const auto& line : serve.lines)
        EXPECT_EQ(line.find("served as the marker"), std::string::npos) << "the userToken has a counterpart: " << line;

    // Two clients at once, each with its own key and its own state.
    const std::string url = "ws://" + serve.Address() + "/task/service";
    auto first = mock::DapClient::Connect(url);
    auto second = mock::DapClient::Connect(url);
    EXPECT_EQ(AuthBody(*first, "sk-first-client-key")["userToken"], "sk-first-client-key");
    EXPECT_EQ(AuthBody(*second, "sk-second-client-key")["userToken"], "sk-second-client-key");
    auto ping = first->Call("rrext_ping");
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->at("seq"), 2) << "each connection numbers its own messages";
    EXPECT_EQ(ping->at("body").at("pong"), true);
}

TEST_F(ReplaySecrets, ReplayWithAnotherKeySendsThatKeyAndIsEquivalent)
{
    int64_t session = CaptureDemo();
    const std::string rotated = "sk-test-2222-rotated-key";
    mock::EngineOptions options;
    options.apiKey = rotated; // refuses every other key
    test::Engine engine(options);
    auto run = test::RunDapscopeStdout({"replay", std::to_string(session), "--to", engine.Address(), "--apikey",
                                        rotated, "--db", db, "--report", reportPath});
    ASSERT_EQ(run.status, 0) << run.output;
    auto report = test::ReadJsonFile(reportPath);
    EXPECT_EQ(report["outcome"], "equivalent");
    // The auth response echoed the new key: equal to the recorded marker of the old one.
    auto auth = test::Rows(report, "auth");
    ASSERT_EQ(auth.size(), 1u);
    EXPECT_EQ(auth[0]["status"], "matched");

    // The replay's own capture shows which key went out (as its marker) in auth and in execute's env.
    storage::TraceReader reader(db);
    storage::MessageFilter requests;
    requests.kind = inspector::Kind::Request;
    std::string sent;
    for (const auto& m : reader.Messages(report["replay"].as_int64(), requests))
        if (m.command == "auth" || m.command == "execute")
            sent += reader.MessageData(m.id);
    EXPECT_NE(sent.find("\"auth\":\"" + inspector::RedactionMarker(rotated) + "\""), std::string::npos) << sent;
    EXPECT_NE(sent.find("\"ROCKETRIDE_APIKEY\":\"" + inspector::RedactionMarker(rotated) + "\""), std::string::npos)
        << sent;
    EXPECT_EQ(sent.find(inspector::RedactionMarker(kKey)), std::string::npos);

    // The key may come from the environment as well.
    setenv("ROCKETRIDE_APIKEY", rotated.c_str(), 1);
    run = test::RunDapscopeStdout({"replay", std::to_string(session), "--to", engine.Address(), "--db", db});
    unsetenv("ROCKETRIDE_APIKEY");
    EXPECT_EQ(run.status, 0) << run.output;
}

TEST_F(ReplaySecrets, AnUnrelatedRedactedEnvSecretStopsReplayWithItsPath)
{
    test::Engine engine;
    int64_t session = test::CaptureThroughProxy(
        db, engine.Port(),
        [](const std::string& url)
        {
            auto client = mock::DapClient::Connect(url);
            ASSERT_TRUE(client->Call("auth", {{"auth", kKey}}));
            json::object pipeline{
                {"project_id", "p-secret"},
                {"source", "webhook_1"},
                {"components", json::array{json::object{{"id", "webhook_1"}, {"provider", "webhook"}}}}};
            auto task = client->Call("execute", {{"pipeline", pipeline},
                                                 {"env", json::object{{"MY_SECRET_TOKEN", "hunter2-not-for-replay"},
                                                                      {"ROCKETRIDE_APIKEY", kKey}}}});
            ASSERT_TRUE(task);
            ASSERT_TRUE(client->Call("terminate", {{"token", task->at("body").at("token")}}));
            client->Close();
        });
    ASSERT_GT(session, 0);

    auto run = test::RunDapscopeStdout({"replay", std::to_string(session), "--to", engine.Address(), "--apikey", kKey,
                                        "--db", db, "--report", reportPath});
    ASSERT_EQ(run.status, 2) << run.output;
    auto report = test::ReadJsonFile(reportPath);
    const std::string reason(report["reason"].as_string());
    EXPECT_NE(reason.find("$.arguments.env.MY_SECRET_TOKEN"), std::string::npos) << reason;
    EXPECT_NE(reason.find("execute"), std::string::npos) << reason;
    EXPECT_NE(reason.find("--allow-markers"), std::string::npos) << reason;

    // Allowed explicitly, the marker goes as it is and the rest replays (the engine keeps no other env).
    run = test::RunDapscopeStdout({"replay", std::to_string(session), "--to", engine.Address(), "--apikey", kKey,
                                   "--allow-markers", "--db", db, "--report", reportPath});
    EXPECT_EQ(run.status, 0) << run.output;
}
