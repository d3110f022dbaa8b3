// `dapscope break/held/release/close` against `dapscope proxy --control` as users run them: separate processes
// talking over the control socket beside the store.

#include "mock/DapClient.hpp"
#include "support/MockEngine.hpp"
#include "support/ProxyProcess.hpp"
#include "support/TestProcess.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace dapscope
{
namespace
{

using namespace std::chrono_literals;

TEST(ControlCommands, BreakHoldReleaseThroughTheControlSocket)
{
    test::TempDir dir;
    test::MockEngine engine;
    const std::string db = dir.File("traces.db");
    test::ProxyProcess proxy(engine.Address(), db, {"--control", "--quiet"});
    ASSERT_NE(proxy.Port(), 0) << proxy.Process().Output();

    test::CommandResult added =
        test::RunDapscope({"break", "add", "--db", db, "--dir", "c2s", "--command", "rrext_ping"});
    ASSERT_EQ(added.status, 0) << added.output;
    EXPECT_NE(added.output.find("breakpoint break-rrext_ping added"), std::string::npos) << added.output;
    EXPECT_NE(test::RunDapscope({"break", "list", "--db", db}).output.find("break-rrext_ping"), std::string::npos);

    auto client = mock::DapClient::Connect(proxy.Url());
    ASSERT_TRUE(client->Call("auth", {{"auth", "sk-control-test"}}));
    int64_t seq = client->Send("rrext_ping");
    test::CommandResult held;
    for (auto end = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(50ms))
    {
        held = test::RunDapscope({"held", "--db", db});
        if (held.output.find("rrext_ping") != std::string::npos)
            break;
    }
    ASSERT_EQ(held.status, 0) << held.output;
    ASSERT_NE(held.output.find("rule break-rrext_ping"), std::string::npos) << held.output;
    const std::string id = held.output.substr(0, held.output.find(' '));

    test::CommandResult wrong = test::RunDapscope({"release", "--db", db, "999999"});
    EXPECT_EQ(wrong.status, 1) << wrong.output;
    EXPECT_NE(wrong.output.find("no message is held under id 999999"), std::string::npos) << wrong.output;
    test::CommandResult released = test::RunDapscope({"release", "--db", db, id});
    EXPECT_EQ(released.status, 0) << released.output;
    EXPECT_TRUE(client->Wait(seq));

    test::CommandResult closed = test::RunDapscope({"close", "--db", db, "1", "--code", "4002", "--reason", "done"});
    EXPECT_EQ(closed.status, 0) << closed.output;
    auto info = client->Socket().WaitClosed(10s);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->code, 4002);
    EXPECT_EQ(proxy.Stop(), 0);
}

TEST(ControlCommands, NoProxyToTalkToExitsTwo)
{
    test::TempDir dir;
    test::CommandResult r = test::RunDapscope({"held", "--db", dir.File("nothing.db")});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("dapscope proxy --control"), std::string::npos) << r.output;
}

} // namespace
} // namespace dapscope
