// The client replay core, sans-io and playbook style: a capture in, the clock and the engine's answers fed by
// hand, and the exact messages it sends (and when) checked.

#include "replay/Replayer.hpp"
#include "RecordingBuilder.hpp"
#include "inspector/Redactor.hpp"

#include <gtest/gtest.h>

using namespace dapscope;
namespace json = boost::json;

namespace
{
constexpr int64_t kMs = 1'000'000;

struct Sent
{
    json::object doc;    // the JSON (header of a binary frame)
    std::string payload; // bytes after the first 0x0A of a binary frame
    bool binary = false;
};

// The ReplayError a Replayer of `recording` throws ("" and a failure when it throws none).
std::string ReplayProblem(const replay::Recording& recording, replay::ReplayOptions options)
{
    try
    {
        replay::Replayer replayer(recording, std::move(options));
    }
    catch (const replay::ReplayError& e)
    {
        return e.what();
    }
    ADD_FAILURE() << "the replay would run";
    return "";
}

struct Driver
{
    replay::Replayer replayer;
    int64_t now = 0;
    replay::ReplayStep last;

    Driver(const replay::Recording& recording, replay::ReplayOptions options = {})
        : replayer(recording, std::move(options))
    {
    }

    std::vector<Sent> Poll()
    {
        last = replayer.Poll(now);
        std::vector<Sent> out;
        for (const auto& message : last.send)
        {
            auto frame = replay::ParseFrame(message.binary, message.bytes);
            out.push_back({frame.doc.as_object(), frame.payload, message.binary});
        }
        return out;
    }
    void Answer(const std::string& json) { replayer.OnMessage(now, false, json); }
    std::string Command(const Sent& sent) { return std::string(sent.doc.at("command").as_string()); }

    // Answer nothing more: close, and take the report.
    replay::ReplayReport Finish()
    {
        for (int i = 0; i < 10 && !last.finished; ++i)
        {
            Poll();
            if (last.close)
                replayer.OnClosed(now, last.close->first, last.close->second);
        }
        EXPECT_TRUE(last.finished);
        return replayer.TakeReport();
    }
};

std::string Commands(Driver& driver, const std::vector<Sent>& sent)
{
    std::string out;
    for (const auto& s : sent)
        out += (out.empty() ? "" : ",") + driver.Command(s);
    return out;
}

test::RecordingBuilder AuthedSession(const std::string& credential = "plain-key-1234")
{
    test::RecordingBuilder b;
    size_t auth =
        b.Request(R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":")" + credential + R"("}})");
    b.Response(auth,
               R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":")" +
                   credential + R"(","userId":"local"}})");
    return b;
}

const char* kAuthOk =
    R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":"plain-key-1234","userId":"local"}})";
} // namespace

TEST(Replayer, AuthIsAwaitedFirstAndPipelinedRequestsStayPipelined)
{
    auto b = AuthedSession();
    size_t ping = b.Request(R"({"type":"request","seq":2,"command":"rrext_ping","arguments":{}})");
    size_t services = b.Request(R"({"type":"request","seq":3,"command":"rrext_services","arguments":{}})");
    b.Response(
        ping,
        R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_ping","success":true,"body":{"pong":true}})");
    b.Response(services,
               R"({"type":"response","seq":3,"request_seq":3,"command":"rrext_services","success":true,"body":{}})");
    size_t monitor =
        b.Request(R"({"type":"request","seq":4,"command":"rrext_monitor","arguments":{"token":"*","types":["TASK"]}})");
    b.Response(monitor, R"({"type":"response","seq":4,"request_seq":4,"command":"rrext_monitor","success":true})");
    Driver d(b.Get());

    EXPECT_EQ(Commands(d, d.Poll()), "auth");
    EXPECT_EQ(Commands(d, d.Poll()), "") << "nothing may follow auth before its answer";
    d.Answer(kAuthOk);
    EXPECT_EQ(Commands(d, d.Poll()), "rrext_ping,rrext_services") << "the client pipelined these two";
    d.Answer(R"({"type":"response","seq":2,"request_seq":3,"command":"rrext_services","success":true,"body":{}})");
    EXPECT_EQ(Commands(d, d.Poll()), "") << "the monitor was sent after both answers had come";
    d.Answer(
        R"({"type":"response","seq":3,"request_seq":2,"command":"rrext_ping","success":true,"body":{"pong":true}})");
    EXPECT_EQ(Commands(d, d.Poll()), "rrext_monitor");
    d.Answer(R"({"type":"response","seq":4,"request_seq":4,"command":"rrext_monitor","success":true})");
    auto report = d.Finish();
    EXPECT_EQ(report.outcome, replay::Outcome::Equivalent);
    ASSERT_EQ(report.requests.size(), 4u);
    for (const auto& r : report.requests)
        EXPECT_EQ(r.status, replay::RequestStatus::Matched) << r.command;
}

