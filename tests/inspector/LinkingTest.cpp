#include "TestSupport.hpp"

#include <gtest/gtest.h>

namespace dapscope::inspector
{
namespace
{

using namespace std::string_literals;

constexpr std::string_view Token = "tk_5d41402abc4b2a76b9719d911017c592";
constexpr std::string_view PublicToken = "pk_7d793037a0760186574b0282f2f435e7";
constexpr std::string_view TaskId = "5d41402a.webhook_1";

std::string WithToken(std::string text, std::string_view token = Token)
{
    for (size_t pos; (pos = text.find("TOKEN")) != std::string::npos;)
        text.replace(pos, 5, token);
    return text;
}

// auth, execute and its answer: afterwards Token and PublicToken belong to TaskId.
class Linking : public ::testing::Test
{
  protected:
    void StartTask()
    {
        session.Send(R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":"key-0000"}})");
        session.Receive(R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true})");
        executeRequest = session.Send(R"({"type":"request","seq":2,"command":"execute","arguments":{"pipeline":{}}})");
        beginEvent = session.Receive(
            R"({"type":"event","seq":2,"event":"apaevt_task","body":{"action":"begin","__id":"5d41402a.webhook_1"}})");
        executeResponse = session.Receive(WithToken(
            R"({"type":"response","seq":3,"request_seq":2,"command":"execute","success":true,"body":{"id":"5d41402a.webhook_1","token":"TOKEN","publicToken":")"s +
            std::string(PublicToken) + R"(","projectId":"8c0e41d2","source":"webhook_1"}})"));
    }

    FeedResult OpenPipe(int seq, int serverSeq, int pipeId, std::string_view token = Token)
    {
        session.Send(WithToken(
            R"({"type":"request","seq":)" + std::to_string(seq) +
                R"(,"command":"rrext_process","arguments":{"subcommand":"open","object":{},"token":"TOKEN"}})",
            token));
        return session.Receive(R"({"type":"response","seq":)" + std::to_string(serverSeq) + R"(,"request_seq":)" +
                               std::to_string(seq) + R"(,"command":"rrext_process","success":true,"body":{"pipe_id":)" +
                               std::to_string(pipeId) + "}}");
    }

    FeedResult PipeRequest(int seq, std::string_view subcommand, int pipeId, std::string_view token = Token)
    {
        const std::string header =
            WithToken(R"({"type":"request","seq":)" + std::to_string(seq) +
                          R"(,"command":"rrext_process","arguments":{"subcommand":")" + std::string(subcommand) +
                          R"(","pipe_id":)" + std::to_string(pipeId) + R"(,"token":"TOKEN"}})",
                      token);
        if (subcommand == "write")
            return session.Feed(test::C2S, header + "\npayload", Opcode::Binary);
        return session.Send(header);
    }

    FeedResult Answer(int serverSeq, int seq, std::string_view command = "rrext_process")
    {
        return session.Receive(R"({"type":"response","seq":)" + std::to_string(serverSeq) + R"(,"request_seq":)" +
                               std::to_string(seq) + R"(,"command":")" + std::string(command) + R"(","success":true})");
    }

    FeedResult Sse(int serverSeq, int pipeId, std::string_view task = TaskId)
    {
        return session.Receive(R"({"type":"event","seq":)" + std::to_string(serverSeq) +
                               R"(,"event":"apaevt_sse","body":{"pipe_id":)" + std::to_string(pipeId) +
                               R"(,"type":"thinking","__id":")" + std::string(task) + R"("}})");
    }

    test::Session session;
    FeedResult executeRequest;
    FeedResult beginEvent;
    FeedResult executeResponse;
};

TEST_F(Linking, EventTaskComesFromBodyId)
{
    StartTask();
    EXPECT_EQ(beginEvent.message.task, TaskId);
    const FeedResult placeholder =
        session.Receive(R"({"type":"event","seq":9,"event":"apaevt_task","body":{"action":"running","__id":""}})");
    EXPECT_EQ(placeholder.message.task, "");
}

TEST_F(Linking, IdleProjectPlaceholderStatusIsNoTask)
{
    // PROTOCOL §6.2: before any task runs, the monitor's status names "<project_id>.<source>".
    const FeedResult idle = session.Receive(
        R"({"type":"event","seq":2,"event":"apaevt_status_update","body":{"state":0,"status":"Not running","project_id":"8c0e41d2","source":"webhook_1","__id":"8c0e41d2.webhook_1"}})");
    EXPECT_EQ(idle.message.task, "");
    const FeedResult running = session.Receive(
        R"({"type":"event","seq":3,"event":"apaevt_status_update","body":{"state":2,"project_id":"8c0e41d2","source":"webhook_1","__id":"5d41402a.webhook_1"}})");
    EXPECT_EQ(running.message.task, "5d41402a.webhook_1");
}

