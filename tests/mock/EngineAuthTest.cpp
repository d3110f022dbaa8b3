// Authentication gate of the mock engine (PROTOCOL §4): who gets in, what closes the socket, public commands.

#include "EngineTestUtil.hpp"

namespace dapscope::mock::test
{
namespace
{

void ExpectError(const Frame& response, std::string_view message, std::string_view file, int64_t line)
{
    EXPECT_FALSE(response.Success()) << response.raw;
    EXPECT_EQ(response.Str("message"), message) << response.raw;
    EXPECT_FALSE(response.HasBody()) << response.raw;
    ASSERT_TRUE(response.json.contains("trace")) << response.raw;
    EXPECT_EQ(response.json.at("trace").at("file").as_string(), file);
    EXPECT_EQ(response.json.at("trace").at("lineno").as_int64(), line);
}

TEST(EngineAuth, AnyNonEmptyKeyIsAcceptedWithoutApiKey)
{
    EngineState state;
    TestClient client(state);
    const Frame response = client.Auth("sk-anything");
    EXPECT_TRUE(response.Success());
    EXPECT_FALSE(client.Last().close);
    EXPECT_EQ(response.Int("seq"), 1);
    EXPECT_EQ(response.Int("request_seq"), 1);
    EXPECT_EQ(response.Body().at("userToken"), "sk-anything");
    EXPECT_EQ(response.Body().at("userId"), "local");
    EXPECT_EQ(response.Body().at("capabilities"), boost::json::array{"oss"});
    EXPECT_TRUE(client.Connection().Authenticated());
    const Frame pong = client.Request("rrext_ping");
    EXPECT_TRUE(pong.Success());
    EXPECT_EQ(pong.raw, R"({"type":"response","seq":2,"request_seq":2,"command":"rrext_ping","success":true,)"
                        R"("body":{"pong":true}})");
}

TEST(EngineAuth, BadKeyIsRefusedAndTheSocketCloses)
{
    EngineState state;
    TestClient client(state);
    ExpectError(client.Auth("bad-key"), "Invalid API key", "task_conn.py", 311);
    EXPECT_TRUE(client.Last().close);
    EXPECT_EQ(client.Last().closeCode, 1000);
    EXPECT_FALSE(client.Connection().Authenticated());
    // The engine discards frames after it decided to close.
    EXPECT_TRUE(client.Call("rrext_ping").empty());
}

TEST(EngineAuth, ConfiguredApiKeyMustMatchAfterStrippingBearer)
{
    EngineState state;
    EngineOptions options;
    options.apiKey = "secret";
    TestClient wrong(state, options);
    ExpectError(wrong.Auth("not-secret"), "Invalid API key", "task_conn.py", 311);
    EXPECT_TRUE(wrong.Last().close);

    TestClient right(state, options);
    const Frame response = right.Auth("Bearer secret");
    EXPECT_TRUE(response.Success());
    EXPECT_EQ(response.Body().at("userToken"), "secret");
    EXPECT_FALSE(right.Last().close);
}

TEST(EngineAuth, EmptyCredentialIsRefused)
{
    EngineState state;
    TestClient client(state);
    ExpectError(client.Request("auth", {{"auth", ""}}), "No authorization provided", "task_conn.py", 311);
    EXPECT_TRUE(client.Last().close);
}

TEST(EngineAuth, SixthAuthOnOneSocketIsRefused)
{
    EngineState state;
    TestClient client(state);
    for (int i = 0; i < 5; ++i)
    {
        EXPECT_TRUE(client.Auth().Success()) << i;
        EXPECT_FALSE(client.Last().close);
    }
    ExpectError(client.Auth(), "Too many authentication attempts", "task_conn.py", 286);
    EXPECT_TRUE(client.Last().close);
}

TEST(EngineAuth, CommandBeforeAuthGetsNotAuthenticatedThenClose)
{
    EngineState state;
    TestClient client(state);
    const auto frames = client.Call("execute", {{"pipeline", EchoPipeline()}});
    ASSERT_EQ(frames.size(), 1u);
    ExpectError(frames[0], "Not authenticated", "task_conn.py", 264);
    EXPECT_EQ(frames[0].Str("command"), "execute");
    EXPECT_TRUE(client.Last().close);
    EXPECT_TRUE(client.Call("auth", {{"auth", "sk-test"}}).empty()); // nothing answered any more
    EXPECT_FALSE(client.Last().close);                               // and the close is reported once
    EXPECT_FALSE(client.Connection().TakePending().close);
}

TEST(EngineAuth, ClientEventBeforeAuthAlsoCloses)
{
    EngineState state;
    TestClient client(state);
    const auto frames = client.SendRaw(false, R"({"type":"event","seq":1,"event":"hello"})");
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].Str("message"), "Not authenticated");
    EXPECT_TRUE(client.Last().close);
}

