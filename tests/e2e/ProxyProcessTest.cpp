// `dapscope proxy` as users run it: a separate process, real sockets, real SQLite file. Memory is measured
// on that process (VmHWM), so these tests see what users would see.

#include "net/WsClient.hpp"
#include "support/TestProcess.hpp"
#include "support/Upstream.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;

namespace
{
struct ProxyProcess
{
    std::unique_ptr<test::TestProcess> process;
    int port = 0;

    ProxyProcess(int upstreamPort, const std::string& db, std::vector<std::string> extra = {})
    {
        std::vector<std::string> argv = {test::BinPath("dapscope"),
                                         "proxy",
                                         "--listen",
                                         "127.0.0.1:0",
                                         "--upstream",
                                         "127.0.0.1:" + std::to_string(upstreamPort),
                                         "--db",
                                         db};
        argv.insert(argv.end(), extra.begin(), extra.end());
        process = std::make_unique<test::TestProcess>(argv);
        auto line = process->WaitForLine("listening on", 10s);
        if (line)
            port = test::PortFromLine(*line);
    }

    std::unique_ptr<net::WsClient> Connect()
    {
        net::WsClientOptions options;
        options.url = "ws://127.0.0.1:" + std::to_string(port) + "/task/service";
        std::string error;
        auto client = net::WsClient::Connect(options, error);
        EXPECT_TRUE(client) << error;
        return client;
    }
};

std::string Pattern(size_t size, unsigned seed)
{
    std::string data(size, '\0');
    uint32_t x = seed;
    for (char& c : data)
    {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(x >> 24);
    }
    return data;
}

int64_t Count(SQLite::Database& db, const std::string& sql)
{
    return db.execAndGet(sql).getInt64();
}
} // namespace

TEST(ProxyProcess, A64MiBMessagePassesWithMemoryWellUnderItsSize)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    // An 8 MiB capture buffer: what is measured is that the relay's memory does not grow with the message.
    ProxyProcess proxy(upstream.Port(), dir.File("traces.db"), {"--capture-buffer", "8MiB"});
    ASSERT_NE(proxy.port, 0) << proxy.process->Output();
    long baseline = proxy.process->RssKiB();
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    const std::string big = Pattern(64u << 20, 7);
    client->Send(net::FrameType::Binary, big);
    auto echoed = client->Receive(120s);
    ASSERT_TRUE(echoed);
    ASSERT_EQ(echoed->data.size(), big.size());
    EXPECT_TRUE(echoed->data == big);
    long peak = proxy.process->PeakRssKiB();
    std::printf("proxy RSS: %ld KiB before, peak %ld KiB while relaying 64 MiB each way\n", baseline, peak);
    RecordProperty("proxy_peak_rss_kib", std::to_string(peak));
    // Bounded by the relay watermarks (2 MiB per direction), the capture buffer (8 MiB + reserve) held twice at
    // most (the wire bytes waiting, and their decoded copy until the batch is written) and the read buffer pool.
    EXPECT_LT(peak, 40 * 1024) << "peak RSS must stay well under the 64 MiB message";
    EXPECT_LT(peak - baseline, 28 * 1024);

    client->Close(1000, "");
    client->WaitClosed(10s);
    proxy.process->Signal(SIGTERM);
    ASSERT_EQ(proxy.process->Wait(30s), 0);
    SQLite::Database db(dir.File("traces.db"));
    EXPECT_EQ(Count(db, "SELECT count(*) FROM messages WHERE size = 67108864"), 2);
    // Each copy is stored in full (64 MiB is the default capture limit), unless the writer fell behind the
    // loopback relay: then the gap is flagged on the message and counted on the session, never silent.
    SQLite::Statement stored(db, "SELECT id, flags, length(data) + (SELECT coalesce(sum(length(data)), 0) FROM "
                                 "message_chunks WHERE message_id = messages.id) FROM messages WHERE size = 67108864");
    int flaggedElided = 0;
    while (stored.executeStep())
    {
        bool elided = (stored.getColumn(1).getInt() & 2) != 0;
        flaggedElided += elided;
        if (!elided)
        {
            EXPECT_EQ(stored.getColumn(2).getInt64(), 67108864) << "message " << stored.getColumn(0).getInt64();
        }
    }
    EXPECT_EQ(Count(db, "SELECT elided FROM sessions"), flaggedElided);
}

TEST(ProxyProcess, SlowClientKeepsProxyMemoryBoundedAndLosesNothing)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    ProxyProcess proxy(upstream.Port(), dir.File("traces.db"), {"--capture-buffer", "8MiB"});
    ASSERT_NE(proxy.port, 0);
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    client->SetReading(false);
    client->SendText("ready"); // the echo tells us the upstream side is connected
    std::this_thread::sleep_for(500ms);
    constexpr int kMessages = 160; // 160 MiB flood while the client reads nothing
    for (int i = 0; i < kMessages; ++i)
        upstream.Broadcast(net::FrameType::Binary, Pattern(1u << 20, i));
    std::this_thread::sleep_for(3s);
    long stalledRss = proxy.process->RssKiB();
    std::printf("proxy RSS with a stalled reader and 160 MiB pending upstream: %ld KiB\n", stalledRss);
    EXPECT_LT(stalledRss, 40 * 1024);

    client->SetReading(true);
    auto ready = client->Receive(30s);
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->data, "ready");
    for (int i = 0; i < kMessages; ++i)
    {
        auto message = client->Receive(60s);
        ASSERT_TRUE(message) << "message " << i;
        ASSERT_TRUE(message->data == Pattern(1u << 20, i)) << "message " << i;
    }
    long peak = proxy.process->PeakRssKiB();
    std::printf("proxy peak RSS over the whole flood: %ld KiB\n", peak);
    EXPECT_LT(peak, 40 * 1024);
}

