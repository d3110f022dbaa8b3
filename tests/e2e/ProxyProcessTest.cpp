// `dapscope proxy` as users run it: a separate process, real sockets, real SQLite file. Memory is measured
// on that process (VmHWM), so these tests see what users would see.

#include "support/ProxyProcess.hpp"
#include "support/TestProcess.hpp"
#include "support/Upstream.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;

namespace
{
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

// SHA-256 of bytes fed in pieces.
class Sha256
{
  public:
    Sha256() { EVP_DigestInit_ex(m_context, EVP_sha256(), nullptr); }
    ~Sha256() { EVP_MD_CTX_free(m_context); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void Add(const void* data, size_t size) { EVP_DigestUpdate(m_context, data, size); }
    std::string Hex()
    {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        EVP_DigestFinal_ex(m_context, digest, &size);
        const char* const digits = "0123456789abcdef";
        std::string hex;
        for (unsigned int i = 0; i < size; ++i)
        {
            hex += digits[digest[i] >> 4];
            hex += digits[digest[i] & 15];
        }
        return hex;
    }

  private:
    EVP_MD_CTX* m_context = EVP_MD_CTX_new();
};

std::string Sha256Hex(const std::string& bytes)
{
    Sha256 sha;
    sha.Add(bytes.data(), bytes.size());
    return sha.Hex();
}

// A message's stored bytes as read from the store's tables: messages.data, then its message_chunks in order.
struct StoredBytes
{
    int64_t length = 0;
    std::string sha256;
};

StoredBytes ReadStoredBytes(SQLite::Database& db, int64_t id)
{
    StoredBytes stored;
    Sha256 sha;
    auto add = [&](const SQLite::Column& blob)
    {
        stored.length += blob.getBytes();
        sha.Add(blob.getBlob(), static_cast<size_t>(blob.getBytes()));
    };
    SQLite::Statement head(db, "SELECT data FROM messages WHERE id = ?");
    head.bind(1, id);
    if (head.executeStep() && !head.getColumn(0).isNull())
        add(head.getColumn(0));
    SQLite::Statement chunks(db, "SELECT data FROM message_chunks WHERE message_id = ? ORDER BY idx");
    chunks.bind(1, id);
    while (chunks.executeStep())
        add(chunks.getColumn(0));
    stored.sha256 = sha.Hex();
    return stored;
}
} // namespace

TEST(ProxyProcess, A64MiBMessagePassesWithMemoryWellUnderItsSize)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    // An 8 MiB capture buffer: what is measured is that the relay's memory does not grow with the message.
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), dir.File("traces.db"), {"--capture-buffer", "8MiB"});
    ASSERT_NE(proxy.Port(), 0) << proxy.Process().Output();
    long baseline = proxy.Process().RssKiB();
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    const std::string big = Pattern(64u << 20, 7);
    client->Send(net::FrameType::Binary, big);
    auto echoed = client->Receive(120s);
    ASSERT_TRUE(echoed);
    ASSERT_EQ(echoed->data.size(), big.size());
    EXPECT_TRUE(echoed->data == big);
    long peak = proxy.Process().PeakRssKiB();
    std::printf("proxy RSS: %ld KiB before, peak %ld KiB while relaying 64 MiB each way\n", baseline, peak);
    RecordProperty("proxy_peak_rss_kib", std::to_string(peak));
    // Bounded by the relay watermarks (2 MiB per direction), the capture buffer (8 MiB + reserve) held twice at
    // most (the wire bytes waiting, and their decoded copy until the batch is written) and the read buffer pool.
    EXPECT_LT(peak, 40 * 1024) << "peak RSS must stay well under the 64 MiB message";
    EXPECT_LT(peak - baseline, 28 * 1024);

    client->Close(1000, "");
    client->WaitClosed(10s);
    ASSERT_EQ(proxy.Stop(), 0);
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

