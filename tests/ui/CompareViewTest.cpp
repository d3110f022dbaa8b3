// The Compare view and its model over a known pair: the Python SDK's and the TypeScript SDK's fixture sessions
// (tests/fixtures), imported into one store. What differs between them is read off the fixture files: the
// TypeScript SDK sends `rrext_process` open without `provider` (the Python SDK sends `"provider": null`), ping
// without `arguments`, and `clientVersion` in auth; both run the same 37 requests in the same order.

#include "UiTestSupport.hpp"
#include "storage/Import.hpp"
#include "ui/App.hpp"
#include "ui/CompareModel.hpp"
#include "ui/platform/HeadlessPlatform.hpp"
#include "ui/views/CompareView.hpp"
#include "ui/views/SessionListView.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace dapscope::ui
{
namespace
{
using replay::DiffStatus;

constexpr size_t kRequests = 37;                    // each fixture session's requests
constexpr size_t kOpensWithoutProvider[] = {10, 12, 14, 16}; // positions of `rrext_process` open with provider null

// A store with the two fixture sessions: Python is session 1, TypeScript session 2.
std::string MakeFixtureStore(const test::TempDir& dir)
{
    const std::string store = dir.File("sdks.db");
    storage::ImportFile(store, std::string(DAPSCOPE_FIXTURES) + "/python-sdk-session.jsonl");
    storage::ImportFile(store, std::string(DAPSCOPE_FIXTURES) + "/typescript-sdk-session.jsonl");
    return store;
}

const replay::DiffRow* RowAtA(const replay::DiffReport& report, size_t a)
{
    auto it = std::find_if(report.rows.begin(), report.rows.end(), [a](const auto& r) { return r.a == a; });
    return it == report.rows.end() ? nullptr : &*it;
}

const replay::Difference* PathIn(const replay::DiffRow& row, const std::string& path)
{
    auto it = std::find_if(row.differences.begin(), row.differences.end(),
                           [&](const auto& d) { return d.path == path; });
    return it == row.differences.end() ? nullptr : &*it;
}

// What the fixture files say about the pair, checked on a report of Python (A) against TypeScript (B).
void ExpectPythonAgainstTypeScript(const replay::DiffReport& report)
{
    EXPECT_EQ(report.outcome, replay::Outcome::Differs);
    ASSERT_EQ(report.rows.size(), kRequests);
    EXPECT_EQ(report.Count(DiffStatus::OnlyInA), 0u);
    EXPECT_EQ(report.Count(DiffStatus::OnlyInB), 0u);
    for (size_t i = 0; i < kRequests; ++i)
    {
        EXPECT_EQ(report.rows[i].a, i + 1);
        EXPECT_EQ(report.rows[i].b, i + 1); // same script, same order
    }
    for (size_t a : kOpensWithoutProvider)
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
    // The chat question's open names its provider in both: no provider difference there.
    const replay::DiffRow* chatOpen = RowAtA(report, 19);
    ASSERT_TRUE(chatOpen);
    EXPECT_EQ(chatOpen->subcommand, "open");
    EXPECT_FALSE(PathIn(*chatOpen, "$.arguments.provider"));
    // auth: only TypeScript sends clientVersion.
    const replay::DiffRow* auth = RowAtA(report, 1);
    ASSERT_TRUE(auth);
    EXPECT_EQ(auth->command, "auth");
    const replay::Difference* version = PathIn(*auth, "$.arguments.clientVersion");
    ASSERT_TRUE(version);
    EXPECT_EQ(version->then, "(absent)");
    EXPECT_EQ(version->now, "\"1.1.0\"");
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

TEST_F(CompareViewTest, CompareOptionShowsAlignedRowsAndTheFirstDifferenceHighlighted)
{
    AppOptions options;
    options.session = 1;
    options.compare = 2; // what --session 1 --compare 2 does
    auto app = Open(options);
    EXPECT_EQ(app->State().bottomTab, BottomTab::Compare);
    auto* view = app->FindView<CompareView>();
    ASSERT_TRUE(view);
    ASSERT_TRUE(view->Model().Report()) << view->Model().Error();
    ExpectPythonAgainstTypeScript(*view->Model().Report());
    EXPECT_EQ(view->DrawnRows(), static_cast<int>(kRequests));
    // The first differing row (auth) is selected, and its paths are drawn.
    ASSERT_TRUE(view->SelectedRow());
    EXPECT_EQ(*view->SelectedRow(), 0u);
    EXPECT_EQ(view->DrawnPaths(), static_cast<int>(view->Model().Report()->rows[0].differences.size()));
    EXPECT_GT(view->DrawnEvents(), 0);

    // Selecting an open shows its differing paths, among them the provider.
    view->SelectRow(kOpensWithoutProvider[0] - 1);
    m_platform->Frame(*app);
    m_platform->Frame(*app);
    const auto& row = view->Model().Report()->rows[kOpensWithoutProvider[0] - 1];
    EXPECT_GE(view->DrawnPaths(), 1);
    EXPECT_EQ(view->DrawnPaths(), static_cast<int>(row.differences.size()));
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
    const replay::DiffRow* row = RowAtA(*view->Model().Report(), kOpensWithoutProvider[0]);
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
    EXPECT_EQ(view->Model().Report()->Count(DiffStatus::Matched), kRequests);
    EXPECT_FALSE(view->SelectedRow()); // nothing differs: nothing selected
    EXPECT_EQ(view->DrawnPaths(), 0);
}

} // namespace
} // namespace dapscope::ui
