// Faults and hostile input on loopback, against `dapscope proxy` as a separate process: the proxy must
// never be what breaks a session, loses data, or crashes.

#include "net/WsClient.hpp"
#include "net/WsServer.hpp"
#include "support/ProxyProcess.hpp"
#include "support/TestProcess.hpp"
#include "support/Upstream.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;

namespace
{
// The proxy under test, its stderr read with its stdout.
const test::ProxyProcessOptions kWithStderr{.mergeStderr = true};

// A WebSocket frame from a client: masked, with the given first byte (FIN, RSV bits, opcode).
std::string ClientFrame(uint8_t first, const std::string& payload)
{
    std::string frame;
    frame += static_cast<char>(first);
    if (payload.size() < 126)
        frame += static_cast<char>(0x80 | payload.size());
    else
    {
        frame += static_cast<char>(0x80 | 126);
        frame += static_cast<char>(payload.size() >> 8);
        frame += static_cast<char>(payload.size() & 0xFF);
    }
    const char mask[4] = {0x11, 0x22, 0x33, 0x44};
    frame.append(mask, 4);
    for (size_t i = 0; i < payload.size(); ++i)
        frame += static_cast<char>(payload[i] ^ mask[i % 4]);
    return frame;
}

const char* const kUpgrade = "GET /task/service HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n";

std::string Status(const std::string& answer)
{
    return answer.substr(0, answer.find("\r\n"));
}

int Listen(int& port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd, 16);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    return fd;
}

// Read until the end of an HTTP head; returns the head ("" when the peer closed first).
std::string ReadHead(int fd)
{
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && recv(fd, &c, 1, 0) == 1)
        head += c;
    return head;
}

void SendAll(int fd, const std::string& bytes)
{
    for (size_t sent = 0; sent < bytes.size();)
    {
        ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        sent += static_cast<size_t>(n);
    }
}

// A WebSocket engine that writes exactly what the test scripts after the handshake, then drops the connection
// without a close frame: it can stop in the middle of a frame or between frames, on purpose.
struct ScriptedEngine
{
    int listener = -1;
    int port = 0;
    std::thread thread;

    explicit ScriptedEngine(std::string afterHandshake)
    {
        listener = Listen(port);
        thread = std::thread(
            [this, script = std::move(afterHandshake)]
            {
                int fd = accept(listener, nullptr, nullptr);
                std::string head = ReadHead(fd);
                std::string key;
                size_t at = head.find("Sec-WebSocket-Key: ");
                if (at != std::string::npos)
                    key = head.substr(at + 19, head.find("\r\n", at) - at - 19);
                std::string accepted = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
                unsigned char digest[SHA_DIGEST_LENGTH];
                SHA1(reinterpret_cast<const unsigned char*>(accepted.data()), accepted.size(), digest);
                unsigned char base64[64] = {};
                EVP_EncodeBlock(base64, digest, SHA_DIGEST_LENGTH);
                SendAll(fd, std::string("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                        "Connection: Upgrade\r\nSec-WebSocket-Accept: ") +
                                reinterpret_cast<char*>(base64) + "\r\n\r\n" + script);
                std::this_thread::sleep_for(200ms);
                close(fd);
            });
    }
    ~ScriptedEngine()
    {
        thread.join();
        close(listener);
    }
};

// A frame header announcing a binary frame of `size` bytes (64-bit length), masked when from a client.
std::string BigFrameHeader(uint64_t size, bool masked)
{
    std::string header = {static_cast<char>(0x82), static_cast<char>((masked ? 0x80 : 0) | 127)};
    for (int shift = 56; shift >= 0; shift -= 8)
        header += static_cast<char>((size >> shift) & 0xFF);
    if (masked)
        header += std::string("\x11\x22\x33\x44", 4);
    return header;
}

// A raw client: its upgrade through the proxy, then the script, then the connection dropped without a close.
void RawClient(int port, const std::string& afterHandshake)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    SendAll(fd, kUpgrade);
    ASSERT_NE(ReadHead(fd).find(" 101 "), std::string::npos);
    SendAll(fd, afterHandshake);
    std::this_thread::sleep_for(200ms);
    close(fd);
}

