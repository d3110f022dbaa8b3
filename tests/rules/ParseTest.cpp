// Reading rules files: the contract's example, every match key, and refusals with line and column.

#include "rules/RuleParser.hpp"

#include <gtest/gtest.h>

namespace dapscope::rules
{
namespace
{

using inspector::Direction;
using inspector::Kind;

// The example of issue 12, verbatim.
constexpr const char* kContract = R"(rules:
  - name: slow-writes
    match: {dir: c2s, command: rrext_process, subcommand: write}
    delay: 2s
  - name: services-fail
    match: {command: rrext_services}
    respond: {success: false, message: "injected failure"}
  - name: lose-ping-answer
    match: {kind: response, command: rrext_ping}
    drop: true
  - name: cut-after-execute
    match: {kind: response, command: execute, nth: 1}
    close: {code: 1011, reason: "rule cut-after-execute"}
  - name: rewrite-mime
    match: {command: rrext_process, subcommand: write, where: {"$.arguments.mimetype": "text/plain"}}
    set: {"$.arguments.mimetype": "text/x-rewritten"}
)";

// Expect ParseRules(text) to refuse with this position and a message containing `part`.
void ExpectRefused(const std::string& text, int line, int column, const std::string& part)
{
    try
    {
        ParseRules(text);
        ADD_FAILURE() << "accepted: " << text;
    }
    catch (const RuleError& e)
    {
        EXPECT_EQ(e.line, line) << e.what();
        EXPECT_EQ(e.column, column) << e.what();
        EXPECT_NE(e.message.find(part), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).rfind(std::to_string(line) + ":" + std::to_string(column) + ": ", 0), 0u);
    }
}

TEST(RulesParse, ContractExample)
{
    RuleSet set = ParseRules(kContract);
    ASSERT_EQ(set.rules.size(), 5u);
    const Rule& slow = set.rules[0];
    EXPECT_EQ(slow.name, "slow-writes");
    EXPECT_EQ(slow.line, 2);
    EXPECT_EQ(slow.match.dir, Direction::ClientToServer);
    EXPECT_EQ(slow.match.command, "rrext_process");
    EXPECT_EQ(slow.match.subcommand, "write");
    EXPECT_EQ(slow.action, ActionKind::Delay);
    EXPECT_EQ(slow.delayMs, 2000);

    const Rule& fail = set.rules[1];
    EXPECT_EQ(fail.action, ActionKind::Respond);
    EXPECT_EQ(fail.match.kind, Kind::Request); // respond answers requests only
    EXPECT_EQ(fail.respond.at("success"), false);
    EXPECT_EQ(fail.respond.at("message"), "injected failure");

    EXPECT_EQ(set.rules[2].action, ActionKind::Drop);
    EXPECT_EQ(set.rules[2].match.kind, Kind::Response);

    const Rule& cut = set.rules[3];
    EXPECT_EQ(cut.action, ActionKind::Close);
    EXPECT_EQ(cut.match.nth, 1);
    EXPECT_EQ(cut.close.code, 1011);
    EXPECT_EQ(cut.close.reason, "rule cut-after-execute");
    EXPECT_EQ(cut.close.leg, Leg::Both);

    const Rule& mime = set.rules[4];
    EXPECT_EQ(mime.action, ActionKind::Edit);
    ASSERT_EQ(mime.match.where.size(), 1u);
    EXPECT_EQ(mime.match.where[0].pathText, "$.arguments.mimetype");
    EXPECT_EQ(*mime.match.where[0].equals, "text/plain");
    ASSERT_EQ(mime.edit.set.size(), 1u);
    EXPECT_EQ(mime.edit.set[0].second, "text/x-rewritten");
}

TEST(RulesParse, ConditionsCountsAndSeed)
{
    RuleSet set = ParseRules(R"(seed: 42
rules:
  - name: r
    match:
      kind: event
      event: output
      client: my-client
      path: /task/service
      every: 3
      probability: 0.25
      where:
        "$.body.n": {gt: 1, le: 5.5}
        "$.body.text": {regex: "^err"}
        "$.body.flag": {exists: false}
        "$.body.count": 7
        "$.body.quoted": "7"
    duplicate: true
)");
    EXPECT_EQ(set.seed, 42u);
    const Match& m = set.rules[0].match;
    EXPECT_EQ(m.kind, Kind::Event);
    EXPECT_EQ(m.event, "output");
    EXPECT_EQ(m.client, "my-client");
    EXPECT_EQ(m.path, "/task/service");
    EXPECT_EQ(m.every, 3);
    EXPECT_EQ(m.probability, 0.25);
    ASSERT_EQ(m.where.size(), 5u);
    EXPECT_EQ(m.where[0].gt, 1.0);
    EXPECT_EQ(m.where[0].le, 5.5);
    EXPECT_TRUE(m.where[1].regex.has_value());
    EXPECT_EQ(m.where[2].exists, false);
    EXPECT_TRUE(m.where[3].equals->is_int64());  // a plain 7 is a number...
    EXPECT_TRUE(m.where[4].equals->is_string()); // ...a quoted one is text
}

