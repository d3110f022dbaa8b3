// `dapscope diff`'s core, sans-io: two recordings built in memory, compared by meaning.

#include "replay/SessionDiff.hpp"
#include "RecordingBuilder.hpp"

#include <gtest/gtest.h>

using namespace dapscope;
using replay::DiffStatus;
using replay::Outcome;

namespace
{

// A session: auth, execute (hands out a task token), a pipe opened on that task and written to, a ping.
replay::Recording Session(const std::string& token, int pipe, const std::string& key = "[redacted:0badc0de]",
                          const std::string& status = "ok")
{
    test::RecordingBuilder r;
    size_t auth = r.Request(R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":")" + key + R"("}})");
    r.Response(auth, R"({"type":"response","seq":2,"request_seq":1,"command":"auth","success":true})");
    size_t execute = r.Request(R"({"type":"request","seq":2,"command":"execute","arguments":{"pipeline":"p"}})");
    r.Response(execute, R"({"type":"response","seq":3,"request_seq":2,"command":"execute","success":true,)"
                        R"("body":{"token":")" +
                            token + R"("}})");
    r.Event(R"({"type":"event","seq":4,"event":"apaevt_status_update","body":{"token":")" + token + R"("}})");
    size_t open = r.Request(R"({"type":"request","seq":3,"command":"rrext_process","arguments":)"
                            R"({"subcommand":"open","token":")" +
                            token + R"("}})");
    r.Response(open, R"({"type":"response","seq":5,"request_seq":3,"command":"rrext_process","success":true,)"
                     R"("body":{"pipe_id":)" +
                         std::to_string(pipe) + "}}");
    size_t write = r.Request(R"({"type":"request","seq":4,"command":"rrext_process","arguments":{"subcommand":"write",)"
                             R"("token":")" +
                                 token + R"(","pipe_id":)" + std::to_string(pipe) + "}}",
                             "payload bytes");
    r.Response(write, R"({"type":"response","seq":6,"request_seq":4,"command":"rrext_process","success":true})");
    size_t ping = r.Request(R"({"type":"request","seq":5,"command":"rrext_ping"})");
    r.Response(ping, R"({"type":"response","seq":7,"request_seq":5,"command":"rrext_ping","success":true,)"
                     R"("body":{"status":")" +
                         status + R"("}})");
    return r.Get();
}

const replay::DiffRow& Row(const replay::DiffReport& report, const std::string& command)
{
    for (const replay::DiffRow& row : report.rows)
        if (row.command == command)
            return row;
    throw std::runtime_error("no row for " + command);
}

} // namespace

TEST(SessionDiff, ASessionWithItselfIsEquivalent)
{
    replay::Recording a = Session("tokA", 1);
    replay::DiffReport report = replay::DiffSessions(a, a);
    EXPECT_EQ(report.outcome, Outcome::Equivalent);
    EXPECT_EQ(report.rows.size(), 5u);
    EXPECT_EQ(report.Count(DiffStatus::Matched), 5u);
    ASSERT_EQ(report.events.size(), 1u);
    EXPECT_EQ(report.events[0].then, 1);
    EXPECT_EQ(report.events[0].now, 1);
}

TEST(SessionDiff, TaskTokensAndPipeIdsHandedOutAgainAreNoDifference)
{
    replay::DiffReport report = replay::DiffSessions(Session("tokA", 1), Session("tokB", 7));
    EXPECT_EQ(report.outcome, Outcome::Equivalent) << report.rows[3].differences.size();
    for (const replay::DiffRow& row : report.rows)
        EXPECT_TRUE(row.differences.empty()) << row.command << " " << row.differences.front().path;
}

