// Odd input never throws and never goes unanswered: every request that decodes gets exactly one response.

#include "EngineTestUtil.hpp"

namespace dapscope::mock::test
{
namespace
{

TEST(EngineRobustness, OddArgumentsGetOneResponseEach)
{
    EngineState state;
    TestClient client(state);
    client.Auth();
    const std::string token(client.Request("execute", {{"pipeline", EchoPipeline()}}).Body().at("token").as_string());
    const char* odd[] = {
        R"({"type":"request","seq":"x","command":"rrext_ping","arguments":[]})",
        R"({"type":"request","seq":2,"command":"rrext_monitor","arguments":{"token":"*","types":{"a":1}}})",
        R"({"type":"request","seq":3,"command":"rrext_monitor","arguments":{"projectId":5,"source":null,"types":7}})",
        R"({"type":"request","seq":4,"command":"rrext_process","arguments":{"subcommand":"write","pipe_id":"0"}})",
        R"({"type":"request","seq":5,"command":"rrext_store","arguments":{"subcommand":"fs_read","handle":[1]}})",
        R"({"type":"request","seq":6,"command":"rrext_store","arguments":{"subcommand":"fs_open","path":7}})",
        R"({"type":"request","seq":7,"command":"execute","arguments":{"pipeline":{"components":"nope"}}})",
        R"({"type":"request","seq":8,"command":"execute","arguments":{"pipeline":{"components":[1,{"id":"s"}],"source":"s"}}})",
        R"({"type":"request","seq":9,"command":"rrext_validate","arguments":{"pipeline":[]}})",
        R"({"type":"request","seq":10,"command":"rrext_store","arguments":{"subcommand":"fs_list_dir","path":"a/../../b"}})",
        R"({"type":"request","seq":11,"command":"rrext_get_task_status","token":"tk_legacy_top_level"})",
        R"({"type":"request","seq":12,"command":"rrext_services","arguments":{"service":12}})",
    };
    for (const char* message : odd)
    {
        const auto frames = client.SendRaw(false, message);
        EXPECT_EQ(TestClient::EventsOf(frames).size() + 1, frames.size()) << message;
        const Frame response = TestClient::ResponseOf(frames);
        EXPECT_EQ(response.json.at("request_seq"), boost::json::parse(message).at("seq")) << message;
        EXPECT_FALSE(client.Last().close) << message;
    }
    // Binary write with an integer pipe id given as a double still finds the pipe.
    client.Request("rrext_process",
                   {{"subcommand", "open"}, {"object", {{"name", "a"}}}, {"mimeType", "text/plain"}, {"token", token}});
    const auto written = client.SendRaw(
        true, R"({"type":"request","seq":20,"command":"rrext_process","arguments":{"subcommand":"write",)"
              R"("pipe_id":0.0,"token":")" +
                  token + "\"}}\n");
    EXPECT_TRUE(TestClient::ResponseOf(written).Success()) << written.front().raw;
}

} // namespace
} // namespace dapscope::mock::test
