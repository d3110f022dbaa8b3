#include "TestSupport.hpp"
#include "inspector/Envelope.hpp"

#include <gtest/gtest.h>

namespace dapscope::inspector
{
namespace
{

using namespace std::string_literals;

TEST(SplitFrame, TextFrameIsAllJson)
{
    const std::string bytes = "{\"type\":\"event\",\n\"seq\":1,\"event\":\"x\"}";
    const Framing framing = SplitFrame(Opcode::Text, bytes);
    EXPECT_EQ(framing.json, bytes); // a newline in a text frame is JSON whitespace, not a separator
    EXPECT_TRUE(framing.payload.empty());
    EXPECT_FALSE(framing.hasPayload);
}

TEST(SplitFrame, BinaryFrameSplitsAtFirstNewline)
{
    const std::string bytes = "{\"a\":1}\nhello\nworld"s;
    const Framing framing = SplitFrame(Opcode::Binary, bytes);
    EXPECT_EQ(framing.json, "{\"a\":1}");
    EXPECT_EQ(framing.payload, "hello\nworld");
    EXPECT_TRUE(framing.hasPayload);
}

TEST(SplitFrame, BinaryFrameWithoutNewlineIsPlainJson)
{
    const Framing framing = SplitFrame(Opcode::Binary, "{\"a\":1}");
    EXPECT_EQ(framing.json, "{\"a\":1}");
    EXPECT_FALSE(framing.hasPayload);
}

TEST(SplitFrame, BinaryFrameWithEmptyPayload)
{
    const Framing framing = SplitFrame(Opcode::Binary, "{\"a\":1}\n");
    EXPECT_EQ(framing.json, "{\"a\":1}");
    EXPECT_TRUE(framing.payload.empty());
    EXPECT_TRUE(framing.hasPayload);
}

TEST(DecodeEnvelope, BinaryWriteRequest)
{
    const std::string bytes = "{\"type\": \"request\", \"seq\": 5, \"command\": \"rrext_process\", \"arguments\": "
                              "{\"subcommand\": \"write\", \"pipe_id\": 0, \"token\": \"tk_5d41\"}}\nhello world"s;
    const Envelope env = DecodeEnvelope(Opcode::Binary, bytes, bytes.size(), false);
    EXPECT_EQ(env.kind, Kind::Request);
    EXPECT_EQ(env.command, "rrext_process");
    EXPECT_EQ(env.subcommand, "write");
    EXPECT_EQ(env.token, "tk_5d41");
    EXPECT_TRUE(env.hasPayload);
    EXPECT_EQ(env.payloadSize, 11u);
    EXPECT_EQ(env.jsonSize, bytes.size() - 12);
}

TEST(DecodeEnvelope, BinaryFsReadResponseWithEmptyPayload)
{
    const std::string bytes =
        "{\"type\": \"response\", \"seq\": 76, \"request_seq\": 42, \"command\": \"rrext_store\", "
        "\"success\": true, \"body\": {\"size\": 0}, \"arguments\": {}}\n"s;
    const Envelope env = DecodeEnvelope(Opcode::Binary, bytes, bytes.size(), false);
    EXPECT_EQ(env.kind, Kind::Response);
    EXPECT_EQ(env.requestSeq, 42);
    EXPECT_TRUE(env.hasPayload);
    EXPECT_EQ(env.payloadSize, 0u);
}

TEST(DecodeEnvelope, PayloadMayContainAnyBytes)
{
    const std::string bytes = "{\"type\":\"request\",\"seq\":1,\"command\":\"rrext_process\"}\n\x00\n\xff\xfe"s;
    const Envelope env = DecodeEnvelope(Opcode::Binary, bytes, bytes.size(), false);
    EXPECT_EQ(env.kind, Kind::Request) << env.malformedReason;
    EXPECT_EQ(env.payloadSize, 4u);
}

TEST(DecodeEnvelope, TruncatedBinaryKeepsHeaderAndFullPayloadSize)
{
    const std::string bytes = "{\"type\":\"request\",\"seq\":1,\"command\":\"rrext_process\"}\nabc"s;
    const uint64_t fullSize = bytes.size() + 1000;
    const Envelope env = DecodeEnvelope(Opcode::Binary, bytes, fullSize, true);
    EXPECT_EQ(env.kind, Kind::Request) << env.malformedReason;
    EXPECT_EQ(env.payloadSize, 1003u);
}

TEST(DecodeEnvelope, BinaryWithoutNewlineDecodesAsJson)
{
    const std::string bytes = "{\"type\":\"event\",\"seq\":3,\"event\":\"output\"}";
    const Envelope env = DecodeEnvelope(Opcode::Binary, bytes, bytes.size(), false);
    EXPECT_EQ(env.kind, Kind::Event);
    EXPECT_FALSE(env.hasPayload);
    EXPECT_EQ(env.jsonSize, bytes.size());
}

TEST(DecodeEnvelope, BinaryPayloadIsNotValidatedAsUtf8OrJson)
{
    const std::string bytes = "{\"type\":\"event\",\"seq\":3,\"event\":\"output\"}\n{not json \xff"s;
    EXPECT_EQ(DecodeEnvelope(Opcode::Binary, bytes, bytes.size(), false).kind, Kind::Event);
}

} // namespace
} // namespace dapscope::inspector
