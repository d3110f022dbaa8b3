// The rules' Interceptor without sockets: frames in, emits out.

#include "proxy/Interceptor.hpp"
#include "rules/RuleParser.hpp"
#include "wire/WsFrame.hpp"

#include <gtest/gtest.h>

using namespace dapscope;
using proxy::Emit;
using proxy::Interceptor;
using proxy::Side;

namespace
{
std::shared_ptr<const rules::RuleSet> Rules(const std::string& yaml)
{
    return std::make_shared<const rules::RuleSet>(rules::ParseRules(yaml));
}

// A client frame (masked) with FIN as given.
std::string ClientFrame(wire::WsOpcode opcode, std::string_view payload, bool fin = true)
{
    std::string frame = wire::MakeFrame(opcode, payload, true);
    if (!fin)
        frame[0] = static_cast<char>(frame[0] & 0x7F);
    return frame;
}

std::string Request(int seq, const std::string& command)
{
    return R"({"type":"request","seq":)" + std::to_string(seq) + R"(,"command":")" + command + R"("})";
}

} // namespace

TEST(Interceptor, AFragmentedMessageSplitAtEveryByteGoesOnAsReceived)
{
    const std::string message = Request(1, "rrext_ping");
    const std::string first = ClientFrame(wire::WsOpcode::Text, message.substr(0, 10), false);
    const std::string ping = ClientFrame(wire::WsOpcode::Ping, "keep");
    const std::string last = ClientFrame(wire::WsOpcode::Continuation, message.substr(10));
    const std::string stream = first + ping + last;
    for (size_t cut = 1; cut < stream.size(); ++cut)
    {
        Interceptor interceptor(
            Rules("rules:\n  - name: other\n    match: {command: rrext_services}\n    drop: true\n"), {}, {});
        ASSERT_TRUE(interceptor.Affects(Side::Client));
        interceptor.Received(Side::Client, capture::SharedBytes(stream.substr(0, cut)), 1);
        interceptor.Received(Side::Client, capture::SharedBytes(stream.substr(cut)), 2);
        const std::vector<Emit>& out = interceptor.Ready();
        // The ping goes at once, inside the message it interrupts; the message's frames follow untouched.
        ASSERT_EQ(out.size(), 3u) << "cut " << cut;
        EXPECT_EQ(out[0].bytes.View(), ping) << "cut " << cut;
        EXPECT_EQ(out[1].bytes.View(), first) << "cut " << cut;
        EXPECT_EQ(out[2].bytes.View(), last) << "cut " << cut;
        for (const Emit& e : out)
            EXPECT_TRUE(e.to == Side::Upstream && !e.mark && e.type == Emit::Type::Frames);
        EXPECT_TRUE(interceptor.Between(Side::Client));
    }
}