TEST(ProxyProcess, SigtermWhileTrafficFlowsExitsZeroAndKeepsEveryCompletedMessage)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    ProxyProcess proxy(upstream.Port(), dir.File("traces.db"));
    ASSERT_NE(proxy.port, 0);
    auto client = proxy.Connect();
    ASSERT_TRUE(client);

    std::atomic<bool> stop{false};
    std::thread sender(
        [&]
        {
            for (int i = 0; !stop && i < 200000; ++i)
            {
                client->SendText("{\"type\":\"request\",\"seq\":" + std::to_string(i + 1) +
                                 ",\"command\":\"rrext_ping\"}");
                if (i % 100 == 0)
                    std::this_thread::sleep_for(1ms);
            }
        });
    int echoed = 0;
    auto deadline = std::chrono::steady_clock::now() + 1500ms;
    while (std::chrono::steady_clock::now() < deadline)
        if (client->Receive(100ms))
            ++echoed;
    proxy.process->Signal(SIGTERM);
    while (client->Receive(2s))
        ++echoed;
    stop = true;
    sender.join();
    auto closed = client->WaitClosed(10s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1001);
    ASSERT_EQ(proxy.process->Wait(30s), 0) << proxy.process->Output();

    ASSERT_GT(echoed, 100);
    SQLite::Database db(dir.File("traces.db"));
    EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
    // Every echo the client received went through the proxy both ways: all of them must be stored.
    EXPECT_GE(Count(db, "SELECT count(*) FROM messages WHERE dir = 1 AND opcode = 1"), echoed);
    EXPECT_GE(Count(db, "SELECT count(*) FROM messages WHERE dir = 0 AND opcode = 1"), echoed);
    EXPECT_EQ(Count(db, "SELECT count(*) FROM sessions WHERE ended_ns IS NOT NULL"), 1);
    EXPECT_EQ(Count(db, "SELECT close_code FROM sessions"), 1001);
}

TEST(ProxyProcess, StoreIsPrivateAndTheCliListsWhatWasCaptured)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    std::string db = dir.File("nested/folder/traces.db");
    {
        ProxyProcess proxy(upstream.Port(), db);
        ASSERT_NE(proxy.port, 0);
        auto client = proxy.Connect();
        ASSERT_TRUE(client);
        client->SendText(R"({"type":"request","seq":1,"command":"rrext_ping","arguments":{}})");
        ASSERT_TRUE(client->Receive(10s));
        client->Close(1000, "bye");
        ASSERT_TRUE(client->WaitClosed(10s));
        EXPECT_TRUE(proxy.process->WaitForLine("closed 1000 by client", 10s)) << proxy.process->Output();
        proxy.process->Signal(SIGINT);
        ASSERT_EQ(proxy.process->Wait(30s), 0);
    }
    struct stat info
    {
    };
    ASSERT_EQ(stat(db.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600);

    test::TestProcess sessions({test::BinPath("dapscope"), "sessions", "--json", "--db", db});
    ASSERT_EQ(sessions.Wait(10s), 0);
    auto line = sessions.ReadLine(1s);
    ASSERT_TRUE(line);
    auto session = boost::json::parse(*line).as_object();
    EXPECT_EQ(session["messages"].as_int64(), 4); // request, echo, the client's close and the engine's answer
    EXPECT_EQ(session["path"].as_string(), "/task/service");
    EXPECT_EQ(session["close_code"].as_int64(), 1000);
    EXPECT_TRUE(session["error"].is_null());
    for (const char* key : {"id", "started", "ended", "client", "upstream", "bytes"})
        EXPECT_TRUE(session.contains(key)) << key;

    test::TestProcess show(
        {test::BinPath("dapscope"), "show", std::to_string(session["id"].as_int64()), "--json", "--db", db});
    ASSERT_EQ(show.Wait(10s), 0);
    std::vector<boost::json::object> messages;
    while (auto l = show.ReadLine(1s))
        messages.push_back(boost::json::parse(*l).as_object());
    ASSERT_EQ(messages.size(), 4u);
    EXPECT_EQ(messages[0]["dir"].as_string(), "c2s");
    EXPECT_EQ(messages[0]["opcode"].as_string(), "text");
    EXPECT_EQ(messages[1]["dir"].as_string(), "s2c");
    EXPECT_EQ(messages[2]["opcode"].as_string(), "close");
    EXPECT_EQ(messages[2]["dir"].as_string(), "c2s");
    EXPECT_EQ(messages[3]["opcode"].as_string(), "close");
    EXPECT_EQ(messages[3]["dir"].as_string(), "s2c");
    EXPECT_EQ(session["protocol"].as_string(), "websocket");
    EXPECT_EQ(session["extensions"].as_string(), "") << "the test client offers no extension";
    EXPECT_TRUE(session["subprotocol"].is_null());
    EXPECT_EQ(messages[0]["wire_size"].as_int64(), messages[0]["size"].as_int64() + 6)
        << "a masked frame with a 7-bit length: 2 header bytes and a 4-byte mask";
    for (const char* key : {"id", "session", "ts", "size"})
        EXPECT_TRUE(messages[0].contains(key)) << key;
}
