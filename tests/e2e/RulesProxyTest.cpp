// Rules acting on live traffic, end to end: a real DAP client, the capture pipeline with a rules file, a TCP tap
// that records what really reached the engine, and dapscope's mock engine.

#include "cli/Capture.hpp"
#include "cli/ControlServer.hpp"
#include "mock/DapClient.hpp"
#include "storage/TraceReader.hpp"
#include "storage/TraceWriter.hpp"
#include "support/MockEngine.hpp"
#include "support/TcpTap.hpp"
#include "support/TestProcess.hpp"
#include "wire/WsDecoder.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace
{
void WriteFile(const std::string& path, const std::string& text)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// The DAP messages in a recorded client-to-engine TCP stream (upgrade head, then masked frames).
std::vector<json::object> SentToEngine(const std::string& stream)
{
    std::vector<json::object> messages;
    size_t head = stream.find("\r\n\r\n");
    if (head == std::string::npos)
        return messages;
    wire::WsDecoder decoder(true, {});
    std::string text;
    decoder.Feed(std::string_view(stream).substr(head + 4), 0,
                 [&](const wire::DecodedPart& part)
                 {
                     if (part.opcode != wire::WsOpcode::Text)
                         return;
                     text += part.bytes;
                     if (part.final)
                     {
                         boost::system::error_code ec;
                         json::value v = json::parse(text, ec);
                         if (!ec && v.is_object())
                             messages.push_back(v.as_object());
                         text.clear();
                     }
                 });
    return messages;
}

size_t CountCommand(const std::vector<json::object>& messages, const std::string& command)
{
    size_t n = 0;
    for (const auto& m : messages)
        if (m.contains("command") && m.at("command") == command.c_str())
            ++n;
    return n;
}

struct RulesProxy : ::testing::Test
{
    test::TempDir dir;
    test::MockEngine engine;
    std::unique_ptr<test::TcpTap> engineTap;
    std::unique_ptr<cli::Capture> capture;
    std::unique_ptr<cli::ControlServer> control;
    std::mutex logMutex;
    std::vector<std::string> log;

    std::string RulesPath() { return dir.File("rules.yaml"); }

    ~RulesProxy() override { control.reset(); }

    // The proxy with its control endpoint and no rules file.
    void StartControlled(int64_t holdTimeoutMs = 30000)
    {
        Start("", true, holdTimeoutMs);
        control = std::make_unique<cli::ControlServer>(*capture, cli::ControlSocketPath(dir.File("traces.db")));
    }

    json::object Control(json::object request)
    {
        return cli::ControlCall(cli::ControlSocketPath(dir.File("traces.db")), request);
    }

    // The held messages, once there are `count` of them (10 s at most).
    json::array WaitHeld(size_t count)
    {
        json::array held;
        for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;
             std::this_thread::sleep_for(20ms))
        {
            held = Control({{"op", "held"}}).at("held").as_array();
            if (held.size() >= count)
                break;
        }
        return held;
    }

    void Start(const std::string& rules, bool withControl = false, int64_t holdTimeoutMs = 30000)
    {
        if (!rules.empty())
            WriteFile(RulesPath(), rules);
        engineTap = std::make_unique<test::TcpTap>(engine.Port());
        cli::CaptureOptions options;
        options.storePath = dir.File("traces.db");
        options.relay.listenPort = 0;
        options.relay.upstream = net::NormaliseEngineUri("127.0.0.1:" + std::to_string(engineTap->Port()));
        options.relay.rulesFile = rules.empty() ? "" : RulesPath();
        options.relay.control = withControl;
        options.relay.holdTimeoutMs = holdTimeoutMs;
        options.relay.log = [this](const std::string& line)
        {
            std::lock_guard lock(logMutex);
            log.push_back(line);
        };
        capture = std::make_unique<cli::Capture>(std::move(options));
    }

    std::unique_ptr<mock::DapClient> Connect()
    {
        auto client = mock::DapClient::Connect("ws://127.0.0.1:" + std::to_string(capture->Port()) + "/task/service");
        EXPECT_TRUE(client->Call("auth", {{"auth", "sk-rules-test-key"}, {"clientName", "rules-test"}}));
        return client;
    }

    // What the engine got on connection `index` so far.
    std::vector<json::object> EngineGot(size_t index = 0)
    {
        auto streams = engineTap->Streams();
        return index < streams.size() ? SentToEngine(streams[index].toTarget) : std::vector<json::object>{};
    }

    // The store id of the one live WebSocket session, as `dapscope sessions` shows it (0: none within 10 s).
    int64_t LiveSession()
    {
        for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;
             std::this_thread::sleep_for(20ms))
            for (uint64_t id : capture->Relay().LiveWebSocketSessions())
                if (int64_t session = capture->Recorder().StoreSession(id))
                    return session;
        return 0;
    }

    // Stop the capture and read what it stored of its one session.
    std::vector<storage::MessageSummary> Stored(storage::SessionSummary* session = nullptr)
    {
        control.reset();
        capture->Stop(5s);
        storage::TraceReader reader(dir.File("traces.db"));
        auto sessions = reader.Sessions();
        EXPECT_EQ(sessions.size(), 1u);
        if (sessions.empty())
            return {};
        if (session)
            *session = sessions[0];
        return reader.Messages(sessions[0].id, {});
    }

    bool WaitForLog(const std::string& text, std::chrono::milliseconds timeout = 10s)
    {
        for (auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;
             std::this_thread::sleep_for(20ms))
        {
            std::lock_guard lock(logMutex);
            for (const auto& line : log)
                if (line.find(text) != std::string::npos)
                    return true;
        }
        return false;
    }
};
} // namespace

