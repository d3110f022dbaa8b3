// rrext_process: pipe pool, echo results, chat answers, SSE/flow/output events, errors and burst events.

#include "EngineTestUtil.hpp"

namespace dapscope::mock::test
{
namespace
{

class EngineProcess : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        m_client.Auth();
        const Frame executed =
            m_client.Request("execute", {{"pipeline", EchoPipeline()}, {"pipelineTraceLevel", "summary"}});
        ASSERT_TRUE(executed.Success());
        m_token = std::string(executed.Body().at("token").as_string());
    }

    Frame Open(std::string_view name = "a.txt", std::string_view mime = "text/plain")
    {
        return m_client.Request(
            "rrext_process",
            {{"subcommand", "open"}, {"object", {{"name", name}}}, {"mimeType", mime}, {"token", m_token}});
    }
    std::vector<Frame> Write(int64_t pipe, std::string data)
    {
        return m_client.Call("rrext_process", {{"subcommand", "write"}, {"pipe_id", pipe}, {"token", m_token}},
                             std::move(data));
    }
    std::vector<Frame> Close(int64_t pipe)
    {
        return m_client.Call("rrext_process", {{"subcommand", "close"}, {"pipe_id", pipe}, {"token", m_token}});
    }

    EngineState m_state;          // engine under test
    TestClient m_client{m_state}; // authenticated client that started the task
    std::string m_token;          // token of the echo task
};

TEST_F(EngineProcess, PipeIdsAreTheSmallestFreeAndReused)
{
    EXPECT_EQ(Open().Body().at("pipe_id"), 0);
    EXPECT_EQ(Open().Body().at("pipe_id"), 1);
    EXPECT_TRUE(TestClient::ResponseOf(Close(0)).Success());
    EXPECT_EQ(Open().Body().at("pipe_id"), 0);
    EXPECT_EQ(Open().Body().at("pipe_id"), 2);
    const Frame status = m_client.Request("rrext_get_task_status", {{"token", m_token}});
    EXPECT_EQ(status.Body().at("pipeflow").at("totalPipes"), 3);
}

TEST_F(EngineProcess, TextIsEchoedAndCounted)
{
    const int64_t pipe = Open("hello.txt").Body().at("pipe_id").as_int64();
    const Frame written = TestClient::ResponseOf(Write(pipe, "Hello "));
    EXPECT_TRUE(written.Success());
    EXPECT_FALSE(written.HasBody());
    Write(pipe, "line\nwith newline");
    const Frame closed = TestClient::ResponseOf(Close(pipe));
    ASSERT_TRUE(closed.Success()) << closed.raw;
    EXPECT_EQ(closed.Body().at("name"), "hello.txt");
    EXPECT_EQ(closed.Body().at("result_types"), (boost::json::object{{"text", "text"}}));
    EXPECT_EQ(closed.Body().at("text"), (boost::json::array{"Hello \n\nline\nwith newline\n\n"}));
    EXPECT_EQ(closed.Body().at("objectId").as_string().size(), 36u);
    const Frame status = m_client.Request("rrext_get_task_status", {{"token", m_token}});
    EXPECT_EQ(status.Body().at("completedCount"), 1);
    EXPECT_EQ(status.Body().at("completedSize"), 23);
    EXPECT_EQ(status.Body().at("wordsCount"), 4);
}

TEST_F(EngineProcess, BinaryDataGetsASummary)
{
    const std::string data("\x00\n\xff\n", 4); // newlines in the payload: only the first one separates the header
    Open("blob.bin", "application/octet-stream");
    Write(0, data);
    const Frame closed = TestClient::ResponseOf(Close(0));
    const std::string text(closed.Body().at("text").at(0).as_string());
    EXPECT_NE(text.find("raw object: 4 bytes"), std::string::npos) << text;
    EXPECT_NE(text.find(Sha256Hex(data)), std::string::npos) << text;
}

TEST_F(EngineProcess, EventsFollowSubscriptions)
{
    Open("a.txt");
    // Not subscribed: a write answers with the response only.
    EXPECT_EQ(Write(0, "x").size(), 1u);

    m_client.Request("rrext_monitor", {{"token", m_token}, {"pipeId", 0}, {"types", {"SSE"}}});
    auto frames = Write(0, "y");
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].Int("seq"), 6); // auth, execute, open, write, monitor, then this event
    EXPECT_EQ(frames[0].Str("event"), "apaevt_sse");
    EXPECT_EQ(frames[0].Body(), (boost::json::object{{"pipe_id", 0},
                                                     {"type", "thinking"},
                                                     {"data", {{"step", 2}}},
                                                     {"__id", m_token.substr(3, 8) + ".webhook_1"}}));
    EXPECT_TRUE(frames[1].IsResponse());
    // The pipe key does not match other pipes.
    Open("b.txt");
    EXPECT_EQ(Write(1, "z").size(), 1u);

    m_client.Request("rrext_monitor", {{"token", "*"}, {"types", {"FLOW", "OUTPUT", "SUMMARY"}}});
    frames = Close(0);
    std::vector<std::string> names;
    for (const auto& frame : TestClient::EventsOf(frames))
        names.push_back(frame.Str("event") +
                        (frame.Body().contains("op") ? ":" + std::string(frame.Body().at("op").as_string()) : ""));
    EXPECT_EQ(names, (std::vector<std::string>{"apaevt_flow:enter", "apaevt_flow:leave", "apaevt_flow:end", "output",
                                               "apaevt_status_update"}));
    EXPECT_TRUE(frames.back().IsResponse());
    EXPECT_EQ(frames[0].Body().at("pipes"), (boost::json::array{"webhook_1", "response_1"}));
    EXPECT_EQ(frames[0].Body().at("trace"), (boost::json::object{{"lane", "text"}}));
    EXPECT_EQ(frames[2].Body().at("trace").at("result"), frames.back().Body());
    EXPECT_EQ(std::string(frames[3].Body().at("output").as_string()).substr(0, 35),
              "object \"a.txt\" lane=text bytes=2 sh");
    const auto opened = m_client.Call(
        "rrext_process",
        {{"subcommand", "open"}, {"object", {{"name", "c.txt"}}}, {"mimeType", "text/plain"}, {"token", m_token}});
    ASSERT_EQ(opened.size(), 2u);
    EXPECT_EQ(opened[0].Body().at("op"), "begin");
    EXPECT_EQ(opened[0].Body().at("pipes"), (boost::json::array{"webhook_1"}));
}

