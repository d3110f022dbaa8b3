#include "TestSupport.hpp"
#include "inspector/Redactor.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace dapscope::inspector
{
namespace
{

using namespace std::string_literals;
using test::Stored;

constexpr std::string_view Key = "sk-example-python-0000";

bool Contains(std::string_view haystack, std::string_view needle)
{
    return haystack.find(needle) != std::string_view::npos;
}

// Every string of a JSON document, keys included.
void CollectStrings(const boost::json::value& value, std::vector<std::string>& out)
{
    if (const auto* string = value.if_string())
        out.emplace_back(*string);
    if (const auto* array = value.if_array())
        for (const auto& element : *array)
            CollectStrings(element, out);
    if (const auto* object = value.if_object())
        for (const auto& member : *object)
        {
            out.emplace_back(member.key());
            CollectStrings(member.value(), out);
        }
}

// Whether `json`, once decoded, still holds `secret` anywhere.
bool DecodedContains(std::string_view json, std::string_view secret)
{
    std::vector<std::string> strings;
    CollectStrings(boost::json::parse(json), strings);
    return std::any_of(strings.begin(), strings.end(), [&](const auto& s) { return Contains(s, secret); });
}

std::string PyAuth(std::string_view escapedCredential)
{
    return R"({"type": "request", "command": "auth", "seq": 1, "arguments": {"auth": ")" +
           std::string(escapedCredential) + R"(", "clientName": "Python SDK"}})";
}

TEST(Markers, FormatAndKnownDigest)
{
    // SHA-256("abc") = ba7816bf 8f01cfea ...
    EXPECT_EQ(Fingerprint("abc"), "ba7816bf");
    EXPECT_EQ(RedactionMarker("abc"), "[redacted:ba7816bf]");
    EXPECT_EQ(MarkerFingerprint("[redacted:ba7816bf]"), "ba7816bf");
}

TEST(Markers, StableAndDistinct)
{
    EXPECT_EQ(RedactionMarker(Key), RedactionMarker(std::string(Key)));
    EXPECT_NE(RedactionMarker(Key), RedactionMarker("sk-example-python-0001"));
    EXPECT_NE(RedactionMarker(""), RedactionMarker(" "));
}

TEST(Markers, RecognisesOnlyWellFormedMarkers)
{
    EXPECT_FALSE(MarkerFingerprint("[redacted:BA7816BF]"));
    EXPECT_FALSE(MarkerFingerprint("[redacted:ba7816b]"));
    EXPECT_FALSE(MarkerFingerprint("[redacted:ba7816bf"));
    EXPECT_FALSE(MarkerFingerprint("x[redacted:ba7816bf]"));
    EXPECT_FALSE(MarkerFingerprint(""));
}

TEST(RedactionRules, ValidRules)
{
    for (std::string_view rule : {"$.arguments.pipeline.config.key", "$..password", "$['arguments']['auth']",
                                  "$[\"a\"][0]", "$.list[*]", "$.*", "$..*", "$.list[-1]", "$..[0]", "$.a.b-c_d$"})
        EXPECT_NO_THROW(ValidateRedactionRule(rule)) << rule;
}

TEST(RedactionRules, InvalidRulesExplainWhy)
{
    for (std::string_view rule : {"", "arguments.auth", "$", "$.", "$..", "$[", "$['x", "$['x'", "$[abc]", "$.a b",
                                  "$x", "$[1", "$.a[]", "$[99999999999999999999]"})
    {
        try
        {
            ValidateRedactionRule(rule);
            ADD_FAILURE() << "accepted: " << rule;
        }
        catch (const JsonPathError& e)
        {
            EXPECT_NE(std::string(e.what()).find(" at offset "), std::string::npos) << rule << ": " << e.what();
        }
    }
}

TEST(Redaction, AuthCredentialPythonStyleKeepsFormatting)
{
    test::Session session;
    const std::string wire = PyAuth(Key);
    const FeedResult result = session.Send(wire);
    ASSERT_TRUE(result.message.redactedBytes);
    std::string expected = wire;
    expected.replace(expected.find(Key), Key.size(), RedactionMarker(Key));
    EXPECT_EQ(*result.message.redactedBytes, expected);
    EXPECT_EQ(result.message.envelope.command, "auth");
}