TEST(Replayer, RemapsTokensPipesAndHandlesAndSendsPayloadsExactly)
{
    auto b = AuthedSession();
    size_t execute = b.Request(R"({"type":"request","seq":2,"command":"execute","arguments":{"pipeline":{}}})");
    b.Response(
        execute,
        R"({"type":"response","seq":2,"request_seq":2,"command":"execute","success":true,"body":{"id":"aaaaaaaa.webhook_1","token":"tk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","publicToken":"pk_aaaa0000aaaa0000"}})");
    size_t open = b.Request(
        R"({"type":"request","seq":3,"command":"rrext_process","arguments":{"subcommand":"open","token":"tk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}})");
    b.Response(
        open,
        R"({"type":"response","seq":3,"request_seq":3,"command":"rrext_process","success":true,"body":{"pipe_id":0}})");
    const std::string payload("\x00\x01raw\nbytes\xff", 13);
    size_t write = b.Request(
        R"({"type":"request","seq":4,"command":"rrext_process","arguments":{"subcommand":"write","pipe_id":0,"token":"tk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}})",
        payload);
    b.Response(write, R"({"type":"response","seq":4,"request_seq":4,"command":"rrext_process","success":true})");
    size_t fsOpen = b.Request(
        R"({"type":"request","seq":5,"command":"rrext_store","arguments":{"subcommand":"fs_open","path":"a.txt","mode":"w"}})");
    b.Response(
        fsOpen,
        R"({"type":"response","seq":5,"request_seq":5,"command":"rrext_store","success":true,"body":{"handle":"11111111-1111-4111-8111-111111111111"}})");
    size_t fsWrite = b.Request(
        R"({"type":"request","seq":6,"command":"rrext_store","arguments":{"subcommand":"fs_write","handle":"11111111-1111-4111-8111-111111111111"}})",
        "file bytes");
    b.Response(
        fsWrite,
        R"({"type":"response","seq":6,"request_seq":6,"command":"rrext_store","success":true,"body":{"bytesWritten":10}})");
    size_t status = b.Request(
        R"({"type":"request","seq":7,"command":"rrext_get_task_status","arguments":{"token":"tk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}})");
    b.Response(
        status,
        R"({"type":"response","seq":7,"request_seq":7,"command":"rrext_get_task_status","success":true,"body":{"notes":["call tk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa now"],"startTime":1.5,"state":3}})");
    Driver d(b.Get());

    d.Poll();
    d.Answer(kAuthOk);
    ASSERT_EQ(Commands(d, d.Poll()), "execute");
    d.Answer(
        R"({"type":"response","seq":2,"request_seq":2,"command":"execute","success":true,"body":{"id":"bbbbbbbb.webhook_1","token":"tk_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","publicToken":"pk_bbbb0000bbbb0000"}})");
    auto sent = d.Poll();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].doc.at("arguments").at("token"), "tk_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    d.Answer(
        R"({"type":"response","seq":3,"request_seq":3,"command":"rrext_process","success":true,"body":{"pipe_id":3}})");
    sent = d.Poll();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_TRUE(sent[0].binary);
    EXPECT_EQ(sent[0].doc.at("arguments").at("pipe_id"), 3) << "the pipe the engine handed out now";
    EXPECT_EQ(sent[0].doc.at("arguments").at("token"), "tk_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    EXPECT_EQ(sent[0].payload, payload) << "payload bytes go exactly as captured";
    d.Answer(R"({"type":"response","seq":4,"request_seq":4,"command":"rrext_process","success":true})");
    ASSERT_EQ(d.Poll().size(), 1u);
    d.Answer(
        R"({"type":"response","seq":5,"request_seq":5,"command":"rrext_store","success":true,"body":{"handle":"22222222-2222-4222-8222-222222222222"}})");
    sent = d.Poll();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].doc.at("arguments").at("handle"), "22222222-2222-4222-8222-222222222222");
    EXPECT_EQ(sent[0].payload, "file bytes");
    d.Answer(
        R"({"type":"response","seq":6,"request_seq":6,"command":"rrext_store","success":true,"body":{"bytesWritten":10}})");
    ASSERT_EQ(d.Poll().size(), 1u);
    // The new token inside a note and another start time: neither is a difference.
    d.Answer(
        R"({"type":"response","seq":7,"request_seq":7,"command":"rrext_get_task_status","success":true,"body":{"notes":["call tk_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb now"],"startTime":99.25,"state":3}})");
    auto report = d.Finish();
    EXPECT_EQ(report.outcome, replay::Outcome::Equivalent);
    for (const auto& r : report.requests)
        EXPECT_TRUE(r.differences.empty()) << r.command << ": " << r.differences.front().path;
}