TEST_F(EngineProcess, FlowEventsCanBeSwitchedOff)
{
    EngineOptions options;
    options.flowEvents = false;
    TestClient quiet(m_state, options);
    quiet.Auth();
    quiet.Request("rrext_monitor", {{"token", "*"}, {"types", "ALL"}});
    const auto frames = quiet.Call(
        "rrext_process",
        {{"subcommand", "open"}, {"object", {{"name", "a"}}}, {"mimeType", "text/plain"}, {"token", m_token}});
    EXPECT_EQ(frames.size(), 1u) << frames.front().raw;
}

TEST_F(EngineProcess, ChatAnswersOnTheAnswersLane)
{
    TestClient chat(m_state);
    chat.Auth();
    const auto pipeline = boost::json::parse(
        R"({"project_id":"p2","source":"chat_1","components":[{"id":"chat_1","provider":"chat","config":{"mode":"Source"}},)"
        R"({"id":"llm_1","provider":"llm_openai","input":[{"lane":"questions","from":"chat_1"}]}]})");
    const std::string token(chat.Request("execute", {{"pipeline", pipeline}}).Body().at("token").as_string());
    const Frame open = chat.Request("rrext_process", {{"subcommand", "open"},
                                                      {"object", {{"name", "Question 1"}}},
                                                      {"mimeType", "application/rocketride-question"},
                                                      {"provider", "chat"},
                                                      {"token", token}});
    ASSERT_TRUE(open.Success());
    chat.Request("rrext_process", {{"subcommand", "write"}, {"pipe_id", 0}, {"token", token}},
                 R"({"type":"question","questions":[{"text":"What is 2 + 2?"}],"history":[]})");
    const Frame closed = chat.Request("rrext_process", {{"subcommand", "close"}, {"pipe_id", 0}, {"token", token}});
    EXPECT_EQ(closed.Body().at("result_types"), (boost::json::object{{"answers", "answers"}}));
    EXPECT_EQ(closed.Body().at("answers"), (boost::json::array{"[mock-llm] You asked: What is 2 + 2?"}));
}

TEST_F(EngineProcess, Errors)
{
    const Frame unknownPipe = TestClient::ResponseOf(Write(4242, "x"));
    EXPECT_EQ(unknownPipe.Str("message"), "Write pipe with id 4242 not found");
    EXPECT_FALSE(unknownPipe.HasBody());
    EXPECT_EQ(TestClient::ResponseOf(Close(9)).Str("message"), "Close pipe with id 9 not found");
    const Frame noToken = m_client.Request("rrext_process", {{"subcommand", "open"}});
    EXPECT_EQ(noToken.Str("message"), "Task token is required");
    const Frame badToken = m_client.Request("rrext_process", {{"subcommand", "open"}, {"token", "tk_x"}});
    EXPECT_EQ(badToken.Str("message"), "Your pipeline is not running");
    EXPECT_EQ(m_client.Request("rrext_process", {{"subcommand", "open"}, {"token", m_token}}).Str("message"),
              "No object info specified");
    EXPECT_EQ(m_client.Request("rrext_process", {{"subcommand", "seek"}, {"token", m_token}}).Str("message"),
              "Invalid subcommand seek");
    m_client.Request("terminate", {{"token", m_token}});
    EXPECT_EQ(Open().Str("message"), "Task has already completed");
}

TEST(EngineBurst, ExtraStatusUpdatesFollowEachWrite)
{
    EngineState state;
    EngineOptions options;
    options.burstEvents = 3;
    TestClient client(state, options);
    client.Auth();
    const std::string token(client.Request("execute", {{"pipeline", EchoPipeline()}}).Body().at("token").as_string());
    client.Request("rrext_process",
                   {{"subcommand", "open"}, {"object", {{"name", "a"}}}, {"mimeType", "text/plain"}, {"token", token}});
    const auto frames =
        client.Call("rrext_process", {{"subcommand", "write"}, {"pipe_id", 0}, {"token", token}}, std::string("abc"));
    ASSERT_EQ(frames.size(), 4u);
    EXPECT_TRUE(frames[0].IsResponse());
    for (size_t i = 1; i < 4; ++i)
    {
        EXPECT_EQ(frames[i].Str("event"), "apaevt_status_update");
        EXPECT_EQ(frames[i].Int("seq"), frames[0].Int("seq") + static_cast<int64_t>(i));
    }
}

} // namespace
} // namespace dapscope::mock::test
