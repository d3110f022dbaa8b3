// The relay is wire-exact (issue 11): with a TCP tap on each side of an in-process capture (relay + recorder +
// store), what the client put on the wire after its request head is what reached the engine, byte for byte,
// and the engine's answer reaches the client as written, permessage-deflate included, while the store holds
// the decoded messages.
//
//   net::WsClient -> clientTap -> cli::Capture (proxy) -> engineTap -> engine (EchoUpstream / HttpUpstream)

#include "cli/Capture.hpp"
#include "net/WsClient.hpp"
#include "storage/TraceReader.hpp"
#include "storage/TraceWriter.hpp"
#include "support/HttpUpstream.hpp"
#include "support/ProxyProcess.hpp"
#include "support/TcpTap.hpp"
#include "support/TestProcess.hpp"
#include "support/Upstream.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <random>
#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;

namespace
{
std::string Lower(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// A captured stream split after its first HTTP head (the empty line included).
struct Split
{
    std::string head;
    std::string rest;
};
Split SplitHead(const std::string& bytes)
{
    size_t end = bytes.find("\r\n\r\n");
    if (end == std::string::npos)
        return {bytes, {}};
    return {bytes.substr(0, end + 4), bytes.substr(end + 4)};
}

// The lines of a head, without the empty line that ends it.
std::vector<std::string> Lines(const std::string& head)
{
    std::vector<std::string> lines;
    for (size_t pos = 0; pos < head.size();)
    {
        size_t end = head.find("\r\n", pos);
        if (end == std::string::npos || end == pos)
            break;
        lines.push_back(head.substr(pos, end - pos));
        pos = end + 2;
    }
    return lines;
}

// The field name of a header line, lower-cased ("" for the start line).
std::string FieldName(const std::string& line)
{
    size_t colon = line.find(':');
    return colon == std::string::npos || line.find(' ') < colon ? std::string() : Lower(line.substr(0, colon));
}

// A text message of `size` bytes that compresses well but is not one repeated byte: JSON objects with counters.
std::string CompressibleJson(size_t size, int salt)
{
    std::string text = "{\"items\":[";
    for (int i = 0; text.size() < size; ++i)
        text += "{\"id\":" + std::to_string(i) + ",\"name\":\"item-" + std::to_string(i * 7 + salt) +
                "\",\"tags\":[\"alpha\",\"beta\"],\"ok\":true},";
    text.resize(size - 2);
    text += "]}";
    return text;
}

std::string RandomBytes(size_t size, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::string bytes(size, '\0');
    for (char& c : bytes)
        c = static_cast<char>(rng() & 0xFF);
    return bytes;
}

// Sum of the wire sizes of the stored messages in one direction.
int64_t WireBytes(const std::vector<storage::MessageSummary>& messages, inspector::Direction dir)
{
    int64_t total = 0;
    for (const auto& m : messages)
        if (m.dir == dir)
            total += m.wireSize.value_or(-1'000'000'000);
    return total;
}

struct WireExact : ::testing::Test
{
    test::TempDir dir;
    std::unique_ptr<test::EchoUpstream> engine;
    std::unique_ptr<test::HttpUpstream> httpEngine;
    std::unique_ptr<test::TcpTap> engineTap;
    std::unique_ptr<cli::Capture> capture;
    std::unique_ptr<test::TcpTap> clientTap;

    void StartCapture(int enginePort, std::string accessToken = {}, unsigned upstreamTimeoutSecs = 10)
    {
        engineTap = std::make_unique<test::TcpTap>(enginePort);
        cli::CaptureOptions options;
        options.storePath = dir.File("traces.db");
        options.relay.listenPort = 0;
        options.relay.upstream = net::NormaliseEngineUri("127.0.0.1:" + std::to_string(engineTap->Port()));
        options.relay.accessToken = std::move(accessToken);
        options.upstreamTimeoutSecs = upstreamTimeoutSecs;
        options.captureBufferBytes = 256u << 20; // these tests check stored bytes: let the writer lag behind
        capture = std::make_unique<cli::Capture>(std::move(options));
        clientTap = std::make_unique<test::TcpTap>(capture->Port());
    }
    void StartEcho(bool deflate, std::string accessToken = {})
    {
        net::WsServerOptions options;
        options.deflate = deflate;
        engine = std::make_unique<test::EchoUpstream>(options);
        StartCapture(engine->Port(), std::move(accessToken));
    }

    std::unique_ptr<net::WsClient> Connect(bool deflate, const std::string& path = "/task/service",
                                           std::vector<std::pair<std::string, std::string>> headers = {},
                                           std::string origin = {})
    {
        net::WsClientOptions options;
        options.url = "ws://127.0.0.1:" + std::to_string(clientTap->Port()) + path;
        options.headers = std::move(headers);
        options.origin = std::move(origin);
        options.deflate = deflate;
        auto client = net::WsClient::Connect(options);
        return client;
    }

    storage::TraceReader Finish()
    {
        capture->Stop(5s);
        return storage::TraceReader(dir.File("traces.db"));
    }

    // Send each message, read its echo, close with 1000 and wait until both taps saw both directions end.
    void EchoAndClose(net::WsClient& client, const std::vector<net::WsMessage>& messages)
    {
        for (const auto& message : messages)
            client.Send(message.type, message.data);
        for (size_t i = 0; i < messages.size(); ++i)
        {
            auto echoed = client.Receive(20s);
            ASSERT_TRUE(echoed) << "echo " << i << " did not come back";
            EXPECT_EQ(echoed->type, messages[i].type) << "echo " << i;
            EXPECT_TRUE(echoed->data == messages[i].data) << "echo " << i << " differs";
        }
        client.Close(1000, "done");
        ASSERT_TRUE(client.WaitClosed(10s));
        ASSERT_TRUE(clientTap->WaitEnded(0, 10s)) << "the client's connection did not end";
        ASSERT_TRUE(engineTap->WaitEnded(0, 10s)) << "the engine's connection did not end";
    }

    static std::vector<net::WsMessage> Workload()
    {
        return {
            {net::FrameType::Text, R"({"type":"request","seq":1,"command":"rrext_ping","arguments":{}})"},
            {net::FrameType::Text, CompressibleJson(200 * 1024, 1)},
            // Same shape again: with context takeover it compresses against the previous message.
            {net::FrameType::Text, CompressibleJson(200 * 1024, 2)},
            // Incompressible and large: lws drains its deflate output over several writes.
            {net::FrameType::Binary, RandomBytes(300 * 1024, 7)},
            // No empty message: lws 4.1.6 asserts compressing one ("FAIL want to trim out length 0").
            {net::FrameType::Text, R"({"type":"request","seq":2,"command":"rrext_ping","arguments":{}})"},
        };
    }

    // Stored messages other than close frames must be the sent ones, in order, both ways.
    static void ExpectStoredExactly(storage::TraceReader& reader, const std::vector<storage::MessageSummary>& stored,
                                    const std::vector<net::WsMessage>& sent)
    {
        size_t c2s = 0;
        size_t s2c = 0;
        for (const auto& m : stored)
        {
            if (m.opcode == inspector::Opcode::Close)
                continue;
            bool fromClient = m.dir == inspector::Direction::ClientToServer;
            size_t& index = fromClient ? c2s : s2c;
            ASSERT_LT(index, sent.size()) << "stored message " << m.id << " was never sent";
            const net::WsMessage& expected = sent[index++];
            EXPECT_EQ(m.opcode,
                      expected.type == net::FrameType::Text ? inspector::Opcode::Text : inspector::Opcode::Binary);
            EXPECT_EQ(m.size, static_cast<int64_t>(expected.data.size())) << "stored message " << m.id;
            EXPECT_EQ(m.flags & (storage::MessageFlag::Truncated | storage::MessageFlag::Elided), 0u);
            EXPECT_TRUE(reader.MessageData(m.id) == expected.data) << "stored bytes of message " << m.id;
        }
        EXPECT_EQ(c2s, sent.size());
        EXPECT_EQ(s2c, sent.size());
    }
};

// A WebSocket engine at the byte level, for what lws endpoints always do for us: it answers the first request
// head with a 101, answers the client's close frame with its own, and then keeps the TCP connection open,
// recording every byte that arrives after the request head.
class RawWsEngine
{
  public:
    RawWsEngine()
    {
        m_listenFd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (bind(m_listenFd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(m_listenFd, 4) != 0 ||
            getsockname(m_listenFd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            throw std::runtime_error("RawWsEngine: cannot listen");
        m_port = ntohs(addr.sin_port);
        m_thread = std::thread([this] { Serve(); });
    }
    ~RawWsEngine()
    {
        shutdown(m_listenFd, SHUT_RDWR);
        if (int fd = m_fd.load(); fd >= 0)
            shutdown(fd, SHUT_RDWR);
        m_thread.join();
        close(m_listenFd);
        if (m_fd >= 0)
            close(m_fd);
    }
    int Port() const { return m_port; }
    // Bytes received after the request head.
    std::string Received()
    {
        std::lock_guard lock(m_mutex);
        return m_received;
    }
    bool WaitForBytes(size_t count, std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, timeout, [&] { return m_received.size() >= count; });
    }

  private:
    void Serve()
    {
        int fd = accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            return;
        m_fd = fd;
        std::string head;
        bool upgraded = false;
        bool answeredClose = false;
        char chunk[4096];
        while (true)
        {
            ssize_t n = recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0)
                return;
            std::string bytes(chunk, static_cast<size_t>(n));
            if (!upgraded)
            {
                head += bytes;
                size_t end = head.find("\r\n\r\n");
                if (end == std::string::npos)
                    continue;
                bytes = head.substr(end + 4);
                upgraded = true;
                const std::string answer =
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
                send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
            }
            std::lock_guard lock(m_mutex);
            m_received += bytes;
            m_changed.notify_all();
            if (!answeredClose && !m_received.empty() && static_cast<unsigned char>(m_received[0]) == 0x88)
            {
                answeredClose = true;
                send(fd, "\x88\x02\x03\xE8", 4, MSG_NOSIGNAL); // close 1000, unmasked
            }
        }
    }

    int m_listenFd = -1;
    int m_port = 0;
    std::atomic<int> m_fd{-1};
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::string m_received;
    std::thread m_thread;
};

std::vector<storage::MessageSummary> AllMessages(storage::TraceReader& reader, int64_t session)
{
    return reader.Messages(session, {}, 0, 100000);
}
} // namespace

TEST_F(WireExact, DeflateIsNegotiatedEndToEndAndTheStoreHoldsTheDecodedMessages)
{
    StartEcho(true);
    auto client = Connect(true);
    ASSERT_TRUE(client);
    auto sent = Workload();
    EchoAndClose(*client, sent);

    auto fromClient = clientTap->Streams().at(0);
    auto toEngine = engineTap->Streams().at(0);
    Split clientRequest = SplitHead(fromClient.toTarget);
    Split engineRequest = SplitHead(toEngine.toTarget);
    Split clientAnswer = SplitHead(fromClient.fromTarget);
    Split engineAnswer = SplitHead(toEngine.fromTarget);

    // Negotiated between client and engine: the 101 the client got names the extension.
    EXPECT_NE(Lower(clientRequest.head).find("sec-websocket-extensions: permessage-deflate"), std::string::npos)
        << clientRequest.head;
    EXPECT_EQ(clientAnswer.head.rfind("HTTP/1.1 101", 0), 0u) << clientAnswer.head;
    EXPECT_NE(Lower(clientAnswer.head).find("sec-websocket-extensions: permessage-deflate"), std::string::npos)
        << clientAnswer.head;

    // Every byte after the heads went through untouched, both ways; the 101 too.
    size_t payload = 0;
    for (const auto& message : sent)
        payload += message.data.size();
    EXPECT_GT(clientRequest.rest.size(), 0u);
    EXPECT_LT(clientRequest.rest.size(), payload) << "the client's frames are not compressed";
    EXPECT_LT(engineAnswer.rest.size(), payload) << "the engine's frames are not compressed";
    EXPECT_EQ(clientRequest.rest.size(), engineRequest.rest.size());
    EXPECT_TRUE(clientRequest.rest == engineRequest.rest) << "client -> engine bytes differ after the head";
    EXPECT_EQ(engineAnswer.head, clientAnswer.head);
    EXPECT_EQ(engineAnswer.rest.size(), clientAnswer.rest.size());
    EXPECT_TRUE(engineAnswer.rest == clientAnswer.rest) << "engine -> client bytes differ after the 101";

    auto reader = Finish();
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].protocol, "websocket");
    ASSERT_TRUE(sessions[0].extensions.has_value());
    EXPECT_NE(sessions[0].extensions->find("permessage-deflate"), std::string::npos) << *sessions[0].extensions;
    EXPECT_EQ(sessions[0].elided, 0);

    auto stored = AllMessages(reader, sessions[0].id);
    ExpectStoredExactly(reader, stored, sent);
    for (const auto& m : stored)
    {
        ASSERT_TRUE(m.wireSize.has_value()) << "message " << m.id;
        if (m.opcode == inspector::Opcode::Text && m.size >= 100 * 1024) // the JSON ones
        {
            EXPECT_LT(*m.wireSize, m.size) << "message " << m.id << " is compressible";
        }
    }
    // Every byte on the wire after the heads belongs to some stored message (close frames included).
    EXPECT_EQ(WireBytes(stored, inspector::Direction::ClientToServer), static_cast<int64_t>(clientRequest.rest.size()));
    EXPECT_EQ(WireBytes(stored, inspector::Direction::ServerToClient), static_cast<int64_t>(engineAnswer.rest.size()));
}

TEST_F(WireExact, AnEngineWithoutDeflateNegotiatesNoneAndMessagesAreStillStored)
{
    StartEcho(false);
    auto client = Connect(true); // offers deflate; the engine does not take it
    ASSERT_TRUE(client);
    auto sent = Workload();
    EchoAndClose(*client, sent);

    auto fromClient = clientTap->Streams().at(0);
    auto toEngine = engineTap->Streams().at(0);
    Split clientRequest = SplitHead(fromClient.toTarget);
    Split engineRequest = SplitHead(toEngine.toTarget);
    EXPECT_NE(Lower(clientRequest.head).find("sec-websocket-extensions: permessage-deflate"), std::string::npos);
    EXPECT_NE(Lower(engineRequest.head).find("sec-websocket-extensions: permessage-deflate"), std::string::npos)
        << "the offer must reach the engine";
    EXPECT_EQ(Lower(fromClient.fromTarget).find("sec-websocket-extensions"), std::string::npos);
    EXPECT_TRUE(clientRequest.rest == engineRequest.rest) << "client -> engine bytes differ after the head";
    EXPECT_TRUE(fromClient.fromTarget == toEngine.fromTarget) << "engine -> client bytes differ";

    auto reader = Finish();
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].protocol, "websocket");
    ASSERT_TRUE(sessions[0].extensions.has_value());
    EXPECT_EQ(*sessions[0].extensions, "");
    auto stored = AllMessages(reader, sessions[0].id);
    ExpectStoredExactly(reader, stored, sent);
    for (const auto& m : stored)
    {
        ASSERT_TRUE(m.wireSize.has_value()) << "message " << m.id;
        EXPECT_GE(*m.wireSize, m.size + 2) << "message " << m.id << ": uncompressed, plus its frame header";
    }
}