TEST(Redaction, AuthCredentialWithPythonUnicodeEscapes)
{
    // Python's ensure_ascii writes "pässwörd-1234" as p\u00e4ssw\u00f6rd-1234.
    test::Session session;
    const std::string wire = PyAuth(R"(p\u00e4ssw\u00f6rd-1234)");
    const std::string redacted = Stored(session.Send(wire), wire);
    EXPECT_FALSE(Contains(redacted, R"(p\u00e4ssw\u00f6rd-1234)"));
    EXPECT_FALSE(DecodedContains(redacted, "pässwörd-1234"));
    EXPECT_TRUE(Contains(redacted, RedactionMarker("pässwörd-1234")));
    EXPECT_TRUE(Contains(redacted, R"("clientName": "Python SDK")")); // formatting kept

    // The same secret later in compact raw UTF-8 and in Python's escaped form.
    const std::string compact = R"({"type":"event","seq":2,"event":"output","body":{"output":"pw=pässwörd-1234"}})";
    EXPECT_FALSE(Contains(Stored(session.Receive(compact), compact), "pässwörd-1234"));
    const std::string escaped =
        R"({"type": "event", "seq": 3, "event": "output", "body": {"output": "p\u00e4ssw\u00f6rd-1234"}})";
    EXPECT_FALSE(DecodedContains(Stored(session.Receive(escaped), escaped), "pässwörd-1234"));
}

TEST(Redaction, AuthCredentialCompact)
{
    test::Session session;
    const std::string wire =
        R"({"type":"request","command":"auth","seq":1,"arguments":{"auth":"sk-example-ts-0000","clientName":"TypeScript SDK"}})";
    const FeedResult result = session.Send(wire);
    ASSERT_TRUE(result.message.redactedBytes);
    EXPECT_FALSE(Contains(*result.message.redactedBytes, "sk-example-ts-0000"));
    EXPECT_TRUE(Contains(*result.message.redactedBytes,
                         R"("auth":")" + RedactionMarker("sk-example-ts-0000") + R"(","clientName")"));
}

TEST(Redaction, ExoticEscapingFallsBackToReserialisation)
{
    test::Session session;
    // \u0073 is "s": no textual spelling we search for matches, so the document is re-serialised.
    const std::string wire =
        R"({"type":"request","command":"auth","seq":1,"arguments":{"auth":"\u0073k-exotic-0000"}})";
    const std::string redacted = Stored(session.Send(wire), wire);
    EXPECT_FALSE(DecodedContains(redacted, "sk-exotic-0000"));
    EXPECT_FALSE(Contains(redacted, "k-exotic-0000"));
    EXPECT_TRUE(Contains(redacted, RedactionMarker("sk-exotic-0000")));

    const std::string later =
        R"({"type":"event","seq":1,"event":"output","body":{"output":"key \u0073k-exotic-0000!"}})";
    const std::string laterStored = Stored(session.Receive(later), later);
    EXPECT_FALSE(DecodedContains(laterStored, "sk-exotic-0000"));
    EXPECT_TRUE(DecodedContains(laterStored, "key " + RedactionMarker("sk-exotic-0000") + "!"));
}

TEST(Redaction, SecretWithQuotesAndBackslashes)
{
    test::Session session;
    const std::string wire = R"({"type":"request","command":"auth","seq":1,"arguments":{"auth":"a\"b\\c-1234"}})";
    const std::string redacted = Stored(session.Send(wire), wire);
    EXPECT_FALSE(DecodedContains(redacted, "a\"b\\c-1234"));
    EXPECT_FALSE(Contains(redacted, R"(a\"b\\c-1234)"));
}

TEST(Redaction, AuthResponseUserTokenGetsTheSameMarker)
{
    test::Session session;
    session.Send(PyAuth(Key));
    const std::string wire =
        R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":")"s +
        std::string(Key) + R"(","userId":"local"}})";
    const FeedResult result = session.Receive(wire);
    ASSERT_TRUE(result.message.redactedBytes);
    EXPECT_EQ(*result.message.redactedBytes,
              R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":")" +
                  RedactionMarker(Key) + R"(","userId":"local"}})");
}

