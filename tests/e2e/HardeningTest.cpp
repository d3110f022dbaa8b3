// Faults and hostile input on loopback, against `dapscope proxy` as a separate process: the proxy must
// never be what breaks a session, loses data, or crashes.

#include "net/WsClient.hpp"
#include "net/WsServer.hpp"
#include "support/TestProcess.hpp"
#include "support/Upstream.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

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
struct Proxy
{
    std::unique_ptr<test::TestProcess> process;
    int port = 0;

    Proxy(const std::string& upstream, const std::string& db, std::vector<std::string> extra = {})
    {
        std::vector<std::string> argv = {
            test::BinPath("dapscope"), "proxy", "--listen", "127.0.0.1:0", "--upstream", upstream, "--db", db};
        argv.insert(argv.end(), extra.begin(), extra.end());
        process = std::make_unique<test::TestProcess>(argv, std::vector<std::string>{}, true);
        if (auto line = process->WaitForLine("listening on", 10s))
            port = test::PortFromLine(*line);
    }
    std::unique_ptr<net::WsClient> Connect(std::string path = "/task/service", std::string caFile = {},
                                           bool tls = false)
    {
        net::WsClientOptions options;
        options.url = std::string(tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(port) + path;
        options.caFile = std::move(caFile);
        std::string error;
        auto client = net::WsClient::Connect(options, error);
        EXPECT_TRUE(client) << error;
        return client;
    }
    // Stop with SIGTERM and wait: the exit status.
    int Stop()
    {
        process->Signal(SIGTERM);
        return process->Wait(30s).value_or(-1);
    }
};

std::string Local(int port)
{
    return "127.0.0.1:" + std::to_string(port);
}

// A WebSocket frame from a client: masked, with the given first byte (FIN, RSV bits, opcode).
std::string ClientFrame(uint8_t first, const std::string& payload)
{
    std::string frame;
    frame += static_cast<char>(first);
    frame += static_cast<char>(0x80 | payload.size()); // payloads here stay under 126 bytes
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

bool MakeCertificate(const test::TempDir& dir)
{
    return test::Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                       "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                       dir.File("key.pem") + " -out " + dir.File("cert.pem") + " >/dev/null 2>&1");
}
} // namespace

TEST(Hardening, UpstreamThatNeverAnswersTheHandshakeTimesOutWithAReason)
{
    test::TempDir dir;
    int silent = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(silent, 16), 0); // the kernel completes TCP handshakes; nobody ever answers HTTP
    socklen_t len = sizeof addr;
    getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len);

    Proxy proxy(Local(ntohs(addr.sin_port)), dir.File("t.db"), {"--upstream-timeout", "2"});
    ASSERT_NE(proxy.port, 0);
    auto start = std::chrono::steady_clock::now();
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    auto closed = client->WaitClosed(20s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1011);
    EXPECT_NE(closed->reason.find("upstream"), std::string::npos) << closed->reason;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_EQ(proxy.Stop(), 0);
    close(silent);
    SQLite::Database db(dir.File("t.db"));
    EXPECT_NE(db.execAndGet("SELECT error FROM sessions").getString(), "");
    EXPECT_EQ(db.execAndGet("SELECT upstream_ok FROM sessions").getInt(), 0);
}

TEST(Hardening, UpstreamDyingInTheMiddleOfA32MiBMessageClosesTheClientAndKeepsWhatArrived)
{
    test::TempDir dir;
    net::EventLoop loop("dying-upstream");
    net::WsHandlers handlers;
    handlers.onMessage = [&loop](net::WsConnection& connection, net::WsMessage&&)
    {
        connection.Send(net::FrameType::Binary, std::string(32u << 20, 'z'), 64 * 1024);
        auto strong = connection.shared_from_this();
        loop.After(30, [strong] { strong->Kill(); }); // gone mid-message, without a close frame
    };
    net::WsServer upstream(loop, {}, std::move(handlers));
    Proxy proxy(Local(upstream.Port()), dir.File("t.db"));
    ASSERT_NE(proxy.port, 0);
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    client->SendText("send me 32 MiB");
    auto closed = client->WaitClosed(30s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1011);
    EXPECT_NE(closed->reason.find("upstream connection lost"), std::string::npos) << closed->reason;
    EXPECT_EQ(proxy.Stop(), 0);
    SQLite::Database db(dir.File("t.db"));
    EXPECT_NE(db.execAndGet("SELECT error FROM sessions").getString().find("upstream vanished"), std::string::npos);
    SQLite::Statement partial(db, "SELECT size, flags FROM messages WHERE dir = 1 AND opcode = 2");
    ASSERT_TRUE(partial.executeStep());
    EXPECT_GT(partial.getColumn(0).getInt64(), 0);
    EXPECT_LT(partial.getColumn(0).getInt64(), 32 << 20);
    EXPECT_NE(partial.getColumn(1).getInt() & 1, 0) << "the cut-off message is flagged truncated";
}