bool MakeCertificate(const test::TempDir& dir)
{
    return test::Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                       "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                       dir.File("key.pem") + " -out " + dir.File("cert.pem") + " >/dev/null 2>&1");
}
} // namespace

TEST(Hardening, UpstreamThatNeverAnswersTheHandshakeGetsTheClient504NamingIt)
{
    test::TempDir dir;
    int port = 0;
    int silent = Listen(port); // the kernel completes TCP handshakes; nobody ever answers HTTP

    test::ProxyProcess proxy(test::Loopback(port), dir.File("t.db"), {"--upstream-timeout", "2"}, kWithStderr);
    ASSERT_NE(proxy.Port(), 0);
    auto start = std::chrono::steady_clock::now();
    std::string answer = test::RawExchange(proxy.Port(), kUpgrade, 10s);
    EXPECT_EQ(Status(answer), "HTTP/1.1 504 Gateway Timeout") << answer;
    EXPECT_NE(answer.find("no answer from ws://127.0.0.1:" + std::to_string(port) + " within 2 s"), std::string::npos)
        << answer;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
    EXPECT_EQ(proxy.Stop(), 0);
    close(silent);
    SQLite::Database db(dir.File("t.db"));
    EXPECT_NE(db.execAndGet("SELECT error FROM sessions").getString().find("no answer"), std::string::npos);
    EXPECT_EQ(db.execAndGet("SELECT upstream_ok FROM sessions").getInt(), 0) << "it never answered";
}

TEST(Hardening, UpstreamVanishingInTheMiddleOfAFrameClosesTheClientsConnectionAndKeepsWhatArrived)
{
    test::TempDir dir;
    // 1 MiB of a frame that announced 32 MiB, then the engine is gone: there is no frame boundary to close at.
    ScriptedEngine engine(BigFrameHeader(32u << 20, false) + std::string(1u << 20, 'z'));
    test::ProxyProcess proxy(test::Loopback(engine.port), dir.File("t.db"), {}, kWithStderr);
    ASSERT_NE(proxy.Port(), 0);
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    auto closed = client->WaitClosed(30s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1006) << "the client's library saw the connection end without a close frame";
    EXPECT_EQ(proxy.Stop(), 0);
    SQLite::Database db(dir.File("t.db"));
    EXPECT_NE(db.execAndGet("SELECT error FROM sessions").getString().find("upstream vanished"), std::string::npos);
    SQLite::Statement partial(db, "SELECT size, flags FROM messages WHERE dir = 1 AND opcode = 2");
    ASSERT_TRUE(partial.executeStep());
    EXPECT_EQ(partial.getColumn(0).getInt64(), 1 << 20) << "what arrived is kept";
    EXPECT_NE(partial.getColumn(1).getInt() & 1, 0) << "the cut-off message is flagged truncated";
}

TEST(Hardening, UpstreamVanishingBetweenFramesGetsTheClient1011)
{
    test::TempDir dir;
    ScriptedEngine engine(std::string("\x81\x05hello", 7));
    test::ProxyProcess proxy(test::Loopback(engine.port), dir.File("t.db"), {}, kWithStderr);
    ASSERT_NE(proxy.Port(), 0);
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    auto hello = client->Receive(10s);
    ASSERT_TRUE(hello);
    EXPECT_EQ(hello->data, "hello");
    auto closed = client->WaitClosed(30s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1011);
    EXPECT_NE(closed->reason.find("upstream connection lost"), std::string::npos) << closed->reason;
    EXPECT_EQ(proxy.Stop(), 0);
}

TEST(Hardening, ClientVanishingInTheMiddleOfAFrameClosesTheUpstreamsConnection)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), dir.File("t.db"), {}, kWithStderr);
    ASSERT_NE(proxy.Port(), 0);
    RawClient(proxy.Port(), BigFrameHeader(32u << 20, true) + std::string(1u << 20, 'c'));
    auto seen = upstream.WaitForClose(20s);
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->code, 1006) << "no close frame: the connection just ended";
    EXPECT_EQ(proxy.Stop(), 0);
    SQLite::Database db(dir.File("t.db"));
    EXPECT_NE(db.execAndGet("SELECT error FROM sessions").getString().find("client vanished"), std::string::npos);
}