TEST_F(RulesProxy, DelayHoldsTheMessageAndTheOnesBehindIt)
{
    Start("rules:\n  - name: slow-ping\n    match: {dir: c2s, command: rrext_ping}\n    delay: 700ms\n");
    auto client = Connect();
    auto start = std::chrono::steady_clock::now();
    int64_t ping = client->Send("rrext_ping");
    int64_t services = client->Send("rrext_services");
    ASSERT_TRUE(client->Wait(ping));
    ASSERT_TRUE(client->Wait(services));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 700ms);
    // The request behind the delayed one waited for it: the engine got them in the order sent.
    auto got = EngineGot();
    ASSERT_EQ(got.size(), 3u); // auth, ping, services
    EXPECT_EQ(got[1].at("command"), "rrext_ping");
    EXPECT_EQ(got[2].at("command"), "rrext_services");
}

TEST_F(RulesProxy, DropLosesTheAnswerAndTheSessionGoesOn)
{
    Start("rules:\n  - name: lose-ping-answer\n    match: {kind: response, command: rrext_ping}\n    drop: true\n");
    auto client = Connect();
    int64_t ping = client->Send("rrext_ping");
    EXPECT_FALSE(client->Wait(ping, 1500ms));
    EXPECT_TRUE(client->Call("rrext_services")); // the connection is fine
    EXPECT_EQ(CountCommand(EngineGot(), "rrext_ping"), 1u);
}

TEST_F(RulesProxy, RespondAnswersInTheEnginesPlace)
{
    Start("rules:\n  - name: services-fail\n    match: {command: rrext_services}\n"
          "    respond: {success: false, message: \"injected failure\"}\n");
    auto client = Connect();
    int64_t seq = client->Send("rrext_services");
    auto response = client->Wait(seq);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->at("request_seq"), seq);
    EXPECT_EQ(response->at("success"), false);
    EXPECT_EQ(response->at("message"), "injected failure");
    auto ping = client->Call("rrext_ping");
    ASSERT_TRUE(ping);
    // The client's view of the engine's seq stays increasing past the synthesised response.
    EXPECT_GT(ping->at("seq").as_int64(), response->at("seq").as_int64());
    EXPECT_EQ(CountCommand(EngineGot(), "rrext_services"), 0u);
    EXPECT_EQ(CountCommand(EngineGot(), "rrext_ping"), 1u);

    // The store shows the request as received and never sent, answered by dapscope's response.
    client->Close();
    storage::SessionSummary session;
    auto stored = Stored(&session);
    EXPECT_TRUE(session.rules);
    const storage::MessageSummary* request = nullptr;
    const storage::MessageSummary* answer = nullptr;
    for (const auto& m : stored)
        if (m.command == "rrext_services")
            (m.kind == inspector::Kind::Request ? request : answer) = &m;
    ASSERT_TRUE(request && answer);
    EXPECT_EQ(request->rule, "services-fail");
    EXPECT_EQ(request->action, "respond");
    EXPECT_TRUE(request->flags & storage::MessageFlag::Dropped);
    EXPECT_EQ(request->pairId, answer->id);
    EXPECT_TRUE(answer->flags & storage::MessageFlag::Generated);
    EXPECT_EQ(answer->rule, "services-fail");
    EXPECT_EQ(answer->success, false);
}

