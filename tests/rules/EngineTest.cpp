// The engine's decisions: what matches, what each action yields, counts with a seed, seq kept valid for the client.

#include "rules/RuleEngine.hpp"
#include "rules/RuleParser.hpp"

#include <gtest/gtest.h>

namespace dapscope::rules
{
namespace
{

using inspector::Direction;
using inspector::Opcode;
constexpr Direction kC2s = Direction::ClientToServer;
constexpr Direction kS2c = Direction::ServerToClient;

SessionRules Session(const std::string& yaml, SessionInfo info = {})
{
    return SessionRules(std::make_shared<const RuleSet>(ParseRules(yaml)), std::move(info));
}

std::string Request(int seq, const std::string& command, const std::string& args = "{}")
{
    return R"({"seq":)" + std::to_string(seq) + R"(,"type":"request","command":")" + command + R"(","arguments":)" +
           args + "}";
}

std::string Response(int seq, int requestSeq, const std::string& command)
{
    return R"({"seq":)" + std::to_string(seq) + R"(,"type":"response","request_seq":)" + std::to_string(requestSeq) +
           R"(,"command":")" + command + R"(","success":true})";
}

std::string Event(int seq, const std::string& name)
{
    return R"({"seq":)" + std::to_string(seq) + R"(,"type":"event","event":")" + name + R"(","body":{}})";
}

boost::json::value Json(const std::string& text)
{
    return boost::json::parse(text);
}

TEST(RulesEngine, NoMatchForwardsTheBytesUntouched)
{
    auto s = Session("rules:\n  - {name: r, match: {command: other}, drop: true}\n");
    Decision d = s.Decide(kC2s, Opcode::Text, Request(1, "launch"));
    EXPECT_EQ(d.rule, "");
    EXPECT_EQ(d.action, ActionKind::None);
    EXPECT_TRUE(d.forward);
    EXPECT_FALSE(d.replacement);
    EXPECT_TRUE(d.extra.empty());
    // Not a DAP message: never matched, forwarded as is.
    auto all = Session("rules:\n  - {name: r, drop: true}\n");
    EXPECT_TRUE(all.Decide(kC2s, Opcode::Text, "not json").forward);
}

TEST(RulesEngine, MatchesDirectionKindCommandSubcommandEvent)
{
    auto s = Session(R"(rules:
  - {name: writes, match: {dir: c2s, command: rrext_process, subcommand: write}, delay: 2s}
  - {name: outputs, match: {event: output}, drop: true}
  - {name: any-s2c-response, match: {kind: response}, duplicate: true}
)");
    Decision d = s.Decide(kC2s, Opcode::Text, Request(1, "rrext_process", R"({"subcommand":"write"})"));
    EXPECT_EQ(d.rule, "writes");
    EXPECT_EQ(d.action, ActionKind::Delay);
    EXPECT_EQ(d.delayMs, 2000);
    EXPECT_TRUE(d.forward);
    EXPECT_EQ(s.Decide(kC2s, Opcode::Text, Request(2, "rrext_process", R"({"subcommand":"read"})")).rule, "");
    EXPECT_EQ(s.Decide(kS2c, Opcode::Text, Event(1, "stopped")).rule, "");
    Decision out = s.Decide(kS2c, Opcode::Text, Event(2, "output"));
    EXPECT_EQ(out.rule, "outputs");
    EXPECT_FALSE(out.forward);
    EXPECT_EQ(s.Decide(kS2c, Opcode::Text, Response(3, 2, "rrext_process")).rule, "any-s2c-response");
}

TEST(RulesEngine, ResponseMatchedThroughItsRequest)
{
    auto s = Session(R"(rules:
  - {name: write-answers, match: {kind: response, command: rrext_process, subcommand: write}, drop: true}
)");
    EXPECT_TRUE(s.Affects(kC2s)); // requests must be seen to know a response's subcommand
    s.Decide(kC2s, Opcode::Text, Request(1, "rrext_process", R"({"subcommand":"write"})"));
    s.Decide(kC2s, Opcode::Text, Request(2, "rrext_process", R"({"subcommand":"read"})"));
    // Responses carry no subcommand: only their request says which is which.
    EXPECT_EQ(s.Decide(kS2c, Opcode::Text, Response(1, 2, "rrext_process")).rule, "");
    EXPECT_EQ(s.Decide(kS2c, Opcode::Text, Response(2, 1, "rrext_process")).rule, "write-answers");
}

TEST(RulesEngine, WhereConditions)
{
    auto s = Session(R"(rules:
  - name: r
    match:
      where:
        "$.arguments.mimetype": text/plain
        "$.arguments.size": {ge: 10, lt: 100}
        "$.arguments.name": {regex: "^doc-[0-9]+$"}
        "$.arguments.token": {exists: false}
    drop: true
)");
    auto args = [](const std::string& mime, int size, const std::string& name, bool token)
    {
        return R"({"mimetype":")" + mime + R"(","size":)" + std::to_string(size) + R"(,"name":")" + name + "\"" +
               (token ? R"(,"token":"t")" : "") + "}";
    };
    EXPECT_EQ(s.Decide(kC2s, Opcode::Text, Request(1, "w", args("text/plain", 10, "doc-1", false))).rule, "r");
    EXPECT_EQ(s.Decide(kC2s, Opcode::Text, Request(2, "w", args("text/html", 10, "doc-1", false))).rule, "");
    EXPECT_EQ(s.Decide(kC2s, Opcode::Text, Request(3, "w", args("text/plain", 100, "doc-1", false))).rule, "");
    EXPECT_EQ(s.Decide(kC2s, Opcode::Text, Request(4, "w", args("text/plain", 9, "doc-1", false))).rule, "");
    EXPECT_EQ(s.Decide(kC2s, Opcode::Text, Request(5, "w", args("text/plain", 50, "doc-x", false))).rule, "");
    EXPECT_EQ(s.Decide(kC2s, Opcode::Text, Request(6, "w", args("text/plain", 50, "doc-22", true))).rule, "");
    EXPECT_EQ(s.Decide(kC2s, Opcode::Text, Request(7, "w", args("text/plain", 50, "doc-22", false))).rule, "r");
}

TEST(RulesEngine, ClientNameAndPath)
{
    const char* yaml = "rules:\n  - {name: r, match: {client: sdk-a, path: /task}, drop: true}\n";
    auto a = Session(yaml, {"sdk-a", "/task"});
    auto b = Session(yaml, {"sdk-b", "/task"});
    auto c = Session(yaml, {"sdk-a", "/other"});
    EXPECT_EQ(a.Decide(kC2s, Opcode::Text, Request(1, "x")).rule, "r");
    EXPECT_EQ(b.Decide(kC2s, Opcode::Text, Request(1, "x")).rule, "");
    EXPECT_EQ(c.Decide(kC2s, Opcode::Text, Request(1, "x")).rule, "");
    b.SetInfo({"sdk-a", "/task"}); // known once the client has authenticated
    EXPECT_EQ(b.Decide(kC2s, Opcode::Text, Request(2, "x")).rule, "r");
}

TEST(RulesEngine, NthAndEvery)
{
    auto s = Session(R"(rules:
  - {name: second-ping, match: {command: ping, nth: 2}, drop: true}
  - {name: every-third-pong, match: {command: pong, every: 3}, drop: true}
)");
    std::vector<std::string> pings, pongs;
    for (int i = 1; i <= 7; ++i)
    {
        pings.push_back(s.Decide(kC2s, Opcode::Text, Request(i * 2, "ping")).rule);
        pongs.push_back(s.Decide(kC2s, Opcode::Text, Request(i * 2 + 1, "pong")).rule);
    }
    EXPECT_EQ(pings, (std::vector<std::string>{"", "second-ping", "", "", "", "", ""}));
    EXPECT_EQ(pongs, (std::vector<std::string>{"", "", "every-third-pong", "", "", "every-third-pong", ""}));
}

TEST(RulesEngine, ProbabilityWithASeedRepeats)
{
    auto run = [](int seed)
    {
        auto s = Session("seed: " + std::to_string(seed) +
                         "\nrules:\n  - {name: r, match: {probability: 0.5}, drop: true}\n");
        std::vector<bool> hit;
        for (int i = 1; i <= 200; ++i)
            hit.push_back(!s.Decide(kC2s, Opcode::Text, Request(i, "x")).rule.empty());
        return hit;
    };
    auto first = run(7);
    EXPECT_EQ(first, run(7));
    EXPECT_NE(first, run(8));
    auto hits = std::count(first.begin(), first.end(), true);
    EXPECT_GT(hits, 60); // a fair coin over 200 throws; far outside these bounds means a broken draw
    EXPECT_LT(hits, 140);
}

TEST(RulesEngine, LaterRulesGetMessagesAnEarlierCountPassedOn)
{
    auto s = Session(R"(rules:
  - {name: first-only, match: {command: x, nth: 1}, drop: true}
  - {name: the-rest, match: {command: x}, delay: 10ms}
)");
    EXPECT_EQ(s.Decide(kC2s, Opcode::Text, Request(1, "x")).rule, "first-only");
    EXPECT_EQ(s.Decide(kC2s, Opcode::Text, Request(2, "x")).rule, "the-rest");
}

TEST(RulesEngine, RespondAnswersWithTheRequestSeqAndRenumbersTheEngine)
{
    auto s = Session(R"(rules:
  - {name: fail, match: {command: rrext_services}, respond: {success: false, message: injected failure}}
)");
    EXPECT_TRUE(s.Affects(kS2c)); // the engine's seq may need renumbering
    EXPECT_FALSE(s.Decide(kS2c, Opcode::Text, Response(1, 1, "auth")).replacement);
    Decision d = s.Decide(kC2s, Opcode::Text, Request(5, "rrext_services"));
    EXPECT_EQ(d.rule, "fail");
    EXPECT_EQ(d.action, ActionKind::Respond);
    EXPECT_FALSE(d.forward); // the engine never sees it
    ASSERT_EQ(d.extra.size(), 1u);
    EXPECT_EQ(d.extra[0].dir, kS2c);
    EXPECT_EQ(Json(d.extra[0].bytes), Json(R"({"seq":2,"type":"response","request_seq":5,
        "command":"rrext_services","success":false,"message":"injected failure"})"));
    // The engine's next message (its seq 2) reaches the client as 3: no duplicate seq.
    Decision next = s.Decide(kS2c, Opcode::Text, Event(2, "output"));
    ASSERT_TRUE(next.replacement);
    EXPECT_EQ(Json(*next.replacement).at("seq"), 3);
    EXPECT_EQ(Json(*next.replacement).at("event"), "output");
}

TEST(RulesEngine, EventAndDuplicateTowardTheClientTakeFreshSeqs)
{
    auto s = Session(R"(rules:
  - {name: extra-event, match: {kind: response, command: launch}, event: {event: progress, body: {pct: 50}}}
  - {name: twice, match: {event: output}, duplicate: true}
)");
    s.Decide(kC2s, Opcode::Text, Request(1, "launch"));
    Decision d = s.Decide(kS2c, Opcode::Text, Response(10, 1, "launch"));
    EXPECT_TRUE(d.forward);
    EXPECT_FALSE(d.replacement); // nothing synthesised before it: the original bytes go on
    ASSERT_EQ(d.extra.size(), 1u);
    EXPECT_EQ(Json(d.extra[0].bytes), Json(R"({"seq":11,"type":"event","event":"progress","body":{"pct":50}})"));
    Decision dup = s.Decide(kS2c, Opcode::Text, Event(11, "output"));
    ASSERT_TRUE(dup.replacement);
    EXPECT_EQ(Json(*dup.replacement).at("seq"), 12);
    ASSERT_EQ(dup.extra.size(), 1u);
    EXPECT_EQ(Json(dup.extra[0].bytes).at("seq"), 13);
    EXPECT_EQ(Json(dup.extra[0].bytes).at("event"), "output");
}

TEST(RulesEngine, DuplicateTowardTheEngineSendsTheSameBytes)
{
    auto s = Session("rules:\n  - {name: twice, match: {command: ping}, duplicate: true}\n");
    std::string ping = Request(3, "ping");
    Decision d = s.Decide(kC2s, Opcode::Text, ping);
    ASSERT_EQ(d.extra.size(), 1u);
    EXPECT_EQ(d.extra[0].dir, kC2s);
    EXPECT_EQ(d.extra[0].bytes, ping);
}

TEST(RulesEngine, SetChangesTheJsonAndKeepsABinaryPayload)
{
    auto s = Session(R"(rules:
  - name: rewrite-mime
    match: {command: rrext_process, subcommand: write, where: {"$.arguments.mimetype": "text/plain"}}
    set: {"$.arguments.mimetype": "text/x-rewritten"}
)");
    std::string json = Request(4, "rrext_process", R"({"subcommand":"write","mimetype":"text/plain"})");
    std::string binary = json + "\n\x01\x02payload";
    Decision d = s.Decide(kC2s, Opcode::Binary, binary);
    EXPECT_EQ(d.action, ActionKind::Edit);
    ASSERT_TRUE(d.replacement);
    size_t newline = d.replacement->find('\n');
    ASSERT_NE(newline, std::string::npos);
    EXPECT_EQ(Json(d.replacement->substr(0, newline)).at("arguments").at("mimetype"), "text/x-rewritten");
    EXPECT_EQ(d.replacement->substr(newline), "\n\x01\x02payload");
}

TEST(RulesEngine, FailedPatchForwardsTheOriginalAndSaysWhy)
{
    auto s = Session("rules:\n  - {name: p, patch: [{op: remove, path: /nope}]}\n");
    Decision d = s.Decide(kC2s, Opcode::Text, Request(1, "x"));
    EXPECT_EQ(d.rule, "p");
    EXPECT_TRUE(d.forward);
    EXPECT_FALSE(d.replacement);
    EXPECT_NE(d.problem.find("nothing at '/nope'"), std::string::npos) << d.problem;
}

TEST(RulesEngine, CloseDoesNotForwardAndNamesTheLegs)
{
    auto s = Session(R"(rules:
  - {name: cut, match: {kind: response, command: execute, nth: 1}, close: {code: 1011, reason: cut, leg: client}}
)");
    s.Decide(kC2s, Opcode::Text, Request(1, "execute"));
    Decision d = s.Decide(kS2c, Opcode::Text, Response(1, 1, "execute"));
    EXPECT_FALSE(d.forward);
    ASSERT_TRUE(d.close);
    EXPECT_EQ(d.close->code, 1011);
    EXPECT_EQ(d.close->reason, "cut");
    EXPECT_EQ(d.close->leg, Leg::Client);
}

TEST(RulesEngine, AffectsOnlyDirectionsARuleCanTouch)
{
    auto c2sOnly = Session("rules:\n  - {name: r, match: {dir: c2s}, delay: 1s}\n");
    EXPECT_TRUE(c2sOnly.Affects(kC2s));
    EXPECT_FALSE(c2sOnly.Affects(kS2c));
    auto events = Session("rules:\n  - {name: r, match: {event: output}, drop: true}\n");
    EXPECT_FALSE(events.Affects(kC2s));
    EXPECT_TRUE(events.Affects(kS2c));
    auto none = Session("rules: []\n");
    EXPECT_FALSE(none.Affects(kC2s));
    EXPECT_FALSE(none.Affects(kS2c));
}

TEST(RulesEngine, ReloadKeepsCountersOfRulesThatKeepTheirName)
{
    auto s = Session("rules:\n  - {name: r, match: {nth: 2}, drop: true}\n");
    EXPECT_EQ(s.Decide(kC2s, Opcode::Text, Request(1, "x")).rule, "");
    s.SetRules(std::make_shared<const RuleSet>(ParseRules("rules:\n  - {name: r, match: {nth: 2}, delay: 1s}\n")));
    Decision d = s.Decide(kC2s, Opcode::Text, Request(2, "x"));
    EXPECT_EQ(d.rule, "r");
    EXPECT_EQ(d.action, ActionKind::Delay);
}

} // namespace
} // namespace dapscope::rules