TEST(SessionDiff, AChangedResponseFieldDiffersWithItsPath)
{
    replay::DiffReport report =
        replay::DiffSessions(Session("tokA", 1), Session("tokA", 1, "[redacted:0badc0de]", "slow"));
    EXPECT_EQ(report.outcome, Outcome::Differs);
    const replay::DiffRow& ping = Row(report, "rrext_ping");
    EXPECT_EQ(ping.status, DiffStatus::Differs);
    ASSERT_EQ(ping.differences.size(), 1u);
    EXPECT_EQ(ping.differences[0].path, "$.body.status");
    EXPECT_EQ(ping.differences[0].then, "\"ok\"");
    EXPECT_EQ(ping.differences[0].now, "\"slow\"");
    EXPECT_EQ(report.Count(DiffStatus::Matched), 4u);
}

TEST(SessionDiff, ARequestMissingInBIsOnlyInA)
{
    replay::Recording a = Session("tokA", 1);
    replay::Recording b = Session("tokA", 1);
    b.messages.erase(b.messages.end() - 2, b.messages.end()); // the ping and its answer
    replay::DiffReport report = replay::DiffSessions(a, b);
    EXPECT_EQ(report.outcome, Outcome::Differs);
    EXPECT_EQ(Row(report, "rrext_ping").status, DiffStatus::OnlyInA);
    EXPECT_EQ(report.Count(DiffStatus::OnlyInA), 1u);

    replay::DiffReport reverse = replay::DiffSessions(b, a);
    EXPECT_EQ(Row(reverse, "rrext_ping").status, DiffStatus::OnlyInB);
    EXPECT_EQ(Row(reverse, "rrext_ping").b, 5u);
}

TEST(SessionDiff, PipelinedRequestsReorderedAreMatchedByTheirArguments)
{
    auto pipelined = [](bool swapped)
    {
        test::RecordingBuilder r;
        std::string first = R"({"type":"request","seq":1,"command":"rrext_services","arguments":{"name":"alpha"}})";
        std::string second = R"({"type":"request","seq":2,"command":"rrext_services","arguments":{"name":"beta"}})";
        size_t x = r.Request(swapped ? second : first);
        size_t y = r.Request(swapped ? first : second);
        r.Response(x, std::string(R"({"type":"response","seq":3,"request_seq":1,"command":"rrext_services",)") +
                          R"("success":true,"body":{"name":")" + (swapped ? "beta" : "alpha") + R"("}})");
        r.Response(y, std::string(R"({"type":"response","seq":4,"request_seq":2,"command":"rrext_services",)") +
                          R"("success":true,"body":{"name":")" + (swapped ? "alpha" : "beta") + R"("}})");
        return r.Get();
    };
    replay::DiffReport report = replay::DiffSessions(pipelined(false), pipelined(true));
    EXPECT_EQ(report.outcome, Outcome::Equivalent);
    ASSERT_EQ(report.rows.size(), 2u);
    EXPECT_EQ(report.rows[0].b, 2u);
    EXPECT_EQ(report.rows[1].b, 1u);
}

TEST(SessionDiff, SecretsRedactedWithTheSameKeyAreEqualAndWithAnotherKeyDiffer)
{
    EXPECT_EQ(replay::DiffSessions(Session("t", 1), Session("t", 1)).outcome, Outcome::Equivalent);
    replay::DiffReport report = replay::DiffSessions(Session("t", 1), Session("t", 1, "[redacted:12345678]"));
    EXPECT_EQ(report.outcome, Outcome::Differs);
    const replay::DiffRow& auth = Row(report, "auth");
    ASSERT_EQ(auth.differences.size(), 1u);
    EXPECT_EQ(auth.differences[0].path, "$.arguments.auth");
}

TEST(SessionDiff, IgnoredPathsRemoveTheirDifferences)
{
    replay::Recording a = Session("t", 1);
    replay::Recording b = Session("t", 1, "[redacted:12345678]", "slow");
    for (const std::vector<std::string>& ignore : std::vector<std::vector<std::string>>{
             {"$.arguments.auth", "$.body.status"}, {"$..auth", "$..status"}, {"$.arguments", "$.*.status"}})
    {
        replay::DiffOptions options;
        options.ignore = replay::IgnoredPaths(ignore);
        EXPECT_EQ(replay::DiffSessions(a, b, options).outcome, Outcome::Equivalent) << ignore[0];
    }
    replay::DiffOptions partial;
    partial.ignore = replay::IgnoredPaths({"$.body.status"});
    EXPECT_EQ(replay::DiffSessions(a, b, partial).Count(DiffStatus::Differs), 1u); // auth still differs
}