TEST(Interceptor, ADelayedMessageHoldsLaterOnesButNotPings)
{
    Interceptor interceptor(Rules("rules:\n  - name: slow\n    match: {command: rrext_ping}\n    delay: 2s\n"), {}, {});
    const std::string delayed = ClientFrame(wire::WsOpcode::Text, Request(1, "rrext_ping"));
    const std::string behind = ClientFrame(wire::WsOpcode::Text, Request(2, "rrext_services"));
    const std::string ping = ClientFrame(wire::WsOpcode::Ping, "");
    const std::string close = wire::MakeCloseFrame(1000, "", true);
    const int64_t t0 = 1'000'000'000;
    interceptor.Received(Side::Client, capture::SharedBytes(delayed + behind + ping + close), t0);
    ASSERT_EQ(interceptor.Ready().size(), 1u);
    EXPECT_EQ(interceptor.Ready()[0].bytes.View(), ping);
    interceptor.Ready().clear();
    EXPECT_EQ(interceptor.NextDueNs(), t0 + 2'000'000'000);

    interceptor.Release(t0 + 1'999'999'999);
    EXPECT_TRUE(interceptor.Ready().empty());
    interceptor.Release(t0 + 2'000'000'000);
    const std::vector<Emit>& out = interceptor.Ready();
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].bytes.View(), delayed);
    ASSERT_TRUE(out[0].mark);
    EXPECT_EQ(out[0].mark->rule, "slow");
    EXPECT_EQ(out[0].mark->action, "delay");
    EXPECT_EQ(out[1].bytes.View(), behind);
    EXPECT_FALSE(out[1].mark);
    EXPECT_EQ(out[2].bytes.View(), close); // a close never overtakes the messages before it
    EXPECT_EQ(interceptor.NextDueNs(), 0);
}

TEST(Interceptor, RewriteRecordsWhatWasReceivedThenSendsTheNewFrame)
{
    Interceptor interceptor(Rules("rules:\n  - name: mark\n    match: {command: rrext_ping}\n"
                                  "    set: {\"$.arguments\": {\"x\": 1}}\n"),
                            {}, {});
    const std::string request = Request(1, "rrext_ping");
    interceptor.Received(Side::Client, capture::SharedBytes(ClientFrame(wire::WsOpcode::Text, request)), 1);
    const std::vector<Emit>& out = interceptor.Ready();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].type, Emit::Type::NotSent);
    EXPECT_EQ(out[0].bytes.View(), request); // unmasked, as received
    EXPECT_EQ(out[0].mark->outcome, capture::RuleMark::Outcome::Replaced);
    EXPECT_EQ(out[1].type, Emit::Type::Frames);
    EXPECT_EQ(out[1].mark->outcome, capture::RuleMark::Outcome::Rewritten);
    // Toward the engine the new frame is masked, and carries the changed JSON.
    wire::FrameHeader header;
    const auto* frame = reinterpret_cast<const uint8_t*>(out[1].bytes.data());
    size_t size = wire::ParseFrameHeader(frame, out[1].bytes.size(), header);
    ASSERT_GT(size, 0u);
    ASSERT_TRUE(header.masked);
    std::string payload(out[1].bytes.View().substr(size));
    wire::ApplyMask(reinterpret_cast<uint8_t*>(payload.data()), payload.size(), header.mask, 0);
    EXPECT_NE(payload.find(R"("arguments":{"x":1})"), std::string::npos) << payload;
}

TEST(Interceptor, HeldMessagesGoInTheOrderTheyCame)
{
    Interceptor interceptor(Rules("rules:\n  - name: b\n    match: {command: rrext_ping}\n    break: true\n"), {}, {});
    const std::string first = ClientFrame(wire::WsOpcode::Text, Request(1, "rrext_ping"));
    const std::string second = ClientFrame(wire::WsOpcode::Text, Request(2, "rrext_ping"));
    interceptor.Received(Side::Client, capture::SharedBytes(first + second), 1);
    EXPECT_TRUE(interceptor.Ready().empty());
    auto held = interceptor.Held();
    ASSERT_EQ(held.size(), 2u);
    EXPECT_EQ(held[0].payload, Request(1, "rrext_ping"));

    ASSERT_TRUE(interceptor.Answer(held[1].id, false, std::nullopt, 2));
    interceptor.Release(2);
    EXPECT_TRUE(interceptor.Ready().empty()); // behind the first
    ASSERT_TRUE(interceptor.Answer(held[0].id, false, std::nullopt, 3));
    EXPECT_FALSE(interceptor.Answer(held[0].id, true, std::nullopt, 3)); // answered already
    interceptor.Release(3);
    const std::vector<Emit>& out = interceptor.Ready();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].bytes.View(), first);
    EXPECT_EQ(out[1].bytes.View(), second);
    EXPECT_EQ(out[0].mark->action, "break (released)");
    EXPECT_EQ(interceptor.NextDueNs(), 0);
}

TEST(Interceptor, AFrameThatEndsWithAReadGoesOnAtOnce)
{
    // An empty close and an empty ping whose headers arrive split: each goes on as its last byte arrives.
    Interceptor interceptor(Rules("rules:\n  - name: b\n    match: {command: rrext_ping}\n    drop: true\n"), {}, {});
    const std::string ping = ClientFrame(wire::WsOpcode::Ping, "");
    interceptor.Received(Side::Client, capture::SharedBytes(ping.substr(0, 1)), 1);
    EXPECT_TRUE(interceptor.Ready().empty());
    interceptor.Received(Side::Client, capture::SharedBytes(ping.substr(1)), 2);
    ASSERT_EQ(interceptor.Ready().size(), 1u);
    EXPECT_EQ(interceptor.Ready()[0].bytes.View(), ping);
    EXPECT_TRUE(interceptor.Between(Side::Client));
}