TEST_F(Linking, ExecuteRequestGetsItsTaskWhenAnswered)
{
    StartTask();
    EXPECT_EQ(executeRequest.message.task, "");
    EXPECT_EQ(executeResponse.message.task, TaskId);
    ASSERT_EQ(executeResponse.updates.size(), 1u);
    EXPECT_EQ(executeResponse.updates[0].id, executeRequest.message.id);
    EXPECT_EQ(executeResponse.updates[0].task, TaskId);
}

TEST_F(Linking, LaterRequestsResolveTheirTokenAndResponsesInherit)
{
    StartTask();
    const FeedResult status = session.Send(
        WithToken(R"({"type":"request","seq":3,"command":"rrext_get_task_status","arguments":{"token":"TOKEN"}})"));
    EXPECT_EQ(status.message.task, TaskId);
    const FeedResult answer = Answer(4, 3, "rrext_get_task_status");
    EXPECT_EQ(answer.message.task, TaskId);
    EXPECT_EQ(answer.updates.at(0).task, ""); // the request already knew its task
}

TEST_F(Linking, PublicAndTopLevelTokensResolve)
{
    StartTask();
    EXPECT_EQ(session.Send(WithToken(R"({"type":"request","seq":3,"command":"attach","token":"TOKEN"})", PublicToken))
                  .message.task,
              TaskId);
}

TEST_F(Linking, MonitorWithStarTokenHasNoTask)
{
    StartTask();
    EXPECT_EQ(
        session.Send(R"({"type":"request","seq":3,"command":"rrext_monitor","arguments":{"token":"*","types":[]}})")
            .message.task,
        "");
    EXPECT_EQ(
        session.Send(WithToken(R"({"type":"request","seq":4,"command":"rrext_monitor","arguments":{"token":"TOKEN"}})"))
            .message.task,
        TaskId);
}

TEST_F(Linking, UnknownTokenHasNoTask)
{
    StartTask();
    const FeedResult request =
        session.Send(R"({"type":"request","seq":3,"command":"terminate","arguments":{"token":"tk_ffffffff00000000"}})");
    EXPECT_EQ(request.message.task, "");
}

TEST_F(Linking, UnknownTokenWithSourceDerivesTheDisplayId)
{
    const FeedResult request = session.Send(
        R"({"type":"request","seq":1,"command":"execute","arguments":{"token":"tk_abcdef0123456789","pipeline":{"source":"chat_1"}}})");
    EXPECT_EQ(request.message.task, "abcdef01.chat_1");
}

TEST_F(Linking, FailedExecuteRegistersNothing)
{
    session.Send(R"({"type":"request","seq":1,"command":"execute","arguments":{}})");
    const FeedResult failure = session.Receive(WithToken(
        R"({"type":"response","seq":1,"request_seq":1,"command":"execute","success":false,"message":"Pipeline is already running.","body":{"id":"x.y","token":"TOKEN"}})"));
    EXPECT_EQ(failure.message.task, "");
    EXPECT_EQ(
        session.Send(WithToken(R"({"type":"request","seq":2,"command":"terminate","arguments":{"token":"TOKEN"}})"))
            .message.task,
        "");
}

TEST_F(Linking, GetTokenRegistersDerivedDisplayId)
{
    session.Send(
        R"({"type":"request","seq":1,"command":"rrext_get_token","arguments":{"projectId":"8c0e","source":"webhook_1"}})");
    auto response = session.Receive(WithToken(
        R"({"type":"response","seq":1,"request_seq":1,"command":"rrext_get_token","success":true,"body":{"token":"TOKEN"}})"));
    // The exchange itself belongs to the task whose token it hands out: the response, and the request too.
    EXPECT_EQ(response.message.task, TaskId);
    ASSERT_EQ(response.updates.size(), 1u);
    EXPECT_EQ(response.updates[0].task, TaskId);
    EXPECT_EQ(
        session.Send(WithToken(R"({"type":"request","seq":2,"command":"terminate","arguments":{"token":"TOKEN"}})"))
            .message.task,
        TaskId);
}

TEST_F(Linking, GetTasksRegistersEveryListedToken)
{
    session.Send(R"({"type":"request","seq":1,"command":"rrext_get_tasks","arguments":{}})");
    session.Receive(WithToken(
        R"({"type":"response","seq":1,"request_seq":1,"command":"rrext_get_tasks","success":true,"body":{"tasks":[{"name":"a","source":"webhook_1","token":"TOKEN"}]}})"));
    EXPECT_EQ(
        session.Send(WithToken(R"({"type":"request","seq":2,"command":"terminate","arguments":{"token":"TOKEN"}})"))
            .message.task,
        TaskId);
}