TEST(Hardening, ClientDyingInTheMiddleOfA32MiBMessageClosesTheUpstreamWith1001)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    Proxy proxy(Local(upstream.Port()), dir.File("t.db"));
    ASSERT_NE(proxy.port, 0);
    {
        auto client = proxy.Connect();
        ASSERT_TRUE(client);
        client->SendText("hello");
        ASSERT_TRUE(client->Receive(10s));
        client->Send(net::FrameType::Binary, std::string(32u << 20, 'c'), 64 * 1024);
        std::this_thread::sleep_for(50ms);
    } // destroyed mid-message: the socket drops without a close frame
    auto seen = upstream.WaitForClose(20s);
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->code, 1001);
    EXPECT_EQ(proxy.Stop(), 0);
    SQLite::Database db(dir.File("t.db"));
    EXPECT_NE(db.execAndGet("SELECT error FROM sessions").getString().find("client vanished"), std::string::npos);
}

TEST(Hardening, RequestsThatAreNotWebSocketUpgradesGetHttpErrors)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    Proxy proxy(Local(upstream.Port()), dir.File("t.db"));
    ASSERT_NE(proxy.port, 0);
    struct Case
    {
        const char* what;
        std::string request;
    };
    std::string bigHeader = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
    for (const Case& c : {Case{"plain GET", "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"},
                          Case{"POST", "POST /task HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"},
                          Case{"upgrade without a key",
                               "GET /task/service HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Version: 13\r\n\r\n"},
                          Case{"oversized headers", bigHeader},
                          Case{"garbage", std::string("\x16\x03\x01\x02\x00 not http\r\n\r\n", 22)}})
    {
        std::string answer = test::RawExchange(proxy.port, c.request, 3s);
        std::string status = Status(answer);
        // An HTTP error status, or (for requests too broken to answer) a closed connection: never a 101.
        EXPECT_TRUE(answer.empty() || (status.rfind("HTTP/1.", 0) == 0 && status.substr(8, 2) == " 4"))
            << c.what << ": " << status;
    }
    EXPECT_EQ(Status(test::RawExchange(proxy.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 3s)).substr(0, 12),
              "HTTP/1.1 426");
    auto client = proxy.Connect(); // and it still relays
    ASSERT_TRUE(client);
    client->SendText("still here");
    auto echo = client->Receive(10s);
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->data, "still here");
    EXPECT_EQ(proxy.Stop(), 0);
}

TEST(Hardening, ProtocolViolationsCloseThatLegWith1002AndTheProxyGoesOn)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    Proxy proxy(Local(upstream.Port()), dir.File("t.db"));
    ASSERT_NE(proxy.port, 0);
    struct Case
    {
        const char* what;
        std::string frame;
    };
    for (const Case& c :
         {Case{"reserved bits", ClientFrame(0x81 | 0x40, "{}")}, Case{"reserved opcode", ClientFrame(0x83, "{}")},
          Case{"oversized control frame", ClientFrame(0x89, std::string(125, 'p')) /* ok */},
          Case{"fragmented control frame", ClientFrame(0x09, "ping")},
          Case{"continuation without a start", ClientFrame(0x80, "cont")}})
    {
        std::string answer = test::RawExchange(proxy.port, std::string(kUpgrade) + c.frame, 3s);
        ASSERT_EQ(Status(answer), "HTTP/1.1 101 Switching Protocols") << c.what;
        if (std::string(c.what) == "oversized control frame")
            continue; // 125 bytes is the largest legal control frame: answered with a pong, no close
        size_t body = answer.find("\r\n\r\n") + 4;
        ASSERT_LT(body + 3, answer.size()) << c.what << ": no close frame";
        EXPECT_EQ(static_cast<uint8_t>(answer[body]), 0x88) << c.what; // a close frame...
        uint16_t code = static_cast<uint16_t>((static_cast<uint8_t>(answer[body + 2]) << 8) |
                                              static_cast<uint8_t>(answer[body + 3]));
        EXPECT_EQ(code, 1002) << c.what; // ...with "protocol error"
    }
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    client->SendText("after the hostile ones");
    EXPECT_TRUE(client->Receive(10s));
    EXPECT_EQ(proxy.Stop(), 0);
    SQLite::Database db(dir.File("t.db"));
    EXPECT_GE(db.execAndGet("SELECT count(*) FROM sessions WHERE ended_ns IS NOT NULL").getInt(), 5);
}