TEST(RulesParse, ActionsOfEveryKind)
{
    RuleSet set = ParseRules(R"(rules:
  - {name: a, delay: 1.5s}
  - {name: b, delay: 250ms}
  - {name: c, delay: 1m}
  - {name: d, close: {code: 4000, reason: bye, leg: engine}}
  - {name: e, close: }
  - {name: f, event: {event: progress, body: {pct: 50}}}
  - {name: g, remove: ["$.arguments.token", "$..secret"]}
  - {name: h, set: {"$.x": 1}, remove: "$.y"}
  - name: i
    patch:
      - {op: add, path: /arguments/extra, value: [1, 2]}
      - {op: move, from: /a, path: /b}
      - {op: test, path: "/a~1b", value: null}
)");
    ASSERT_EQ(set.rules.size(), 9u);
    EXPECT_EQ(set.rules[0].delayMs, 1500);
    EXPECT_EQ(set.rules[1].delayMs, 250);
    EXPECT_EQ(set.rules[2].delayMs, 60000);
    EXPECT_EQ(set.rules[3].close.code, 4000);
    EXPECT_EQ(set.rules[3].close.leg, Leg::Engine);
    EXPECT_EQ(set.rules[4].close.code, 1000); // close: with nothing is a normal close of both legs
    EXPECT_EQ(set.rules[5].event.at("event"), "progress");
    EXPECT_EQ(set.rules[6].edit.remove.size(), 2u);
    EXPECT_EQ(set.rules[7].edit.set.size(), 1u); // set and remove together are one edit
    EXPECT_EQ(set.rules[7].edit.remove.size(), 1u);
    ASSERT_EQ(set.rules[8].edit.patch.size(), 3u);
    EXPECT_EQ(set.rules[8].edit.patch[0].value, boost::json::parse("[1,2]"));
    EXPECT_TRUE(set.rules[8].edit.patch[2].value.is_null());
}

TEST(RulesParse, SyntaxErrorGivesLineAndColumn)
{
    // The flow mapping on line 3 is never closed.
    ExpectRefused("rules:\n  - name: x\n    match: {dir: c2s\n    drop: true\n", 4, 9, "");
}

TEST(RulesParse, BadRulesAreRefusedWhereTheyAre)
{
    ExpectRefused("rules:\n  - name: x\n    delya: 2s\n", 3, 5, "unknown key 'delya'");
    ExpectRefused("rules:\n  - name: x\n    match: {dir: up}\n    drop: true\n", 3, 18, "dir must be c2s");
    ExpectRefused("rules:\n  - name: x\n    delay: soon\n", 3, 12, "delay must be a duration");
    ExpectRefused("rules:\n  - name: x\n    match: {command: a}\n", 2, 5, "has no action");
    ExpectRefused("rules:\n  - name: x\n    drop: true\n    delay: 1s\n", 4, 5, "two actions");
    ExpectRefused("rules:\n  - {name: x, drop: true}\n  - {name: x, drop: true}\n", 3, 12, "two rules are named 'x'");
    ExpectRefused("rules:\n  - name: x\n    match: {where: {\"$.a[\": 1}}\n    drop: true\n", 3, 21, "bad JSONPath");
    ExpectRefused("rules:\n  - name: x\n    match: {where: {\"$.a\": {regex: \"(\"}}}\n    drop: true\n", 3, 36,
                  "bad regex");
    ExpectRefused("rules:\n  - name: x\n    close: {code: 1005}\n", 3, 19, "may not be sent");
    ExpectRefused("rules:\n  - name: x\n    match: {kind: event}\n    respond: {}\n", 2, 5, "requests only");
    ExpectRefused("rules:\n  - name: x\n    respond: {request_seq: 3}\n", 3, 14, "respond sets request_seq");
    ExpectRefused("rules:\n  - name: x\n    patch: [{op: jump, path: /a}]\n", 3, 18, "unknown patch op");
    ExpectRefused("rules:\n  - name: x\n    patch: [{op: add, path: a, value: 1}]\n", 3, 29, "bad JSON pointer");
    ExpectRefused("rules:\n  - name: x\n    patch: [{op: add, path: /a}]\n", 3, 13, "needs value");
    ExpectRefused("rules:\n  - name: x\n    match: {nth: 0}\n    drop: true\n", 3, 18, "whole number");
    ExpectRefused("rules:\n  - name: x\n    match: {probability: 2}\n    drop: true\n", 3, 26, "between 0 and 1");
    ExpectRefused("rules:\n  - name: x\n    match: {kind: request, dir: s2c}\n    drop: true\n", 3, 12,
                  "requests go c2s");
    ExpectRefused("rules:\n  - name: x\n    event: {body: {}}\n", 3, 12, "needs an event name");
    ExpectRefused("- a\n- b\n", 1, 1, "a mapping with a 'rules' list");
    ExpectRefused("rules: 3\n", 1, 8, "must be a list");
}

TEST(RulesParse, Durations)
{
    EXPECT_EQ(ParseDurationMs("2s"), 2000);
    EXPECT_EQ(ParseDurationMs("0.5s"), 500);
    EXPECT_EQ(ParseDurationMs("20"), 20);
    EXPECT_EQ(ParseDurationMs("20ms"), 20);
    EXPECT_FALSE(ParseDurationMs("2h"));
    EXPECT_FALSE(ParseDurationMs("-1s"));
    EXPECT_FALSE(ParseDurationMs("s"));
}

} // namespace
} // namespace dapscope::rules
