// Every view on ImGui's null backend (no window, no GL), driving the real App over a real capture: the views draw,
// load in the background, answer the keyboard and the mouse, follow a store that grows, and never write to it.

#include "UiTestSupport.hpp"
#include "bench/SyntheticStore.hpp"
#include "metrics/LiveFigures.hpp"
#include "metrics/TrafficMetrics.hpp"
#include "storage/Problems.hpp"
#include "storage/Store.hpp"
#include "storage/TraceWriter.hpp"
#include "ui/App.hpp"
#include "ui/Style.hpp"
#include "ui/platform/HeadlessPlatform.hpp"
#include "ui/views/ExportDialog.hpp"
#include "ui/views/MessageDetailView.hpp"
#include "ui/views/MessageTableView.hpp"
#include "ui/views/SessionListView.hpp"
#include "ui/views/StatsView.hpp"
#include "ui/views/TasksView.hpp"
#include "ui/views/TimelineView.hpp"

#include <GLFW/glfw3.h>
#include <gtest/gtest.h>
#include <imgui_internal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

namespace dapscope::ui
{
namespace
{

std::string FileBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The oracle: the ids of a session's messages (as TraceReader reads them, unfiltered) that `keep` accepts.
std::vector<int64_t> Ids(const std::string& store, int64_t session,
                         const std::function<bool(const storage::MessageSummary&)>& keep = {})
{
    storage::TraceReader reader(store);
    std::vector<int64_t> ids;
    for (const storage::MessageSummary& m : reader.Messages(session, {}, 0, 1'000'000))
        if (!keep || keep(m))
            ids.push_back(m.id);
    return ids;
}

bool IsRequest(const storage::MessageSummary& m)
{
    return m.kind == inspector::Kind::Request;
}

// A new session row, as the recorder begins one.
void BeginSession(const std::string& store, int64_t startedNs, const std::string& client)
{
    SQLite::Database db = storage::OpenForWriting(store);
    storage::TraceWriter writer(db);
    storage::SessionRow row;
    row.startedNs = startedNs;
    row.client = client;
    row.path = "/task/service";
    row.upstream = "ws://127.0.0.1:5565";
    writer.Begin();
    writer.Apply({storage::op::BeginSession{writer.NextSessionId(), row}});
    writer.Commit();
}

class ViewSmokeTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        m_store = test::MakeDemoStore(m_dir, 2);
        m_platform = std::make_unique<HeadlessPlatform>(ImVec2(1400, 850));
    }

    std::unique_ptr<App> Open(AppOptions options = {})
    {
        options.storePath = m_store;
        auto app = std::make_unique<App>(options, [] {});
        EXPECT_TRUE(m_platform->RunUntilIdle(*app)) << "background work did not finish";
        return app;
    }

    void Frames(App& app, int n = 3)
    {
        for (int i = 0; i < n; ++i)
            m_platform->Frame(app);
    }

    test::TempDir m_dir;
    std::string m_store;
    std::unique_ptr<HeadlessPlatform> m_platform;
};

TEST_F(ViewSmokeTest, SessionsAndMessagesShowTheNewestSessionThroughAClippedTable)
{
    auto app = Open();
    EXPECT_EQ(app->State().session, 2);
    auto* sessions = app->FindView<SessionListView>();
    auto* table = app->FindView<MessageTableView>();
    ASSERT_TRUE(sessions && table);
    EXPECT_EQ(sessions->DrawnRows(), 2);
    const auto ids = Ids(m_store, 2);
    EXPECT_EQ(app->Context().index->Ids(), ids);
    // Clipped: only the rows that fit are submitted, not all of them.
    EXPECT_GT(table->DrawnRows(), 5);
    EXPECT_LT(table->DrawnRows(), static_cast<int>(ids.size()));
    EXPECT_LT(app->Context().model->CachedRows(), ids.size() + 1);
}