TEST(Hardening, ClientVanishingBetweenFramesClosesTheUpstreamWith1001)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), dir.File("t.db"), {}, kWithStderr);
    ASSERT_NE(proxy.Port(), 0);
    RawClient(proxy.Port(), ClientFrame(0x81, "last words"));
    auto seen = upstream.WaitForClose(20s);
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->code, 1001);
    EXPECT_EQ(proxy.Stop(), 0);
    SQLite::Database db(dir.File("t.db"));
    EXPECT_NE(db.execAndGet("SELECT error FROM sessions").getString().find("client vanished"), std::string::npos);
}

TEST(Hardening, PlainHttpGoesToTheEngineAndOnlyBrokenOrSmugglingRequestsGet4xxFromTheProxy)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), dir.File("t.db"), {}, kWithStderr);
    ASSERT_NE(proxy.Port(), 0);
    struct Case
    {
        const char* what;
        std::string request;
        const char* status;
    };
    std::string bigHeader = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
    for (const Case& c :
         {Case{"oversized headers", bigHeader, "HTTP/1.1 431 Request Header Fields Too Large"},
          Case{"garbage", std::string("\x16\x03\x01\x02\x00 not http\r\n\r\n", 22), "HTTP/1.1 400 Bad Request"},
          Case{"smuggling",
               "POST /task HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
               "HTTP/1.1 400 Bad Request"},
          Case{"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n", "HTTP/1.1 400 Bad Request"}})
    {
        EXPECT_EQ(Status(test::RawExchange(proxy.Port(), c.request, 3s)), c.status) << c.what;
    }
    EXPECT_TRUE(upstream.Handshakes().empty()) << "none of them reached the engine";
    // A plain request is the engine's to answer: the proxy passes on whatever it says (an lws WebSocket server
    // answers a plain GET with an HTTP error of its own).
    std::string answer = test::RawExchange(proxy.Port(), "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", 3s);
    EXPECT_EQ(answer.substr(0, 9), "HTTP/1.1 ") << answer;
    EXPECT_EQ(answer.find("dapscope proxy"), std::string::npos) << "the answer is the engine's, not the proxy's";

    auto client = proxy.Connect(); // and it still relays
    ASSERT_TRUE(client);
    client->SendText("still here");
    auto echo = client->Receive(10s);
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->data, "still here");
    EXPECT_EQ(proxy.Stop(), 0);
}

TEST(Hardening, FramesWithUnknowableBoundariesGet1002FromTheProxyAndTheEndpointsOwnViolationsPassToIt)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), dir.File("t.db"), {}, kWithStderr);
    ASSERT_NE(proxy.Port(), 0);
    struct Case
    {
        const char* what;
        std::string frame;
        bool byProxy; // the proxy stops it (frame boundaries unknowable) or the engine answers it
    };
    for (const Case& c : {Case{"reserved opcode", ClientFrame(0x83, "{}"), true},
                          Case{"fragmented control frame", ClientFrame(0x09, "ping"), true},
                          Case{"oversized control frame", ClientFrame(0x89, std::string(126, 'p')), true},
                          Case{"reserved bits", ClientFrame(0x81 | 0x40, "{}"), false},
                          Case{"continuation without a start", ClientFrame(0x80, "cont"), false}})
    {
        std::string answer = test::RawExchange(proxy.Port(), std::string(kUpgrade) + c.frame, 3s);
        ASSERT_EQ(Status(answer), "HTTP/1.1 101 Switching Protocols") << c.what;
        size_t body = answer.find("\r\n\r\n") + 4;
        ASSERT_LT(body + 3, answer.size()) << c.what << ": no close frame";
        EXPECT_EQ(static_cast<uint8_t>(answer[body]), 0x88) << c.what; // a close frame...
        uint16_t code = static_cast<uint16_t>((static_cast<uint8_t>(answer[body + 2]) << 8) |
                                              static_cast<uint8_t>(answer[body + 3]));
        EXPECT_EQ(code, 1002) << c.what; // ...with "protocol error"
        bool fromProxy = answer.find("dapscope proxy: client sent", body) != std::string::npos;
        EXPECT_EQ(fromProxy, c.byProxy) << c.what
                                        << (c.byProxy ? ": the proxy must stop it itself"
                                                      : ": the engine's own answer must come back");
    }
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    client->SendText("after the hostile ones");
    EXPECT_TRUE(client->Receive(10s));
    EXPECT_EQ(proxy.Stop(), 0);
    SQLite::Database db(dir.File("t.db"));
    EXPECT_GE(db.execAndGet("SELECT count(*) FROM sessions WHERE ended_ns IS NOT NULL").getInt(), 5);
    EXPECT_EQ(
        db.execAndGet("SELECT count(*) FROM sessions WHERE error LIKE 'client broke the WebSocket protocol%'").getInt(),
        3);
}