TEST_F(RulesProxy, SetChangesWhatTheEngineReceives)
{
    Start("rules:\n  - name: mark-ping\n    match: {command: rrext_ping}\n"
          "    set: {\"$.arguments.marker\": \"rewritten\"}\n");
    auto client = Connect();
    ASSERT_TRUE(client->Call("rrext_ping", {{"marker", "original"}}));
    auto got = EngineGot();
    ASSERT_EQ(CountCommand(got, "rrext_ping"), 1u);
    EXPECT_EQ(got[1].at("arguments").at("marker"), "rewritten");

    // Both are stored: as received (replaced, paired with nothing) and as sent (rewritten, answered).
    client->Close();
    std::vector<const storage::MessageSummary*> pings;
    auto stored = Stored();
    for (const auto& m : stored)
        if (m.command == "rrext_ping" && m.kind == inspector::Kind::Request)
            pings.push_back(&m);
    ASSERT_EQ(pings.size(), 2u);
    EXPECT_TRUE(pings[0]->flags & storage::MessageFlag::Replaced);
    EXPECT_FALSE(pings[0]->pairId);
    EXPECT_TRUE(pings[1]->flags & storage::MessageFlag::Rewritten);
    EXPECT_EQ(pings[1]->rule, "mark-ping");
    EXPECT_TRUE(pings[1]->pairId);
    storage::TraceReader reader(dir.File("traces.db"));
    EXPECT_NE(reader.MessageData(pings[0]->id).find("\"original\""), std::string::npos);
}

TEST_F(RulesProxy, DuplicateSendsTheRequestTwice)
{
    Start("rules:\n  - name: twice\n    match: {dir: c2s, command: rrext_ping}\n    duplicate: true\n");
    auto client = Connect();
    ASSERT_TRUE(client->Call("rrext_ping"));
    for (auto end = std::chrono::steady_clock::now() + 5s;
         CountCommand(EngineGot(), "rrext_ping") < 2 && std::chrono::steady_clock::now() < end;)
        std::this_thread::sleep_for(20ms);
    auto got = EngineGot();
    ASSERT_EQ(CountCommand(got, "rrext_ping"), 2u);
    EXPECT_EQ(got[1].at("seq"), got[2].at("seq")); // the same bytes, the same seq
}

TEST_F(RulesProxy, EventIsSentAfterTheMessageWithTheNextSeq)
{
    Start("rules:\n  - name: extra-event\n    match: {kind: response, command: rrext_ping}\n"
          "    event: {event: dapscope_test, body: {from: rule}}\n");
    auto client = Connect();
    auto ping = client->Call("rrext_ping");
    ASSERT_TRUE(ping);
    auto services = client->Call("rrext_services");
    ASSERT_TRUE(services);
    const json::object* event = nullptr;
    for (const auto& e : client->Events())
        if (e.at("event") == "dapscope_test")
            event = &e;
    ASSERT_NE(event, nullptr);
    EXPECT_EQ(event->at("body").at("from"), "rule");
    EXPECT_EQ(event->at("seq").as_int64(), ping->at("seq").as_int64() + 1);
    EXPECT_GT(services->at("seq").as_int64(), event->at("seq").as_int64());
}