TEST(Replayer, ReportsTheDifferingPathAndSuccessThenAndNow)
{
    auto b = AuthedSession();
    size_t ping = b.Request(R"({"type":"request","seq":2,"command":"rrext_ping","arguments":{}})");
    b.Response(
        ping,
        R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_ping","success":true,"body":{"pong":true}})");
    size_t nodes = b.Request(R"({"type":"request","seq":3,"command":"rrext_get_nodes","arguments":{}})");
    b.Response(
        nodes,
        R"({"type":"response","seq":3,"request_seq":3,"command":"rrext_get_nodes","success":false,"message":"Invalid command: rrext_get_nodes"})");
    Driver d(b.Get());
    d.Poll();
    d.Answer(kAuthOk);
    d.Poll();
    d.now += 3 * kMs;
    d.Answer(
        R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_ping","success":true,"body":{"pong":false}})");
    d.Poll();
    d.Answer(
        R"({"type":"response","seq":3,"request_seq":3,"command":"rrext_get_nodes","success":true,"body":{"nodes":[]}})");
    auto report = d.Finish();
    EXPECT_EQ(report.outcome, replay::Outcome::Differs);
    const auto& pingRow = report.requests[1];
    EXPECT_EQ(pingRow.status, replay::RequestStatus::Differs);
    ASSERT_EQ(pingRow.differences.size(), 1u);
    EXPECT_EQ(pingRow.differences[0].path, "$.body.pong");
    EXPECT_EQ(pingRow.differences[0].then, "true");
    EXPECT_EQ(pingRow.differences[0].now, "false");
    EXPECT_EQ(pingRow.latencyNowNs, 3 * kMs);
    const auto& nodesRow = report.requests[2];
    EXPECT_EQ(nodesRow.successThen, false);
    EXPECT_EQ(nodesRow.successNow, true);
    EXPECT_EQ(nodesRow.status, replay::RequestStatus::Differs);
}

