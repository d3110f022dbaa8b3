// Playbook tests of the sans-io relay core: feed events, assert the exact commands and writes that come out.

#include "proxy/RelayCore.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace dapscope::proxy;

namespace
{
using Type = RelayCommand::Type;

struct Fixture
{
    TapQueue tap{1u << 30};
    RelayLimits limits{.highWatermark = 100, .lowWatermark = 40, .maxCaptureBytes = 1000};
    RelayCore core{7, limits, tap};

    std::vector<RelayCommand> Take()
    {
        std::vector<RelayCommand> out = core.Commands();
        core.Commands().clear();
        return out;
    }
    std::vector<TapRecord> Tapped()
    {
        std::vector<TapRecord> out;
        tap.PopAll(out, std::chrono::milliseconds(0));
        return out;
    }
    void Connect()
    {
        core.Open(1, "127.0.0.1:1", "/task/service", "ws://e:5565", "");
        core.UpstreamOpened(2);
        Take();
        Tapped();
    }
};

bool Has(const std::vector<RelayCommand>& commands, Type type, Side side, bool enable = false)
{
    for (const RelayCommand& c : commands)
        if (c.type == type && c.side == side && (type != Type::SetRx || c.enable == enable))
            return true;
    return false;
}
} // namespace

TEST(RelayCore, ClientWaitsForUpstreamBeforeReading)
{
    Fixture f;
    f.core.Open(1, "127.0.0.1:1", "/task/service?x=1", "ws://e:5565", "ua");
    EXPECT_TRUE(Has(f.Take(), Type::SetRx, Side::Client, false));
    f.core.UpstreamOpened(2);
    auto commands = f.Take();
    EXPECT_TRUE(Has(commands, Type::SetRx, Side::Client, true));
    auto records = f.Tapped();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].type, TapRecord::Type::SessionOpen);
    EXPECT_EQ(records[0].path, "/task/service?x=1");
    EXPECT_EQ(records[1].type, TapRecord::Type::UpstreamOpen);
}

TEST(RelayCore, ForwardsChunksWithTheirFragmentFlags)
{
    Fixture f;
    f.Connect();
    f.core.Receive(Side::Client, "ab", false, false, 10);
    f.core.Receive(Side::Client, "cd", false, true, 11);
    EXPECT_TRUE(Has(f.Take(), Type::RequestWritable, Side::Upstream));
    WriteStep first = f.core.Writable(Side::Upstream);
    ASSERT_EQ(first.kind, WriteStep::Kind::Write);
    EXPECT_EQ(first.frame.View(), "ab");
    EXPECT_TRUE(first.frame.First());
    EXPECT_FALSE(first.frame.Final());
    EXPECT_EQ(first.frame.Type(), dapscope::net::FrameType::Text);
    WriteStep second = f.core.Writable(Side::Upstream);
    ASSERT_EQ(second.kind, WriteStep::Kind::Write);
    EXPECT_EQ(second.frame.View(), "cd");
    EXPECT_FALSE(second.frame.First());
    EXPECT_TRUE(second.frame.Final());
    EXPECT_EQ(f.core.Writable(Side::Upstream).kind, WriteStep::Kind::Nothing); // spurious WRITEABLE

    auto records = f.Tapped();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].bytes.View(), "ab"); // the tap still holds the bytes after the frames are gone
    EXPECT_EQ(records[1].bytes.View(), "cd");
    EXPECT_TRUE(records[0].first);
    EXPECT_FALSE(records[0].final);
    EXPECT_FALSE(records[1].first);
    EXPECT_TRUE(records[1].final);
    EXPECT_EQ(records[1].dir, Direction::ClientToServer);
}

TEST(RelayCore, PausesSourceAtHighWatermarkAndResumesAtLow)
{
    Fixture f;
    f.Connect();
    std::string chunk(30, 'x');
    for (int i = 0; i < 4; ++i) // 120 bytes queued > 100
        f.core.Receive(Side::Upstream, chunk, true, true, 10 + i);
    EXPECT_TRUE(Has(f.Take(), Type::SetRx, Side::Upstream, false));
    EXPECT_EQ(f.core.QueuedBytes(Side::Client), 120u);

    f.core.Writable(Side::Client); // 90 left: still above low
    EXPECT_FALSE(Has(f.Take(), Type::SetRx, Side::Upstream, true));
    f.core.Writable(Side::Client); // 60
    f.core.Writable(Side::Client); // 30 < 40: resume
    EXPECT_TRUE(Has(f.Take(), Type::SetRx, Side::Upstream, true));
}