TEST(DeriveDisplayIdViaLaunch, LaunchAndRestartRegisterTokensToo)
{
    for (std::string_view command : {"launch", "restart"})
    {
        test::Session session;
        session.Send(R"({"type":"request","seq":1,"command":")" + std::string(command) + R"(","arguments":{}})");
        session.Receive(R"({"type":"response","seq":1,"request_seq":1,"command":")" + std::string(command) +
                        R"(","success":true,"body":{"id":"11112222.src","token":"tk_1111222233334444"}})");
        EXPECT_EQ(
            session
                .Send(R"({"type":"request","seq":2,"command":"terminate","arguments":{"token":"tk_1111222233334444"}})")
                .message.task,
            "11112222.src")
            << command;
    }
}

TEST_F(Linking, PipeOpenWriteClose)
{
    StartTask();
    const FeedResult opened = OpenPipe(3, 4, 0);
    EXPECT_EQ(opened.message.pipeId, 0);
    EXPECT_EQ(opened.message.task, TaskId);
    ASSERT_EQ(opened.updates.size(), 1u);
    EXPECT_EQ(opened.updates[0].pipeId, 0); // the open request learns its pipe

    const FeedResult write = PipeRequest(4, "write", 0);
    EXPECT_EQ(write.message.pipeId, 0);
    EXPECT_EQ(write.message.task, TaskId);
    EXPECT_EQ(Answer(5, 4).message.pipeId, 0);

    const FeedResult sse = Sse(6, 0);
    EXPECT_EQ(sse.message.pipeId, 0);
    EXPECT_EQ(sse.message.task, TaskId);

    EXPECT_EQ(PipeRequest(5, "close", 0).message.pipeId, 0);
    const FeedResult sseBeforeCloseAnswer = Sse(7, 0);
    EXPECT_EQ(sseBeforeCloseAnswer.message.pipeId, 0); // the pipe lives until the close is answered
    EXPECT_EQ(Answer(8, 5).message.pipeId, 0);

    EXPECT_FALSE(Sse(9, 0).message.pipeId); // closed
    EXPECT_FALSE(PipeRequest(6, "write", 0).message.pipeId);
}

TEST_F(Linking, ReusedPipeIdsAreScopedToEachOpen)
{
    StartTask();
    const FeedResult firstOpen = OpenPipe(3, 4, 0);
    const MessageId firstOpenResponse = firstOpen.message.id;
    PipeRequest(4, "close", 0);
    Answer(5, 4);
    const FeedResult between = Sse(6, 0);
    EXPECT_FALSE(between.message.pipeId); // no pipe 0 is open right now

    const FeedResult secondOpen = OpenPipe(5, 7, 0);
    EXPECT_EQ(secondOpen.message.pipeId, 0);
    EXPECT_NE(secondOpen.message.id, firstOpenResponse);
    EXPECT_EQ(PipeRequest(6, "write", 0).message.pipeId, 0);
    EXPECT_EQ(Sse(8, 0).message.pipeId, 0);
    PipeRequest(7, "close", 0);
    Answer(9, 7);
    EXPECT_FALSE(Sse(10, 0).message.pipeId);
}

TEST_F(Linking, LateCloseAnswerDoesNotEndANewerOpenOfTheSameId)
{
    StartTask();
    OpenPipe(3, 4, 0);
    PipeRequest(4, "close", 0); // answered only after the next open below
    OpenPipe(5, 5, 0);          // the engine already reused id 0
    Answer(6, 4);               // the first pipe's close answer arrives late
    EXPECT_EQ(PipeRequest(6, "write", 0).message.pipeId, 0);
    EXPECT_EQ(Sse(7, 0).message.pipeId, 0);
}

TEST_F(Linking, ReopenWithoutSeenCloseReplacesThePipe)
{
    StartTask();
    OpenPipe(3, 4, 0);
    const FeedResult reopened = OpenPipe(4, 5, 0); // the first pipe's close was never captured
    PipeRequest(5, "close", 0);
    Answer(6, 5);
    EXPECT_FALSE(Sse(7, 0).message.pipeId); // nothing of pipe 0 is left open
    EXPECT_EQ(reopened.message.pipeId, 0);
}