TEST(Redaction, UserTokenDifferentFromKeyIsLearnedToo)
{
    test::Session session;
    session.Send(PyAuth(Key));
    session.Receive(
        R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":"rr_user_token_1"}})");
    const std::string later =
        R"({"type":"request","seq":2,"command":"auth","arguments":{"auth":"x","note":"rr_user_token_1"}})";
    const std::string stored = Stored(session.Send(later), later);
    EXPECT_FALSE(Contains(stored, "rr_user_token_1"));
}

TEST(Redaction, AccountEventUserToken)
{
    test::Session session;
    const std::string wire =
        R"({"type":"event","seq":4,"event":"apaext_account","body":{"userToken":"rr_account_tok","userId":"u"}})";
    const FeedResult result = session.Receive(wire);
    ASSERT_TRUE(result.message.redactedBytes);
    EXPECT_FALSE(Contains(*result.message.redactedBytes, "rr_account_tok"));
    EXPECT_TRUE(Contains(*result.message.redactedBytes, RedactionMarker("rr_account_tok")));
}

TEST(Redaction, UserTokenInOtherEventsIsNotADefaultSecret)
{
    test::Session session;
    const std::string wire = R"({"type":"event","seq":4,"event":"output","body":{"userToken":"not-a-default"}})";
    EXPECT_FALSE(session.Receive(wire).message.redactedBytes);
}

TEST(Redaction, ExecuteEnvCredentials)
{
    for (std::string_view command : {"execute", "launch", "restart"})
    {
        test::Session session;
        const std::string wire =
            R"({"type": "request", "seq": 7, "command": ")" + std::string(command) +
            R"(", "arguments": {"pipeline": {"source": "webhook_1"}, "env": {"ROCKETRIDE_APIKEY": "env-api-key-1", "ROCKETRIDE_URI": "http://localhost:5565", "my_token": "env-token-2", "DB_Password": "env-pass-3", "clientSecret": "env-secret-4"}}})";
        const FeedResult result = session.Send(wire);
        ASSERT_TRUE(result.message.redactedBytes) << command;
        const std::string& stored = *result.message.redactedBytes;
        for (std::string_view secret : {"env-api-key-1", "env-token-2", "env-pass-3", "env-secret-4"})
        {
            EXPECT_FALSE(Contains(stored, secret)) << command << " " << secret;
            EXPECT_TRUE(Contains(stored, RedactionMarker(secret))) << command << " " << secret;
        }
        EXPECT_TRUE(Contains(stored, R"("ROCKETRIDE_URI": "http://localhost:5565")")) << command;
    }
}

TEST(Redaction, EnvOfOtherCommandsIsNotTouched)
{
    test::Session session;
    const std::string wire =
        R"({"type":"request","seq":7,"command":"rrext_validate","arguments":{"env":{"API_KEY":"visible-1"}}})";
    EXPECT_FALSE(session.Send(wire).message.redactedBytes);
}

TEST(Redaction, TaskTokensAreNotSecretsByDefault)
{
    test::Session session;
    const std::string wire =
        R"({"type":"response","seq":3,"request_seq":2,"command":"execute","success":true,"body":{"id":"5d41402a.w","token":"tk_5d41402abc","publicToken":"pk_7d79"}})";
    session.Send(R"({"type":"request","seq":2,"command":"execute","arguments":{}})");
    EXPECT_FALSE(session.Receive(wire).message.redactedBytes);
}

TEST(Redaction, KnownSecretScrubbedFromLaterMessages)
{
    test::Session session;
    session.Send(PyAuth(Key));
    const std::string notes =
        R"({"type":"event","seq":9,"event":"apaevt_status_update","body":{"notes":["curl -H 'Authorization: )"s +
        std::string(Key) + R"(' http://x"],"__id":"5d41402a.w"}})";
    const FeedResult result = session.Receive(notes);
    ASSERT_TRUE(result.message.redactedBytes);
    EXPECT_FALSE(Contains(*result.message.redactedBytes, Key));
    EXPECT_TRUE(Contains(*result.message.redactedBytes, "Authorization: " + RedactionMarker(Key) + "'"));
    EXPECT_EQ(result.message.task, "5d41402a.w"); // decoding is unaffected

    const std::string clean = R"({"type":"event","seq":10,"event":"output","body":{"output":"nothing secret"}})";
    EXPECT_FALSE(session.Receive(clean).message.redactedBytes);
}