TEST_F(WireExact, TheEngineGetsTheClientsUpgradeRequestWithOnlyHostAndForwardedHeadersChanged)
{
    StartEcho(true, "let-me-in");
    auto client = Connect(true, "/task/service?x=1&y=two",
                          {{"Authorization", "Bearer not-a-real-key"},
                           {"Cookie", "a=1; b=2"},
                           {"User-Agent", "dapscope-wire-test/1"},
                           {"X-Custom", "  spaced  value"},
                           {"X-Dapscope-Token", "let-me-in"}},
                          "app.example"); // lws writes "Origin: http://" + this
    ASSERT_TRUE(client);
    client->SendText("{}");
    ASSERT_TRUE(client->Receive(10s));
    ASSERT_TRUE(engineTap->WaitBytes(0, 1, 1, 10s));

    std::vector<std::string> sent = Lines(SplitHead(clientTap->Streams().at(0).toTarget).head);
    std::vector<std::string> received = Lines(SplitHead(engineTap->Streams().at(0).toTarget).head);
    ASSERT_GT(sent.size(), 5u);

    // The engine's lines are the client's, in order, except Host (rewritten), dapscope's token (removed) and
    // X-Forwarded-For / -Proto (added).
    std::vector<std::string> expected;
    std::vector<std::string> hosts;
    for (const std::string& line : sent)
    {
        std::string name = FieldName(line);
        if (name != "host" && name != "x-dapscope-token")
            expected.push_back(line);
    }
    std::vector<std::string> rest;
    std::vector<std::string> forwardedFor;
    std::vector<std::string> forwardedProto;
    for (const std::string& line : received)
    {
        std::string name = FieldName(line);
        if (name == "host")
            hosts.push_back(line);
        else if (name == "x-forwarded-for")
            forwardedFor.push_back(line);
        else if (name == "x-forwarded-proto")
            forwardedProto.push_back(line);
        else
            rest.push_back(line);
    }
    EXPECT_EQ(rest, expected);
    EXPECT_EQ(hosts, std::vector<std::string>{"Host: 127.0.0.1:" + std::to_string(engineTap->Port())});
    EXPECT_EQ(forwardedFor, std::vector<std::string>{"X-Forwarded-For: 127.0.0.1"});
    EXPECT_EQ(forwardedProto, std::vector<std::string>{"X-Forwarded-Proto: http"});
    // What was sent is what the test asked for (the comparison above is not vacuous).
    EXPECT_EQ(sent[0], "GET /task/service?x=1&y=two HTTP/1.1");
    EXPECT_NE(std::find(sent.begin(), sent.end(), "Authorization: Bearer not-a-real-key"), sent.end());
    EXPECT_NE(std::find(sent.begin(), sent.end(), "X-Dapscope-Token: let-me-in"), sent.end());
    EXPECT_NE(std::find(rest.begin(), rest.end(), "Origin: http://app.example"), rest.end())
        << ::testing::PrintToString(rest);
    client->Close(1000, "");
    client->WaitClosed(10s);
}