TEST(Hardening, AccessTokenIsRequiredAndNeverForwarded)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), dir.File("t.db"),
                             {"--access-token", "s3cret-proxy-token"}, kWithStderr);
    ASSERT_NE(proxy.Port(), 0);
    EXPECT_NE(Status(test::RawExchange(proxy.Port(), kUpgrade, 3s)).find(" 401 "), std::string::npos);
    std::string wrong = kUpgrade;
    wrong.insert(wrong.size() - 2, "X-Dapscope-Token: nope\r\n");
    EXPECT_NE(Status(test::RawExchange(proxy.Port(), wrong, 3s)).find(" 401 "), std::string::npos);

    auto client = proxy.Connect("/task/service?x=1&dapscope_token=s3cret-proxy-token");
    ASSERT_TRUE(client);
    client->SendText("with the token");
    ASSERT_TRUE(client->Receive(10s));
    auto handshakes = upstream.Handshakes();
    ASSERT_EQ(handshakes.size(), 1u);
    EXPECT_EQ(handshakes[0].path, "/task/service?x=1");
    EXPECT_EQ(proxy.Stop(), 0);
    EXPECT_EQ(proxy.Process().Output().find("s3cret-proxy-token"), std::string::npos);
}

TEST(Hardening, WssUpstreamCertificateIsVerifiedUnlessTold)
{
    test::TempDir dir;
    ASSERT_TRUE(MakeCertificate(dir));
    net::WsServerOptions tls;
    tls.tlsCert = dir.File("cert.pem");
    tls.tlsKey = dir.File("key.pem");
    test::EchoUpstream engine(tls);
    std::string upstream = "wss://127.0.0.1:" + std::to_string(engine.Port());
    {
        test::ProxyProcess strict(upstream, dir.File("strict.db"), {}, kWithStderr);
        ASSERT_NE(strict.Port(), 0);
        std::string answer = test::RawExchange(strict.Port(), kUpgrade, 10s);
        EXPECT_EQ(Status(answer), "HTTP/1.1 502 Bad Gateway") << "a self-signed engine must be refused";
        EXPECT_NE(answer.find("certificate verify failed"), std::string::npos) << answer;
        EXPECT_EQ(strict.Stop(), 0);
    }
    for (std::vector<std::string> extra :
         {std::vector<std::string>{"--ca-file", dir.File("cert.pem")}, std::vector<std::string>{"--insecure"}})
    {
        test::ProxyProcess proxy(upstream, dir.File("ok.db"), extra, kWithStderr);
        ASSERT_NE(proxy.Port(), 0);
        auto client = proxy.Connect();
        ASSERT_TRUE(client);
        client->SendText("over tls");
        auto echo = client->Receive(10s);
        ASSERT_TRUE(echo) << extra[0];
        EXPECT_EQ(echo->data, "over tls");
        EXPECT_EQ(proxy.Stop(), 0);
        if (extra[0] == "--insecure")
        {
            EXPECT_NE(proxy.Process().Output().find("WARNING: --insecure"), std::string::npos);
        }
    }
}