TEST_F(ViewSmokeTest, ArrowsAndJKMoveTheSelectionAndEnterOpensTheDetail)
{
    AppOptions options;
    options.session = 1;
    auto app = Open(options);
    const auto ids = Ids(m_store, 1);
    ASSERT_GT(ids.size(), 10u);
    m_platform->PressKey(GLFW_KEY_DOWN);
    Frames(*app);
    EXPECT_EQ(app->State().message, ids[0]);
    m_platform->TypeChar('j');
    Frames(*app);
    EXPECT_EQ(app->State().message, ids[1]);
    m_platform->TypeChar('j');
    Frames(*app);
    m_platform->PressKey(GLFW_KEY_UP);
    Frames(*app);
    EXPECT_EQ(app->State().message, ids[1]);
    m_platform->PressKey(GLFW_KEY_END);
    Frames(*app);
    EXPECT_EQ(app->State().message, ids.back());
    m_platform->TypeChar('k');
    Frames(*app);
    EXPECT_EQ(app->State().message, ids[ids.size() - 2]);
    // The table scrolled to keep the selection visible: the last rows are drawn.
    auto* table = app->FindView<MessageTableView>();
    EXPECT_GT(table->FirstDrawnId(), ids[0]);

    app->Context().state.showDetail = false;
    m_platform->PressKey(GLFW_KEY_ENTER);
    Frames(*app);
    EXPECT_TRUE(app->State().showDetail);
    auto* detail = app->FindView<MessageDetailView>();
    EXPECT_EQ(detail->ShownId(), ids[ids.size() - 2]);
}

TEST_F(ViewSmokeTest, DetailShowsTheJsonTreeThePairAndRedactedSecrets)
{
    auto app = Open();
    const auto auth = Ids(m_store, 2, [](const auto& m) { return IsRequest(m) && m.command == "auth"; });
    ASSERT_EQ(auth.size(), 1u);
    app->Context().bus.Post(SelectMessage{auth[0], true});
    Frames(*app);
    auto* detail = app->FindView<MessageDetailView>();
    EXPECT_EQ(detail->ShownId(), auth[0]);
    EXPECT_TRUE(detail->Tree().Valid());
    EXPECT_GT(detail->Tree().DrawnNodes(), 3);
    EXPECT_GE(detail->Tree().RedactedValues(), 1);
    EXPECT_NE(detail->Data().find("[redacted:"), std::string::npos);
    EXPECT_EQ(detail->Data().find("sk-demo-0000-not-a-real-key"), std::string::npos);
    ASSERT_TRUE(detail->Pair());
    EXPECT_EQ(detail->Pair()->kind, inspector::Kind::Response);
    EXPECT_EQ(detail->Pair()->command, "auth");
}

TEST_F(ViewSmokeTest, DetailSplitsABinaryFrameIntoJsonAndPayload)
{
    auto app = Open();
    const auto binary =
        Ids(m_store, 2, [](const auto& m) { return IsRequest(m) && m.opcode == inspector::Opcode::Binary; });
    ASSERT_FALSE(binary.empty());
    app->Context().bus.Post(SelectMessage{binary[0], true});
    Frames(*app);
    auto* detail = app->FindView<MessageDetailView>();
    EXPECT_TRUE(detail->Tree().Valid()); // the JSON header before the 0x0A
    EXPECT_GT(detail->PayloadSize(), 0u);
    EXPECT_TRUE(detail->PayloadIsText()); // the demo writes text lines
}

TEST_F(ViewSmokeTest, SelectingAMessageOfAnotherSessionSwitchesSession)
{
    auto app = Open();
    const auto first = Ids(m_store, 1);
    app->Context().bus.Post(SelectMessage{first[5], true});
    m_platform->RunUntilIdle(*app);
    EXPECT_EQ(app->State().session, 1);
    EXPECT_EQ(app->State().message, first[5]);
    EXPECT_EQ(app->Context().index->Session(), 1);
}

