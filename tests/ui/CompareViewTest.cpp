// The Compare view and its model over a known pair: the Python SDK's and the TypeScript SDK's fixture sessions
// (tests/fixtures), imported into one store. The oracle is read off the fixture files themselves (FixtureFacts):
// both SDKs send the same requests in the same order; the TypeScript SDK sends `rrext_process` open without
// `provider` where the Python SDK sends `"provider": null`, and `clientVersion` in auth. What the view draws is
// checked against replay::DiffSessions run here on the same sessions, independently of the view.

#include "ui/views/CompareView.hpp"
#include "../mock/EngineTestUtil.hpp"
#include "UiTestSupport.hpp"
#include "replay/Recording.hpp"
#include "storage/Import.hpp"
#include "storage/TraceReader.hpp"
#include "ui/App.hpp"
#include "ui/CompareModel.hpp"
#include "ui/platform/HeadlessPlatform.hpp"
#include "ui/views/SessionListView.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

namespace dapscope::ui
{
namespace
{
using replay::DiffStatus;

// One request of a fixture file, as the SDK sent it.
struct FixtureRequest
{
    std::string command;
    std::string subcommand;
    boost::json::value arguments; // null when the request has none
    bool hasArguments = false;
};

std::vector<FixtureRequest> FixtureRequests(const std::string& name)
{
    std::vector<FixtureRequest> requests;
    for (const auto& m : mock::test::LoadFixture(name))
    {
        if (!m.fromClient)
            continue;
        // A DAP binary frame is its JSON header, 0x0A, then the payload (PROTOCOL.md 2.2).
        const std::string header = m.binary ? m.bytes.substr(0, m.bytes.find('\n')) : m.bytes;
        const boost::json::object doc = boost::json::parse(header).as_object();
        if (doc.at("type").as_string() != "request")
            continue;
        FixtureRequest r;
        r.command = doc.at("command").as_string();
        if (const auto* arguments = doc.if_contains("arguments"))
        {
            r.arguments = *arguments;
            r.hasArguments = true;
            if (const auto* sub = arguments->as_object().if_contains("subcommand"))
                r.subcommand = sub->as_string();
        }
        requests.push_back(std::move(r));
    }
    return requests;
}

// Events per name the engine sent in a fixture file.
std::map<std::string, int64_t> FixtureEvents(const std::string& name)
{
    std::map<std::string, int64_t> events;
    for (const auto& m : mock::test::LoadFixture(name))
    {
        if (m.fromClient)
            continue;
        const std::string header = m.binary ? m.bytes.substr(0, m.bytes.find('\n')) : m.bytes;
        const boost::json::object doc = boost::json::parse(header).as_object();
        if (doc.at("type").as_string() == "event")
            ++events[std::string(doc.at("event").as_string())];
    }
    return events;
}

// What the fixture files say about the pair, Python (P) against TypeScript (T).
struct FixtureFacts
{
    size_t requests = 0;                             // in each session, the same commands in the same order
    std::vector<size_t> providerDropped;             // 1-based positions of opens: P sends provider null, T no provider
    std::vector<size_t> providerBoth;                // opens naming a provider in both
    size_t auth = 0;                                 // position of auth
    std::string clientVersion;                       // what T's auth says in clientVersion (P's has none)
    std::map<std::string, int64_t> eventsP, eventsT; // events per name
};

FixtureFacts ReadFixtureFacts()
{
    const auto p = FixtureRequests("python-sdk-session.jsonl");
    const auto t = FixtureRequests("typescript-sdk-session.jsonl");
    FixtureFacts facts;
    EXPECT_EQ(p.size(), t.size());
    facts.requests = std::min(p.size(), t.size());
    for (size_t i = 0; i < facts.requests; ++i)
    {
        EXPECT_EQ(p[i].command, t[i].command) << i;
        EXPECT_EQ(p[i].subcommand, t[i].subcommand) << i;
        if (p[i].command == "auth")
        {
            facts.auth = i + 1;
            EXPECT_FALSE(p[i].arguments.as_object().contains("clientVersion"));
            facts.clientVersion = boost::json::serialize(t[i].arguments.as_object().at("clientVersion"));
        }
        if (p[i].subcommand != "open")
            continue;
        const auto* providerP = p[i].arguments.as_object().if_contains("provider");
        const auto* providerT = t[i].arguments.as_object().if_contains("provider");
        if (providerP && providerP->is_null() && !providerT)
            facts.providerDropped.push_back(i + 1);
        else if (providerP && providerT && *providerP == *providerT)
            facts.providerBoth.push_back(i + 1);
    }
    facts.eventsP = FixtureEvents("python-sdk-session.jsonl");
    facts.eventsT = FixtureEvents("typescript-sdk-session.jsonl");
    EXPECT_GT(facts.requests, 0u);
    EXPECT_FALSE(facts.providerDropped.empty());
    EXPECT_FALSE(facts.providerBoth.empty());
    EXPECT_TRUE(facts.auth);
    return facts;
}

// A store with the two fixture sessions: Python is session 1, TypeScript session 2.
std::string MakeFixtureStore(const test::TempDir& dir)
{
    const std::string store = dir.File("sdks.db");
    storage::ImportFile(store, std::string(DAPSCOPE_FIXTURES) + "/python-sdk-session.jsonl");
    storage::ImportFile(store, std::string(DAPSCOPE_FIXTURES) + "/typescript-sdk-session.jsonl");
    return store;
}

// replay::DiffSessions of stored sessions a and b, computed here without the GUI.
replay::DiffReport DiffStored(const std::string& store, int64_t a, int64_t b)
{
    storage::TraceReader reader(store);
    return replay::DiffSessions(replay::LoadRecording(reader, a), replay::LoadRecording(reader, b));
}

const replay::DiffRow* RowAtA(const replay::DiffReport& report, size_t a)
{
    auto it = std::find_if(report.rows.begin(), report.rows.end(), [a](const auto& r) { return r.a == a; });
    return it == report.rows.end() ? nullptr : &*it;
}

const replay::Difference* PathIn(const replay::DiffRow& row, const std::string& path)
{
    auto it =
        std::find_if(row.differences.begin(), row.differences.end(), [&](const auto& d) { return d.path == path; });
    return it == row.differences.end() ? nullptr : &*it;
}

// The fixture facts, checked on a report of Python (A) against TypeScript (B).
void ExpectPythonAgainstTypeScript(const replay::DiffReport& report)
{
    const FixtureFacts facts = ReadFixtureFacts();
    EXPECT_EQ(report.outcome, replay::Outcome::Differs);
    ASSERT_EQ(report.rows.size(), facts.requests);
    EXPECT_EQ(report.Count(DiffStatus::OnlyInA), 0u);
    EXPECT_EQ(report.Count(DiffStatus::OnlyInB), 0u);
    for (size_t i = 0; i < facts.requests; ++i)
    {
        EXPECT_EQ(report.rows[i].a, i + 1);
        EXPECT_EQ(report.rows[i].b, i + 1); // same script, same order
    }
    for (size_t a : facts.providerDropped)
    {
        const replay::DiffRow* row = RowAtA(report, a);
        ASSERT_TRUE(row) << a;
        EXPECT_EQ(row->command, "rrext_process");
        EXPECT_EQ(row->subcommand, "open");
        EXPECT_EQ(row->status, DiffStatus::Differs) << a;
        const replay::Difference* provider = PathIn(*row, "$.arguments.provider");
        ASSERT_TRUE(provider) << "row " << a;
        EXPECT_EQ(provider->then, "null");
        EXPECT_EQ(provider->now, "(absent)");
    }
    for (size_t a : facts.providerBoth)
    {
        const replay::DiffRow* row = RowAtA(report, a);
        ASSERT_TRUE(row) << a;
        EXPECT_FALSE(PathIn(*row, "$.arguments.provider")) << a;
    }
    const replay::DiffRow* auth = RowAtA(report, facts.auth);
    ASSERT_TRUE(auth);
    EXPECT_EQ(auth->command, "auth");
    const replay::Difference* version = PathIn(*auth, "$.arguments.clientVersion");
    ASSERT_TRUE(version);
    EXPECT_EQ(version->then, "(absent)");
    EXPECT_EQ(version->now, facts.clientVersion);
    std::map<std::string, int64_t> eventsA, eventsB;
    for (const replay::EventCount& e : report.events)
    {
        eventsA[e.event] = e.then;
        eventsB[e.event] = e.now;
    }
    std::erase_if(eventsA, [](const auto& e) { return e.second == 0; });
    std::erase_if(eventsB, [](const auto& e) { return e.second == 0; });
    EXPECT_EQ(eventsA, facts.eventsP);
    EXPECT_EQ(eventsB, facts.eventsT);
}

// The paths a side's tree must highlight: the row's differences that side has a value at.
std::vector<std::string> PathsPresent(const replay::DiffRow& row, bool inA)
{
    std::vector<std::string> paths;
    for (const replay::Difference& d : row.differences)
        if ((inA ? d.then : d.now) != "(absent)" && d.path.starts_with("$"))
            paths.push_back(d.path);
    return paths;
}

std::set<std::string> AsSet(const std::vector<std::string>& paths)
{
    return {paths.begin(), paths.end()};
}

TEST(UiCompareModel, ComparesTwoStoredSessionsOnTheTaskRunner)
{
    test::TempDir dir;
    const std::string store = MakeFixtureStore(dir);
    EventBus bus;
    UiState state;
    TaskRunner tasks([] {});
    Settings settings("");
    TraceModel model(store);
    AppContext ctx{bus, state, tasks, settings, &model, nullptr};
    CompareModel compare(ctx);
    bus.Post(CompareSessions{1, 2});
    EXPECT_TRUE(compare.Loading()); // never computed on the UI thread
    EXPECT_FALSE(compare.Report());
    for (int i = 0; i < 2000 && compare.Loading(); ++i)
    {
        tasks.RunPending();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_FALSE(compare.Loading());
    ASSERT_TRUE(compare.Report()) << compare.Error();
    EXPECT_EQ(compare.A(), 1);
    EXPECT_EQ(compare.B(), 2);
    ExpectPythonAgainstTypeScript(*compare.Report());

    // An unknown session is reported, not thrown.
    compare.Compare(1, 99);
    for (int i = 0; i < 2000 && compare.Loading(); ++i)
    {
        tasks.RunPending();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_FALSE(compare.Report());
    EXPECT_NE(compare.Error().find("99"), std::string::npos) << compare.Error();
}

class CompareViewTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        m_store = MakeFixtureStore(m_dir);
        m_platform = std::make_unique<HeadlessPlatform>(ImVec2(1400, 850));
    }

    std::unique_ptr<App> Open(AppOptions options = {})
    {
        options.storePath = m_store;
        auto app = std::make_unique<App>(options, [] {});
        EXPECT_TRUE(m_platform->RunUntilIdle(*app)) << "background work did not finish";
        return app;
    }

    test::TempDir m_dir;
    std::string m_store;
    std::unique_ptr<HeadlessPlatform> m_platform;
};

TEST_F(CompareViewTest, CompareOptionShowsAlignedRowsAndTheDifferingPathsHighlighted)
{
    AppOptions options;
    options.session = 1;
    options.compare = 2; // what --session 1 --compare 2 does
    auto app = Open(options);
    EXPECT_EQ(app->State().bottomTab, BottomTab::Compare);
    auto* view = app->FindView<CompareView>();
    ASSERT_TRUE(view);
    const replay::DiffReport* report = view->Model().Report();
    ASSERT_TRUE(report) << view->Model().Error();
    ExpectPythonAgainstTypeScript(*report);

    // The view shows what DiffSessions finds on its own, row for row.
    const replay::DiffReport expected = DiffStored(m_store, 1, 2);
    ASSERT_EQ(report->rows.size(), expected.rows.size());
    for (size_t i = 0; i < expected.rows.size(); ++i)
    {
        EXPECT_EQ(report->rows[i].status, expected.rows[i].status) << i;
        EXPECT_EQ(report->rows[i].differences.size(), expected.rows[i].differences.size()) << i;
    }
    EXPECT_EQ(view->DrawnRows(), static_cast<int>(expected.rows.size()));

    // The first differing row (auth) is selected: its paths listed, and highlighted in A's and B's trees.
    const FixtureFacts facts = ReadFixtureFacts();
    ASSERT_TRUE(view->SelectedRow());
    EXPECT_EQ(*view->SelectedRow(), facts.auth - 1);
    const replay::DiffRow& auth = expected.rows[facts.auth - 1];
    EXPECT_EQ(view->DrawnPaths(), static_cast<int>(auth.differences.size()));
    EXPECT_EQ(AsSet(view->TreeA().DrawnHighlights()), AsSet(PathsPresent(auth, true)));
    EXPECT_EQ(AsSet(view->TreeB().DrawnHighlights()), AsSet(PathsPresent(auth, false)));
    EXPECT_TRUE(AsSet(view->TreeB().DrawnHighlights()).contains("$.arguments.clientVersion"));
    EXPECT_FALSE(AsSet(view->TreeA().DrawnHighlights()).contains("$.arguments.clientVersion"));

    // An open without provider in B: A's tree highlights the provider, B's (which has none) does not.
    const size_t open = facts.providerDropped.front() - 1;
    view->SelectRow(open);
    m_platform->Frame(*app);
    m_platform->Frame(*app);
    EXPECT_EQ(view->DrawnPaths(), static_cast<int>(expected.rows[open].differences.size()));
    EXPECT_EQ(AsSet(view->TreeA().DrawnHighlights()), AsSet(PathsPresent(expected.rows[open], true)));
    EXPECT_TRUE(AsSet(view->TreeA().DrawnHighlights()).contains("$.arguments.provider"));
    EXPECT_FALSE(AsSet(view->TreeB().DrawnHighlights()).contains("$.arguments.provider"));

    // A matched row highlights nothing.
    const auto matched = std::find_if(expected.rows.begin(), expected.rows.end(),
                                      [](const auto& r) { return r.status == DiffStatus::Matched; });
    ASSERT_NE(matched, expected.rows.end());
    view->SelectRow(static_cast<size_t>(matched - expected.rows.begin()));
    m_platform->Frame(*app);
    EXPECT_EQ(view->DrawnPaths(), 0);
    EXPECT_TRUE(view->TreeA().DrawnHighlights().empty());
    EXPECT_TRUE(view->TreeB().DrawnHighlights().empty());
}

TEST_F(CompareViewTest, TheSessionListMarksThePairAndSwapComparesTheOtherWay)
{
    auto app = Open();
    auto* view = app->FindView<CompareView>();
    ASSERT_TRUE(view);
    EXPECT_FALSE(view->Model().A()); // nothing compared until asked
    app->Context().bus.Post(CompareSessions{2, 1});
    m_platform->RunUntilIdle(*app);
    EXPECT_EQ(app->State().bottomTab, BottomTab::Compare);
    ASSERT_TRUE(view->Model().Report());
    // TypeScript as A: the opens now lack a provider that B has.
    const replay::DiffRow* row = RowAtA(*view->Model().Report(), ReadFixtureFacts().providerDropped.front());
    ASSERT_TRUE(row);
    const replay::Difference* provider = PathIn(*row, "$.arguments.provider");
    ASSERT_TRUE(provider);
    EXPECT_EQ(provider->then, "(absent)");
    EXPECT_EQ(provider->now, "null");
}

TEST_F(CompareViewTest, ASessionComparedWithItselfIsAllMatched)
{
    AppOptions options;
    options.session = 2;
    options.compare = 2;
    auto app = Open(options);
    auto* view = app->FindView<CompareView>();
    ASSERT_TRUE(view->Model().Report());
    EXPECT_EQ(view->Model().Report()->outcome, replay::Outcome::Equivalent);
    EXPECT_EQ(view->Model().Report()->Count(DiffStatus::Matched), ReadFixtureFacts().requests);
    EXPECT_FALSE(view->SelectedRow()); // nothing differs: nothing selected
    EXPECT_EQ(view->DrawnPaths(), 0);
}

} // namespace
} // namespace dapscope::ui

