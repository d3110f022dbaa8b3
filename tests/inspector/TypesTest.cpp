#include "inspector/Types.hpp"

#include <gtest/gtest.h>

namespace dapscope::inspector
{
namespace
{

TEST(Types, DirectionNamesRoundTrip)
{
    EXPECT_EQ(ToString(Direction::ClientToServer), "c2s");
    EXPECT_EQ(ToString(Direction::ServerToClient), "s2c");
    for (Direction d : {Direction::ClientToServer, Direction::ServerToClient})
        EXPECT_EQ(ParseDirection(ToString(d)), d);
    EXPECT_FALSE(ParseDirection("C2S"));
    EXPECT_FALSE(ParseDirection(""));
}

TEST(Types, OpcodeNamesRoundTrip)
{
    EXPECT_EQ(ToString(Opcode::Text), "text");
    EXPECT_EQ(ToString(Opcode::Binary), "binary");
    EXPECT_EQ(ToString(Opcode::Close), "close");
    EXPECT_EQ(ToString(Opcode::Ping), "ping");
    EXPECT_EQ(ToString(Opcode::Pong), "pong");
    for (Opcode o : {Opcode::Text, Opcode::Binary, Opcode::Close, Opcode::Ping, Opcode::Pong})
        EXPECT_EQ(ParseOpcode(ToString(o)), o);
    EXPECT_FALSE(ParseOpcode("continuation"));
}

TEST(Types, KindNamesRoundTrip)
{
    EXPECT_EQ(ToString(Kind::Request), "request");
    EXPECT_EQ(ToString(Kind::Response), "response");
    EXPECT_EQ(ToString(Kind::Event), "event");
    EXPECT_EQ(ToString(Kind::Malformed), "malformed");
    EXPECT_EQ(ToString(Kind::Control), "control");
    for (Kind k : {Kind::Request, Kind::Response, Kind::Event, Kind::Malformed, Kind::Control})
        EXPECT_EQ(ParseKind(ToString(k)), k);
    EXPECT_FALSE(ParseKind("Request"));
}

TEST(Types, ExchangeStateNames)
{
    EXPECT_EQ(ToString(ExchangeState::None), "");
    EXPECT_EQ(ToString(ExchangeState::Pending), "pending");
    EXPECT_EQ(ToString(ExchangeState::Answered), "answered");
    EXPECT_EQ(ToString(ExchangeState::Unanswered), "unanswered");
    EXPECT_EQ(ToString(ExchangeState::Orphan), "orphan");
    EXPECT_EQ(ToString(ExchangeState::DuplicateSeq), "duplicate");
    EXPECT_EQ(ToString(ExchangeState::CommandMismatch), "mismatch");
}

} // namespace
} // namespace dapscope::inspector