TEST(Redaction, KnownSecretInDecodedFields)
{
    test::Session session;
    session.Send(PyAuth(Key));
    const std::string failure =
        R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":false,"message":"Invalid API key )"s +
        std::string(Key) + R"("})";
    const FeedResult result = session.Receive(failure);
    EXPECT_EQ(result.message.envelope.message, "Invalid API key " + RedactionMarker(Key));
    EXPECT_EQ(session.inspector.Facts().authMessage, "Invalid API key " + RedactionMarker(Key));
}

TEST(Redaction, BinaryPayloadAndHeaderAreScrubbedSeparately)
{
    test::Session session;
    session.Send(PyAuth(Key));
    const std::string header =
        R"({"type": "request", "seq": 5, "command": "rrext_process", "arguments": {"subcommand": "write", "pipe_id": 0, "note": ")"s +
        std::string(Key) + R"("}})";
    const std::string payload = "raw \x00\xff bytes "s + std::string(Key) + "\nmore";
    const std::string wire = header + "\n" + payload;
    const FeedResult result = session.Feed(test::C2S, wire, Opcode::Binary);
    ASSERT_TRUE(result.message.redactedBytes);
    const std::string& stored = *result.message.redactedBytes;
    EXPECT_FALSE(Contains(stored, Key));
    const size_t split = stored.find('\n');
    EXPECT_EQ(stored.substr(split + 1), "raw \x00\xff bytes "s + RedactionMarker(Key) + "\nmore");
    EXPECT_TRUE(Contains(stored.substr(0, split), R"("note": ")" + RedactionMarker(Key) + "\""));
    EXPECT_EQ(result.message.envelope.payloadSize, payload.size()); // sizes describe the wire message
}

TEST(Redaction, ScrubKnownSecretsInStreamedChunks)
{
    test::Session session;
    std::string chunk = "prefix " + std::string(Key) + " middle " + std::string(Key);
    EXPECT_FALSE(session.inspector.ScrubKnownSecrets(chunk)); // nothing learned yet
    session.Send(PyAuth(Key));
    EXPECT_TRUE(session.inspector.ScrubKnownSecrets(chunk));
    EXPECT_EQ(chunk, "prefix " + RedactionMarker(Key) + " middle " + RedactionMarker(Key));
    std::string clean = "no secrets here";
    EXPECT_FALSE(session.inspector.ScrubKnownSecrets(clean));
    EXPECT_EQ(clean, "no secrets here");
}

TEST(Redaction, TruncatedMessageEndingInsideASecret)
{
    test::Session session;
    session.Send(PyAuth(Key));
    const std::string prefix = R"({"type":"event","seq":2,"event":"output","body":{"output":"sk-example-py)";
    const FeedResult result =
        session.inspector.Feed(99, WireMessage{test::S2C, Opcode::Text, 0, 0, prefix, prefix.size() + 100, true});
    EXPECT_EQ(result.message.envelope.kind, Kind::Malformed);
    ASSERT_TRUE(result.message.redactedBytes);
    EXPECT_FALSE(Contains(*result.message.redactedBytes, "sk-example-py"));
}

TEST(Redaction, ShortSecretsAreRedactedButNotScrubbedEverywhere)
{
    test::Session session;
    const std::string wire = R"({"type":"request","command":"auth","seq":1,"arguments":{"auth":"abc"}})";
    const std::string stored = Stored(session.Send(wire), wire);
    EXPECT_FALSE(DecodedContains(stored, "abc"));
    const std::string later = R"({"type":"event","seq":1,"event":"output","body":{"output":"abc"}})";
    EXPECT_FALSE(session.Receive(later).message.redactedBytes);
}