TEST(Replayer, CountsEventsMissingAndExtraPerName)
{
    auto b = AuthedSession();
    size_t monitor =
        b.Request(R"({"type":"request","seq":2,"command":"rrext_monitor","arguments":{"token":"*","types":["TASK"]}})");
    b.Event(R"({"type":"event","seq":2,"event":"apaevt_task","body":{"action":"running","tasks":[],"__id":""}})");
    b.Event(R"({"type":"event","seq":3,"event":"apaevt_status_update","body":{"__id":""}})");
    b.Response(monitor, R"({"type":"response","seq":4,"request_seq":2,"command":"rrext_monitor","success":true})");
    Driver d(b.Get());
    d.Poll();
    d.Answer(kAuthOk);
    d.Poll();
    d.Answer(R"({"type":"event","seq":2,"event":"apaevt_task","body":{"action":"running","tasks":[],"__id":""}})");
    d.Answer(R"({"type":"event","seq":3,"event":"apaevt_task","body":{"action":"running","tasks":[],"__id":""}})");
    d.Answer(R"({"type":"response","seq":4,"request_seq":2,"command":"rrext_monitor","success":true})");
    d.Poll();
    EXPECT_FALSE(d.last.close) << "an expected event is still missing: wait for it a little";
    d.now += 2'000 * kMs; // past the wait for late events
    auto report = d.Finish();
    EXPECT_EQ(report.outcome, replay::Outcome::Differs);
    ASSERT_EQ(report.events.size(), 2u);
    EXPECT_EQ(report.events[0].event, "apaevt_status_update");
    EXPECT_EQ(report.events[0].then, 1);
    EXPECT_EQ(report.events[0].now, 0);
    EXPECT_EQ(report.events[1].event, "apaevt_task");
    EXPECT_EQ(report.events[1].then, 1);
    EXPECT_EQ(report.events[1].now, 2);
    EXPECT_EQ(report.Count(replay::RequestStatus::Matched), 2u) << "the responses themselves matched";
}

TEST(Replayer, TheRedactedKeyNeedsAKeyAndIsReplacedEverywhere)
{
    const std::string marker = inspector::RedactionMarker("original-key-0001");
    auto b = AuthedSession(marker);
    size_t execute =
        b.Request(R"({"type":"request","seq":2,"command":"execute","arguments":{"env":{"ROCKETRIDE_APIKEY":")" +
                  marker + R"("}}})");
    b.Response(execute, R"({"type":"response","seq":2,"request_seq":2,"command":"execute","success":true,"body":{}})");

    const std::string without = ReplayProblem(b.Get(), {});
    EXPECT_NE(without.find("--apikey"), std::string::npos) << without;
    EXPECT_NE(without.find("$.arguments.auth"), std::string::npos) << without;

    replay::ReplayOptions options;
    options.apiKey = "a-different-key-0002";
    Driver d(b.Get(), options);
    auto sent = d.Poll();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].doc.at("arguments").at("auth"), "a-different-key-0002");
    // The engine echoes the key it was given as userToken: equal to the recorded marker of the original key.
    d.Answer(
        R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":"a-different-key-0002","userId":"local"}})");
    sent = d.Poll();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].doc.at("arguments").at("env").at("ROCKETRIDE_APIKEY"), "a-different-key-0002");
    d.Answer(R"({"type":"response","seq":2,"request_seq":2,"command":"execute","success":true,"body":{}})");
    auto report = d.Finish();
    EXPECT_EQ(report.outcome, replay::Outcome::Equivalent);
}

TEST(Replayer, AnUnrelatedRedactedSecretStopsTheReplayNamingItsPath)
{
    const std::string key = inspector::RedactionMarker("original-key-0001");
    const std::string secret = inspector::RedactionMarker("someone-elses-secret");
    auto b = AuthedSession(key);
    size_t execute =
        b.Request(R"({"type":"request","seq":2,"command":"execute","arguments":{"env":{"MY_SECRET_TOKEN":")" + secret +
                  R"("}}})");
    b.Response(execute, R"({"type":"response","seq":2,"request_seq":2,"command":"execute","success":true,"body":{}})");
    replay::ReplayOptions options;
    options.apiKey = "original-key-0001";
    const std::string stopped = ReplayProblem(b.Get(), options);
    EXPECT_NE(stopped.find("$.arguments.env.MY_SECRET_TOKEN"), std::string::npos) << stopped;
    EXPECT_NE(stopped.find("execute"), std::string::npos) << stopped;

    options.allowMarkers = true;
    Driver d(b.Get(), options);
    d.Poll();
    d.Answer(kAuthOk);
    auto sent = d.Poll();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].doc.at("arguments").at("env").at("MY_SECRET_TOKEN"), secret.c_str())
        << "--allow-markers sends it as is";
}

