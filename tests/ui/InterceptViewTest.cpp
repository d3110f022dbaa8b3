// The Intercept view against a real embedded proxy: a capture with its control endpoint, dapscope's mock engine
// and a DAP client, the view driven on ImGui's null backend through the methods its buttons call.

#include "ui/views/InterceptView.hpp"
#include "cli/Capture.hpp"
#include "cli/ControlServer.hpp"
#include "mock/DapClient.hpp"
#include "support/MockEngine.hpp"
#include "support/TestProcess.hpp"
#include "ui/App.hpp"
#include "ui/platform/HeadlessPlatform.hpp"
#include "ui/views/MessageTableView.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

using namespace dapscope;
using namespace dapscope::ui;
using namespace std::chrono_literals;

namespace
{
class InterceptViewTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        cli::CaptureOptions options;
        options.storePath = m_dir.File("live.db");
        options.relay.listenPort = 0;
        options.relay.upstream = net::NormaliseEngineUri(m_engine.Address());
        options.relay.control = true;
        m_capture = std::make_unique<cli::Capture>(std::move(options));
        m_control = std::make_unique<cli::ControlServer>(*m_capture, cli::ControlSocketPath(m_dir.File("live.db")));
        m_client = mock::DapClient::Connect("ws://127.0.0.1:" + std::to_string(m_capture->Port()) + "/task/service");
        ASSERT_TRUE(m_client->Call("auth", {{"auth", "sk-intercept-view"}}));

        AppOptions app;
        app.storePath = m_dir.File("live.db");
        app.tab = BottomTab::Intercept;
        app.control = [this](const boost::json::object& request) { return m_control->Handle(request); };
        m_app = std::make_unique<App>(app, [] {});
        m_view = m_app->FindView<InterceptView>();
    }
    void TearDown() override
    {
        m_app.reset();
        m_client.reset();
        m_control.reset();
    }

    // Frames until `done` holds (10 s at most).
    bool FramesUntil(const std::function<bool()>& done)
    {
        for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;
             std::this_thread::sleep_for(20ms))
        {
            m_platform.Frame(*m_app);
            if (done())
                return true;
        }
        return false;
    }

    test::TempDir m_dir;
    test::MockEngine m_engine;
    std::unique_ptr<cli::Capture> m_capture;
    std::unique_ptr<cli::ControlServer> m_control;
    std::unique_ptr<mock::DapClient> m_client;
    HeadlessPlatform m_platform{ImVec2(1400, 850)};
    std::unique_ptr<App> m_app;
    InterceptView* m_view = nullptr;
};
} // namespace

TEST_F(InterceptViewTest, AHeldMessageIsEditedInPlaceValidatedAndForwarded)
{
    ASSERT_NE(m_view, nullptr);
    m_view->AddBreakpoint("rrext_ping", "c2s");
    ASSERT_TRUE(FramesUntil([&] { return !m_view->Busy(); }));
    const int64_t seq = m_client->Send("rrext_ping", {{"marker", "original"}});
    ASSERT_TRUE(FramesUntil([&] { return m_view->Held().size() == 1; }));
    const InterceptView::HeldRow row = m_view->Held()[0];
    EXPECT_EQ(row.dir, "c2s");
    EXPECT_EQ(row.rule, "gui-rrext_ping-c2s");
    EXPECT_NE(m_view->Editor(row.id).find("\"arguments\": {\"marker\":\"original\"}"), std::string::npos)
        << m_view->Editor(row.id);

    // Not JSON: refused in the view, and the message stays held.
    m_view->Editor(row.id) = "{\"type\": \"request\", ";
    m_view->Forward(0, true);
    EXPECT_NE(m_view->Problem().find("not a JSON object"), std::string::npos) << m_view->Problem();
    EXPECT_FALSE(m_client->Wait(seq, 200ms));

    m_view->Editor(row.id) = R"({"type":"request","seq":)" + std::to_string(seq) +
                             R"(,"command":"rrext_ping","arguments":{"marker":"edited"}})";
    m_view->Forward(0, true);
    EXPECT_TRUE(m_view->Problem().empty()) << m_view->Problem();
    ASSERT_TRUE(FramesUntil([&] { return !m_view->Busy(); }));
    EXPECT_TRUE(m_client->Wait(seq));
    ASSERT_TRUE(FramesUntil([&] { return m_view->Held().empty(); }));

    // The message table marks both rows of the edited message once the recorder has stored them.
    auto* table = m_app->FindView<MessageTableView>();
    auto marked = [&](const std::string& mark)
    {
        for (const auto& row : table->Drawn())
            if (row.what.find(mark) != std::string::npos)
                return true;
        return false;
    };
    EXPECT_TRUE(
        FramesUntil([&] { return marked("break (edited), as received") && marked("break (edited), as sent"); }));
}

TEST_F(InterceptViewTest, DropMeansTheEngineNeverAnswers)
{
    m_view->AddBreakpoint("rrext_services", "c2s");
    ASSERT_TRUE(FramesUntil([&] { return !m_view->Busy(); }));
    const int64_t seq = m_client->Send("rrext_services");
    ASSERT_TRUE(FramesUntil([&] { return m_view->Held().size() == 1; }));
    m_view->Drop(0);
    ASSERT_TRUE(FramesUntil([&] { return m_view->Held().empty(); }));
    EXPECT_FALSE(m_client->Wait(seq, 500ms));
}

TEST_F(InterceptViewTest, ComposeSendsIntoTheLiveSessionAndShowsTheAnswer)
{
    int64_t session = 0;
    ASSERT_TRUE(FramesUntil(
        [&]
        {
            for (uint64_t id : m_capture->Relay().LiveWebSocketSessions())
                session = m_capture->Recorder().StoreSession(id);
            return session != 0;
        }));
    // Resend of a captured request: its seq is the proxy's to give.
    m_view->Compose(R"({"type":"request","seq":3,"command":"rrext_ping","arguments":{}})", session);
    EXPECT_EQ(m_view->ComposeText().find("\"seq\""), std::string::npos) << m_view->ComposeText();
    m_view->Send();
    ASSERT_TRUE(FramesUntil([&] { return m_view->Answer().find("request_seq") != std::string::npos; }))
        << m_view->Answer() << m_view->Problem();
    EXPECT_NE(m_view->Answer().find("\"command\":\"rrext_ping\""), std::string::npos) << m_view->Answer();
    EXPECT_FALSE(m_client->Socket().Receive(200ms)); // the SDK saw nothing of it

    m_view->ComposeText() = "{\"arguments\": {}}";
    m_view->Send();
    EXPECT_NE(m_view->Problem().find("with a command"), std::string::npos) << m_view->Problem();
}