TEST(ProxyProcess, A64MiBMessageIsStoredWholeBothWaysWhenTheCaptureBufferHoldsIt)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    // The same exchange as above with a capture buffer larger than both copies: capture cannot fall behind, so
    // nothing may be elided and both payloads must be in the store byte for byte.
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), dir.File("traces.db"), {"--capture-buffer", "256MiB"});
    ASSERT_NE(proxy.Port(), 0) << proxy.Process().Output();
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    const std::string big = Pattern(64u << 20, 7);
    client->Send(net::FrameType::Binary, big);
    auto echoed = client->Receive(120s);
    ASSERT_TRUE(echoed);
    ASSERT_EQ(echoed->data.size(), big.size());
    EXPECT_TRUE(echoed->data == big);
    client->Close(1000, "");
    client->WaitClosed(10s);
    ASSERT_EQ(proxy.Stop(), 0) << proxy.Process().Output();

    const std::string sent = Sha256Hex(big);
    SQLite::Database db(dir.File("traces.db"));
    SQLite::Statement messages(db, "SELECT id, dir, opcode, flags FROM messages WHERE size = 67108864 ORDER BY id");
    std::vector<int> dirs;
    while (messages.executeStep())
    {
        int64_t id = messages.getColumn(0).getInt64();
        dirs.push_back(messages.getColumn(1).getInt());
        EXPECT_EQ(messages.getColumn(2).getInt(), 2) << "message " << id << " is binary";
        EXPECT_EQ(messages.getColumn(3).getInt(), 0)
            << "message " << id << " is neither truncated, elided nor redacted";
        StoredBytes stored = ReadStoredBytes(db, id);
        EXPECT_EQ(stored.length, 67108864) << "message " << id;
        EXPECT_EQ(stored.sha256, sent) << "message " << id << " holds other bytes than were sent";
    }
    EXPECT_EQ(dirs, (std::vector<int>{0, 1})) << "the client's message, then the engine's echo";
    EXPECT_EQ(Count(db, "SELECT elided FROM sessions"), 0);
}

TEST(ProxyProcess, SlowClientKeepsProxyMemoryBoundedAndLosesNothing)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), dir.File("traces.db"), {"--capture-buffer", "8MiB"});
    ASSERT_NE(proxy.Port(), 0);
    auto client = proxy.Connect();
    ASSERT_TRUE(client);
    client->SetReading(false);
    client->SendText("ready"); // the echo tells us the upstream side is connected
    std::this_thread::sleep_for(500ms);
    constexpr int kMessages = 160; // 160 MiB flood while the client reads nothing
    for (int i = 0; i < kMessages; ++i)
        upstream.Broadcast(net::FrameType::Binary, Pattern(1u << 20, i));
    std::this_thread::sleep_for(3s);
    long stalledRss = proxy.Process().RssKiB();
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
    long peak = proxy.Process().PeakRssKiB();
    std::printf("proxy peak RSS over the whole flood: %ld KiB\n", peak);
    EXPECT_LT(peak, 40 * 1024);
}

TEST(ProxyProcess, SigtermWhileTrafficFlowsExitsZeroAndKeepsEveryCompletedMessage)
{
    test::TempDir dir;
    test::EchoUpstream upstream;
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), dir.File("traces.db"));
    ASSERT_NE(proxy.Port(), 0);
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
    proxy.Process().Signal(SIGTERM);
    while (client->Receive(2s))
        ++echoed;
    stop = true;
    sender.join();
    auto closed = client->WaitClosed(10s);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->code, 1001);
    ASSERT_EQ(proxy.Process().Wait(30s), 0) << proxy.Process().Output();

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
        test::ProxyProcess proxy(test::Loopback(upstream.Port()), db);
        ASSERT_NE(proxy.Port(), 0);
        auto client = proxy.Connect();
        ASSERT_TRUE(client);
        client->SendText(R"({"type":"request","seq":1,"command":"rrext_ping","arguments":{}})");
        ASSERT_TRUE(client->Receive(10s));
        client->Close(1000, "bye");
        ASSERT_TRUE(client->WaitClosed(10s));
        EXPECT_TRUE(proxy.Process().WaitForLine("closed 1000 by client", 10s)) << proxy.Process().Output();
        proxy.Process().Signal(SIGINT);
        ASSERT_EQ(proxy.Process().Wait(30s), 0);
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