TEST_F(Linking, SamePipeIdInTwoTasks)
{
    StartTask();
    session.Send(R"({"type":"request","seq":10,"command":"execute","arguments":{}})");
    session.Receive(
        R"({"type":"response","seq":10,"request_seq":10,"command":"execute","success":true,"body":{"id":"99990000.chat_1","token":"tk_9999000011112222"}})");
    OpenPipe(11, 11, 0);
    OpenPipe(12, 12, 0, "tk_9999000011112222");
    EXPECT_EQ(Sse(13, 0, "99990000.chat_1").message.pipeId, 0);
    EXPECT_EQ(Sse(14, 0).message.pipeId, 0);
    // Without __id the pipe id is ambiguous: neither task is claimed.
    const FeedResult anonymous =
        session.Receive(R"({"type":"event","seq":15,"event":"apaevt_sse","body":{"pipe_id":0}})");
    EXPECT_FALSE(anonymous.message.pipeId);
    EXPECT_EQ(anonymous.message.task, "");
    // Closing one task's pipe leaves the other one open.
    PipeRequest(13, "close", 0, "tk_9999000011112222");
    Answer(16, 13);
    EXPECT_EQ(PipeRequest(14, "write", 0).message.pipeId, 0);
    EXPECT_FALSE(PipeRequest(15, "write", 0, "tk_9999000011112222").message.pipeId);
}

TEST_F(Linking, SseWithoutIdTakesTheOnlyOpenPipe)
{
    StartTask();
    OpenPipe(3, 4, 2);
    const FeedResult sse = session.Receive(R"({"type":"event","seq":5,"event":"apaevt_sse","body":{"pipe_id":2}})");
    EXPECT_EQ(sse.message.pipeId, 2);
    EXPECT_EQ(sse.message.task, TaskId);
}

TEST_F(Linking, PipeOpenedWithUnknownTokenStillLinksItsEvents)
{
    OpenPipe(1, 1, 3, "tk_0123456789abcdef");
    EXPECT_EQ(Sse(2, 3, "01234567.src").message.pipeId, 3);
    EXPECT_EQ(PipeRequest(2, "write", 3, "tk_0123456789abcdef").message.pipeId, 3);
}

TEST_F(Linking, MonitorWithPipeIdLinksToOpenPipe)
{
    StartTask();
    OpenPipe(3, 4, 1);
    const FeedResult monitor = session.Send(WithToken(
        R"({"type":"request","seq":4,"command":"rrext_monitor","arguments":{"types":["SSE"],"pipeId":1,"token":"TOKEN"}})"));
    EXPECT_EQ(monitor.message.pipeId, 1);
    EXPECT_EQ(monitor.message.task, TaskId);
}

TEST_F(Linking, WriteToUnknownPipeHasNoPipe)
{
    StartTask();
    const FeedResult write = PipeRequest(3, "write", 4242);
    EXPECT_FALSE(write.message.pipeId);
    EXPECT_EQ(write.message.task, TaskId);
}

TEST(AuthFacts, ClientIdentityAndSuccess)
{
    test::Session session;
    EXPECT_EQ(session.inspector.Facts().auth, AuthOutcome::None);
    session.Send(
        R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":"key-0000","clientName":"TypeScript SDK","clientVersion":"1.1.0"}})");
    EXPECT_EQ(session.inspector.Facts().auth, AuthOutcome::Pending);
    EXPECT_EQ(session.inspector.Facts().clientName, "TypeScript SDK");
    EXPECT_EQ(session.inspector.Facts().clientVersion, "1.1.0");
    session.Receive(R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{}})");
    EXPECT_EQ(session.inspector.Facts().auth, AuthOutcome::Succeeded);
    EXPECT_EQ(session.inspector.Facts().authMessage, "");
}

TEST(AuthFacts, FailureKeepsTheMessage)
{
    test::Session session;
    session.Send(
        R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":"bad-key","clientName":"Python SDK"}})");
    session.Receive(
        R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":false,"message":"Invalid API key","trace":{"file":"task_conn.py","lineno":311}})");
    EXPECT_EQ(session.inspector.Facts().auth, AuthOutcome::Failed);
    EXPECT_EQ(session.inspector.Facts().authMessage, "Invalid API key");
    EXPECT_EQ(session.inspector.Facts().clientName, "Python SDK");
    EXPECT_EQ(session.inspector.Facts().clientVersion, "");
}

TEST(AuthFacts, OtherResponsesDoNotChangeTheOutcome)
{
    test::Session session;
    session.Send(R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":"key-0000"}})");
    session.Send(R"({"type":"request","seq":2,"command":"rrext_ping"})");
    session.Receive(R"({"type":"response","seq":1,"request_seq":2,"command":"rrext_ping","success":false})");
    EXPECT_EQ(session.inspector.Facts().auth, AuthOutcome::Pending);
}

} // namespace
} // namespace dapscope::inspector
