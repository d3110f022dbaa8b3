// The relay on loopback with real libwebsockets on every side: test client -> Capture (relay + recorder +
// SQLite store) -> in-process echo upstream.

#include "cli/Capture.hpp"
#include "net/WsClient.hpp"
#include "storage/TraceReader.hpp"
#include "support/TestProcess.hpp"
#include "support/Upstream.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace dapscope;
using namespace std::chrono_literals;

namespace
{
struct RelayFixture : ::testing::Test
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    std::unique_ptr<cli::Capture> capture;

    void StartCapture(int upstreamPort, inspector::RedactionPolicy redaction = {})
    {
        cli::CaptureOptions options;
        options.storePath = dir.File("traces.db");
        options.relay.listenPort = 0;
        options.relay.upstream = net::NormaliseEngineUri("127.0.0.1:" + std::to_string(upstreamPort));
        options.redaction = redaction;
        options.captureBufferBytes = 256u << 20; // these tests check stored bytes: let the writer lag behind
        capture = std::make_unique<cli::Capture>(std::move(options));
    }
    void SetUp() override { StartCapture(upstream.Port()); }

    std::unique_ptr<net::WsClient> Connect(const std::string& path = "/task/service", net::EventLoop* loop = nullptr,
                                           std::vector<std::pair<std::string, std::string>> headers = {})
    {
        net::WsClientOptions options;
        options.url = "ws://127.0.0.1:" + std::to_string(capture->Port()) + path;
        options.headers = std::move(headers);
        auto client = net::WsClient::Connect(options, loop);
        return client;
    }

    // Stop the relay and the recorder, then open the store for reading.
    storage::TraceReader Finish()
    {
        capture->Stop(5s);
        return storage::TraceReader(dir.File("traces.db"));
    }
};

std::string RandomBytes(std::mt19937& rng, size_t size, bool text)
{
    std::string data(size, '\0');
    for (char& c : data)
        c = text ? static_cast<char>('a' + rng() % 26) : static_cast<char>(rng() & 0xFF);
    return data;
}
} // namespace

TEST_F(RelayFixture, ThousandRandomMessagesArriveExactInOrderAndAreStored)
{
    auto client = Connect();
    ASSERT_TRUE(client);
    std::mt19937 rng(20261127);
    std::vector<net::WsMessage> sent;
    for (int i = 0; i < 1000; ++i)
    {
        // Mostly small messages, some up to 1 MiB, a few empty; some sent as fragmented frames.
        size_t size = i % 100 == 0 ? 0 : i % 10 == 0 ? rng() % (1u << 20) : rng() % 2048;
        bool text = rng() % 2;
        size_t fragment = rng() % 4 == 0 ? 1 + rng() % 70000 : 0;
        net::WsMessage message{text ? net::FrameType::Text : net::FrameType::Binary, RandomBytes(rng, size, text)};
        client->Send(message.type, message.data, fragment);
        sent.push_back(std::move(message));
    }
    for (size_t i = 0; i < sent.size(); ++i)
    {
        auto echoed = client->Receive(30s);
        ASSERT_TRUE(echoed) << "message " << i << " did not come back";
        ASSERT_EQ(echoed->type, sent[i].type) << "message " << i;
        ASSERT_EQ(echoed->data.size(), sent[i].data.size()) << "message " << i;
        ASSERT_TRUE(echoed->data == sent[i].data) << "message " << i << " differs";
    }
    client->Close(1000, "done");
    ASSERT_TRUE(client->WaitClosed(10s));

    auto reader = Finish();
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].messages, 2000 + 2); // every message both ways, plus both close frames on the wire
    EXPECT_EQ(sessions[0].elided, 0);
    std::vector<storage::MessageSummary> stored;
    for (int64_t after = 0;;)
    {
        auto page = reader.Messages(sessions[0].id, {}, after, 500);
        if (page.empty())
            break;
        after = page.back().id;
        stored.insert(stored.end(), page.begin(), page.end());
    }
    size_t c2s = 0;
    size_t s2c = 0;
    for (const auto& m : stored)
    {
        if (m.opcode == inspector::Opcode::Close)
            continue;
        bool fromClient = m.dir == inspector::Direction::ClientToServer;
        const net::WsMessage& expected = sent[fromClient ? c2s++ : s2c++];
        ASSERT_EQ(m.size, static_cast<int64_t>(expected.data.size())) << "stored message " << m.id;
        ASSERT_EQ(m.opcode,
                  expected.type == net::FrameType::Text ? inspector::Opcode::Text : inspector::Opcode::Binary);
        ASSERT_TRUE(reader.MessageData(m.id) == expected.data) << "stored bytes of message " << m.id;
    }
    EXPECT_EQ(c2s, sent.size());
    EXPECT_EQ(s2c, sent.size());
}

TEST_F(RelayFixture, EmptyMessagesAndInvalidUtf8PassUntouched)
{
    auto client = Connect();
    ASSERT_TRUE(client);
    const std::string invalid = "{\"bad\":\"\xC3\x28\xFF\"}";
    client->Send(net::FrameType::Text, "");
    client->Send(net::FrameType::Binary, "");
    client->Send(net::FrameType::Text, invalid);
    auto a = client->Receive(10s);
    auto b = client->Receive(10s);
    auto c = client->Receive(10s);
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(a->type, net::FrameType::Text);
    EXPECT_EQ(a->data, "");
    EXPECT_EQ(b->type, net::FrameType::Binary);
    EXPECT_EQ(b->data, "");
    EXPECT_EQ(c->data, invalid);
}