TEST(Redaction, BearerPrefixedCredentialAlsoHidesTheBareKey)
{
    test::Session session;
    session.Send(R"({"type":"request","command":"auth","seq":1,"arguments":{"auth":"Bearer sk-bearer-0000"}})");
    const std::string later =
        R"({"type":"response","seq":1,"request_seq":1,"command":"auth","success":true,"body":{"userToken":"x","echo":"sk-bearer-0000"}})";
    EXPECT_FALSE(Contains(Stored(session.Receive(later), later), "sk-bearer-0000"));
}

TEST(Redaction, AlreadyRedactedValuesAreLeftAlone)
{
    test::Session session;
    const std::string wire =
        R"({"type":"request","command":"auth","seq":1,"arguments":{"auth":"[redacted:0123abcd]"}})";
    EXPECT_FALSE(session.Send(wire).message.redactedBytes);
}

TEST(Redaction, DisabledPolicyRedactsNothing)
{
    test::Session session(RedactionPolicy{false, {"$..token"}});
    const std::string auth = PyAuth(Key);
    const FeedResult result = session.Send(auth);
    EXPECT_FALSE(result.message.redactedBytes);
    const std::string write = R"({"type":"request","seq":2,"command":"x","arguments":{"token":"tk_abc"}})";
    const FeedResult second = session.Send(write);
    EXPECT_FALSE(second.message.redactedBytes);
    EXPECT_EQ(second.message.envelope.token, "tk_abc");
    std::string chunk(Key);
    EXPECT_FALSE(session.inspector.ScrubKnownSecrets(chunk));
    EXPECT_EQ(chunk, Key);
}

TEST(UserRules, MemberPathRedactsStringAndDecodedField)
{
    test::Session session(RedactionPolicy{true, {"$.arguments.token"}});
    const std::string wire =
        R"({"type": "request", "seq": 2, "command": "terminate", "arguments": {"token": "tk_secret_1"}})";
    const FeedResult result = session.Send(wire);
    ASSERT_TRUE(result.message.redactedBytes);
    EXPECT_EQ(*result.message.redactedBytes,
              R"({"type": "request", "seq": 2, "command": "terminate", "arguments": {"token": ")" +
                  RedactionMarker("tk_secret_1") + R"("}})");
    EXPECT_EQ(result.message.envelope.token, RedactionMarker("tk_secret_1"));
}

TEST(UserRules, LinkingStillUsesTheRealToken)
{
    test::Session session(RedactionPolicy{true, {"$..token"}});
    session.Send(R"({"type":"request","seq":1,"command":"execute","arguments":{}})");
    session.Receive(
        R"({"type":"response","seq":1,"request_seq":1,"command":"execute","success":true,"body":{"id":"11112222.src","token":"tk_1111222233334444"}})");
    const std::string wire =
        R"({"type":"request","seq":2,"command":"terminate","arguments":{"token":"tk_1111222233334444"}})";
    const FeedResult result = session.Send(wire);
    EXPECT_EQ(result.message.task, "11112222.src");
    EXPECT_FALSE(Contains(Stored(result, wire), "tk_1111222233334444"));
}

TEST(UserRules, RecursiveDescentFindsEveryDepth)
{
    test::Session session(RedactionPolicy{true, {"$..password"}});
    const std::string wire =
        R"({"type":"request","seq":1,"command":"x","arguments":{"password":"pw-one-1","nested":[{"password":"pw-two-2"},{"deep":{"password":"pw-three-3"}}]}})";
    const std::string stored = Stored(session.Send(wire), wire);
    for (std::string_view secret : {"pw-one-1", "pw-two-2", "pw-three-3"})
        EXPECT_TRUE(Contains(stored, RedactionMarker(secret))) << secret;
}