namespace dapscope::ui
{
namespace
{
TEST(CompareViewEvents, AnEventMissingInBShowsUnderItsTaskAndOpensTheEventsSection)
{
    // The Python session twice; one apaevt_flow of a task deleted from the second copy.
    test::TempDir dir;
    const std::string store = dir.File("twice.db");
    storage::ImportFile(store, std::string(DAPSCOPE_FIXTURES) + "/python-sdk-session.jsonl");
    storage::ImportFile(store, std::string(DAPSCOPE_FIXTURES) + "/python-sdk-session.jsonl");
    std::string task;
    {
        SQLite::Database db(store, SQLite::OPEN_READWRITE);
        SQLite::Statement event(db, "SELECT id, task FROM messages WHERE session_id = 2 AND event = 'apaevt_flow' "
                                    "AND task IS NOT NULL ORDER BY id LIMIT 1");
        ASSERT_TRUE(event.executeStep());
        const int64_t id = event.getColumn(0).getInt64();
        task = event.getColumn(1).getString();
        event.reset();
        db.exec("DELETE FROM messages WHERE id = " + std::to_string(id));
    }
    HeadlessPlatform platform(ImVec2(1400, 850));
    AppOptions options;
    options.storePath = store;
    options.session = 1;
    options.compare = 2;
    App app(options, [] {});
    ASSERT_TRUE(platform.RunUntilIdle(app));
    auto* view = app.FindView<CompareView>();
    ASSERT_TRUE(view && view->Model().Report()) << view->Model().Error();
    const replay::DiffReport& report = *view->Model().Report();
    EXPECT_EQ(report.outcome, replay::Outcome::Differs);
    const auto pair = std::find_if(report.tasks.begin(), report.tasks.end(),
                                   [&](const replay::TaskEvents& t) { return t.taskA == task; });
    ASSERT_NE(pair, report.tasks.end()) << task;
    EXPECT_EQ(pair->taskB, task); // the same script: the same task id in both copies
    const auto flow = std::find_if(pair->events.begin(), pair->events.end(),
                                   [](const replay::EventCount& e) { return e.event == "apaevt_flow"; });
    ASSERT_NE(flow, pair->events.end());
    EXPECT_EQ(flow->then - flow->now, 1);
    // The section opened by itself and lists every task's counts.
    size_t counts = 0;
    for (const replay::TaskEvents& t : report.tasks)
        counts += t.events.size();
    EXPECT_EQ(view->DrawnEvents(), static_cast<int>(counts));
}
} // namespace
} // namespace dapscope::ui