TEST_F(WireExact, TheAccessTokenArgumentIsTheOnlyChangeToTheRequestLine)
{
    StartEcho(false, "let-me-in");
    auto client = Connect(false, "/task/service?x=1&dapscope_token=let-me-in&y=two");
    ASSERT_TRUE(client);
    client->SendText("{}");
    ASSERT_TRUE(client->Receive(10s));
    std::vector<std::string> received = Lines(SplitHead(engineTap->Streams().at(0).toTarget).head);
    ASSERT_FALSE(received.empty());
    EXPECT_EQ(received[0], "GET /task/service?x=1&y=two HTTP/1.1");
    client->Close(1000, "");
    client->WaitClosed(10s);
}

TEST_F(WireExact, AHandshakeTheEngineRefusesReachesTheClientAsIs)
{
    const std::string refusal =
        test::HttpResponseBytes(401, "Unauthorized", R"({"status":"Error","error":{"error":"Access denied"}})",
                                {"Content-Type: application/json", "X-Engine: refuses"});
    httpEngine = std::make_unique<test::HttpUpstream>(
        [&](const test::ReceivedRequest&) {
            return test::HttpReply{refusal, true};
        });
    StartCapture(httpEngine->Port());

    const std::string request = "GET /task/service HTTP/1.1\r\n"
                                "Host: 127.0.0.1\r\n"
                                "Upgrade: websocket\r\n"
                                "Connection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n"
                                "\r\n";
    std::string answer = test::RawExchange(capture->Port(), request, 3s);
    EXPECT_EQ(answer, refusal);
    ASSERT_TRUE(httpEngine->WaitForRequests(1, 5s));
    EXPECT_TRUE(httpEngine->Requests()[0].head.IsWebSocketUpgrade());

    auto reader = Finish();
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].protocol, "http");
    auto stored = AllMessages(reader, sessions[0].id);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].kind, inspector::Kind::HttpRequest);
    EXPECT_EQ(stored[0].method, "GET");
    EXPECT_EQ(stored[0].path, "/task/service");
    EXPECT_EQ(stored[1].kind, inspector::Kind::HttpResponse);
    EXPECT_EQ(stored[1].status, 401);
    EXPECT_EQ(stored[1].flags & storage::MessageFlag::Generated, 0u) << "the engine wrote it, not the proxy";
    EXPECT_EQ(stored[1].pairId, stored[0].id);
    EXPECT_EQ(reader.MessageData(stored[1].id), R"({"status":"Error","error":{"error":"Access denied"}})");
}