TEST(SessionDiff, IgnorePatternsMatchWholeComponents)
{
    replay::IgnoredPaths ignore({"$.body.tasks[*].id", "$..stamp", "$.body.a"});
    EXPECT_TRUE(ignore.Covers("$.body.tasks[3].id"));
    EXPECT_TRUE(ignore.Covers("$.body.tasks[3].id.inner"));
    EXPECT_FALSE(ignore.Covers("$.body.tasks[3].idx"));
    EXPECT_TRUE(ignore.Covers("$.stamp"));
    EXPECT_TRUE(ignore.Covers("$.body.x[2].stamp"));
    EXPECT_FALSE(ignore.Covers("$.body.stamps"));
    EXPECT_TRUE(ignore.Covers("$.body.a[0]"));
    EXPECT_FALSE(ignore.Covers("$.body.ab"));
    EXPECT_THROW(replay::IgnoredPaths({"body.a"}), replay::IgnorePatternError);
}

TEST(SessionDiff, ALatencyOverTheThresholdIsADifference)
{
    replay::Recording a = Session("t", 1);
    replay::Recording b = Session("t", 1);
    for (auto& m : a.messages)
        if (m.kind == inspector::Kind::Request)
            m.latencyNs = 1'000'000;
    for (auto& m : b.messages)
        if (m.kind == inspector::Kind::Request)
            m.latencyNs = m.command == "rrext_ping" ? 3'000'000 : 1'500'000;
    EXPECT_EQ(replay::DiffSessions(a, b).outcome, Outcome::Equivalent);
    replay::DiffOptions options;
    options.latencyThreshold = 2;
    replay::DiffReport report = replay::DiffSessions(a, b, options);
    EXPECT_EQ(report.Count(DiffStatus::Differs), 1u);
    const replay::DiffRow& ping = Row(report, "rrext_ping");
    ASSERT_EQ(ping.differences.size(), 1u);
    EXPECT_EQ(ping.differences[0].path, "latency");
    EXPECT_EQ(ping.differences[0].now, "3 ms (3.0x)");
}

TEST(SessionDiff, AMissingEventMakesTheSessionsDiffer)
{
    replay::Recording a = Session("t", 1);
    replay::Recording b = Session("t", 1);
    std::erase_if(b.messages, [](const replay::RecordedMessage& m) { return m.kind == inspector::Kind::Event; });
    // The event was message 4: the pairs after it move up by one.
    for (auto& m : b.messages)
        if (m.pair && *m.pair > 4)
            --*m.pair;
    replay::DiffReport report = replay::DiffSessions(a, b);
    EXPECT_EQ(report.Count(DiffStatus::Matched), 5u);
    EXPECT_EQ(report.outcome, Outcome::Differs);
    ASSERT_EQ(report.events.size(), 1u);
    EXPECT_EQ(report.events[0].now, 0);
}

namespace
{
// Session() with the store's task column filled as the correlator fills it: every message naming the token.
replay::Recording SessionWithTask(const std::string& token, int pipe, const std::string& task)
{
    replay::Recording r = Session(token, pipe);
    for (replay::RecordedMessage& m : r.messages)
        if (m.bytes.find("\"" + token + "\"") != std::string::npos)
            m.task = task;
    return r;
}

replay::RecordedMessage& EventOf(replay::Recording& r)
{
    for (replay::RecordedMessage& m : r.messages)
        if (m.kind == inspector::Kind::Event)
            return m;
    throw std::runtime_error("no event");
}
} // namespace

