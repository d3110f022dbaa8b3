// Task lifecycle, deterministic tokens, rrext_monitor catch-up/routing and unknown commands.

#include "EngineTestUtil.hpp"

namespace dapscope::mock::test
{
namespace
{

std::vector<std::string> Kinds(const std::vector<Frame>& frames)
{
    std::vector<std::string> kinds;
    for (const auto& frame : frames)
        kinds.push_back(frame.IsEvent() ? frame.Str("event") : frame.Str("type") + ":" + frame.Str("command"));
    return kinds;
}

void ExpectConsecutiveSeqs(const std::vector<Frame>& frames, int64_t first)
{
    for (size_t i = 0; i < frames.size(); ++i)
        EXPECT_EQ(frames[i].Int("seq"), first + static_cast<int64_t>(i)) << frames[i].raw;
}

TEST(EngineTokens, MatchTheEngineFormula)
{
    // Hand-computed with Python: sha256(json.dumps({...}, sort_keys=True)).hexdigest()[:32].
    EXPECT_EQ(TaskToken("8c0e41d2", "webhook_1", "local"), "tk_2455da53de7e41d9677dc56e62f8b9c8");
    EXPECT_EQ(PublicToken("8c0e41d2", "webhook_1"), "pk_37a84a4769fee55ea37a7317b9d0f9b0");
    // Non-ASCII, quotes, newline and an astral character go through json.dumps' \u escapes.
    const std::string odd = "proj\xC3\xA9 \xE2\x9C\x93 \"q\"\n\xF0\x9F\x98\x80";
    EXPECT_EQ(TaskToken(boost::json::value(odd), "chat_1", "local"), "tk_44f410f8770ab9761686e7d7f50b67b0");
    EXPECT_EQ(PublicToken(boost::json::value(odd), "chat_1"), "pk_506181247211003fb224ea8ffb605582");
    EXPECT_EQ(DisplayId("tk_2455da53de7e41d9677dc56e62f8b9c8", "webhook_1"), "2455da53.webhook_1");
}

TEST(EngineTasks, ExecuteReturnsDeterministicTokens)
{
    for (int run = 0; run < 2; ++run)
    {
        EngineState state; // a fresh engine each time: same project/source/user gives the same tokens
        TestClient client(state);
        client.Auth();
        const Frame response = client.Request("execute", {{"pipeline", EchoPipeline("8c0e41d2")}, {"name", "hello"}});
        ASSERT_TRUE(response.Success()) << response.raw;
        EXPECT_EQ(response.raw, R"({"type":"response","seq":2,"request_seq":2,"command":"execute","success":true,)"
                                R"("body":{"id":"2455da53.webhook_1","token":"tk_2455da53de7e41d9677dc56e62f8b9c8",)"
                                R"("publicToken":"pk_37a84a4769fee55ea37a7317b9d0f9b0","projectId":"8c0e41d2",)"
                                R"("source":"webhook_1","provider":"webhook"}})");
        // execute does not subscribe the caller: no events without a monitor.
        EXPECT_EQ(client.Last().messages.size(), 1u);
    }
}

TEST(EngineTasks, ExecuteNeedsAPipelineAndRefusesDuplicates)
{
    EngineState state;
    TestClient client(state);
    client.Auth();
    const Frame missing = client.Request("execute", {{"name", "x"}});
    EXPECT_FALSE(missing.Success());
    EXPECT_EQ(missing.Str("message"), "Missing pipeline configuration in launch request");
    EXPECT_EQ(missing.json.at("trace").at("file"), "task_server.py");
    EXPECT_FALSE(missing.HasBody());

    const Frame first = client.Request("execute", {{"pipeline", EchoPipeline()}});
    ASSERT_TRUE(first.Success());
    const Frame again = client.Request("execute", {{"pipeline", EchoPipeline()}});
    EXPECT_EQ(again.Str("message"), "Pipeline is already running.");
    EXPECT_EQ(again.json.at("trace").at("lineno"), 1141);
    const Frame reuse = client.Request("execute", {{"pipeline", EchoPipeline()}, {"useExisting", true}});
    EXPECT_TRUE(reuse.Success());
    EXPECT_EQ(reuse.Body(), first.Body());

    // Once stopped, the same pipeline can run again (the completed task is replaced).
    EXPECT_TRUE(client.Request("terminate", {{"token", first.Body().at("token")}}).Success());
    EXPECT_TRUE(client.Request("execute", {{"pipeline", EchoPipeline()}}).Success());
}

TEST(EngineTasks, MonitorCatchUpPrecedesTheResponse)
{
    EngineState state;
    TestClient client(state);
    client.Auth();
    const auto frames = client.Call("rrext_monitor",
                                    {{"projectId", "proj-1"}, {"source", "webhook_1"}, {"types", {"TASK", "SUMMARY"}}});
    ASSERT_EQ(Kinds(frames),
              (std::vector<std::string>{"apaevt_status_update", "apaevt_task", "response:rrext_monitor"}));
    ExpectConsecutiveSeqs(frames, 2);
    EXPECT_EQ(frames[0].Body().at("__id"), "proj-1.webhook_1");
    EXPECT_EQ(frames[0].Body().at("state"), 0);
    EXPECT_EQ(frames[0].Body().at("status"), "Not running");
    EXPECT_EQ(frames[1].raw, R"({"type":"event","seq":3,"event":"apaevt_task","body":{"action":"running",)"
                             R"("tasks":[],"__id":""}})");
    EXPECT_TRUE(frames[2].Success());
    EXPECT_FALSE(frames[2].HasBody());

    // Subscribed by project before execute: begin and the first status updates come before the response.
    const auto executed = client.Call("execute", {{"pipeline", EchoPipeline()}});
    ASSERT_EQ(Kinds(executed), (std::vector<std::string>{"apaevt_task", "apaevt_status_update", "apaevt_status_update",
                                                         "response:execute"}));
    ExpectConsecutiveSeqs(executed, 5);
    EXPECT_EQ(executed[0].Body().at("action"), "begin");
    EXPECT_EQ(executed[1].Body().at("state"), 2);
    EXPECT_EQ(executed[2].Body().at("state"), 3);
    const std::string id(executed[3].Body().at("id").as_string());
    for (size_t i = 0; i < 3; ++i)
        EXPECT_EQ(executed[i].Body().at("__id").as_string(), id);

    // Re-subscribing with the same bits sends no catch-up; adding TASK only sends the running list.
    EXPECT_EQ(Kinds(client.Call("rrext_monitor", {{"projectId", "proj-1"}, {"source", "webhook_1"}, {"types", 36}})),
              (std::vector<std::string>{"response:rrext_monitor"}));
    const auto running = client.Call("rrext_monitor", {{"token", "*"}, {"types", "32"}});
    ASSERT_EQ(Kinds(running), (std::vector<std::string>{"apaevt_task", "response:rrext_monitor"}));
    const auto& tasks = running[0].Body().at("tasks").as_array();
    ASSERT_EQ(tasks.size(), 1u);
    EXPECT_EQ(tasks[0].at("id").as_string(), id);
}

TEST(EngineTasks, MonitorArgumentErrors)
{
    EngineState state;
    TestClient client(state);
    client.Auth();
    const Frame both = client.Request("rrext_monitor", {{"token", "*"}, {"projectId", "p"}, {"types", {"TASK"}}});
    EXPECT_EQ(both.Str("message"), "You must specifiy either token or project_id/source, not both");
    const Frame neither = client.Request("rrext_monitor", {{"types", {"TASK"}}});
    EXPECT_EQ(neither.Str("message"), "You must specifiy either token or project_id/source");
    const Frame unknown = client.Request("rrext_monitor", {{"token", "tk_nope"}, {"types", {"TASK"}}});
    EXPECT_EQ(unknown.Str("message"), "Your pipeline is not running");
}

TEST(EngineTasks, TerminateStopsThenAnswers)
{
    EngineState state;
    TestClient client(state);
    client.Auth();
    client.Request("rrext_monitor", {{"projectId", "proj-1"}, {"source", "webhook_1"}, {"types", {"summary", "task"}}});
    const std::string token(client.Request("execute", {{"pipeline", EchoPipeline()}}).Body().at("token").as_string());
    const auto frames = client.Call("terminate", {{"token", token}});
    ASSERT_EQ(Kinds(frames), (std::vector<std::string>{"apaevt_status_update", "apaevt_status_update", "apaevt_task",
                                                       "response:terminate"}));
    EXPECT_EQ(frames[0].Body().at("state"), 4);
    EXPECT_EQ(frames[0].Body().at("status"), "Stopping");
    EXPECT_EQ(frames[1].Body().at("state"), 6);
    EXPECT_EQ(frames[1].Body().at("status"), "Stopped");
    EXPECT_EQ(frames[1].Body().at("completed"), true);
    EXPECT_EQ(frames[2].Body().at("action"), "end");
    EXPECT_FALSE(frames[3].HasBody());
    // Still known (retention): status says Stopped; terminating again is a quiet success.
    EXPECT_EQ(client.Request("rrext_get_task_status", {{"token", token}}).Body().at("state"), 6);
    EXPECT_EQ(Kinds(client.Call("terminate", {{"token", token}})), (std::vector<std::string>{"response:terminate"}));

    const Frame unknown = client.Request("terminate", {{"token", "tk_unknown"}});
    EXPECT_EQ(unknown.Str("message"), "Your pipeline is not running");
    EXPECT_EQ(unknown.json.at("trace"), (boost::json::object{{"file", "task_server.py"}, {"lineno", 674}}));
}

TEST(EngineTasks, EventsOnlyReachTheSubscribingConnection)
{
    EngineState state;
    TestClient watcher(state);
    TestClient runner(state);
    int wakes = 0;
    watcher.Connection().SetWakeHandler([&] { ++wakes; });
    watcher.Auth();
    runner.Auth();
    runner.Request("rrext_ping"); // runner's seq counter is now ahead of the watcher's
    watcher.Call("rrext_monitor", {{"token", "*"}, {"types", {"TASK"}}});

    const auto executed = runner.Call("execute", {{"pipeline", EchoPipeline()}});
    EXPECT_EQ(Kinds(executed), (std::vector<std::string>{"response:execute"})); // runner did not subscribe
    EXPECT_EQ(wakes, 1);
    const auto pending = DecodeAll(watcher.Connection().TakePending());
    ASSERT_EQ(Kinds(pending), (std::vector<std::string>{"apaevt_task"}));
    EXPECT_EQ(pending[0].Body().at("action"), "begin");
    EXPECT_EQ(pending[0].Int("seq"), 4); // the watcher's own numbering: auth 1, catch-up 2, response 3
    EXPECT_TRUE(watcher.Connection().TakePending().messages.empty());

    // Pending events not yet taken are handed out ahead of the next response, keeping seq order.
    runner.Call("terminate", {{"token", executed[0].Body().at("token")}});
    const auto next = watcher.Call("rrext_ping");
    EXPECT_EQ(Kinds(next), (std::vector<std::string>{"apaevt_task", "response:rrext_ping"}));
    ExpectConsecutiveSeqs(next, 5);
}

TEST(EngineTasks, LaunchSendsInitializedAndDiesWithItsConnection)
{
    EngineState state;
    TestClient observer(state);
    observer.Auth();
    std::string token;
    {
        TestClient launcher(state);
        launcher.Auth();
        const auto frames = launcher.Call("launch", {{"pipeline", EchoPipeline()}});
        ASSERT_EQ(Kinds(frames), (std::vector<std::string>{"response:launch", "initialized"}));
        token = std::string(frames[0].Body().at("token").as_string());
        EXPECT_EQ(frames[1].Body().at("__id"), frames[0].Body().at("id"));
        EXPECT_EQ(observer.Request("rrext_get_task_status", {{"token", token}}).Body().at("state"), 3);
        EXPECT_TRUE(launcher.Connection().OnClose().messages.empty());
    }
    const Frame status = observer.Request("rrext_get_task_status", {{"token", token}});
    EXPECT_EQ(status.Body().at("state"), 6);
    EXPECT_EQ(status.Body().at("completed"), true);
}

TEST(EngineTasks, TaskQueries)
{
    EngineState state;
    TestClient client(state);
    client.Auth();
    const Frame executed = client.Request("execute", {{"pipeline", EchoPipeline()}, {"name", "demo"}});
    const Frame token = client.Request("rrext_get_token", {{"projectId", "proj-1"}, {"source", "webhook_1"}});
    EXPECT_EQ(token.Body().at("token"), executed.Body().at("token"));
    const Frame tasks = client.Request("rrext_get_tasks");
    ASSERT_EQ(tasks.Body().at("tasks").as_array().size(), 1u);
    EXPECT_EQ(tasks.Body().at("tasks").at(0).at("token"), executed.Body().at("token"));
    const Frame pipeline = client.Request("rrext_get_pipeline", {{"token", executed.Body().at("token")}});
    EXPECT_EQ(pipeline.Body().at("pipeline").at("source"), "webhook_1");
    const Frame status = client.Request("rrext_get_task_status", {{"token", executed.Body().at("token")}});
    EXPECT_EQ(status.Body().at("name"), "demo.webhook_1");
    EXPECT_EQ(status.Body().at("startTime").kind(), boost::json::kind::double_);
    EXPECT_FALSE(status.Body().contains("__id")); // only events carry __id
    EXPECT_EQ(client.Request("rrext_get_token", {{"projectId", "x"}, {"source", "y"}}).Str("message"),
              "Your pipeline is not running");
}

TEST(EngineTasks, ServicesAndValidate)
{
    EngineState state;
    TestClient client(state);
    client.Auth();
    const Frame all = client.Request("rrext_services");
    EXPECT_TRUE(all.Body().at("services").as_object().contains("webhook"));
    EXPECT_EQ(all.Body().at("version"), 1);
    const Frame one = client.Request("rrext_services", {{"service", "chat"}});
    EXPECT_EQ(one.Body().at("title"), "Chat");
    EXPECT_EQ(client.Request("rrext_services", {{"service", "nope"}}).Str("message"),
              "Service 'nope' not found. Please check the service name and try again.");

    const Frame valid = client.Request("rrext_validate", {{"pipeline", EchoPipeline()}});
    EXPECT_EQ(valid.Body().at("errors"), boost::json::array());
    EXPECT_EQ(valid.Body().at("source"), "webhook_1");
    auto broken = EchoPipeline();
    broken["source"] = "ghost";
    const Frame invalid = client.Request("rrext_validate", {{"pipeline", broken}});
    EXPECT_EQ(invalid.Body().at("errors"),
              (boost::json::array{"Pipeline source component \"ghost\" not found in components list"}));
}

TEST(EngineTasks, UnknownCommands)
{
    EngineState state;
    TestClient client(state);
    client.Auth();
    const Frame rrext = client.Request("rrext_get_nodes");
    EXPECT_EQ(rrext.Str("message"), "Invalid command: rrext_get_nodes");
    EXPECT_EQ(rrext.json.at("trace"), (boost::json::object{{"file", "task_conn.py"}, {"lineno", 575}}));
    const Frame debug = client.Request("setBreakpoints", {{"source", {{"path", "x.py"}}}});
    EXPECT_EQ(debug.Str("message"), "Task token is required");
    EXPECT_EQ(debug.Str("command"), "setBreakpoints");
    EXPECT_FALSE(client.Last().close);
}

} // namespace
} // namespace dapscope::mock::test