TEST_F(RulesProxy, CloseOnTheClientLegWithCodeAndReason)
{
    Start("rules:\n  - name: cut\n    match: {kind: response, command: rrext_ping}\n"
          "    close: {code: 1011, reason: \"rule cut\", leg: client}\n");
    auto client = Connect();
    client->Send("rrext_ping");
    auto closed = client->Socket().WaitClosed(10s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1011);
    EXPECT_EQ(closed->reason, "rule cut");
}

TEST_F(RulesProxy, CloseOnTheEngineLegWithCodeAndReason)
{
    Start("rules:\n  - name: cut\n    match: {dir: c2s, command: rrext_ping}\n"
          "    close: {code: 4000, reason: \"rule cut engine\", leg: engine}\n");
    auto client = Connect();
    client->Send("rrext_ping");
    ASSERT_TRUE(engineTap->WaitEnded(0, 10s));
    std::string toEngine = engineTap->Streams()[0].toTarget;
    // The last frame toward the engine is the proxy's close: masked, so decode it.
    std::string closePayload;
    wire::WsDecoder decoder(true, {});
    decoder.Feed(std::string_view(toEngine).substr(toEngine.find("\r\n\r\n") + 4), 0,
                 [&](const wire::DecodedPart& part)
                 {
                     if (part.opcode == wire::WsOpcode::Close && closePayload.empty())
                         closePayload = std::string(part.bytes);
                 });
    ASSERT_GE(closePayload.size(), 2u);
    EXPECT_EQ((static_cast<uint8_t>(closePayload[0]) << 8) | static_cast<uint8_t>(closePayload[1]), 4000);
    EXPECT_EQ(closePayload.substr(2), "rule cut engine");
    EXPECT_EQ(CountCommand(EngineGot(), "rrext_ping"), 0u);
}

TEST_F(RulesProxy, ProbabilityWithASeedAffectsTheSameMessagesEveryRun)
{
    Start("seed: 7\nrules:\n  - name: flaky\n    match: {command: rrext_ping, probability: 0.5}\n"
          "    respond: {success: false, message: flaky}\n");
    auto run = [&]
    {
        auto client = Connect();
        std::string pattern;
        for (int i = 0; i < 24; ++i)
        {
            auto response = client->Call("rrext_ping");
            pattern += response && response->at("success") == false ? 'x' : '.';
        }
        client->Close();
        return pattern;
    };
    const std::string first = run();
    EXPECT_EQ(run(), first);
    EXPECT_NE(first.find('x'), std::string::npos) << first;
    EXPECT_NE(first.find('.'), std::string::npos) << first;
}

TEST_F(RulesProxy, NthAffectsOnlyThatMessage)
{
    Start("rules:\n  - name: second\n    match: {command: rrext_ping, nth: 2}\n"
          "    respond: {success: false, message: second}\n");
    auto client = Connect();
    std::string pattern;
    for (int i = 0; i < 4; ++i)
    {
        auto response = client->Call("rrext_ping");
        pattern += response && response->at("success") == false ? 'x' : '.';
    }
    EXPECT_EQ(pattern, ".x..");
}

TEST_F(RulesProxy, NoPermessageDeflateIsOfferedToTheEngine)
{
    Start("rules: []\n");
    net::WsClientOptions options;
    options.url = "ws://127.0.0.1:" + std::to_string(capture->Port()) + "/task/service";
    options.deflate = true;
    auto client = net::WsClient::Connect(options);
    client->SendText(R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":"sk-x"}})");
    ASSERT_TRUE(client->Receive(10s));
    std::string toEngine = engineTap->Streams()[0].toTarget;
    std::string head = toEngine.substr(0, toEngine.find("\r\n\r\n"));
    EXPECT_EQ(head.find("Sec-WebSocket-Extensions"), std::string::npos) << head;
}

