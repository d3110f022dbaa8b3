// The real dapscope-ui executable under a virtual X server (Xvfb, Mesa's software OpenGL): screenshots of each
// view, the no-display message, sleeping when idle, and the embedded capturing proxy.

#include "UiTestSupport.hpp"
#include "mock/DemoSession.hpp"
#include "mock/MockEngineServer.hpp"
#include "storage/Import.hpp"
#include "storage/TraceReader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace dapscope::test
{
namespace
{

// CPU time (user + system) of a process, in seconds.
double CpuSeconds(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i)
    {
        if (i == 14)
            utime = std::stoull(field);
        if (i == 15)
        {
            stime = std::stoull(field);
            break;
        }
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

class GuiProcessTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        // Never skipped: scripts/install-deps.sh installs xvfb, and the test starts its own server.
        ASSERT_TRUE(std::filesystem::exists("/usr/bin/Xvfb")) << "Xvfb is not installed (apt-get install xvfb)";
        ASSERT_TRUE(m_display.Ok()) << "could not start Xvfb";
        m_store = MakeDemoStore(m_dir, 2);
    }

    // Run dapscope-ui --screenshot; returns the image.
    Image Screenshot(const std::string& name, std::vector<std::string> extra, const std::string& size = "1200x800")
    {
        const std::string out = m_dir.File(name);
        std::vector<std::string> argv = {BinPath("dapscope-ui"), "--screenshot", out, "--size", size, m_store};
        argv.insert(argv.end(), extra.begin(), extra.end());
        TestProcess gui(argv, m_display.Env(m_dir.File("config")));
        auto status = gui.Wait(std::chrono::seconds(90));
        EXPECT_EQ(status, std::optional<int>(0)) << gui.Output();
        return LoadPng(out);
    }

    TempDir m_dir;
    VirtualDisplay m_display;
    std::string m_store;
};

void ExpectNotBlank(const Image& image, int width, int height)
{
    ASSERT_TRUE(image.Ok());
    EXPECT_EQ(image.width, width);
    EXPECT_EQ(image.height, height);
    EXPECT_GT(image.DistinctColors(), 100u); // text, tables, colours: far from a blank window
    EXPECT_LT(image.DominantShare(), 0.9);
}

TEST_F(GuiProcessTest, ScreenshotsOfEachViewAreFullAndDiffer)
{
    const Image timeline = Screenshot("timeline.png", {"--view", "timeline"});
    const Image tasks = Screenshot("tasks.png", {"--view", "tasks"});
    const Image stats = Screenshot("stats.png", {"--view", "stats"});
    for (const Image* image : {&timeline, &tasks, &stats})
        ExpectNotBlank(*image, 1200, 800);
    // The bottom-left pane is where they differ; the sessions at the top are the same.
    EXPECT_GT(DifferentShare(timeline, tasks, 0, 560, 760, 780), 0.05);
    EXPECT_GT(DifferentShare(tasks, stats, 0, 560, 760, 780), 0.05);
    EXPECT_LT(DifferentShare(timeline, stats, 0, 0, 1200, 100), 0.01);
    // The stats histogram is drawn in the accent colour (90, 160, 255).
    EXPECT_GT(stats.CountNear(0x5AA0FF, 6, 0, 560, 800, 800), 500u);
    EXPECT_LT(timeline.CountNear(0x5AA0FF, 6, 0, 560, 800, 800), stats.CountNear(0x5AA0FF, 6, 0, 560, 800, 800));
}

TEST_F(GuiProcessTest, SelectFillsTheDetailPane)
{
    const Image plain = Screenshot("plain.png", {"--session", "1"});
    const Image selected = Screenshot("selected.png", {"--select", "3"});
    ExpectNotBlank(selected, 1200, 800);
    // The detail pane (right third, below the sessions) shows the message's JSON tree.
    EXPECT_GT(DifferentShare(plain, selected, 820, 200, 1200, 760), 0.02);
    EXPECT_GT(selected.DistinctColors(820, 200, 1200, 760), plain.DistinctColors(820, 200, 1200, 760));
}

// Also the picture of docs/gui.md: DAPSCOPE_SCREENSHOT_DIR=docs/screenshots makes the test copy it there.
TEST_F(GuiProcessTest, HttpExchangeScreenshotShowsTheExchangeAndNoKey)
{
    const HttpSessionIds ids = AppendHttpSessions(m_store); // sessions 3 (HTTP) and 4 after the demo's two
    const Image image = Screenshot("http.png", {"--select", std::to_string(ids.post)}, "1200x760");
    ExpectNotBlank(image, 1200, 760);
    // The table (left of the detail pane, under the sessions) has red rows: the 404 and the 502.
    EXPECT_GT(image.CountNear(0xF05A5A, 8, 0, 150, 780, 760), 40u);
    // The detail pane shows the redacted Authorization line and the banner in the redaction colour.
    EXPECT_GT(image.CountNear(0xFA963C, 8, 800, 150, 1200, 760), 40u);
    // What the GUI can show is what the store holds: the key is not there.
    for (const std::string& file : {m_store, m_store + "-wal"})
    {
        std::ifstream in(file, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        EXPECT_EQ(bytes.find(kHttpKey), std::string::npos) << file;
    }
    if (const char* dir = std::getenv("DAPSCOPE_SCREENSHOT_DIR"))
        std::filesystem::copy_file(m_dir.File("http.png"), std::string(dir) + "/http.png",
                                   std::filesystem::copy_options::overwrite_existing);
}

// The Compare view of the two SDK fixture sessions; also docs/screenshots/compare.png (DAPSCOPE_SCREENSHOT_DIR).
TEST_F(GuiProcessTest, CompareScreenshotShowsTheDifferingRows)
{
    m_store = m_dir.File("sdks.db");
    storage::ImportFile(m_store, std::string(DAPSCOPE_FIXTURES) + "/python-sdk-session.jsonl");
    storage::ImportFile(m_store, std::string(DAPSCOPE_FIXTURES) + "/typescript-sdk-session.jsonl");
    const Image compare =
        Screenshot("compare.png", {"--session", "1", "--compare", "2", "--view", "compare"}, "1500x1000");
    // --compare brings the Compare tab forward whatever --view says: the picture to tell it from has no pair.
    const Image timeline = Screenshot("timeline.png", {"--session", "1", "--view", "timeline"}, "1500x1000");
    ExpectNotBlank(compare, 1500, 1000);
    // The bottom pane is the Compare tab: differing rows and highlighted paths in amber (235, 180, 60).
    EXPECT_GT(DifferentShare(compare, timeline, 0, 650, 960, 960), 0.05);
    EXPECT_GT(compare.CountNear(0xEBB43C, 8, 0, 650, 960, 960), 40u);
    if (const char* dir = std::getenv("DAPSCOPE_SCREENSHOT_DIR"))
        std::filesystem::copy_file(m_dir.File("compare.png"), std::string(dir) + "/compare.png",
                                   std::filesystem::copy_options::overwrite_existing);
}

TEST_F(GuiProcessTest, SizeIsHonoured)
{
    ExpectNotBlank(Screenshot("small.png", {}, "800x600"), 800, 600);
}

TEST_F(GuiProcessTest, WithoutADisplayItExitsWithTwoAndNamesTheCli)
{
    TestProcess gui({BinPath("dapscope-ui"), m_store}, {"DISPLAY=", "WAYLAND_DISPLAY="}, true);
    gui.WaitForLine("xvfb-run", std::chrono::seconds(30)); // the last line of the message
    EXPECT_EQ(gui.Wait(std::chrono::seconds(30)), std::optional<int>(2));
    EXPECT_NE(gui.Output().find("no display"), std::string::npos) << gui.Output();
    EXPECT_NE(gui.Output().find("dapscope sessions"), std::string::npos);
    EXPECT_NE(gui.Output().find("dapscope show"), std::string::npos);
    EXPECT_NE(gui.Output().find("dapscope stats"), std::string::npos);
}

TEST(GuiProcess, HelpNamesEveryOptionAndExitsZero)
{
    TestProcess gui({BinPath("dapscope-ui"), "--help"}, {"DISPLAY=", "WAYLAND_DISPLAY="}, true);
    gui.WaitForLine("--size", std::chrono::seconds(30)); // the last option listed
    EXPECT_EQ(gui.Wait(std::chrono::seconds(30)), std::optional<int>(0));
    for (const char* option :
         {"--listen", "--upstream", "--screenshot", "--session", "--select", "--compare", "--view", "--size"})
        EXPECT_NE(gui.Output().find(option), std::string::npos) << option << " missing from:\n" << gui.Output();
}

TEST_F(GuiProcessTest, SleepsWhenNothingChanges)
{
    TestProcess gui({BinPath("dapscope-ui"), m_store}, m_display.Env(m_dir.File("config")));
    std::this_thread::sleep_for(std::chrono::seconds(3)); // start, load, settle
    ASSERT_FALSE(gui.Wait(std::chrono::milliseconds(0))) << "exited early: " << gui.Output();
    const double before = CpuSeconds(gui.Pid());
    std::this_thread::sleep_for(std::chrono::seconds(4));
    const double used = CpuSeconds(gui.Pid()) - before;
    EXPECT_LT(used / 4.0, 0.15) << "idle GUI used " << used << " s of CPU in 4 s";
    gui.Signal(SIGTERM);
    EXPECT_EQ(gui.Wait(std::chrono::seconds(20)), std::optional<int>(0));
    // It saved its settings on the way out.
    EXPECT_TRUE(std::filesystem::exists(m_dir.File("config") + "/dapscope/ui.ini"));
}

TEST_F(GuiProcessTest, EmbeddedProxyCapturesIntoTheStoreItShows)
{
    net::EventLoop engineLoop("test-engine");
    mock::MockEngineServer engine(engineLoop, net::WsServerOptions{}, mock::EngineOptions{});
    const std::string store = m_dir.File("live.db");
    TestProcess gui({BinPath("dapscope-ui"), "--listen", "127.0.0.1:0", "--upstream",
                     "127.0.0.1:" + std::to_string(engine.Port()), store},
                    m_display.Env(m_dir.File("config")));
    auto line = gui.WaitForLine("listening on", std::chrono::seconds(30));
    ASSERT_TRUE(line) << gui.Output();
    const int port = PortFromLine(*line);
    ASSERT_GT(port, 0) << *line;
    mock::DemoReport report =
        mock::RunDemoSession("ws://127.0.0.1:" + std::to_string(port) + "/task/service", "sk-test-0000");
    EXPECT_TRUE(report.problems.empty()) << report.problems.front();
    ASSERT_FALSE(gui.Wait(std::chrono::milliseconds(500))) << "the GUI exited: " << gui.Output();
    gui.Signal(SIGTERM);
    EXPECT_EQ(gui.Wait(std::chrono::seconds(30)), std::optional<int>(0)) << gui.Output();
    storage::TraceReader reader(store);
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_GT(sessions[0].messages, 50);
    EXPECT_TRUE(sessions[0].endedNs.has_value());
    EXPECT_EQ(sessions[0].clientName, "dapscope demo");
}

} // namespace
} // namespace dapscope::test
