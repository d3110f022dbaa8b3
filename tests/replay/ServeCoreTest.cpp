// serve-replay's core, sans-io: requests in, the recorded answers out with this connection's numbering, ids
// and secrets, at the captured delays.

#include "replay/ServeCore.hpp"
#include "RecordingBuilder.hpp"
#include "inspector/Redactor.hpp"

#include <gtest/gtest.h>

using namespace dapscope;
namespace json = boost::json;

namespace
{
constexpr int64_t kMs = 1'000'000;

std::vector<json::object> Take(replay::ServeSession& session, int64_t now)
{
    std::vector<json::object> out;
    for (auto& message : session.TakeDue(now))
        out.push_back(replay::ParseFrame(message.binary, message.bytes).doc.as_object());
    return out;
}

// auth (userToken echoes the redacted key), then a monitor whose catch-up events precede its response.
test::RecordingBuilder MonitorSession(const std::string& keyMarker)
{
    test::RecordingBuilder b;
    size_t auth =
        b.Request(R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":")" + keyMarker + R"("}})");
    b.Response(auth,
               R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":")" +
                   keyMarker + R"(","userId":"local"}})");
    size_t monitor =
        b.Request(R"({"type":"request","seq":2,"command":"rrext_monitor","arguments":{"token":"*","types":["TASK"]}})");
    b.Event(R"({"type":"event","seq":2,"event":"apaevt_task","body":{"action":"running","tasks":[],"__id":""}})");
    b.Event(R"({"type":"event","seq":3,"event":"apaevt_status_update","body":{"state":0,"__id":""}})");
    b.Response(monitor, R"({"type":"response","seq":4,"request_seq":2,"command":"rrext_monitor","success":true})");
    return b;
}
} // namespace

TEST(ServeCore, AnswersWithTheRecordedMessagesNumberedForThisConnection)
{
    auto b = MonitorSession(inspector::RedactionMarker("original-key"));
    replay::ServeScript script(b.Get());
    replay::ServeSession session(script, 0);
    session.OnMessage(0, false,
                      R"({"type":"request","seq":41,"command":"auth","arguments":{"auth":"client-key-now"}})");
    auto out = Take(session, 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].at("seq"), 1);
    EXPECT_EQ(out[0].at("request_seq"), 41);
    EXPECT_EQ(out[0].at("body").at("userToken"), "client-key-now") << "the key this client presented";

    session.OnMessage(
        0, false,
        R"({"type":"request","seq":42,"command":"rrext_monitor","arguments":{"token":"*","types":["TASK"]}})");
    out = Take(session, 0);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].at("event"), "apaevt_task");
    EXPECT_EQ(out[0].at("seq"), 2);
    EXPECT_EQ(out[1].at("event"), "apaevt_status_update");
    EXPECT_EQ(out[2].at("type"), "response");
    EXPECT_EQ(out[2].at("seq"), 4);
    EXPECT_EQ(out[2].at("request_seq"), 42);
    EXPECT_TRUE(script.Notes().empty()) << script.Notes().front();

    // Another connection has its own numbering and its own key.
    replay::ServeSession other(script, 0);
    other.OnMessage(0, false,
                    R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":"second-client-key"}})");
    out = Take(other, 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].at("seq"), 1);
    EXPECT_EQ(out[0].at("body").at("userToken"), "second-client-key");
}

TEST(ServeCore, KeepsTheCapturedDelaysScaled)
{
    auto b = MonitorSession("plain-key");
    replay::ServeScript script(b.Get());
    replay::ServeSession session(script, 1.0);
    session.OnMessage(
        0, false, R"({"type":"request","seq":2,"command":"rrext_monitor","arguments":{"token":"*","types":["TASK"]}})");
    // Captured 1, 2 and 3 ms after the request.
    EXPECT_EQ(session.NextDueNs(), 1 * kMs);
    EXPECT_EQ(Take(session, 1 * kMs - 1).size(), 0u);
    EXPECT_EQ(Take(session, 2 * kMs).size(), 2u);
    EXPECT_EQ(session.NextDueNs(), 3 * kMs);
    auto rest = Take(session, 3 * kMs);
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].at("type"), "response");
    EXPECT_FALSE(session.NextDueNs());
}