TEST(RelayCore, UpstreamCloseCodeReachesTheClientAfterQueuedData)
{
    Fixture f;
    f.Connect();
    f.core.Receive(Side::Upstream, "last words", false, true, 10);
    f.core.PeerClosing(Side::Upstream,
                       std::string("\x0f\xa1"
                                   "bye",
                                   5),
                       12); // 4001
    WriteStep data = f.core.Writable(Side::Client);
    ASSERT_EQ(data.kind, WriteStep::Kind::Write);
    EXPECT_EQ(data.frame.View(), "last words");
    WriteStep close = f.core.Writable(Side::Client);
    ASSERT_EQ(close.kind, WriteStep::Kind::Close);
    EXPECT_EQ(close.code, 4001);
    EXPECT_EQ(close.reason, "bye");

    f.core.Gone(Side::Upstream, 20);
    f.core.Gone(Side::Client, 21);
    EXPECT_TRUE(f.core.Finished());
    auto records = f.Tapped();
    ASSERT_FALSE(records.empty());
    const TapRecord& end = records.back();
    EXPECT_EQ(end.type, TapRecord::Type::SessionClose);
    EXPECT_EQ(end.closeCode, 4001);
    EXPECT_EQ(end.closeReason, "bye");
    EXPECT_EQ(end.closedBy, "upstream");
    EXPECT_EQ(end.error, "");
}

TEST(RelayCore, NoStatusCloseIsForwardedAs1000)
{
    Fixture f;
    f.Connect();
    f.core.PeerClosing(Side::Client, "", 3); // close frame without a status
    WriteStep close = f.core.Writable(Side::Upstream);
    ASSERT_EQ(close.kind, WriteStep::Kind::Close);
    EXPECT_EQ(close.code, 1000);
}

TEST(RelayCore, UpstreamFailureClosesClientWith1011AndRecordsTheError)
{
    Fixture f;
    f.core.Open(1, "127.0.0.1:1", "/task/service", "ws://e:5565", "");
    f.Take();
    f.core.UpstreamFailed(5, "connection refused");
    EXPECT_TRUE(Has(f.Take(), Type::RequestWritable, Side::Client));
    WriteStep close = f.core.Writable(Side::Client);
    ASSERT_EQ(close.kind, WriteStep::Kind::Close);
    EXPECT_EQ(close.code, 1011);
    EXPECT_NE(close.reason.find("connection refused"), std::string::npos);
    f.core.Gone(Side::Client, 6);
    auto records = f.Tapped();
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(records.back().type, TapRecord::Type::SessionClose);
    EXPECT_NE(records.back().error.find("connection refused"), std::string::npos);
}

TEST(RelayCore, VanishedClientClosesUpstreamWith1001)
{
    Fixture f;
    f.Connect();
    f.core.Gone(Side::Client, 9); // no close frame
    WriteStep close = f.core.Writable(Side::Upstream);
    ASSERT_EQ(close.kind, WriteStep::Kind::Close);
    EXPECT_EQ(close.code, 1001);
    f.core.Gone(Side::Upstream, 10);
    auto records = f.Tapped();
    EXPECT_EQ(records.back().closeCode, 1006);
    EXPECT_EQ(records.back().closedBy, "client");
    EXPECT_NE(records.back().error.find("client vanished"), std::string::npos);
}

TEST(RelayCore, CaptureStopsAtMaxCaptureBytesButRelayGoesOn)
{
    Fixture f; // maxCaptureBytes = 1000
    f.Connect();
    std::string chunk(600, 'y');
    f.core.Receive(Side::Client, chunk, true, false, 1);
    f.core.Receive(Side::Client, chunk, true, true, 2);
    auto records = f.Tapped();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].bytes.size(), 600u);
    EXPECT_EQ(records[1].bytes.size(), 400u); // capture limit reached
    EXPECT_EQ(records[1].wireBytes, 600u);
    EXPECT_EQ(f.core.QueuedBytes(Side::Upstream), 1200u); // relayed in full
}

TEST(RelayCore, ShutdownClosesBothSidesWith1001)
{
    Fixture f;
    f.Connect();
    f.core.Shutdown(1001, "dapscope proxy shutting down");
    EXPECT_EQ(f.core.Writable(Side::Client).code, 1001);
    EXPECT_EQ(f.core.Writable(Side::Upstream).code, 1001);
}

TEST(TapQueue, ElidesBytesBeyondTheBudgetAndCountsThem)
{
    TapQueue queue(10);
    TapRecord small;
    small.bytes = std::string("12345678");
    queue.Push(std::move(small));
    TapRecord big;
    big.bytes = std::string("abcdef");
    queue.Push(std::move(big));
    std::vector<TapRecord> out;
    ASSERT_TRUE(queue.PopAll(out, std::chrono::milliseconds(0)));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].bytes.View(), "12345678");
    EXPECT_FALSE(out[0].elided);
    EXPECT_TRUE(out[1].bytes.empty());
    EXPECT_TRUE(out[1].elided);
    EXPECT_EQ(queue.ElidedChunks(), 1u);
    EXPECT_EQ(queue.ElidedBytes(), 6u);
}