TEST_F(RelayFixture, PathQueryAndHeadersReachTheUpstream)
{
    auto client = Connect("/models?x=1&y=two", nullptr,
                          {{"Authorization", "Bearer abc"}, {"Cookie", "k=v"}, {"User-Agent", "dapscope-test/1"}});
    ASSERT_TRUE(client);
    client->SendText("{}");
    ASSERT_TRUE(client->Receive(10s));
    auto handshakes = upstream.Handshakes();
    ASSERT_EQ(handshakes.size(), 1u);
    EXPECT_EQ(handshakes[0].path, "/models?x=1&y=two");
    EXPECT_EQ(handshakes[0].headers["authorization"], "Bearer abc");
    EXPECT_EQ(handshakes[0].headers["cookie"], "k=v");
    EXPECT_EQ(handshakes[0].headers["user-agent"], "dapscope-test/1");
    EXPECT_EQ(handshakes[0].headers["x-forwarded-for"], "127.0.0.1");
}

TEST_F(RelayFixture, HundredConcurrentSessionsEachSeeOnlyTheirOwnTraffic)
{
    net::EventLoop clients("test-clients");
    std::vector<std::unique_ptr<net::WsClient>> sessions;
    for (int s = 0; s < 100; ++s)
    {
        sessions.push_back(Connect("/task/service", &clients));
        ASSERT_TRUE(sessions.back());
    }
    for (int round = 0; round < 20; ++round)
        for (int s = 0; s < 100; ++s)
            sessions[s]->SendText("session " + std::to_string(s) + " message " + std::to_string(round));
    for (int s = 0; s < 100; ++s)
        for (int round = 0; round < 20; ++round)
        {
            auto message = sessions[s]->Receive(20s);
            ASSERT_TRUE(message) << "session " << s;
            ASSERT_EQ(message->data, "session " + std::to_string(s) + " message " + std::to_string(round));
        }
    for (auto& session : sessions)
        session->Close(1000, "");
    for (auto& session : sessions)
        ASSERT_TRUE(session->WaitClosed(10s));
    sessions.clear();
    auto reader = Finish();
    auto stored = reader.Sessions();
    ASSERT_EQ(stored.size(), 100u);
    for (const auto& s : stored)
    {
        EXPECT_EQ(s.messages, 42) << "session " << s.id; // 20 each way + both close frames
        // Every text message stored for this session names the same client session.
        std::string owner;
        for (const auto& m : reader.Messages(s.id, {}, 0, 100))
        {
            if (m.opcode != inspector::Opcode::Text)
                continue;
            std::string text = reader.MessageData(m.id);
            std::string prefix = text.substr(0, text.find(" message"));
            if (owner.empty())
                owner = prefix;
            EXPECT_EQ(prefix, owner) << "message " << m.id;
        }
        EXPECT_FALSE(owner.empty());
    }
}

TEST_F(RelayFixture, UpstreamCloseCodeAndReasonReachTheClient)
{
    auto client = Connect();
    ASSERT_TRUE(client);
    client->SendText("hello");
    ASSERT_TRUE(client->Receive(10s));
    upstream.CloseAll(4001, "bye");
    auto closed = client->WaitClosed(10s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 4001);
    EXPECT_EQ(closed->reason, "bye");
    auto reader = Finish();
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].closeCode, 4001);
    EXPECT_EQ(sessions[0].closedBy, "upstream");
    EXPECT_EQ(sessions[0].error, "");
}

TEST_F(RelayFixture, ClientCloseCodeAndReasonReachTheUpstream)
{
    auto client = Connect();
    ASSERT_TRUE(client);
    client->Close(4002, "ciao");
    auto seen = upstream.WaitForClose(10s);
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->code, 4002);
    EXPECT_EQ(seen->reason, "ciao");
    EXPECT_TRUE(client->WaitClosed(10s));
}

struct RefusedUpstream : RelayFixture
{
    void SetUp() override {} // the test picks the upstream
};

TEST_F(RefusedUpstream, GivesTheClientsHandshakeA502NamingTheEngineAndTheError)
{
    int deadPort = 0;
    {
        // A port that was just free: nothing listens there.
        net::EventLoop probe("probe");
        net::WsServer server(probe, {}, {});
        deadPort = server.Port();
    }
    StartCapture(deadPort);
    // What an SDK sees against a missing engine: its handshake fails with an HTTP status, not a close.
    std::string answer = test::RawExchange(capture->Port(),
                                           "GET /task/service HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                           "Sec-WebSocket-Version: 13\r\n\r\n",
                                           5s);
    EXPECT_EQ(answer.substr(0, 24), "HTTP/1.1 502 Bad Gateway") << answer;
    EXPECT_NE(answer.find("cannot reach the engine at ws://127.0.0.1:" + std::to_string(deadPort)), std::string::npos)
        << answer;
    auto reader = Finish();
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_FALSE(sessions[0].error.empty());
    EXPECT_EQ(sessions[0].upstreamOk, false);
    EXPECT_EQ(sessions[0].protocol, "http") << "it never became a WebSocket";
    auto messages = reader.Messages(sessions[0].id, {});
    ASSERT_EQ(messages.size(), 2u) << "the upgrade request and the proxy's answer";
    EXPECT_EQ(messages[0].kind, inspector::Kind::HttpRequest);
    EXPECT_EQ(messages[1].kind, inspector::Kind::HttpResponse);
    EXPECT_EQ(messages[1].status, 502);
    EXPECT_EQ(messages[1].flags & 8, 8u) << "marked as written by dapscope";
}