TEST(Replayer, AMarkerTheEngineHandsOutIsPresentedAgainWithItsNewValue)
{
    // SaaS style: the engine's userToken differs from the key, and the client re-authenticates with it.
    const std::string key = inspector::RedactionMarker("the-api-key-0001");
    const std::string user = inspector::RedactionMarker("rr_user_token_then");
    test::RecordingBuilder b;
    size_t auth = b.Request(R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":")" + key + R"("}})");
    b.Response(auth,
               R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":")" +
                   user + R"("}})");
    size_t again = b.Request(R"({"type":"request","seq":2,"command":"auth","arguments":{"auth":")" + user + R"("}})");
    b.Response(again,
               R"({"type":"response","seq":2,"request_seq":2,"command":"auth","success":true,"body":{"userToken":")" +
                   user + R"("}})");
    replay::ReplayOptions options;
    options.apiKey = "the-api-key-0001";
    Driver d(b.Get(), options);
    d.Poll();
    d.Answer(
        R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":"rr_user_token_now"}})");
    auto sent = d.Poll();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].doc.at("arguments").at("auth"), "rr_user_token_now");
}

TEST(Replayer, AnUnansweredRequestIsMissingAfterTheTimeoutAndTheRestGoesOn)
{
    auto b = AuthedSession();
    size_t ping = b.Request(R"({"type":"request","seq":2,"command":"rrext_ping","arguments":{}})");
    b.Response(
        ping,
        R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_ping","success":true,"body":{"pong":true}})");
    size_t deauth = b.Request(R"({"type":"request","seq":3,"command":"deauth","arguments":{}})");
    b.Response(deauth, R"({"type":"response","seq":3,"request_seq":3,"command":"deauth","success":true,"body":{}})");
    replay::ReplayOptions options;
    options.timeoutNs = 500 * kMs;
    Driver d(b.Get(), options);
    d.Poll();
    d.Answer(kAuthOk);
    d.Poll();
    d.now += 499 * kMs;
    EXPECT_EQ(d.Poll().size(), 0u);
    EXPECT_EQ(d.last.wakeNs, 500 * kMs);
    d.now += 1 * kMs;
    auto sent = d.Poll();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(d.Command(sent[0]), "deauth");
    d.Answer(R"({"type":"response","seq":3,"request_seq":3,"command":"deauth","success":true,"body":{}})");
    auto report = d.Finish();
    EXPECT_EQ(report.outcome, replay::Outcome::Differs);
    EXPECT_EQ(report.requests[1].status, replay::RequestStatus::Missing);
    EXPECT_NE(report.requests[1].note.find("no response"), std::string::npos);
    EXPECT_EQ(report.requests[2].status, replay::RequestStatus::Matched);
}

TEST(Replayer, WhenTheEngineClosesEverythingLeftIsMissing)
{
    auto b = AuthedSession();
    size_t ping = b.Request(R"({"type":"request","seq":2,"command":"rrext_ping","arguments":{}})");
    b.Response(
        ping,
        R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_ping","success":true,"body":{"pong":true}})");
    size_t more = b.Request(R"({"type":"request","seq":3,"command":"rrext_services","arguments":{}})");
    b.Response(more,
               R"({"type":"response","seq":3,"request_seq":3,"command":"rrext_services","success":true,"body":{}})");
    Driver d(b.Get());
    d.Poll();
    d.Answer(kAuthOk);
    d.Poll();
    d.replayer.OnClosed(d.now, 1011, "gone");
    d.Poll();
    EXPECT_TRUE(d.last.finished);
    auto report = d.replayer.TakeReport();
    EXPECT_EQ(report.requests[1].status, replay::RequestStatus::Missing);
    EXPECT_NE(report.requests[1].note.find("no response: the engine closed the connection (1011 gone)"),
              std::string::npos);
    EXPECT_NE(report.requests[2].note.find("not sent"), std::string::npos);
}

