#include "TestSupport.hpp"
#include "inspector/Envelope.hpp"

#include <gtest/gtest.h>

#include <random>

namespace dapscope::inspector
{
namespace
{

using namespace std::string_literals;

struct MalformedCase
{
    std::string name;   // what is wrong
    std::string bytes;  // the text frame
    std::string reason; // expected part of malformedReason
};

std::string Nested(int depth)
{
    return R"({"type":"event","seq":1,"event":"x","body":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

std::vector<MalformedCase> Cases()
{
    return {
        {"NotJson", "hello", "not JSON"},
        {"TrailingGarbage", R"({"type":"event","seq":1,"event":"x"} extra)", "not JSON"},
        {"Unterminated", R"({"type":"event","seq":1,"event":"x")", "not JSON"},
        {"Empty", "", "empty"},
        {"NotAnObject", R"(["type","request"])", "not a JSON object"},
        {"ScalarNotAnObject", "42", "not a JSON object"},
        {"InvalidUtf8InString", "{\"type\":\"event\",\"seq\":1,\"event\":\"x\xff\"}", "invalid UTF-8"},
        {"OverlongUtf8", "{\"type\":\"event\",\"seq\":1,\"event\":\"\xc0\xaf\"}", "invalid UTF-8"},
        {"Utf8Surrogate", "{\"type\":\"event\",\"seq\":1,\"event\":\"\xed\xa0\x80\"}", "invalid UTF-8"},
        {"LoneSurrogateEscape", R"({"type":"event","seq":1,"event":"\ud800"})", "not JSON"},
        {"TooDeep", Nested(100), "nesting deeper than 64"},
        {"SeqString", R"({"type":"request","seq":"1","command":"x"})", "seq is not an integer"},
        {"SeqFraction", R"({"type":"request","seq":1.5,"command":"x"})", "seq is not an integer"},
        {"SeqHuge", R"({"type":"request","seq":18446744073709551615,"command":"x"})", "seq is out of range"},
        {"SeqHugeDouble", R"({"type":"event","seq":1e30,"event":"x"})", "seq is out of range"},
        {"SeqInfinite", R"({"type":"event","seq":1e999,"event":"x"})", "seq is not an integer"},
        {"RequestSeqNotInteger", R"({"type":"response","seq":1,"request_seq":null,"command":"x"})",
         "request_seq is not an integer"},
        {"RequestSeqOutOfRange", R"({"type":"response","seq":1,"request_seq":9223372036854775808,"command":"x"})",
         "request_seq is out of range"},
        {"MissingType", R"({"seq":1,"command":"x"})", "missing type"},
        {"TypeNotString", R"({"type":1,"seq":1,"command":"x"})", "type is not a string"},
        {"UnknownType", R"({"type":"notification","seq":1})", "unknown type \"notification\""},
        {"RequestWithoutCommand", R"({"type":"request","seq":1,"arguments":{}})", "request without command"},
        {"RequestWithEmptyCommand", R"({"type":"request","seq":1,"command":""})", "request without command"},
        {"RequestWithoutSeq", R"({"type":"request","command":"x"})", "request without seq"},
        {"ResponseWithoutRequestSeq", R"({"type":"response","seq":1,"command":"x","success":true})",
         "response without request_seq"},
        {"ResponseSuccessNotBool", R"({"type":"response","seq":1,"request_seq":1,"command":"x","success":"yes"})",
         "success is not a boolean"},
        {"EventWithoutName", R"({"type":"event","seq":1,"body":{}})", "event without event name"},
        {"EventNameNotString", R"({"type":"event","seq":1,"event":7})", "event without event name"},
    };
}

void PrintTo(const MalformedCase& c, std::ostream* os)
{
    *os << c.name;
}

class Malformed : public ::testing::TestWithParam<MalformedCase>
{
};

TEST_P(Malformed, DecodesAsMalformedWithReason)
{
    const auto& c = GetParam();
    const Envelope env = DecodeEnvelope(Opcode::Text, c.bytes, c.bytes.size(), false);
    EXPECT_EQ(env.kind, Kind::Malformed);
    EXPECT_NE(env.malformedReason.find(c.reason), std::string::npos) << env.malformedReason;
}

TEST_P(Malformed, SessionRecordsItWithoutStateChange)
{
    const auto& c = GetParam();
    test::Session session;
    FeedResult result;
    EXPECT_NO_THROW(result = session.Send(c.bytes));
    EXPECT_EQ(result.message.envelope.kind, Kind::Malformed);
    EXPECT_EQ(result.message.state, ExchangeState::None);
    EXPECT_TRUE(result.updates.empty());
    EXPECT_TRUE(session.inspector.Finish().empty()); // nothing was registered as pending
}

INSTANTIATE_TEST_SUITE_P(Inspector, Malformed, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(MalformedFrames, TruncatedTextMessage)
{
    const std::string bytes = R"({"type":"event","seq":1,"ev)";
    const Envelope env = DecodeEnvelope(Opcode::Text, bytes, 500, true);
    EXPECT_EQ(env.kind, Kind::Malformed);
    EXPECT_NE(env.malformedReason.find("truncated"), std::string::npos) << env.malformedReason;
    EXPECT_EQ(env.jsonSize, 500u);
}

TEST(MalformedFrames, TruncatedBinaryBeforeTheSeparator)
{
    const std::string bytes = R"({"type":"request","seq":1,"comm)";
    const Envelope env = DecodeEnvelope(Opcode::Binary, bytes, 5000, true);
    EXPECT_EQ(env.kind, Kind::Malformed);
    EXPECT_NE(env.malformedReason.find("truncated"), std::string::npos) << env.malformedReason;
}

TEST(MalformedFrames, InvalidUtf8InBinaryHeader)
{
    const std::string bytes = "{\"type\":\"request\",\"seq\":1,\"command\":\"\xfe\"}\npayload"s;
    const Envelope env = DecodeEnvelope(Opcode::Binary, bytes, bytes.size(), false);
    EXPECT_EQ(env.kind, Kind::Malformed);
    EXPECT_NE(env.malformedReason.find("invalid UTF-8"), std::string::npos);
}

TEST(MalformedFrames, UnknownOpcode)
{
    const Envelope env = DecodeEnvelope(static_cast<Opcode>(3), "{}", 2, false);
    EXPECT_EQ(env.kind, Kind::Malformed);
}

TEST(MalformedFrames, ReasonEscapesWireText)
{
    const std::string bytes = R"({"type":"\u001b[31mbad","seq":1})";
    const Envelope env = DecodeEnvelope(Opcode::Text, bytes, bytes.size(), false);
    EXPECT_EQ(env.kind, Kind::Malformed);
    EXPECT_EQ(env.malformedReason.find('\x1b'), std::string::npos) << env.malformedReason;
}

TEST(MalformedFrames, RandomBytesNeverThrow)
{
    std::mt19937 random(12345);
    test::Session session(RedactionPolicy{true, {"$..password", "$.arguments.*", "$..[0]"}});
    for (int i = 0; i < 2000; ++i)
    {
        std::string bytes(random() % 64, '\0');
        for (auto& c : bytes)
            c = static_cast<char>(random());
        if (i % 3 == 0)
            bytes = R"({"type":"request","seq":)" + bytes; // half-valid JSON prefixes
        const auto opcode = static_cast<Opcode>(random() % 11);
        EXPECT_NO_THROW(session.Feed(i % 2 ? test::C2S : test::S2C, bytes, opcode));
        EXPECT_NO_THROW(DecodeEnvelope(opcode, bytes, bytes.size(), i % 5 == 0));
    }
    EXPECT_NO_THROW(session.inspector.Finish());
}

} // namespace
} // namespace dapscope::inspector