TEST_F(RulesProxy, ABadReloadKeepsTheRulesInForceAndAGoodOneReplacesThem)
{
    Start("rules:\n  - name: lose-ping-answer\n    match: {kind: response, command: rrext_ping}\n    drop: true\n");
    WriteFile(RulesPath(), "rules:\n  - name: broken\n    match: {command: rrext_ping}\n    delya: 2s\n");
    ASSERT_TRUE(WaitForLog("refused")) << "no refusal logged";
    {
        std::lock_guard lock(logMutex);
        EXPECT_NE(log.back().find("rules.yaml:4:5:"), std::string::npos) << log.back();
    }
    auto client = Connect();
    EXPECT_FALSE(client->Wait(client->Send("rrext_ping"), 1000ms)); // still dropped

    WriteFile(RulesPath(), "rules: []\n");
    ASSERT_TRUE(WaitForLog("reloaded"));
    EXPECT_TRUE(client->Call("rrext_ping")); // the running session has the new rules
}

TEST(RulesProxyStart, ABadRulesFileIsRefusedWithItsLineAndColumn)
{
    test::TempDir dir;
    WriteFile(dir.File("bad.yaml"), "rules:\n  - name: x\n    drop: maybe\n");
    cli::CaptureOptions options;
    options.storePath = dir.File("traces.db");
    options.relay.listenPort = 0;
    options.relay.upstream = net::NormaliseEngineUri("127.0.0.1:1");
    options.relay.rulesFile = dir.File("bad.yaml");
    try
    {
        cli::Capture capture(std::move(options));
        FAIL() << "the capture started with a bad rules file";
    }
    catch (const std::exception& e)
    {
        EXPECT_NE(std::string(e.what()).find("bad.yaml:3:"), std::string::npos) << e.what();
    }
}

TEST_F(RulesProxy, ABreakpointHoldsAMessageUntilItIsReleasedEdited)
{
    StartControlled();
    auto client = Connect();
    ASSERT_EQ(Control({{"op", "break"},
                       {"rule", R"({"name":"b","match":{"dir":"c2s","command":"rrext_ping"},"break":true})"}})
                  .at("ok"),
              true);
    int64_t seq = client->Send("rrext_ping", {{"marker", "original"}});
    json::array held = WaitHeld(1);
    ASSERT_EQ(held.size(), 1u);
    const json::object& h = held[0].as_object();
    EXPECT_EQ(h.at("dir"), "c2s");
    EXPECT_EQ(h.at("rule"), "b");
    EXPECT_EQ(CountCommand(EngineGot(), "rrext_ping"), 0u); // held: the engine has not seen it

    // Control frames are never held: the engine's keep-alive goes on meanwhile.
    client->Socket().Send(net::FrameType::Ping, "alive");
    EXPECT_FALSE(client->Wait(seq, 300ms));

    // An edit that is not JSON is refused, and the message stays held.
    EXPECT_EQ(Control({{"op", "release"}, {"id", h.at("id")}, {"edit", "{not json"}}).at("ok"), false);
    std::string edited = R"({"type":"request","seq":)" + std::to_string(seq) +
                         R"(,"command":"rrext_ping","arguments":{"marker":"edited"}})";
    ASSERT_EQ(Control({{"op", "release"}, {"id", h.at("id")}, {"edit", edited}}).at("ok"), true);
    ASSERT_TRUE(client->Wait(seq));
    auto got = EngineGot();
    ASSERT_EQ(CountCommand(got, "rrext_ping"), 1u);
    EXPECT_EQ(got.back().at("arguments").at("marker"), "edited");
    EXPECT_TRUE(WaitHeld(0).empty());
}

TEST_F(RulesProxy, AHeldMessageCanBeDropped)
{
    StartControlled();
    auto client = Connect();
    Control({{"op", "break"}, {"rule", R"({"name":"b","match":{"command":"rrext_services"},"break":true})"}});
    int64_t seq = client->Send("rrext_services");
    json::array held = WaitHeld(1);
    ASSERT_EQ(held.size(), 1u);
    ASSERT_EQ(Control({{"op", "drop"}, {"id", held[0].at("id")}}).at("ok"), true);
    EXPECT_FALSE(client->Wait(seq, 1000ms));
    EXPECT_EQ(CountCommand(EngineGot(), "rrext_services"), 0u);
    EXPECT_EQ(Control({{"op", "drop"}, {"id", held[0].at("id")}}).at("ok"), false); // gone
}