TEST(Replayer, OriginalTimingKeepsTheCapturedThinkTimeScaled)
{
    test::RecordingBuilder b;
    b.At(1'000 * kMs);
    size_t auth = b.Request(R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":"plain-key-1234"}})");
    b.Response(
        auth,
        R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":"plain-key-1234"}})");
    b.At(1'501 * kMs); // the client thought for 500 ms after the answer
    size_t ping = b.Request(R"({"type":"request","seq":2,"command":"rrext_ping","arguments":{}})");
    b.Response(
        ping,
        R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_ping","success":true,"body":{"pong":true}})");
    for (double factor : {1.0, 0.5})
    {
        replay::ReplayOptions options;
        options.timing = factor;
        Driver d(b.Get(), options);
        d.Poll();
        d.now = 10 * kMs;
        d.Answer(kAuthOk);
        EXPECT_EQ(d.Poll().size(), 0u);
        const int64_t due = 10 * kMs + static_cast<int64_t>(500 * kMs * factor);
        EXPECT_EQ(d.last.wakeNs, due) << "factor " << factor;
        d.now = due;
        EXPECT_EQ(d.Poll().size(), 1u) << "factor " << factor;
    }
}

TEST(Replayer, OnlyIdsTheEngineHandsOutAreRemappedOtherIdsAreCompared)
{
    auto b = AuthedSession();
    size_t services = b.Request(R"({"type":"request","seq":2,"command":"rrext_services","arguments":{}})");
    b.Response(
        services,
        R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_services","success":true,"body":{"webhook":{"id":"webhook","task":{"id":"0123abcd.webhook_1"}}}})");
    Driver d(b.Get());
    d.Poll();
    d.Answer(kAuthOk);
    d.Poll();
    d.Answer(
        R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_services","success":true,"body":{"webhook":{"id":"webhook_v2","task":{"id":"99887766.webhook_1"}}}})");
    auto report = d.Finish();
    const auto& row = report.requests[1];
    ASSERT_EQ(row.differences.size(), 1u) << "a display id is handed out; a service id is data";
    EXPECT_EQ(row.differences[0].path, "$.body.webhook.id");
}

TEST(Replayer, TheReportNeverShowsTheKeyOrTheUserTokenGivenNow)
{
    auto b = AuthedSession(inspector::RedactionMarker("original-key-0001"));
    size_t status = b.Request(R"({"type":"request","seq":2,"command":"rrext_get_task_status","arguments":{}})");
    b.Response(
        status,
        R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_get_task_status","success":true,"body":{"a":"x","b":"y"}})");
    replay::ReplayOptions options;
    options.apiKey = "a-different-key-0002";
    Driver d(b.Get(), options);
    d.Poll();
    // An engine that answers with a user token of its own, then echoes both secrets where the capture had none.
    d.Answer(
        R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":"rr_user_token_0003","userId":"local"}})");
    d.Poll();
    d.Answer(
        R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_get_task_status","success":true,"body":{"a":"a-different-key-0002","b":"rr_user_token_0003"}})");
    auto report = d.Finish();
    ASSERT_EQ(report.outcome, replay::Outcome::Differs);
    const std::string text = json::serialize(replay::ReportJson(report));
    EXPECT_EQ(text.find("a-different-key-0002"), std::string::npos) << text;
    EXPECT_EQ(text.find("rr_user_token_0003"), std::string::npos) << text;
    EXPECT_NE(text.find(inspector::RedactionMarker("a-different-key-0002")), std::string::npos) << text;
    EXPECT_NE(text.find("$.body.b"), std::string::npos) << text;
}
