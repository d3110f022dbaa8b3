// EngineOptions (validation, overrides, response delay) and the Python-compatible JSON helpers.

#include "EngineTestUtil.hpp"

namespace dapscope::mock::test
{
namespace
{

TEST(EngineOptions, ValidationReportsTheFirstProblem)
{
    EXPECT_FALSE(ValidateEngineOptions({}).has_value());
    EngineOptions options;
    options.overrides = {"rrext_ping:$.body.pong=false", "execute:$.body.id=\"x\"", "rrext_store:$.body.entries[0]=1"};
    EXPECT_FALSE(ValidateEngineOptions(options).has_value());

    const auto expectError = [](std::string spec, std::string_view fragment)
    {
        EngineOptions bad;
        bad.overrides = {spec};
        const auto error = ValidateEngineOptions(bad);
        ASSERT_TRUE(error.has_value()) << spec;
        EXPECT_NE(error->find(spec), std::string::npos) << *error;
        EXPECT_NE(error->find(fragment), std::string::npos) << *error;
    };
    expectError("rrext_ping", "COMMAND:JSONPATH=JSON");
    expectError("rrext_ping:body.pong=false", "must start with '$'");
    expectError("rrext_ping:$=false", "must select a field");
    expectError("rrext_ping:$.body.pong", "expected '='");
    expectError("rrext_ping:$.body.pong=nope", "not valid JSON");
    expectError("rrext_ping:$.body[x]=1", "array index");

    EngineOptions delay;
    delay.responseDelayMs = -1;
    EXPECT_TRUE(ValidateEngineOptions(delay).has_value());
    EngineOptions burst;
    burst.burstEvents = -5;
    EXPECT_TRUE(ValidateEngineOptions(burst).has_value());
}

TEST(EngineOptions, OverrideChangesExactlyOneField)
{
    EngineState plainState;
    TestClient plain(plainState);
    EngineState changedState;
    EngineOptions options;
    options.overrides = {"rrext_ping:$.body.pong=false"};
    TestClient changed(changedState, options);

    EXPECT_EQ(plain.Auth().raw, changed.Auth().raw); // other commands untouched
    boost::json::object expected = plain.Request("rrext_ping").json;
    const Frame actual = changed.Request("rrext_ping");
    EXPECT_NE(actual.json, expected);
    expected["body"].as_object()["pong"] = false;
    EXPECT_EQ(actual.json, expected);
    EXPECT_EQ(actual.raw, R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_ping","success":true,)"
                          R"("body":{"pong":false}})");
}

TEST(EngineOptions, OverrideCreatesMissingLeavesAndReachesErrorsAndArrays)
{
    EngineState state;
    EngineOptions options;
    options.overrides = {"rrext_ping:$.body.extra.deep=[1,2]", "terminate:$.trace.lineno=1",
                         "rrext_services:$.body.services.webhook.classType[0]=\"sink\"",
                         "rrext_services:$.body.services.webhook.classType[5]=\"ignored\""};
    TestClient client(state, options);
    client.Auth();
    EXPECT_EQ(client.Request("rrext_ping").Body().at("extra"), (boost::json::object{{"deep", {1, 2}}}));
    EXPECT_EQ(client.Request("terminate", {{"token", "tk_x"}}).json.at("trace").at("lineno"), 1);
    const Frame services = client.Request("rrext_services");
    EXPECT_EQ(services.Body().at("services").at("webhook").at("classType"), (boost::json::array{"sink"}));
}

TEST(EngineOptions, ResponseDelayAppliesToTheWholeReaction)
{
    EngineState state;
    EngineOptions options;
    options.responseDelayMs = 250;
    TestClient client(state, options);
    client.Auth();
    EXPECT_EQ(client.Last().messages.at(0).delayMs, 250);
    const auto frames =
        client.Call("rrext_monitor", {{"projectId", "p"}, {"source", "s"}, {"types", {"SUMMARY", "TASK"}}});
    ASSERT_EQ(frames.size(), 3u);
    for (const auto& frame : frames)
        EXPECT_EQ(frame.delayMs, 250) << frame.raw; // events before the response keep their place

    EngineState undelayedState;
    TestClient undelayed(undelayedState);
    undelayed.Auth();
    EXPECT_EQ(undelayed.Last().messages.at(0).delayMs, 0);
}

TEST(EngineJson, PythonFloatRepr)
{
    EXPECT_EQ(PyFloatRepr(1795752440.0942712), "1795752440.0942712");
    EXPECT_EQ(PyFloatRepr(0.0), "0.0");
    EXPECT_EQ(PyFloatRepr(123.0), "123.0");
    EXPECT_EQ(PyFloatRepr(0.1), "0.1");
    EXPECT_EQ(PyFloatRepr(1e16), "1e+16");
    EXPECT_EQ(PyFloatRepr(1e15), "1000000000000000.0");
    EXPECT_EQ(PyFloatRepr(1e-5), "1e-05");
    EXPECT_EQ(PyFloatRepr(0.0001), "0.0001");
    EXPECT_EQ(PyFloatRepr(-2.5e-7), "-2.5e-07");
    EXPECT_EQ(PyFloatRepr(5e-324), "5e-324");
}

TEST(EngineJson, SerializationStyles)
{
    const auto value = boost::json::parse(R"({"b":[1,2.0,"\u00e9\n"],"a":{"x":null,"y":true}})");
    EXPECT_EQ(SerializeJson(value), "{\"b\":[1,2.0,\"\xC3\xA9\\n\"],\"a\":{\"x\":null,\"y\":true}}");
    EXPECT_EQ(SerializeJson(value, {true, true, true}), R"({"a": {"x": null, "y": true}, "b": [1, 2.0, "\u00e9\n"]})");
    EXPECT_EQ(SerializeJson(boost::json::value("\xF0\x9F\x98\x80\x7F"), {false, true, false}),
              R"("\ud83d\ude00\u007f")");
    EXPECT_EQ(SanitizeUtf8("ok\xFF\xC3"), "ok\xEF\xBF\xBD\xEF\xBF\xBD");
}

} // namespace
} // namespace dapscope::mock::test
