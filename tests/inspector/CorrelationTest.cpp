#include "TestSupport.hpp"

#include <gtest/gtest.h>

namespace dapscope::inspector
{
namespace
{

using test::C2S;
using test::S2C;
using test::Wire;

std::string Request(int seq, std::string_view command)
{
    return R"({"type":"request","seq":)" + std::to_string(seq) + R"(,"command":")" + std::string(command) + R"("})";
}

std::string Response(int seq, int requestSeq, std::string_view command, bool success = true)
{
    return R"({"type":"response","seq":)" + std::to_string(seq) + R"(,"request_seq":)" + std::to_string(requestSeq) +
           R"(,"command":")" + std::string(command) + R"(","success":)" + (success ? "true" : "false") + "}";
}

TEST(Correlation, RequestIsPendingUntilAnswered)
{
    SessionInspector inspector;
    const std::string request = Request(1, "rrext_ping");
    const FeedResult sent = inspector.Feed(10, Wire(C2S, request, Opcode::Text, 1000, 1500));
    EXPECT_EQ(sent.message.id, 10);
    EXPECT_EQ(sent.message.state, ExchangeState::Pending);
    EXPECT_FALSE(sent.message.pairId);

    const std::string response = Response(1, 1, "rrext_ping");
    const FeedResult answered = inspector.Feed(11, Wire(S2C, response, Opcode::Text, 4000, 4200));
    EXPECT_EQ(answered.message.state, ExchangeState::Answered);
    EXPECT_EQ(answered.message.pairId, 10);
    ASSERT_EQ(answered.updates.size(), 1u);
    const MessageUpdate& update = answered.updates[0];
    EXPECT_EQ(update.id, 10);
    EXPECT_EQ(update.state, ExchangeState::Answered);
    EXPECT_EQ(update.pairId, 11);
    EXPECT_TRUE(inspector.Finish().empty());
}

TEST(Correlation, LatencyIsResponseFirstByteMinusRequestLastByte)
{
    SessionInspector inspector;
    const std::string request = Request(3, "execute");
    const std::string response = Response(8, 3, "execute");
    inspector.Feed(1, Wire(C2S, request, Opcode::Text, 1'000, 2'500));
    const FeedResult answered = inspector.Feed(2, Wire(S2C, response, Opcode::Text, 7'000, 9'000));
    EXPECT_EQ(answered.message.latencyNs, 4'500);
    ASSERT_EQ(answered.updates.size(), 1u);
    EXPECT_EQ(answered.updates[0].latencyNs, 4'500);
}

TEST(Correlation, PipelinedResponsesOutOfOrderPairBySeq)
{
    test::Session session;
    session.Send(Request(1, "rrext_ping"));     // id 1
    session.Send(Request(2, "execute"));        // id 2
    session.Send(Request(3, "rrext_services")); // id 3
    const FeedResult r3 = session.Receive(Response(1, 3, "rrext_services"));
    const FeedResult r1 = session.Receive(Response(2, 1, "rrext_ping"));
    const FeedResult r2 = session.Receive(Response(3, 2, "execute"));
    EXPECT_EQ(r3.message.pairId, 3);
    EXPECT_EQ(r1.message.pairId, 1);
    EXPECT_EQ(r2.message.pairId, 2);
    for (const auto* r : {&r1, &r2, &r3})
    {
        EXPECT_EQ(r->message.state, ExchangeState::Answered);
        ASSERT_EQ(r->updates.size(), 1u);
        EXPECT_EQ(r->updates[0].id, *r->message.pairId);
    }
    EXPECT_TRUE(session.inspector.Finish().empty());
}

TEST(Correlation, ResponseShowsItsRequestsSubcommand)
{
    test::Session session;
    session.Send(R"({"type":"request","seq":4,"command":"rrext_process","arguments":{"subcommand":"open"}})");
    const FeedResult answered = session.Receive(Response(9, 4, "rrext_process"));
    EXPECT_EQ(answered.message.envelope.subcommand, "open");
    const FeedResult orphan = session.Receive(Response(10, 77, "rrext_process"));
    EXPECT_EQ(orphan.message.envelope.subcommand, "");
}

TEST(Correlation, OrphanResponse)
{
    test::Session session;
    const FeedResult orphan = session.Receive(Response(1, 99, "rrext_ping"));
    EXPECT_EQ(orphan.message.state, ExchangeState::Orphan);
    EXPECT_FALSE(orphan.message.pairId);
    EXPECT_TRUE(orphan.updates.empty());
}

TEST(Correlation, SecondResponseToSameSeqIsOrphan)
{
    test::Session session;
    session.Send(Request(1, "rrext_ping"));
    EXPECT_EQ(session.Receive(Response(1, 1, "rrext_ping")).message.state, ExchangeState::Answered);
    const FeedResult second = session.Receive(Response(2, 1, "rrext_ping"));
    EXPECT_EQ(second.message.state, ExchangeState::Orphan);
    EXPECT_TRUE(second.updates.empty());
}

TEST(Correlation, ResponseMustComeFromTheOtherDirection)
{
    test::Session session;
    session.Send(Request(1, "rrext_ping"));
    // A "response" sent by the client itself does not answer the client's request.
    EXPECT_EQ(session.Send(Response(1, 1, "rrext_ping")).message.state, ExchangeState::Orphan);
    EXPECT_EQ(session.Receive(Response(1, 1, "rrext_ping")).message.state, ExchangeState::Answered);
}

TEST(Correlation, ReverseRequestFromServer)
{
    test::Session session;
    session.Send(Request(1, "rrext_ping"));                                  // id 1, c2s seq 1
    const FeedResult reverse = session.Receive(Request(1, "runInTerminal")); // id 2, s2c seq 1: no clash
    EXPECT_EQ(reverse.message.state, ExchangeState::Pending);
    const FeedResult clientAnswer = session.Send(Response(2, 1, "runInTerminal"));
    EXPECT_EQ(clientAnswer.message.state, ExchangeState::Answered);
    EXPECT_EQ(clientAnswer.message.pairId, 2);
    const FeedResult serverAnswer = session.Receive(Response(3, 1, "rrext_ping"));
    EXPECT_EQ(serverAnswer.message.pairId, 1);
}

TEST(Correlation, DuplicateSeqWhilePendingKeepsOlderPairing)
{
    test::Session session;
    EXPECT_EQ(session.Send(Request(5, "rrext_ping")).message.state, ExchangeState::Pending); // id 1
    const FeedResult duplicate = session.Send(Request(5, "rrext_services"));                 // id 2
    EXPECT_EQ(duplicate.message.state, ExchangeState::DuplicateSeq);
    const FeedResult answer = session.Receive(Response(1, 5, "rrext_ping"));
    EXPECT_EQ(answer.message.pairId, 1);
    EXPECT_EQ(answer.message.state, ExchangeState::Answered);
    // The duplicate is not pending: the session end does not turn it into Unanswered.
    EXPECT_TRUE(session.inspector.Finish().empty());
}

TEST(Correlation, SeqCanBeReusedOnceAnswered)
{
    test::Session session;
    session.Send(Request(5, "rrext_ping"));
    session.Receive(Response(1, 5, "rrext_ping"));
    EXPECT_EQ(session.Send(Request(5, "rrext_ping")).message.state, ExchangeState::Pending);
    EXPECT_EQ(session.Receive(Response(2, 5, "rrext_ping")).message.pairId, 3);
}

TEST(Correlation, CommandMismatchIsSetOnBothSides)
{
    test::Session session;
    session.Send(Request(1, "rrext_ping"));
    const FeedResult answer = session.Receive(Response(1, 1, "rrext_services"));
    EXPECT_EQ(answer.message.state, ExchangeState::CommandMismatch);
    EXPECT_EQ(answer.message.pairId, 1);
    ASSERT_EQ(answer.updates.size(), 1u);
    EXPECT_EQ(answer.updates[0].state, ExchangeState::CommandMismatch);
    EXPECT_EQ(answer.updates[0].pairId, 2);
}

TEST(Correlation, FailedResponseStillAnswers)
{
    test::Session session;
    session.Send(Request(1, "rrext_services"));
    EXPECT_EQ(session.Receive(Response(1, 1, "rrext_services", false)).message.state, ExchangeState::Answered);
}

TEST(Correlation, FinishMarksPendingRequestsUnanswered)
{
    test::Session session;
    session.Send(Request(1, "rrext_ping")); // id 1
    session.Send(Request(2, "terminate"));  // id 2
    session.Send(Request(3, "rrext_ping")); // id 3
    session.Receive(Response(1, 2, "terminate"));
    const std::vector<MessageUpdate> updates = session.inspector.Finish();
    ASSERT_EQ(updates.size(), 2u);
    EXPECT_EQ(updates[0].id, 1);
    EXPECT_EQ(updates[1].id, 3);
    for (const auto& update : updates)
    {
        EXPECT_EQ(update.state, ExchangeState::Unanswered);
        EXPECT_FALSE(update.pairId);
    }
    EXPECT_TRUE(session.inspector.Finish().empty()); // reported once
}

TEST(Correlation, EventsAndControlFramesAreNotExchanges)
{
    test::Session session;
    const FeedResult event = session.Receive(R"({"type":"event","seq":1,"event":"output","body":{}})");
    EXPECT_EQ(event.message.envelope.kind, Kind::Event);
    EXPECT_EQ(event.message.state, ExchangeState::None);
    const FeedResult ping = session.Feed(C2S, "", Opcode::Ping);
    EXPECT_EQ(ping.message.envelope.kind, Kind::Control);
    EXPECT_EQ(ping.message.state, ExchangeState::None);
}

TEST(Correlation, ExtremeTimestampsDoNotOverflow)
{
    SessionInspector inspector;
    const std::string request = Request(1, "x");
    const std::string response = Response(1, 1, "x");
    inspector.Feed(1, Wire(C2S, request, Opcode::Text, INT64_MAX, INT64_MAX));
    const FeedResult answer = inspector.Feed(2, Wire(S2C, response, Opcode::Text, INT64_MIN, INT64_MIN));
    EXPECT_EQ(answer.message.state, ExchangeState::Answered);
    EXPECT_TRUE(answer.message.latencyNs);
}

} // namespace
} // namespace dapscope::inspector