TEST(ServeCore, PicksTheRecordedRequestWithTheClosestArguments)
{
    test::RecordingBuilder b;
    size_t w0 = b.Request(
        R"({"type":"request","seq":1,"command":"rrext_process","arguments":{"subcommand":"write","pipe_id":0,"token":"tk_x"}})",
        "zero");
    size_t w1 = b.Request(
        R"({"type":"request","seq":2,"command":"rrext_process","arguments":{"subcommand":"write","pipe_id":1,"token":"tk_x"}})",
        "one");
    b.Response(
        w0,
        R"({"type":"response","seq":1,"request_seq":1,"command":"rrext_process","success":true,"body":{"for":"pipe 0"}})");
    b.Response(
        w1,
        R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_process","success":false,"message":"pipe 1 failed"})");
    replay::ServeScript script(b.Get());
    replay::ServeSession session(script, 0);
    session.OnMessage(
        0, true,
        std::string(
            R"({"type":"request","seq":7,"command":"rrext_process","arguments":{"subcommand":"write","pipe_id":1,"token":"tk_x"}})") +
            "\none");
    auto out = Take(session, 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].at("message"), "pipe 1 failed");
    session.OnMessage(
        0, true,
        std::string(
            R"({"type":"request","seq":8,"command":"rrext_process","arguments":{"subcommand":"write","pipe_id":0,"token":"tk_x"}})") +
            "\nzero");
    out = Take(session, 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].at("body").at("for"), "pipe 0");
    // All used: a client asking again gets the closest recorded answer again rather than nothing.
    session.OnMessage(
        0, true,
        std::string(
            R"({"type":"request","seq":9,"command":"rrext_process","arguments":{"subcommand":"write","pipe_id":0,"token":"tk_x"}})") +
            "\nzero");
    out = Take(session, 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].at("request_seq"), 9);
    EXPECT_EQ(out[0].at("body").at("for"), "pipe 0");
}

TEST(ServeCore, NeverLeavesAClientWaiting)
{
    test::RecordingBuilder b;
    size_t ping = b.Request(R"({"type":"request","seq":1,"command":"rrext_ping","arguments":{}})");
    b.Response(
        ping,
        R"({"type":"response","seq":1,"request_seq":1,"command":"rrext_ping","success":true,"body":{"pong":true}})");
    b.Request(
        R"({"type":"request","seq":2,"command":"terminate","arguments":{"token":"tk_x"}})"); // capture ended first
    replay::ServeScript script(b.Get());
    replay::ServeSession session(script, 1.0);

    session.OnMessage(
        0, false,
        R"({"type":"request","seq":5,"command":"rrext_store","arguments":{"subcommand":"fs_mkdir","path":"x"}})");
    auto out = Take(session, 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].at("success"), false);
    EXPECT_EQ(out[0].at("request_seq"), 5);
    EXPECT_EQ(out[0].at("command"), "rrext_store");
    EXPECT_NE(std::string(out[0].at("message").as_string()).find("no rrext_store fs_mkdir request"), std::string::npos);

    session.OnMessage(0, false, R"({"type":"request","seq":6,"command":"terminate","arguments":{"token":"tk_x"}})");
    out = Take(session, 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].at("success"), false);
    EXPECT_EQ(out[0].at("request_seq"), 6);
    EXPECT_NE(std::string(out[0].at("message").as_string()).find("not its response"), std::string::npos);
}

TEST(ServeCore, NotesEachRedactedValueWithoutACounterpartOnce)
{
    const std::string key = inspector::RedactionMarker("the-key");
    const std::string foreign = inspector::RedactionMarker("engine-side-secret");
    auto b = MonitorSession(key);
    b.Event(R"({"type":"event","seq":5,"event":"apaext_account","body":{"userToken":")" + foreign + R"("}})");
    b.Event(R"({"type":"event","seq":6,"event":"apaext_account","body":{"userToken":")" + foreign + R"("}})");
    replay::ServeScript script(b.Get());
    ASSERT_EQ(script.Notes().size(), 1u);
    EXPECT_NE(script.Notes()[0].find(foreign), std::string::npos);
    EXPECT_NE(script.Notes()[0].find("$.body.userToken"), std::string::npos);
    EXPECT_NE(script.Notes()[0].find("apaext_account"), std::string::npos);
}
