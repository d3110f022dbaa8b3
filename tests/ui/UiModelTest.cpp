// The GUI's data side, without ImGui: timeline lanes and gaps, task flows, JSON paths, the hex dump, histograms,
// the event bus, background tasks, settings and PNG files.

#include "UiTestSupport.hpp"
#include "inspector/Types.hpp"
#include "ui/EventBus.hpp"
#include "ui/HexView.hpp"
#include "ui/JsonTree.hpp"
#include "ui/MessageIndex.hpp"
#include "ui/Png.hpp"
#include "ui/SessionTimeline.hpp"
#include "ui/Settings.hpp"
#include "ui/StatsModel.hpp"
#include "ui/TaskFlow.hpp"
#include "ui/TaskRunner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace dapscope::ui
{
namespace
{
using inspector::ExchangeState;
using inspector::Kind;

TimelineRow Request(int64_t id, int64_t ts, const std::string& label, ExchangeState state = ExchangeState::Answered)
{
    return {id, ts, static_cast<int>(Kind::Request), static_cast<int>(state), 0, -1, label};
}

TimelineRow Response(int64_t id, int64_t ts, int64_t request, bool success = true)
{
    return {
        id, ts, static_cast<int>(Kind::Response), static_cast<int>(ExchangeState::Answered), request, success ? 1 : 0,
        ""};
}

TimelineRow Event(int64_t id, int64_t ts, const std::string& name)
{
    return {id, ts, static_cast<int>(Kind::Event), 0, 0, -1, name};
}

TEST(UiSessionTimeline, OneLanePerConcurrentlyOpenRequestReusingTheLowestFreeLane)
{
    SessionTimeline t(1, 0);
    t.Add(Request(1, 100, "a"));
    t.Add(Request(2, 110, "b")); // a still open: lane 1
    t.Add(Request(3, 120, "c")); // lane 2
    t.Add(Response(4, 130, 2));  // frees lane 1
    t.Add(Request(5, 140, "d")); // lowest free lane: 1
    t.Add(Response(6, 150, 1, false));
    t.Add(Response(7, 160, 3));
    t.Add(Response(8, 170, 5));
    t.Add(Event(9, 175, "apaevt_task"));
    ASSERT_EQ(t.Lanes().size(), 3u);
    EXPECT_EQ(t.SpanCount(), 4u);
    ASSERT_EQ(t.Lanes()[0].size(), 1u);
    EXPECT_EQ(t.Lanes()[0][0].request, 1);
    EXPECT_EQ(t.Lanes()[0][0].end, 150);
    EXPECT_EQ(t.Lanes()[0][0].status, SpanStatus::Failed);
    ASSERT_EQ(t.Lanes()[1].size(), 2u);
    EXPECT_EQ(t.Lanes()[1][0].request, 2);
    EXPECT_EQ(t.Lanes()[1][1].request, 5);
    EXPECT_EQ(t.Lanes()[1][1].start, 140);
    EXPECT_EQ(t.Lanes()[1][1].end, 170);
    EXPECT_EQ(t.Lanes()[1][1].response, 8);
    EXPECT_EQ(t.Label(t.Lanes()[1][1].label), "d");
    ASSERT_EQ(t.Events().size(), 1u);
    EXPECT_EQ(t.Events()[0].id, 9);
    // Within a lane, spans never overlap and are sorted: culling by lower_bound on the ends is valid.
    for (const auto& lane : t.Lanes())
        for (size_t i = 1; i < lane.size(); ++i)
            EXPECT_LE(lane[i - 1].end, lane[i].start);
}

TEST(UiSessionTimeline, PendingAndUnansweredRequestsStayOpenAndKeepTheirLane)
{
    SessionTimeline t(1, 0);
    t.Add(Request(1, 100, "execute", ExchangeState::Unanswered));
    t.Add(Request(2, 200, "ping", ExchangeState::Pending));
    t.Add(Request(3, 300, "ping"));
    ASSERT_EQ(t.Lanes().size(), 3u);
    EXPECT_EQ(t.Lanes()[0][0].status, SpanStatus::Unanswered);
    EXPECT_EQ(t.Lanes()[0][0].end, SessionTimeline::kOpenEnd);
    EXPECT_EQ(t.Lanes()[1][0].status, SpanStatus::Pending);
}

TEST(UiSessionTimeline, SilencesLongerThanFifteenSecondsAreGaps)
{
    const int64_t s = 1'000'000'000;
    SessionTimeline t(1, 0);
    t.Add(Event(1, 1 * s, "a"));
    t.Add(Event(2, 10 * s, "b")); // 9 s: no gap
    t.Add(Event(3, 40 * s, "c")); // 30 s: a gap
    t.Add(Event(4, 41 * s, "d"));
    ASSERT_EQ(t.Gaps().size(), 1u);
    EXPECT_EQ(t.Gaps()[0].from, 10 * s);
    EXPECT_EQ(t.Gaps()[0].to, 40 * s);
    SessionTimeline late(2, 0);
    late.Add(Event(1, 20 * s, "first message 20 s after the session started"));
    EXPECT_EQ(late.Gaps().size(), 1u);
}

FlowEvent Flow(int64_t id, int64_t ts, int64_t pipe, const std::string& op, std::vector<std::string> pipes,
               const std::string& lane = "")
{
    FlowEvent e;
    e.id = id;
    e.tsNs = ts;
    e.pipe = pipe;
    e.op = op;
    e.pipes = std::move(pipes);
    e.lane = lane;
    return e;
}

TEST(UiTaskModel, FlowEventsBecomeNestedComponentSpansPerPipe)
{
    std::vector<FlowEvent> events = {
        Flow(1, 100, 0, "begin", {"webhook_1"}),
        Flow(2, 110, 1, "begin", {"webhook_1"}),
        Flow(3, 120, 0, "enter", {"webhook_1", "parse_1"}, "text"),
        Flow(4, 130, 0, "enter", {"webhook_1", "parse_1", "llm_1"}, "text"),
        Flow(5, 150, 0, "leave", {"webhook_1", "parse_1"}, "text"),
        Flow(6, 160, 0, "leave", {"webhook_1"}, "text"),
        Flow(7, 170, 0, "end", {}),
        Flow(8, 180, 1, "enter", {"webhook_1", "response_1"}, "answers"),
        Flow(9, 200, 0, "begin", {"webhook_1"}), // pipe 0 reused: a second run
        Flow(10, 210, 0, "end", {}),
    };
    std::vector<PipeFlow> flows = BuildPipeFlows(events);
    ASSERT_EQ(flows.size(), 3u);
    const PipeFlow& first = flows[0];
    EXPECT_EQ(first.pipe, 0);
    EXPECT_EQ(first.run, 1);
    EXPECT_TRUE(first.ended);
    EXPECT_EQ(first.begin, 100);
    EXPECT_EQ(first.end, 170);
    EXPECT_EQ(first.maxDepth, 2);
    ASSERT_EQ(first.spans.size(), 3u);
    EXPECT_EQ(first.spans[0].component, "webhook_1");
    EXPECT_EQ(first.spans[0].start, 100);
    EXPECT_EQ(first.spans[0].end, 170);
    EXPECT_EQ(first.spans[1].component, "parse_1");
    EXPECT_EQ(first.spans[1].depth, 1);
    EXPECT_EQ(first.spans[1].start, 120);
    EXPECT_EQ(first.spans[1].end, 160);
    EXPECT_EQ(first.spans[1].lane, "text");
    EXPECT_EQ(first.spans[2].component, "llm_1");
    EXPECT_EQ(first.spans[2].depth, 2);
    EXPECT_EQ(first.spans[2].end, 150);
    EXPECT_EQ(first.spans[2].enterId, 4);
    EXPECT_EQ(first.spans[2].leaveId, 5);

    const PipeFlow& open = flows[1]; // pipe 1 never ended: its spans reach its last event
    EXPECT_EQ(open.pipe, 1);
    EXPECT_FALSE(open.ended);
    ASSERT_EQ(open.spans.size(), 2u);
    EXPECT_EQ(open.spans[1].component, "response_1");
    EXPECT_EQ(open.spans[1].leaveId, 0);
    EXPECT_EQ(open.spans[1].end, 180);

    EXPECT_EQ(flows[2].pipe, 0);
    EXPECT_EQ(flows[2].run, 2);
}

TEST(UiTaskModel, ParsesTheEnginesFlowBody)
{
    auto e = ParseFlowEvent(34, 5,
                            R"({"type":"event","seq":22,"event":"apaevt_flow","body":{"id":3,"op":"enter",)"
                            R"("pipes":["webhook_1","response_1"],"trace":{"lane":"text","error":"boom"},)"
                            R"("project_id":"p","source":"webhook_1"}})");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->pipe, 3);
    EXPECT_EQ(e->op, "enter");
    EXPECT_EQ(e->pipes, (std::vector<std::string>{"webhook_1", "response_1"}));
    EXPECT_EQ(e->lane, "text");
    EXPECT_EQ(e->error, "boom");
    EXPECT_FALSE(ParseFlowEvent(1, 1, R"({"event":"apaevt_flow","body":{"op":"enter"}})")); // no pipe id
    EXPECT_FALSE(ParseFlowEvent(1, 1, "not json"));
}

TEST(UiJsonTree, PathsQuoteWhatIsNotAnIdentifier)
{
    EXPECT_EQ(JsonPathChild("$", "arguments"), "$.arguments");
    EXPECT_EQ(JsonPathIndex(JsonPathChild("$.a", "components"), 0), "$.a.components[0]");
    EXPECT_EQ(JsonPathChild("$", "odd key"), "$['odd key']");
    EXPECT_EQ(JsonPathChild("$", "it's"), "$['it\\'s']");
    EXPECT_EQ(JsonPathChild("$", "2nd"), "$['2nd']");
}

TEST(UiJsonTree, CountsRedactedValuesAndReportsParseErrors)
{
    JsonTree tree;
    tree.Set(R"({"arguments":{"auth":"[redacted:d4c68a97]","env":{"KEY":"[redacted:0badf00d]","LOG":"info"}}})");
    EXPECT_TRUE(tree.Valid());
    EXPECT_EQ(tree.RedactedValues(), 2);
    tree.Set(R"({"truncated": )");
    EXPECT_FALSE(tree.Valid());
    EXPECT_FALSE(tree.Error().empty());
}

TEST(UiHexView, LinesShowOffsetHexAndPrintableText)
{
    const std::string bytes = std::string("{\"a\":1}\n") + std::string("\x00\x01\xff", 3);
    EXPECT_EQ(HexLine(bytes, 0), "00000000  7b 22 61 22 3a 31 7d 0a  00 01 ff                 |{\"a\":1}....|");
    EXPECT_EQ(HexLine(std::string(20, 'x'), 16).substr(0, 21), "00000010  78 78 78 78");
}

TEST(UiLatencyHistogram, FourBucketsPerDecadeFromOneMicrosecond)
{
    EXPECT_EQ(LatencyHistogram::Bucket(500), 0);
    EXPECT_EQ(LatencyHistogram::Bucket(1'000), 0);
    EXPECT_EQ(LatencyHistogram::Bucket(10'000), 4);
    EXPECT_EQ(LatencyHistogram::Bucket(1'000'000), 12);
    LatencyHistogram h;
    for (int64_t ns : {2'000, 3'000, 2'000'000})
        h.Add(ns);
    EXPECT_EQ(h.total, 3);
    EXPECT_EQ(h.minNs, 2'000);
    EXPECT_EQ(h.maxNs, 2'000'000);
    EXPECT_EQ(h.counts[static_cast<size_t>(LatencyHistogram::Bucket(2'000'000))], 1);
    EXPECT_NEAR(LatencyHistogram::Edge(4), 10'000, 1e-6);
}

TEST(UiMessageIndex, FiltersBecomeSqlConditions)
{
    storage::MessageFilter f;
    EXPECT_TRUE(f.Empty());
    EXPECT_EQ(storage::FilterConditions(f), "");
    f.dir = inspector::Direction::ServerToClient;
    f.failedOnly = true;
    f.minLatencyNs = 5'000'000;
    f.text = "needle";
    EXPECT_FALSE(f.Empty());
    const std::string sql = storage::FilterConditions(f);
    EXPECT_NE(sql.find("dir = 1"), std::string::npos);
    EXPECT_NE(sql.find("success = 0"), std::string::npos);
    EXPECT_NE(sql.find("latency_ns >= 5000000"), std::string::npos);
    EXPECT_NE(sql.find(":text"), std::string::npos); // bound, never pasted into the SQL
    EXPECT_EQ(sql.find("needle"), std::string::npos);
}

struct Ping
{
    int value = 0;
};

TEST(UiEventBus, DeliversToSubscribersUntilTheyUnsubscribe)
{
    EventBus bus;
    int a = 0, b = 0;
    bus.Subscribe<Ping>(&a, [&](const Ping& p) { a += p.value; });
    bus.Subscribe<Ping>(&b, [&](const Ping& p) { b += p.value; });
    bus.Post(Ping{2});
    bus.Unsubscribe(&a);
    bus.Post(Ping{3});
    EXPECT_EQ(a, 2);
    EXPECT_EQ(b, 5);
    bus.Post(SelectSession{4}); // nobody listens: nothing happens
}

TEST(UiTaskRunner, ResultsComeBackOnTheCallingThreadAndErrorsAreReported)
{
    std::atomic<int> wakes{0};
    TaskRunner runner([&] { ++wakes; }, 2);
    const auto uiThread = std::this_thread::get_id();
    std::thread::id resultThread;
    int result = 0;
    std::string error;
    runner.Run("sum",
               [&](TaskContext& ctx) { ctx.DoLater([&] { result = 42, resultThread = std::this_thread::get_id(); }); });
    runner.Run(
        "fails", [](TaskContext&) { throw std::runtime_error("no such table"); },
        [&](const std::string& e) { error = e; });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((result == 0 || error.empty()) && std::chrono::steady_clock::now() < deadline)
    {
        runner.RunPending();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(result, 42);
    EXPECT_EQ(resultThread, uiThread);
    EXPECT_EQ(error, "no such table");
    EXPECT_GT(wakes.load(), 0);
}

TEST(UiTaskRunner, ALifetimeTokenExpiresWithItsOwner)
{
    std::weak_ptr<const char> token;
    {
        Lifetime lifetime;
        token = lifetime.Token();
        EXPECT_FALSE(token.expired());
    }
    EXPECT_TRUE(token.expired());
}

TEST(UiSettings, ValuesAndRecentStoresSurviveARestart)
{
    test::TempDir dir;
    {
        Settings settings(dir.File("cfg"));
        settings.Set("layout.detail", 0.4f);
        settings.Set("view.relativeTime", false);
        for (int i = 0; i < 12; ++i)
            settings.AddRecentStore(dir.File("store" + std::to_string(i) + ".db"));
        settings.AddRecentStore(dir.File("store3.db")); // again: moves to the front, no duplicate
        settings.Save();
    }
    Settings again(dir.File("cfg"));
    EXPECT_FLOAT_EQ(again.GetFloat("layout.detail", 0), 0.4f);
    EXPECT_FALSE(again.GetBool("view.relativeTime", true));
    EXPECT_EQ(again.GetString("missing", "fallback"), "fallback");
    ASSERT_EQ(again.RecentStores().size(), Settings::kMaxRecent);
    EXPECT_EQ(again.RecentStores().front(), dir.File("store3.db"));
    EXPECT_EQ(std::count(again.RecentStores().begin(), again.RecentStores().end(), dir.File("store3.db")), 1);
    EXPECT_EQ(again.ImGuiIniPath(), dir.File("cfg") + "/imgui.ini");
    Settings memoryOnly("");
    memoryOnly.Set("a", true);
    memoryOnly.Save(); // nothing to write to, nothing written
    EXPECT_EQ(memoryOnly.ImGuiIniPath(), "");
}

TEST(UiPng, WrittenPixelsReadBackIdentically)
{
    test::TempDir dir;
    const int w = 7, h = 3;
    std::vector<uint8_t> pixels(w * h * 4);
    for (size_t i = 0; i < pixels.size(); ++i)
        pixels[i] = static_cast<uint8_t>(i % 4 == 3 ? 255 : i * 7);
    std::vector<uint8_t> flipped = pixels;
    FlipRows(flipped, w, h);
    EXPECT_TRUE(std::equal(flipped.begin(), flipped.begin() + w * 4, pixels.begin() + (h - 1) * w * 4));
    ASSERT_EQ(WritePng(dir.File("a.png"), w, h, pixels), "");
    test::Image image = test::LoadPng(dir.File("a.png"));
    ASSERT_TRUE(image.Ok());
    EXPECT_EQ(image.width, w);
    EXPECT_EQ(image.height, h);
    EXPECT_EQ(image.rgba, pixels);
    EXPECT_NE(WritePng(dir.File("missing-folder/a.png"), w, h, pixels), "");
}

} // namespace
} // namespace dapscope::ui