TEST(UserRules, BracketsIndexesAndWildcards)
{
    const std::string wire =
        R"({"type":"request","seq":1,"command":"x","arguments":{"list":["a-000","b-111","c-222"],"map":{"k1":"v-111","k2":"v-222"}}})";
    struct RuleCase
    {
        std::string rule;                  // the user rule
        std::vector<std::string> redacted; // values replaced
        std::vector<std::string> kept;     // values left as they are
    };
    const std::vector<RuleCase> cases = {
        {"$['arguments']['list'][1]", {"b-111"}, {"a-000", "c-222", "v-111"}},
        {"$.arguments.list[-1]", {"c-222"}, {"a-000", "b-111"}},
        {"$.arguments.list[*]", {"a-000", "b-111", "c-222"}, {"v-111", "v-222"}},
        {"$.arguments.map.*", {"v-111", "v-222"}, {"a-000"}},
        {"$[\"arguments\"].map['k2']", {"v-222"}, {"v-111"}},
        {"$..[0]", {"a-000"}, {"b-111"}},
        {"$.arguments.list[7]", {}, {"a-000", "b-111", "c-222"}},
    };
    for (const auto& c : cases)
    {
        test::Session session(RedactionPolicy{true, {c.rule}});
        const std::string stored = Stored(session.Send(wire), wire);
        for (const auto& value : c.redacted)
            EXPECT_FALSE(Contains(stored, value)) << c.rule << " " << value;
        for (const auto& value : c.kept)
            EXPECT_TRUE(Contains(stored, value)) << c.rule << " " << value;
    }
}

TEST(UserRules, NonStringValueIsSerialisedThenFingerprinted)
{
    test::Session session(RedactionPolicy{true, {"$.arguments.pipeline.config"}});
    const std::string wire =
        R"({"type": "request", "seq": 1, "command": "execute", "arguments": {"pipeline": {"config": {"key": "cfg-secret-1", "n": 5}}}})";
    const FeedResult result = session.Send(wire);
    ASSERT_TRUE(result.message.redactedBytes);
    const auto redacted = boost::json::parse(*result.message.redactedBytes);
    EXPECT_EQ(redacted.at_pointer("/arguments/pipeline/config").as_string(),
              RedactionMarker(R"({"key":"cfg-secret-1","n":5})"));
    EXPECT_FALSE(Contains(*result.message.redactedBytes, "cfg-secret-1"));
    EXPECT_EQ(result.message.envelope.command, "execute");
}

TEST(UserRules, OverlappingMatchesOfContainersAndTheirContents)
{
    test::Session session(RedactionPolicy{true, {"$..*", "$.arguments", "$..a"}});
    const std::string wire = R"({"type":"request","seq":1,"command":"x","arguments":{"a":{"a":["deep-secret"]}}})";
    const FeedResult result = session.Send(wire);
    ASSERT_TRUE(result.message.redactedBytes);
    EXPECT_FALSE(Contains(*result.message.redactedBytes, "deep-secret"));
    EXPECT_NO_THROW(boost::json::parse(*result.message.redactedBytes));
}

TEST(UserRules, MatchedValueBecomesAKnownSecret)
{
    test::Session session(RedactionPolicy{true, {"$.arguments.pipeline.config.key"}});
    session.Send(
        R"({"type":"request","seq":1,"command":"execute","arguments":{"pipeline":{"config":{"key":"cfg-key-77"}}}})");
    const std::string later = R"({"type":"event","seq":1,"event":"output","body":{"output":"using cfg-key-77"}})";
    EXPECT_FALSE(Contains(Stored(session.Receive(later), later), "cfg-key-77"));
}

TEST(UserRules, SecretOutsideAStringKeepsTheJsonValid)
{
    test::Session session(RedactionPolicy{true, {"$..pin"}});
    session.Send(R"({"type":"request","seq":1,"command":"x","arguments":{"pin":"1234"}})");
    const std::string later =
        R"({"type": "response", "seq": 1234, "request_seq": 1, "command": "x", "body": {"note": "pin 1234"}})";
    const FeedResult result = session.Receive(later);
    ASSERT_TRUE(result.message.redactedBytes);
    const auto stored = boost::json::parse(*result.message.redactedBytes); // still JSON
    EXPECT_EQ(stored.at("seq").as_int64(), 1234);
    EXPECT_EQ(stored.at_pointer("/body/note").as_string(), "pin " + RedactionMarker("1234"));
}

TEST(UserRules, InvalidRulesAreIgnored)
{
    test::Session session(RedactionPolicy{true, {"not a rule", "$[", "$..password"}});
    const std::string wire = R"({"type":"request","seq":1,"command":"x","arguments":{"password":"pw-valid-1"}})";
    EXPECT_FALSE(Contains(Stored(session.Send(wire), wire), "pw-valid-1"));
}

} // namespace
} // namespace dapscope::inspector