TEST_F(ViewSmokeTest, FailedOnlyFilterRunsInSqlAndMatchesTheStore)
{
    auto app = Open();
    storage::MessageFilter filter;
    filter.failedOnly = true;
    app->FindView<MessageTableView>()->Filters().Set(filter);
    Frames(*app, 2);
    m_platform->RunUntilIdle(*app);
    // The one definition of a problem, applied to every message, against the SQL filter and the block summaries.
    const auto failed = Ids(m_store, 2, [](const auto& m) { return storage::IsProblem(m); });
    ASSERT_FALSE(failed.empty());
    const auto failedResponses = Ids(m_store, 2, [](const auto& m) { return m.success == false; });
    EXPECT_EQ(failedResponses.size(), 2u); // the demo fails two requests on purpose
    for (int64_t id : failedResponses)
        EXPECT_NE(std::find(failed.begin(), failed.end(), id), failed.end()) << id;
    EXPECT_EQ(app->Context().index->Ids(), failed);

    filter = {};
    filter.text = "rrext_store";
    app->FindView<MessageTableView>()->Filters().Set(filter);
    Frames(*app, 2);
    m_platform->RunUntilIdle(*app);
    storage::TraceReader reader(m_store);
    const auto text = Ids(
        m_store, 2, [&](const auto& m) { return reader.MessageData(m.id).find("rrext_store") != std::string::npos; });
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(app->Context().index->Ids(), text);
}

TEST_F(ViewSmokeTest, SlashAndCtrlFPutTheKeyboardInTheFilter)
{
    auto app = Open();
    EXPECT_FALSE(ImGui::GetIO().WantTextInput);
    m_platform->TypeChar('/');
    Frames(*app, 3);
    EXPECT_TRUE(ImGui::GetIO().WantTextInput);
    m_platform->PressKey(GLFW_KEY_ESCAPE);
    Frames(*app, 3); // io.WantTextInput reflects the previous frame
    EXPECT_FALSE(ImGui::GetIO().WantTextInput) << "active id " << ImGui::GetActiveID();
    m_platform->PressKey(GLFW_KEY_F, true);
    Frames(*app, 3);
    EXPECT_TRUE(ImGui::GetIO().WantTextInput);
}

TEST_F(ViewSmokeTest, TimelineDrawsEveryRequestAsASpanAndEventsAsTicks)
{
    AppOptions options;
    options.tab = BottomTab::Timeline;
    auto app = Open(options);
    Frames(*app);
    auto* timeline = app->FindView<TimelineView>();
    ASSERT_TRUE(timeline->Data());
    EXPECT_EQ(timeline->Data()->SpanCount(), Ids(m_store, 2, IsRequest).size());
    EXPECT_EQ(timeline->Data()->Events().size(),
              Ids(m_store, 2, [](const auto& m) { return m.kind == inspector::Kind::Event; }).size());
    EXPECT_GT(timeline->DrawnSpans(), 0);
    EXPECT_GT(timeline->DrawnTicks(), 0);
}

