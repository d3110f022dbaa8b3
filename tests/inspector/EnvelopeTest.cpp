#include "inspector/Envelope.hpp"

#include <gtest/gtest.h>

namespace dapscope::inspector
{
namespace
{

Envelope Decode(std::string_view text)
{
    return DecodeEnvelope(Opcode::Text, text, text.size(), false);
}

TEST(DecodeEnvelope, RequestFields)
{
    const Envelope env = Decode(R"({"type": "request", "seq": 10, "command": "rrext_process", "arguments": )"
                                R"({"subcommand": "open", "token": "tk_abc"}})");
    EXPECT_EQ(env.kind, Kind::Request);
    EXPECT_EQ(env.seq, 10);
    EXPECT_FALSE(env.requestSeq);
    EXPECT_EQ(env.command, "rrext_process");
    EXPECT_EQ(env.subcommand, "open");
    EXPECT_EQ(env.token, "tk_abc");
    EXPECT_TRUE(env.malformedReason.empty());
    EXPECT_FALSE(env.hasPayload);
}

TEST(DecodeEnvelope, RequestWithoutArguments)
{
    const Envelope env = Decode(R"({"type":"request","seq":2,"command":"rrext_ping"})");
    EXPECT_EQ(env.kind, Kind::Request);
    EXPECT_EQ(env.command, "rrext_ping");
    EXPECT_TRUE(env.subcommand.empty());
    EXPECT_TRUE(env.token.empty());
}

TEST(DecodeEnvelope, TopLevelTokenIsTheFallback)
{
    EXPECT_EQ(Decode(R"({"type":"request","seq":1,"command":"attach","token":"tk_top"})").token, "tk_top");
    EXPECT_EQ(
        Decode(R"({"type":"request","seq":1,"command":"x","token":"tk_top","arguments":{"token":"tk_arg"}})").token,
        "tk_arg");
}

TEST(DecodeEnvelope, SuccessfulResponseFields)
{
    const Envelope env =
        Decode(R"({"type":"response","seq":11,"request_seq":7,"command":"execute","success":true,"body":{}})");
    EXPECT_EQ(env.kind, Kind::Response);
    EXPECT_EQ(env.seq, 11);
    EXPECT_EQ(env.requestSeq, 7);
    EXPECT_EQ(env.command, "execute");
    EXPECT_EQ(env.success, true);
    EXPECT_TRUE(env.message.empty());
}

TEST(DecodeEnvelope, FailedResponseCarriesMessageAndTrace)
{
    const Envelope env = Decode(R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":false,)"
                                R"("message":"Invalid API key","trace":{"file":"task_conn.py","lineno":311}})");
    EXPECT_EQ(env.kind, Kind::Response);
    EXPECT_EQ(env.success, false);
    EXPECT_EQ(env.message, "Invalid API key");
    EXPECT_EQ(env.traceFile, "task_conn.py");
    EXPECT_EQ(env.traceLine, 311);
}

TEST(DecodeEnvelope, ResponseWithoutSuccessLeavesItUnset)
{
    const Envelope env = Decode(R"({"type":"response","seq":1,"request_seq":1,"command":"x"})");
    EXPECT_EQ(env.kind, Kind::Response);
    EXPECT_FALSE(env.success);
}

TEST(DecodeEnvelope, EventFields)
{
    const Envelope env = Decode(R"({"type":"event","seq":60,"event":"apaevt_sse","body":{"pipe_id":0}})");
    EXPECT_EQ(env.kind, Kind::Event);
    EXPECT_EQ(env.seq, 60);
    EXPECT_EQ(env.event, "apaevt_sse");
}

TEST(DecodeEnvelope, KeyOrderAndWhitespaceDoNotMatter)
{
    const Envelope compact = Decode(R"({"type":"request","command":"auth","seq":1,"arguments":{}})");
    const Envelope spaced =
        Decode("{ \"seq\" : 1 ,\n \"arguments\": {},\t\"command\": \"auth\", \"type\": \"request\" }");
    EXPECT_EQ(compact.kind, Kind::Request);
    EXPECT_EQ(spaced.kind, Kind::Request);
    EXPECT_EQ(spaced.command, compact.command);
    EXPECT_EQ(spaced.seq, compact.seq);
}

TEST(DecodeEnvelope, SizesOfTextFrame)
{
    const std::string text = R"({"type":"event","seq":1,"event":"x"})";
    const Envelope env = Decode(text);
    EXPECT_EQ(env.jsonSize, text.size());
    EXPECT_EQ(env.payloadSize, 0u);
}

TEST(DecodeEnvelope, ControlOpcodesAreControl)
{
    for (Opcode opcode : {Opcode::Close, Opcode::Ping, Opcode::Pong})
    {
        const Envelope env = DecodeEnvelope(opcode, "\x03\xe8", 2, false);
        EXPECT_EQ(env.kind, Kind::Control) << ToString(opcode);
        EXPECT_TRUE(env.malformedReason.empty());
    }
}

TEST(DecodeEnvelope, NegativeSeqIsAnInteger)
{
    EXPECT_EQ(Decode(R"({"type":"event","seq":-3,"event":"x"})").seq, -3);
}

} // namespace
} // namespace dapscope::inspector