TEST_F(WireExact, AfterACompleteCloseHandshakeTheProxyAddsNoCloseOfItsOwn)
{
    // Both endpoints exchanged close frames but keep their TCP connections open (their closing is theirs to
    // do, RFC 6455 §7.1.1); the proxy stops then: it may end the connections, but not send a third close frame.
    RawWsEngine rawEngine;
    StartCapture(rawEngine.Port());
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send("GET /task/service HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    auto switched = client.Read(5s);
    ASSERT_TRUE(switched);
    ASSERT_EQ(switched->status, 101);
    const std::string clientClose = "\x88\x82\x11\x22\x33\x44\x12\xCA"; // close 1000, masked
    ASSERT_TRUE(client.Send(clientClose));
    ASSERT_TRUE(rawEngine.WaitForBytes(clientClose.size(), 5s));
    // The engine's close reply reaches the client.
    ASSERT_TRUE(client.WaitPending(4, 5s));
    ASSERT_EQ(client.Pending(), "\x88\x02\x03\xE8");

    capture->Stop(2s);
    client.WaitClosed(3s);
    EXPECT_EQ(client.Pending(), "\x88\x02\x03\xE8") << "the client got more than the engine's close frame";
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(rawEngine.Received(), clientClose) << "the engine got more than the client's close frame";
}

TEST_F(WireExact, TheProxysOwnCloseFramesAreStoredAsGenerated)
{
    StartEcho(false);
    auto client = Connect(false);
    ASSERT_TRUE(client);
    client->SendText("{}");
    ASSERT_TRUE(client->Receive(10s));
    capture->Stop(5s); // closes the open session with 1001 toward both sides
    auto closed = client->WaitClosed(10s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1001);

    storage::TraceReader reader(dir.File("traces.db"));
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    // The first close frame each way is the proxy's (it wrote both before either endpoint could answer); the
    // endpoints' answers, if stored, are theirs.
    bool seen[2] = {false, false};
    for (const auto& m : AllMessages(reader, sessions[0].id))
    {
        if (m.opcode != inspector::Opcode::Close)
            continue;
        bool& first = seen[static_cast<size_t>(m.dir)];
        if (!first)
        {
            first = true;
            EXPECT_EQ(reader.MessageData(m.id), std::string("\x03\xE9") + "dapscope proxy shutting down");
            EXPECT_NE(m.flags & storage::MessageFlag::Generated, 0u) << "close frame " << m.id << " was the proxy's";
        }
        else
        {
            EXPECT_EQ(m.flags & storage::MessageFlag::Generated, 0u) << "close frame " << m.id;
        }
    }
    EXPECT_TRUE(seen[0] && seen[1]) << "the proxy's close frames are not stored";
}

TEST_F(WireExact, AnEngineThatNeverAnswersTheHandshakeGivesTheClientA504)
{
    // A listening socket nobody accepts from: the kernel completes TCP handshakes, nothing is ever read.
    int silent = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(silent, 4), 0);
    ASSERT_EQ(getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    StartCapture(ntohs(addr.sin_port), {}, 1);

    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send("GET /task/service HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    auto started = std::chrono::steady_clock::now();
    auto response = client.Read(10s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 504);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
    // The engine as the proxy reaches it (here the tap in front of it).
    EXPECT_NE(response->body.find("127.0.0.1:" + std::to_string(engineTap->Port())), std::string::npos)
        << response->body;
    EXPECT_TRUE(client.WaitClosed(5s));
    close(silent);

    auto reader = Finish();
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    auto stored = AllMessages(reader, sessions[0].id);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].kind, inspector::Kind::HttpRequest);
    EXPECT_EQ(stored[1].status, 504);
    EXPECT_NE(stored[1].flags & storage::MessageFlag::Generated, 0u);
}