TEST_F(RulesProxy, AForgottenHeldMessageGoesOnAfterTheTimeout)
{
    StartControlled(400);
    auto client = Connect();
    Control({{"op", "break"}, {"rule", R"({"name":"b","match":{"dir":"c2s","command":"rrext_ping"},"break":true})"}});
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(client->Call("rrext_ping"));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 400ms);
}

TEST_F(RulesProxy, TwoHeldMessagesOfOneDirectionGoInOrder)
{
    StartControlled();
    auto client = Connect();
    Control({{"op", "break"}, {"rule", R"({"name":"b","match":{"dir":"c2s","command":"rrext_ping"},"break":true})"}});
    int64_t first = client->Send("rrext_ping", {{"n", 1}});
    int64_t second = client->Send("rrext_ping", {{"n", 2}});
    json::array held = WaitHeld(2);
    ASSERT_EQ(held.size(), 2u);
    // Releasing the second first lets nothing through: it waits behind the first.
    ASSERT_EQ(Control({{"op", "release"}, {"id", held[1].at("id")}}).at("ok"), true);
    EXPECT_FALSE(client->Wait(second, 300ms));
    EXPECT_EQ(CountCommand(EngineGot(), "rrext_ping"), 0u);
    ASSERT_EQ(Control({{"op", "release"}, {"id", held[0].at("id")}}).at("ok"), true);
    ASSERT_TRUE(client->Wait(first));
    ASSERT_TRUE(client->Wait(second));
    auto got = EngineGot();
    ASSERT_EQ(CountCommand(got, "rrext_ping"), 2u);
    EXPECT_EQ(got[1].at("arguments").at("n"), 1);
    EXPECT_EQ(got[2].at("arguments").at("n"), 2);
}