TEST(SessionDiff, EventsPerTaskPairTheTasksOfPairedRequestsAndCompareTheirBodies)
{
    // Another token in B, handed out by execute: the task's events and bodies compare equal through it.
    replay::Recording a = SessionWithTask("tok-a", 1, "ta.webhook_1");
    replay::Recording b = SessionWithTask("tok-b", 2, "tb.webhook_1");
    ASSERT_EQ(EventOf(a).task, "ta.webhook_1");
    replay::DiffReport report = replay::DiffSessions(a, b);
    ASSERT_EQ(report.tasks.size(), 1u);
    EXPECT_EQ(report.tasks[0].taskA, "ta.webhook_1");
    EXPECT_EQ(report.tasks[0].taskB, "tb.webhook_1");
    ASSERT_EQ(report.tasks[0].events.size(), 1u);
    EXPECT_EQ(report.tasks[0].events[0].event, "apaevt_status_update");
    EXPECT_EQ(report.tasks[0].events[0].then, 1);
    EXPECT_EQ(report.tasks[0].events[0].now, 1);
    EXPECT_TRUE(report.tasks[0].CountsAlike());
    EXPECT_FALSE(report.tasks[0].firstDifference) << report.tasks[0].firstDifference->path;

    // A body that says more in B: its first differing path, A's and B's values.
    const std::string body = R"("body":{"token":"tok-b"})";
    std::string& bytes = EventOf(b).bytes;
    ASSERT_NE(bytes.find(body), std::string::npos);
    bytes.replace(bytes.find(body), body.size(), R"("body":{"token":"tok-b","state":"failed"})");
    report = replay::DiffSessions(a, b);
    ASSERT_EQ(report.tasks.size(), 1u);
    EXPECT_TRUE(report.tasks[0].CountsAlike());
    EXPECT_EQ(report.tasks[0].firstDifferingEvent, "apaevt_status_update");
    ASSERT_TRUE(report.tasks[0].firstDifference);
    EXPECT_EQ(report.tasks[0].firstDifference->path, "$.body.state");
    EXPECT_EQ(report.tasks[0].firstDifference->then, "(absent)");
    EXPECT_EQ(report.tasks[0].firstDifference->now, "\"failed\"");
    const auto json = replay::DiffReportJson(report);
    const auto& task = json.at("tasks").as_array().at(0).as_object();
    EXPECT_EQ(task.at("taskB").as_string(), "tb.webhook_1");
    EXPECT_EQ(task.at("firstDifferingBody").at("path").as_string(), "$.body.state");
    // --ignore covers event bodies too.
    replay::DiffOptions options;
    options.ignore = replay::IgnoredPaths({"$.body.state"});
    EXPECT_FALSE(replay::DiffSessions(a, b, options).tasks[0].firstDifference);
}

TEST(SessionDiff, AnEventMissingInATaskOfBIsCountedForThatTask)
{
    replay::Recording a = SessionWithTask("tok-a", 1, "ta.webhook_1");
    replay::Recording b = SessionWithTask("tok-b", 1, "tb.webhook_1");
    std::erase_if(b.messages, [](const replay::RecordedMessage& m) { return m.kind == inspector::Kind::Event; });
    for (auto& m : b.messages) // the event was message 4: the pairs after it move up by one
        if (m.pair && *m.pair > 4)
            --*m.pair;
    const replay::DiffReport report = replay::DiffSessions(a, b);
    ASSERT_EQ(report.tasks.size(), 1u);
    EXPECT_EQ(report.tasks[0].taskA, "ta.webhook_1");
    EXPECT_EQ(report.tasks[0].taskB, "tb.webhook_1");
    ASSERT_EQ(report.tasks[0].events.size(), 1u);
    EXPECT_EQ(report.tasks[0].events[0].then, 1);
    EXPECT_EQ(report.tasks[0].events[0].now, 0);
    EXPECT_FALSE(report.tasks[0].CountsAlike());
    const auto json = replay::DiffReportJson(report);
    const auto& counts = json.at("tasks").as_array().at(0).at("events").as_array();
    EXPECT_EQ(counts.at(0).at("missingInB").as_int64(), 1);
}