TEST(Hardening, ClientsCanUseWssToTheProxy)
{
    test::TempDir dir;
    ASSERT_TRUE(MakeCertificate(dir));
    test::EchoUpstream upstream;
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), dir.File("t.db"),
                             {"--tls-cert", dir.File("cert.pem"), "--tls-key", dir.File("key.pem")}, kWithStderr);
    ASSERT_NE(proxy.Port(), 0);
    EXPECT_NE(proxy.Process().Output().find("listening on wss://"), std::string::npos);
    auto client = proxy.Connect("/task/service", {.caFile = dir.File("cert.pem")});
    ASSERT_TRUE(client);
    client->SendText("encrypted both ways");
    auto echo = client->Receive(10s);
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->data, "encrypted both ways");
    EXPECT_EQ(proxy.Stop(), 0);
}

TEST(Hardening, NonLoopbackListenWarns)
{
    test::TempDir dir;
    test::ProxyProcess proxy("", dir.File("t.db"), {}, {.listen = "0.0.0.0:0"});
    EXPECT_TRUE(proxy.Process().WaitForLine("WARNING: listening on 0.0.0.0", 10s)) << proxy.Process().Output();
    EXPECT_EQ(proxy.Stop(), 0);
}

TEST(Hardening, FullDiskPausesCaptureButNotTheRelayAndTheGapIsRecorded)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    std::string db = dir.File("t.db");
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), db, {"--quiet"}, kWithStderr);
    ASSERT_NE(proxy.Port(), 0);
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    const std::string payload(2000, 'd');
    auto exchange = [&](int count)
    {
        int echoed = 0;
        for (int i = 0; i < count; ++i)
        {
            client->SendText(R"({"type":"request","seq":)" + std::to_string(i) + R"(,"command":"x","pad":")" + payload +
                             R"("})");
            echoed += client->Receive(5s) ? 1 : 0;
        }
        return echoed;
    };
    EXPECT_EQ(exchange(500), 500);
    std::this_thread::sleep_for(300ms);
    // The store's files may not grow any more: the disk is full for the proxy.
    // Only the soft limit moves, so it can be raised again without privileges.
    rlimit full{};
    full.rlim_cur = std::max(std::filesystem::file_size(db), std::filesystem::file_size(db + "-wal"));
    full.rlim_max = RLIM_INFINITY;
    ASSERT_EQ(prlimit(proxy.Process().Pid(), RLIMIT_FSIZE, &full, nullptr), 0);
    EXPECT_EQ(exchange(3000), 3000) << "relaying goes on while the store is full";
    EXPECT_TRUE(proxy.Process().WaitForLine("capture paused", 10s)) << proxy.Process().Output();

    rlimit room{RLIM_INFINITY, RLIM_INFINITY};
    ASSERT_EQ(prlimit(proxy.Process().Pid(), RLIMIT_FSIZE, &room, nullptr), 0);
    EXPECT_TRUE(proxy.Process().WaitForLine("capture resumed", 15s)) << proxy.Process().Output();
    int64_t resumedAt =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    EXPECT_EQ(exchange(200), 200);
    client->Close(1000, "");
    client->WaitClosed(10s);
    EXPECT_EQ(proxy.Stop(), 0);

    SQLite::Database store(db);
    EXPECT_EQ(store.execAndGet("PRAGMA integrity_check").getString(), "ok");
    EXPECT_GE(store.execAndGet("SELECT count(*) FROM capture_gaps").getInt(), 1);
    // ENOSPC reads "database or disk is full"; the file-size limit used here reads "disk I/O error".
    EXPECT_NE(store.execAndGet("SELECT error FROM capture_gaps").getString().find("disk"), std::string::npos);
    SQLite::Statement after(store, "SELECT count(*) FROM messages WHERE ts_ns > ?");
    after.bind(1, resumedAt);
    ASSERT_TRUE(after.executeStep());
    EXPECT_EQ(after.getColumn(0).getInt(), 400 + 2) << "capture resumed: every later message (and both closes) stored";
}