TEST(EngineAuth, PublicCommandsWorkWithoutAuth)
{
    EngineState state;
    TestClient client(state);
    const Frame probe = client.Request("rrext_public_probe");
    EXPECT_TRUE(probe.Success());
    EXPECT_EQ(probe.Body().at("capabilities"), boost::json::array{"oss"});
    EXPECT_FALSE(client.Last().close);
    const Frame catalog = client.Request("rrext_public_catalog", {{"limit", 500}});
    EXPECT_EQ(catalog.Body().at("limit"), 100);
    ExpectError(client.Request("rrext_public_nothing"), "Invalid command: rrext_public_nothing", "task_conn.py", 575);
    EXPECT_FALSE(client.Last().close);
}

TEST(EngineAuth, DeauthFallsBackToPublicOnly)
{
    EngineState state;
    TestClient client(state);
    client.Auth();
    const Frame deauth = client.Request("deauth");
    EXPECT_TRUE(deauth.Success());
    EXPECT_EQ(deauth.Body(), boost::json::object());
    EXPECT_FALSE(client.Last().close);
    EXPECT_TRUE(client.Request("rrext_public_probe").Success());
    EXPECT_EQ(client.Request("rrext_ping").Str("message"), "Not authenticated");
    EXPECT_TRUE(client.Last().close);
}

TEST(EngineAuth, MalformedJsonIsDroppedSilently)
{
    EngineState state;
    TestClient client(state);
    EXPECT_TRUE(client.SendRaw(false, "{not json").empty());
    EXPECT_TRUE(client.SendRaw(true, "[1,2]\nbytes").empty());
    EXPECT_FALSE(client.Last().close);
    // No seq was spent on the dropped frames.
    EXPECT_EQ(client.Auth().Int("seq"), 1);
}

TEST(EngineAuth, TaskTokensPinTheSocket)
{
    EngineState state;
    TestClient owner(state);
    owner.Auth();
    const Frame executed = owner.Request("execute", {{"pipeline", EchoPipeline()}});
    const std::string token(executed.Body().at("token").as_string());
    const std::string publicToken(executed.Body().at("publicToken").as_string());

    TestClient pinned(state);
    EXPECT_EQ(pinned.Auth(token).Body().at("userToken").as_string(), token);
    // No token argument needed: the socket is pinned to its task.
    const Frame status = pinned.Request("rrext_get_task_status");
    EXPECT_TRUE(status.Success()) << status.raw;
    EXPECT_EQ(status.Body().at("state"), 3);

    TestClient webhook(state);
    EXPECT_TRUE(webhook.Auth(publicToken).Success());
    ExpectError(webhook.Request("rrext_get_task_status"), "Permission 'task.monitor' denied", "task_conn.py", 386);
    const Frame open = webhook.Request(
        "rrext_process", {{"subcommand", "open"}, {"object", {{"name", "a.txt"}}}, {"mimeType", "text/plain"}});
    EXPECT_TRUE(open.Success()) << open.raw;

    TestClient stale(state);
    ExpectError(stale.Auth("tk_00000000000000000000000000000000"), "Bad request", "task_conn.py", 311);
    EXPECT_TRUE(stale.Last().close);
}

} // namespace
} // namespace dapscope::mock::test