// The real executables: `dapscope mock-engine --deflate` behind `dapscope proxy`.
TEST(WireExactProcess, MockEngineWithDeflateNegotiatesItThroughTheProxyProcess)
{
    test::TempDir dir;
    std::string db = dir.File("traces.db");
    test::TestProcess engine({test::BinPath("dapscope"), "mock-engine", "--listen", "127.0.0.1:0", "--deflate"});
    auto engineLine = engine.WaitForLine("listening on", 10s);
    ASSERT_TRUE(engineLine);
    int enginePort = test::PortFromLine(*engineLine);
    ASSERT_GT(enginePort, 0);
    test::ProxyProcess proxy(test::Loopback(enginePort), db, {}, {.mergeStderr = true});
    ASSERT_NE(proxy.Port(), 0);

    auto client = proxy.Connect("/task/service", {.deflate = true});
    ASSERT_TRUE(client);
    const std::string ping =
        R"({"type":"request","seq":2,"command":"rrext_ping","arguments":{"pad":")" + std::string(20000, 'x') + "\"}}";
    client->SendText(R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":"wire-exact-key"}})");
    client->SendText(ping);
    auto authAnswer = client->Receive(10s);
    auto pingAnswer = client->Receive(10s);
    ASSERT_TRUE(authAnswer && pingAnswer);
    EXPECT_NE(pingAnswer->data.find("\"success\":true"), std::string::npos) << pingAnswer->data;
    client->Close(1000, "");
    ASSERT_TRUE(client->WaitClosed(10s));
    ASSERT_EQ(proxy.Stop(), 0);

    storage::TraceReader reader(db);
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    ASSERT_TRUE(sessions[0].extensions.has_value());
    EXPECT_NE(sessions[0].extensions->find("permessage-deflate"), std::string::npos) << *sessions[0].extensions;
    bool pingStored = false;
    for (const auto& m : AllMessages(reader, sessions[0].id))
    {
        if (m.dir == inspector::Direction::ClientToServer && m.command == "rrext_ping")
        {
            pingStored = true;
            EXPECT_EQ(reader.MessageData(m.id), ping);
            ASSERT_TRUE(m.wireSize.has_value());
            EXPECT_LT(*m.wireSize, m.size);
        }
    }
    EXPECT_TRUE(pingStored);

    // What a user sees.
    test::TestProcess sessionsCommand({test::BinPath("dapscope"), "sessions", "--json", "--db", db});
    while (sessionsCommand.ReadLine(10s))
    {
    }
    EXPECT_NE(sessionsCommand.Output().find("\"extensions\":\"permessage-deflate"), std::string::npos)
        << sessionsCommand.Output();
}