TEST_F(ViewSmokeTest, ClickingATimelineSpanSelectsItsRequest)
{
    const auto requests = Ids(m_store, 2, IsRequest);
    SessionTimeline data(2, 0);
    data.Add({requests[0], 1'000, 0, 2, 0, -1, "auth"});
    data.Add({requests[0] + 1, 9'000, 1, 2, requests[0], 1, "auth"});
    m_platform->MoveMouse(ImVec2(300, 60));
    ImGui::GetIO().MouseDown[0] = false;
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(800, 200));
    ImGui::Begin("timeline-test");
    TimelineContext ctx;
    ctx.draw = ImGui::GetWindowDrawList();
    ctx.min = ImVec2(0, 0);
    ctx.max = ImVec2(800, 200);
    ctx.base = 0;
    ctx.viewStart = 0;
    ctx.nsPerPx = 20; // the span covers x 50 .. 450
    ctx.mouse = ImVec2(300, 60);
    ctx.hovered = true;
    ctx.clicked = true;
    SessionTimelineItem item(data, 10'000, 0, 20);
    // Header line, events row (20), 4 px, then lane 0: the mouse at y 60 is inside the first lane.
    const float y = 60 - 20 - 4 - ImGui::GetTextLineHeight() - 2 - 5;
    item.Draw(ctx, y);
    ImGui::End();
    ImGui::Render();
    EXPECT_EQ(item.DrawnSpans(), 1);
    EXPECT_EQ(item.ClickedId(), requests[0]);
}

TEST_F(ViewSmokeTest, NarrowSpansAreFoldedWhenZoomedOut)
{
    SessionTimeline data(1, 0);
    for (int i = 0; i < 10'000; ++i)
    {
        data.Add({2 * i + 1, i * 1'000'000LL, 0, 2, 0, -1, "ping"});
        data.Add({2 * i + 2, i * 1'000'000LL + 20'000, 1, 2, 2 * i + 1, 1, "ping"});
    }
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(1000, 300));
    ImGui::Begin("fold-test");
    TimelineContext ctx;
    ctx.draw = ImGui::GetWindowDrawList();
    ctx.min = ImVec2(0, 0);
    ctx.max = ImVec2(1000, 200);
    ctx.nsPerPx = 10'000'000; // 10 s across 1000 px: each 20 us span is far below 3 px
    SessionTimelineItem item(data, 10'000'000'000LL, 0, 20);
    item.Draw(ctx, 0);
    ImGui::End();
    ImGui::Render();
    EXPECT_EQ(item.DrawnSpans(), 0);
    EXPECT_GT(item.DrawnFolds(), 0);
    EXPECT_LE(item.DrawnFolds(), 1000); // bounded by pixels, not by spans
}

TEST_F(ViewSmokeTest, TasksGroupTheTaskAndBuildItsPipeFlows)
{
    AppOptions options;
    options.tab = BottomTab::Tasks;
    auto app = Open(options);
    Frames(*app);
    m_platform->RunUntilIdle(*app);
    auto* tasks = app->FindView<TasksView>();
    ASSERT_EQ(tasks->Tasks().size(), 1u);
    ASSERT_TRUE(tasks->Detail());
    EXPECT_EQ(tasks->Detail()->task, tasks->Tasks()[0].task);
    EXPECT_EQ(static_cast<int64_t>(tasks->Detail()->messages.size()), tasks->Tasks()[0].messages);
    EXPECT_GT(tasks->Detail()->flowEvents, 0);
    EXPECT_FALSE(tasks->Detail()->flows.empty());
    EXPECT_GT(tasks->DrawnFlowSpans(), 0);
    for (const PipeFlow& flow : tasks->Detail()->flows)
        EXPECT_TRUE(flow.ended) << "pipe " << flow.pipe;
}

TEST_F(ViewSmokeTest, StatsCountEveryCommandAndHistogramTheBusiestOne)
{
    AppOptions options;
    options.tab = BottomTab::Stats;
    auto app = Open(options);
    Frames(*app);
    m_platform->RunUntilIdle(*app);
    auto* stats = app->FindView<StatsView>();
    ASSERT_TRUE(stats->Stats());
    int64_t requests = 0, failures = 0;
    for (const auto& c : stats->Stats()->commands)
    {
        requests += c.count;
        failures += c.failures;
        EXPECT_LE(c.p50Ms, c.p95Ms);
        EXPECT_LE(c.p95Ms, c.maxMs);
    }
    EXPECT_EQ(static_cast<size_t>(requests), Ids(m_store, 2, IsRequest).size());
    EXPECT_EQ(failures, 2); // the demo's two deliberate failures
    ASSERT_TRUE(stats->Histogram());
    const std::string command = stats->SelectedCommand();
    EXPECT_EQ(
        static_cast<size_t>(stats->Histogram()->total),
        Ids(m_store, 2, [&](const auto& m) { return IsRequest(m) && m.latencyNs && m.command == command; }).size());
}

TEST_F(ViewSmokeTest, WhileCapturingStatsShowTheProxysLiveFigures)
{
    // The embedded proxy's metrics, fed the operations of a session in progress: one ping answered, one failure,
    // one request waiting, two events.
    auto traffic = std::make_shared<metrics::TrafficMetrics>();
    storage::StoreOps ops;
    ops.push_back(storage::op::BeginSession{1, {}});
    auto message = [&](int64_t id, inspector::Kind kind, const char* command, std::optional<int64_t> pair = {},
                       std::optional<bool> success = {})
    {
        storage::op::InsertMessage m;
        m.row.id = id;
        m.row.session = 1;
        m.decoded.envelope.kind = kind;
        m.decoded.envelope.command = command;
        m.decoded.envelope.event = kind == inspector::Kind::Event ? command : "";
        m.decoded.envelope.success = success;
        m.decoded.pairId = pair;
        m.decoded.state = pair ? inspector::ExchangeState::Answered : inspector::ExchangeState::Pending;
        ops.push_back(std::move(m));
    };
    message(1, inspector::Kind::Request, "rrext_ping");
    message(2, inspector::Kind::Response, "rrext_ping", 1, true);
    message(3, inspector::Kind::Request, "execute");
    message(4, inspector::Kind::Response, "execute", 3, false);
    message(5, inspector::Kind::Request, "terminate");
    message(6, inspector::Kind::Event, "apaevt_task");
    message(7, inspector::Kind::Event, "apaevt_status_update");
    traffic->Observe(ops);

    AppOptions options;
    options.tab = BottomTab::Stats;
    options.liveFigures = [traffic] { return metrics::Summarise(*traffic->Registry()); };
    auto app = Open(options);
    Frames(*app);
    const std::string& line = app->FindView<StatsView>()->LiveLine();
    EXPECT_NE(line.find("live: 2 requests (1 failed), 1 pending, 1 session(s) open, 2 events"), std::string::npos)
        << line;

    // Without a capture there is no live line.
    auto browsing = Open();
    Frames(*browsing);
    EXPECT_TRUE(browsing->FindView<StatsView>()->LiveLine().empty());
}

TEST_F(ViewSmokeTest, ALiveStoreShowsNewSessionsAndNewMessages)
{
    AppOptions options;
    options.session = 2;
    auto app = Open(options);
    const size_t before = app->Context().index->Size();
    BeginSession(m_store, 1, "127.0.0.1:9");
    {
        bench::SessionCopier copier(m_store, 2, 2); // session 2 goes on with its own traffic again
        copier.SetEnded(false);
        EXPECT_EQ(copier.Append(1), static_cast<int64_t>(before));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // the poll interval
    m_platform->RunUntilIdle(*app);
    EXPECT_EQ(app->Context().model->Sessions().size(), 3u);
    EXPECT_EQ(app->Context().index->Size(), 2 * before);
    EXPECT_EQ(app->Context().index->Ids(), Ids(m_store, 2));
    EXPECT_EQ(app->State().session, 2); // follow new sessions is off by default
    app->Context().state.autoSelectNewSessions = true;
    BeginSession(m_store, 2, "127.0.0.1:10");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    m_platform->RunUntilIdle(*app);
    EXPECT_EQ(app->State().session, 4);
}

TEST_F(ViewSmokeTest, BrowsingEveryViewNeverWritesToTheStore)
{
    const std::string before = FileBytes(m_store);
    const auto walBefore = std::filesystem::exists(m_store + "-wal") ? FileBytes(m_store + "-wal") : "";
    {
        auto app = Open();
        for (BottomTab tab : {BottomTab::Timeline, BottomTab::Tasks, BottomTab::Stats})
        {
            app->Context().bus.Post(ShowTab{tab});
            m_platform->RunUntilIdle(*app);
        }
        app->Context().bus.Post(SelectSession{1});
        m_platform->RunUntilIdle(*app);
    }
    EXPECT_TRUE(FileBytes(m_store) == before);
    if (std::filesystem::exists(m_store + "-wal"))
    {
        EXPECT_TRUE(FileBytes(m_store + "-wal") == walBefore);
    }
}

TEST_F(ViewSmokeTest, ExportRunsInTheBackgroundAndWritesTheFile)
{
    auto app = Open();
    const std::string out = m_dir.File("session.jsonl");
    app->Export().Start(2, false, out);
    // Queued, running, or done with its result waiting for the UI thread: never done inside Start.
    EXPECT_TRUE(app->Busy());
    EXPECT_EQ(app->Export().LastResult(), "");
    m_platform->RunUntilIdle(*app);
    EXPECT_FALSE(app->Export().Running());
    EXPECT_EQ(app->Export().LastResult().rfind("Exported session 2", 0), 0u) << app->Export().LastResult();
    ASSERT_TRUE(std::filesystem::exists(out));
    EXPECT_GT(std::filesystem::file_size(out), 0u);
}

TEST_F(ViewSmokeTest, LayoutAndOptionsPersistInTheConfigFolder)
{
    AppOptions options;
    options.configFolder = m_dir.File("config");
    {
        auto app = Open(options);
        app->Context().state.relativeTime = false;
        app->Context().state.bottomTab = BottomTab::Stats;
        app->SaveSettings();
    }
    auto app = Open(options);
    EXPECT_FALSE(app->State().relativeTime);
    EXPECT_EQ(app->State().bottomTab, BottomTab::Stats);
    Settings settings(m_dir.File("config"));
    ASSERT_FALSE(settings.RecentStores().empty());
    EXPECT_EQ(settings.RecentStores().front(), std::filesystem::weakly_canonical(m_store).string());
}

TEST_F(ViewSmokeTest, OpeningSomethingThatIsNotAStoreKeepsTheCurrentOne)
{
    auto app = Open();
    std::ofstream(m_dir.File("not-a-store.db")) << "hello";
    EXPECT_THROW(app->OpenStore(m_dir.File("not-a-store.db")), storage::StoreError);
    EXPECT_EQ(app->Context().model->Path(), m_store);
    EXPECT_THROW(app->OpenStore(m_dir.File("missing.db")), storage::StoreError);
    Frames(*app);
    EXPECT_EQ(app->State().session, 2);
}

} // namespace
} // namespace dapscope::ui

namespace dapscope::ui
{
namespace
{

// A plain HTTP connection (keep-alive exchanges, a 404, a 502 the proxy wrote) and a WebSocket session that
// negotiated permessage-deflate, written the way the recorder writes what the relay hands it.
class HttpViewSmokeTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        m_store = m_dir.File("http.db");
        m_ids = test::AppendHttpSessions(m_store);
        m_platform = std::make_unique<HeadlessPlatform>(ImVec2(1400, 850));
    }

    std::unique_ptr<App> Open(AppOptions options = {})
    {
        options.storePath = m_store;
        auto app = std::make_unique<App>(options, [] {});
        EXPECT_TRUE(m_platform->RunUntilIdle(*app)) << "background work did not finish";
        return app;
    }

    void Select(App& app, int64_t id)
    {
        app.Context().bus.Post(SelectMessage{id, true});
        m_platform->RunUntilIdle(app);
    }

    const MessageTableView::DrawnRow* Drawn(App& app, int64_t id)
    {
        for (const auto& row : app.FindView<MessageTableView>()->Drawn())
            if (row.id == id)
                return &row;
        return nullptr;
    }

    test::TempDir m_dir;
    std::string m_store;
    test::HttpSessionIds m_ids;
    std::unique_ptr<HeadlessPlatform> m_platform;
};

TEST_F(HttpViewSmokeTest, SessionsShowTheirProtocolAndWhatTheyNegotiated)
{
    auto app = Open();
    ASSERT_EQ(m_ids.httpSession, 1);
    ASSERT_EQ(m_ids.wsSession, 2);
    EXPECT_EQ(app->FindView<SessionListView>()->DrawnTags(), (std::vector<std::string>{"HTTP", "WS deflate"}));
    // What hovering the tag shows: the negotiated extension and the handshake's heads, secrets redacted.
    const storage::SessionSummary* ws = app->Context().model->Session(2);
    ASSERT_NE(ws, nullptr);
    EXPECT_EQ(NegotiatedText(*ws), "WebSocket, permessage-deflate; client_max_window_bits=15");
    const std::vector<std::string> handshake = HeadLines(ws->handshake);
    EXPECT_EQ(handshake.front(), "GET /task/service HTTP/1.1");
    EXPECT_NE(std::find(handshake.begin(), handshake.end(), "HTTP/1.1 101 Switching Protocols"), handshake.end());
    EXPECT_NE(std::find(handshake.begin(), handshake.end(),
                        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=15"),
              handshake.end());
    EXPECT_EQ(NegotiatedText(*app->Context().model->Session(1)), "plain HTTP (no WebSocket upgrade)");

    // Hovering each session's protocol tag: the WebSocket session's tooltip has its handshake, the HTTP one none.
    auto* list = app->FindView<SessionListView>();
    std::map<int64_t, int> handshakeLines;
    for (float y = 30; y < 150; y += 4)
        for (float x = 20; x < 90; x += 6)
        {
            m_platform->MoveMouse(ImVec2(x, y));
            m_platform->Frame(*app);
            if (list->TooltipSession())
                handshakeLines[list->TooltipSession()] =
                    std::max(handshakeLines[list->TooltipSession()], list->TooltipHandshakeLines());
        }
    ASSERT_EQ(handshakeLines.size(), 2u) << "no tooltip found under the mouse";
    EXPECT_EQ(handshakeLines[1], 0);
    EXPECT_EQ(handshakeLines[2], static_cast<int>(handshake.size()));
}

TEST_F(HttpViewSmokeTest, TheTableShowsEachExchange)
{
    AppOptions options;
    options.session = m_ids.httpSession;
    auto app = Open(options);
    EXPECT_EQ(app->Context().index->Size(), 8u);
    const auto* post = Drawn(*app, m_ids.post);
    const auto* ok = Drawn(*app, m_ids.ok);
    const auto* notFound = Drawn(*app, m_ids.notFound);
    const auto* badGateway = Drawn(*app, m_ids.badGateway);
    ASSERT_TRUE(post && ok && notFound && badGateway);
    EXPECT_EQ(post->kind, "HTTP req");
    EXPECT_EQ(post->what, "POST /task");
    EXPECT_EQ(post->status, "answered");
    EXPECT_EQ(post->wire, FormatBytes(*app->Context().model->Row(m_ids.post)->wireSize)); // head + body
    EXPECT_EQ(ok->kind, "HTTP resp");
    EXPECT_EQ(ok->what, "200 OK");
    EXPECT_EQ(ok->status, "ok");
    EXPECT_FALSE(ok->latency.empty());
    EXPECT_EQ(Drawn(*app, m_ids.get)->what, "GET /task/data?task=5d41402a");
    EXPECT_EQ(notFound->what, "404 Not Found");
    EXPECT_EQ(notFound->color, colors::kFailed);
    EXPECT_EQ(notFound->status, "FAILED");
    EXPECT_NE(ok->color, colors::kFailed);
    EXPECT_EQ(badGateway->what, "502 Bad Gateway [dapscope]"); // the proxy answered itself
    EXPECT_EQ(badGateway->color, colors::kFailed);
}

TEST_F(HttpViewSmokeTest, DetailShowsTheHeadersAndTheJsonBody)
{
    AppOptions options;
    options.session = m_ids.httpSession;
    auto app = Open(options);
    Select(*app, m_ids.post);
    auto* detail = app->FindView<MessageDetailView>();
    ASSERT_EQ(detail->ShownId(), m_ids.post);
    const auto& head = detail->HeadLines();
    ASSERT_FALSE(head.empty());
    EXPECT_EQ(head.front(), "POST /task HTTP/1.1");
    EXPECT_NE(std::find(head.begin(), head.end(), "Content-Type: application/json"), head.end());
    EXPECT_NE(std::find_if(head.begin(), head.end(),
                           [](const std::string& line)
                           { return line.starts_with("Authorization: Bearer [redacted:"); }),
              head.end());
    EXPECT_EQ(detail->DrawnHeadLines(), static_cast<int>(head.size()));
    for (const std::string& line : head)
        EXPECT_EQ(line.find(test::kHttpKey), std::string::npos) << line;
    // The body, as a JSON tree.
    ASSERT_TRUE(detail->Tree().Valid());
    EXPECT_GT(detail->Tree().DrawnNodes(), 3);
    EXPECT_EQ(detail->Tree().Root().at("pipeline").at("name"), "webhook-to-text");
    ASSERT_TRUE(detail->Pair());
    EXPECT_EQ(detail->Pair()->id, m_ids.ok);
    EXPECT_NE(detail->WireFacts().find("HTTP, body"), std::string::npos) << detail->WireFacts();
    EXPECT_NE(detail->WireFacts().find("on the wire"), std::string::npos) << detail->WireFacts();

    // A text body that is not JSON: no tree, its text.
    Select(*app, m_ids.notFound);
    EXPECT_EQ(detail->HeadLines().front(), "HTTP/1.1 404 Not Found");
    EXPECT_FALSE(detail->Tree().Valid());
    EXPECT_EQ(detail->Data(), "no such task\n");

    // The key is nowhere in the store.
    const std::string bytes = FileBytes(m_store) + FileBytes(m_store + "-wal");
    EXPECT_EQ(bytes.find(test::kHttpKey), std::string::npos);
}

TEST_F(HttpViewSmokeTest, WebSocketDetailShowsSizeAndWireSize)
{
    auto app = Open();
    ASSERT_NE(m_ids.compressed, 0);
    Select(*app, m_ids.compressed);
    const auto* row = app->Context().model->Row(m_ids.compressed);
    ASSERT_TRUE(row && row->wireSize);
    EXPECT_LT(*row->wireSize, row->size / 4); // permessage-deflate: far fewer bytes on the wire
    auto* detail = app->FindView<MessageDetailView>();
    EXPECT_TRUE(detail->Tree().Valid()); // decoded (inflated) before it was stored
    EXPECT_NE(detail->WireFacts().find(FormatBytes(row->size) + ", " + FormatBytes(*row->wireSize) + " on the wire"),
              std::string::npos)
        << detail->WireFacts();
    EXPECT_TRUE(detail->HeadLines().empty());
    EXPECT_EQ(detail->DrawnHeadLines(), 0);
}

TEST_F(HttpViewSmokeTest, TimelineDrawsHttpExchangesAsSpans)
{
    AppOptions options;
    options.session = m_ids.httpSession;
    options.tab = BottomTab::Timeline;
    auto app = Open(options);
    m_platform->RunUntilIdle(*app);
    auto* timeline = app->FindView<TimelineView>();
    ASSERT_TRUE(timeline->Data());
    EXPECT_EQ(timeline->Data()->SpanCount(), 4u);
    int failed = 0;
    for (const auto& lane : timeline->Data()->Lanes())
        for (const TimelineSpan& span : lane)
        {
            EXPECT_NE(span.response, 0) << "request " << span.request;
            failed += span.status == SpanStatus::Failed;
        }
    EXPECT_EQ(failed, 2); // the 404 and the 502
    EXPECT_GT(timeline->DrawnSpans(), 0);
}

TEST_F(HttpViewSmokeTest, FiltersFindHttpFailuresAndKinds)
{
    AppOptions options;
    options.session = m_ids.httpSession;
    auto app = Open(options);
    storage::MessageFilter filter;
    filter.failedOnly = true;
    app->FindView<MessageTableView>()->Filters().Set(filter);
    m_platform->RunUntilIdle(*app);
    EXPECT_EQ(app->Context().index->Ids(), (std::vector<int64_t>{m_ids.notFound, m_ids.badGateway}));
    filter = {};
    filter.kind = inspector::Kind::HttpRequest;
    app->FindView<MessageTableView>()->Filters().Set(filter);
    m_platform->RunUntilIdle(*app);
    EXPECT_EQ(app->Context().index->Ids(), (std::vector<int64_t>{m_ids.post, m_ids.get, m_ids.ping, m_ids.version}));
}

} // namespace
} // namespace dapscope::ui