TEST(Hardening, AccessTokenIsRequiredAndNeverForwarded)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    Proxy proxy(Local(upstream.Port()), dir.File("t.db"), {"--access-token", "s3cret-proxy-token"});
    ASSERT_NE(proxy.port, 0);
    EXPECT_NE(Status(test::RawExchange(proxy.port, kUpgrade, 3s)).find(" 401 "), std::string::npos);
    std::string wrong = kUpgrade;
    wrong.insert(wrong.size() - 2, "X-Dapscope-Token: nope\r\n");
    EXPECT_NE(Status(test::RawExchange(proxy.port, wrong, 3s)).find(" 401 "), std::string::npos);

    auto client = proxy.Connect("/task/service?x=1&dapscope_token=s3cret-proxy-token");
    ASSERT_TRUE(client);
    client->SendText("with the token");
    ASSERT_TRUE(client->Receive(10s));
    auto handshakes = upstream.Handshakes();
    ASSERT_EQ(handshakes.size(), 1u);
    EXPECT_EQ(handshakes[0].path, "/task/service?x=1");
    EXPECT_EQ(proxy.Stop(), 0);
    EXPECT_EQ(proxy.process->Output().find("s3cret-proxy-token"), std::string::npos);
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
        Proxy strict(upstream, dir.File("strict.db"));
        ASSERT_NE(strict.port, 0);
        auto client = strict.Connect();
        ASSERT_TRUE(client);
        auto closed = client->WaitClosed(15s);
        ASSERT_TRUE(closed) << "a self-signed engine must be refused";
        EXPECT_EQ(closed->code, 1011);
        EXPECT_EQ(strict.Stop(), 0);
    }
    for (std::vector<std::string> extra :
         {std::vector<std::string>{"--ca-file", dir.File("cert.pem")}, std::vector<std::string>{"--insecure"}})
    {
        Proxy proxy(upstream, dir.File("ok.db"), extra);
        ASSERT_NE(proxy.port, 0);
        auto client = proxy.Connect();
        ASSERT_TRUE(client);
        client->SendText("over tls");
        auto echo = client->Receive(10s);
        ASSERT_TRUE(echo) << extra[0];
        EXPECT_EQ(echo->data, "over tls");
        EXPECT_EQ(proxy.Stop(), 0);
        if (extra[0] == "--insecure")
        {
            EXPECT_NE(proxy.process->Output().find("WARNING: --insecure"), std::string::npos);
        }
    }
}

TEST(Hardening, ClientsCanUseWssToTheProxy)
{
    test::TempDir dir;
    ASSERT_TRUE(MakeCertificate(dir));
    test::EchoUpstream upstream;
    Proxy proxy(Local(upstream.Port()), dir.File("t.db"),
                {"--tls-cert", dir.File("cert.pem"), "--tls-key", dir.File("key.pem")});
    ASSERT_NE(proxy.port, 0);
    EXPECT_NE(proxy.process->Output().find("listening on wss://"), std::string::npos);
    auto client = proxy.Connect("/task/service", dir.File("cert.pem"), true);
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
    test::TestProcess proxy({test::BinPath("dapscope"), "proxy", "--listen", "0.0.0.0:0", "--db", dir.File("t.db")});
    EXPECT_TRUE(proxy.WaitForLine("WARNING: listening on 0.0.0.0", 10s)) << proxy.Output();
    proxy.Signal(SIGTERM);
    EXPECT_EQ(proxy.Wait(30s), 0);
}

TEST(Hardening, FullDiskPausesCaptureButNotTheRelayAndTheGapIsRecorded)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    std::string db = dir.File("t.db");
    Proxy proxy(Local(upstream.Port()), db, {"--quiet"});
    ASSERT_NE(proxy.port, 0);
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
    ASSERT_EQ(prlimit(proxy.process->Pid(), RLIMIT_FSIZE, &full, nullptr), 0);
    EXPECT_EQ(exchange(3000), 3000) << "relaying goes on while the store is full";
    EXPECT_TRUE(proxy.process->WaitForLine("capture paused", 10s)) << proxy.process->Output();

    rlimit room{RLIM_INFINITY, RLIM_INFINITY};
    ASSERT_EQ(prlimit(proxy.process->Pid(), RLIMIT_FSIZE, &room, nullptr), 0);
    EXPECT_TRUE(proxy.process->WaitForLine("capture resumed", 15s)) << proxy.process->Output();
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
    EXPECT_EQ(after.getColumn(0).getInt(), 400 + 1) << "capture resumed: every later message is stored";
}