TEST_F(RulesProxy, AnInjectedRequestIsAnsweredToTheUserAndTheClientSeesNothing)
{
    StartControlled();
    auto client = Connect();
    // The session's store id, as `dapscope sessions` shows it.
    const int64_t session = LiveSession();
    ASSERT_NE(session, 0);
    json::object answer =
        Control({{"op", "inject"}, {"session", session}, {"request", json::object{{"command", "rrext_ping"}}}});
    ASSERT_EQ(answer.at("ok"), true) << json::serialize(answer);
    const json::object& response = answer.at("response").as_object();
    EXPECT_EQ(response.at("request_seq"), answer.at("seq"));
    EXPECT_EQ(response.at("command"), "rrext_ping");
    auto got = EngineGot();
    ASSERT_EQ(CountCommand(got, "rrext_ping"), 1u);
    EXPECT_GE(got.back().at("seq").as_int64(), 1'000'000'000); // the proxy's own range
    // The client got nothing of it, and its own requests go on.
    EXPECT_FALSE(client->Socket().Receive(300ms));
    EXPECT_TRUE(client->Call("rrext_ping"));
    EXPECT_EQ(Control({{"op", "inject"}, {"session", 999}, {"request", json::object{{"command", "x"}}}}).at("ok"),
              false);

    // The store shows both: the request dapscope made, and the taken taken out of the client's stream.
    client->Close();
    auto stored = Stored();
    const storage::MessageSummary* injected = nullptr;
    const storage::MessageSummary* taken = nullptr;
    for (const auto& m : stored)
        if (m.action == "inject")
            (m.kind == inspector::Kind::Request ? injected : taken) = &m;
    ASSERT_TRUE(injected && taken);
    EXPECT_TRUE(injected->flags & storage::MessageFlag::Generated);
    EXPECT_TRUE(taken->flags & storage::MessageFlag::Dropped);
    EXPECT_EQ(injected->pairId, taken->id);

    // `dapscope show --json` carries the marks.
    test::TestProcess show({test::BinPath("dapscope"), "show", std::to_string(injected->session), "--json", "--db",
                            dir.File("traces.db")});
    ASSERT_EQ(show.Wait(60s), std::optional<int>(0));
    while (show.ReadLine(1s))
    {
    }
    bool synthesized = false, dropped = false;
    std::istringstream lines(show.Output());
    for (std::string line; std::getline(lines, line);)
    {
        json::object row = json::parse(line).as_object();
        if (row.at("id") == injected->id)
            synthesized = row.at("synthesized") == true && row.at("action") == "inject" && row.at("rule").is_null();
        if (row.at("id") == taken->id)
            dropped = row.at("dropped") == true && row.at("action") == "inject";
    }
    EXPECT_TRUE(synthesized) << show.Output();
    EXPECT_TRUE(dropped) << show.Output();
}

TEST_F(RulesProxy, CloseFromTheControlEndpoint)
{
    StartControlled();
    auto client = Connect();
    const int64_t session = LiveSession();
    ASSERT_EQ(Control({{"op", "close"}, {"session", session}, {"code", 4001}, {"reason", "by hand"}}).at("ok"), true);
    auto closed = client->Socket().WaitClosed(10s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 4001);
    EXPECT_EQ(closed->reason, "by hand");
}

TEST_F(RulesProxy, TheControlSocketIsForThisUserOnly)
{
    StartControlled();
    struct stat st
    {
    };
    ASSERT_EQ(stat(cli::ControlSocketPath(dir.File("traces.db")).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(Control({{"op", "unknown"}}).at("ok"), false);
}

TEST_F(RulesProxy, WhatARuleReplacedIsRedactedLikeEverythingElse)
{
    Start("rules:\n  - name: tag-auth\n    match: {command: auth}\n    set: {\"$.arguments.clientVersion\": \"9\"}\n");
    auto client = Connect(); // auth carries the API key, and the rule rewrites it: two rows hold it
    client->Close();
    auto stored = Stored();
    storage::TraceReader reader(dir.File("traces.db"));
    int auths = 0;
    for (const auto& m : stored)
    {
        EXPECT_EQ(reader.MessageData(m.id).find("sk-rules-test-key"), std::string::npos) << m.id;
        if (m.command == "auth" && m.kind == inspector::Kind::Request)
        {
            ++auths;
            EXPECT_TRUE(m.flags & storage::MessageFlag::Redacted);
        }
    }
    EXPECT_EQ(auths, 2); // as received, as sent
}

TEST_F(RulesProxy, ExportAndImportKeepWhatRulesDid)
{
    Start("rules:\n  - name: mark-ping\n    match: {dir: c2s, command: rrext_ping}\n"
          "    set: {\"$.arguments.marker\": \"rewritten\"}\n"
          "  - name: services-fail\n    match: {command: rrext_services}\n    respond: {success: false}\n");
    auto client = Connect();
    ASSERT_TRUE(client->Call("rrext_ping"));
    ASSERT_TRUE(client->Call("rrext_services"));
    client->Close();
    storage::SessionSummary original;
    auto before = Stored(&original);
    auto marks = [](const std::vector<storage::MessageSummary>& messages)
    {
        std::string text;
        for (const auto& m : messages)
            text += m.command + " " + m.rule + " " + m.action + " " + std::to_string(m.flags & 0x78) + " " +
                    (m.pairId ? "paired" : "-") + "\n";
        return text;
    };
    ASSERT_NE(marks(before).find("mark-ping edit 32"), std::string::npos) << marks(before);
    for (const char* format : {"jsonl", "har"})
    {
        const std::string file = dir.File(std::string("export.") + format);
        test::TestProcess exporter({test::BinPath("dapscope"), "export", std::to_string(original.id), "-o", file,
                                    "--db", dir.File("traces.db")});
        ASSERT_EQ(exporter.Wait(60s), std::optional<int>(0)) << format;
        const std::string copy = dir.File(std::string("copy-") + format + ".db");
        test::TestProcess importer({test::BinPath("dapscope"), "import", file, "--db", copy});
        ASSERT_EQ(importer.Wait(60s), std::optional<int>(0)) << format;
        storage::TraceReader reader(copy);
        auto sessions = reader.Sessions();
        ASSERT_EQ(sessions.size(), 1u) << format;
        EXPECT_TRUE(sessions[0].rules) << format;
        EXPECT_EQ(marks(reader.Messages(sessions[0].id, {})), marks(before)) << format;
    }
}
