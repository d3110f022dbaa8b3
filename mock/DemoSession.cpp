#include "DemoSession.hpp"

#include "DapClient.hpp"

namespace dapscope::mock
{

namespace
{
namespace json = boost::json;

class Script
{
  public:
    Script(DapClient& client, DemoReport& report) : m_client(client), m_report(report) {}

    // Send a request; the reply is checked by Expect().
    int64_t Send(const std::string& command, json::object arguments, const std::optional<std::string>& payload = {})
    {
        ++m_report.requests;
        return m_client.Send(command, std::move(arguments), payload);
    }

    // Wait for the reply to `seq`; it must succeed (or fail, when `shouldFail`).
    json::object Expect(int64_t seq, const std::string& what, bool shouldFail = false)
    {
        auto response = m_client.Wait(seq, std::chrono::seconds(15));
        if (!response)
        {
            m_report.problems.push_back(what + ": no response");
            return {};
        }
        ++m_report.answered;
        const json::value* success = response->if_contains("success");
        bool ok = !success || (success->is_bool() && success->as_bool());
        if (ok == shouldFail)
            m_report.problems.push_back(what + (shouldFail ? ": succeeded but should have failed" : ": failed"));
        else if (shouldFail)
            ++m_report.expectedFailures;
        const json::value* body = response->if_contains("body");
        return body && body->is_object() ? body->as_object() : json::object();
    }

    json::object Call(const std::string& command, json::object arguments, const std::string& what,
                      const std::optional<std::string>& payload = {})
    {
        return Expect(Send(command, std::move(arguments), payload), what);
    }

  private:
    DapClient& m_client;
    DemoReport& m_report;
};

std::string Text(const json::object& object, const char* key)
{
    const json::value* value = object.if_contains(key);
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
}
} // namespace

DemoReport RunDemoSession(const std::string& url, const std::string& apiKey)
{
    DemoReport report;
    std::unique_ptr<DapClient> client;
    try
    {
        client = DapClient::Connect(url);
    }
    catch (const net::NetError& e)
    {
        report.problems.push_back("cannot connect to " + url + ": " + e.what());
        return report;
    }
    Script script(*client, report);
    const std::string project = "8c0e41d2-demo";
    const std::string source = "webhook_1";

    script.Call("auth", {{"auth", apiKey}, {"clientName", "dapscope demo"}, {"clientVersion", "0.1.0"}}, "auth");
    // Pipelined like the SDKs do: ping and services in flight together.
    int64_t ping = script.Send("rrext_ping", {});
    int64_t services = script.Send("rrext_services", {});
    script.Expect(services, "rrext_services");
    script.Expect(ping, "rrext_ping");
    script.Call(
        "rrext_monitor",
        {{"projectId", project}, {"source", source}, {"types", json::array{"TASK", "SUMMARY", "FLOW", "OUTPUT"}}},
        "rrext_monitor (project)");

    json::object pipeline{
        {"project_id", project},
        {"source", source},
        {"components",
         json::array{
             json::object{{"id", source}, {"provider", "webhook"}, {"config", json::object{{"mode", "Source"}}}},
             json::object{{"id", "response_1"},
                          {"provider", "response"},
                          {"input", json::array{json::object{{"lane", "text"}, {"from", source}}}}}}}};
    json::object task = script.Call("execute",
                                    {{"pipeline", pipeline},
                                     {"args", json::array{}},
                                     {"name", "demo"},
                                     {"pipelineTraceLevel", "summary"},
                                     {"env", json::object{{"ROCKETRIDE_APIKEY", apiKey}, {"ROCKETRIDE_LOG", "info"}}}},
                                    "execute");
    std::string token = Text(task, "token");
    report.task = Text(task, "id");
    if (token.empty())
    {
        report.problems.push_back("execute returned no token");
        client->Close();
        return report;
    }
    script.Call("rrext_monitor", {{"token", token}, {"pipeId", 0}, {"types", json::array{"SSE"}}},
                "rrext_monitor (sse)");

    // Three files sent concurrently, each open / two binary writes / close, like send_files().
    std::vector<int64_t> opens;
    for (int i = 0; i < 3; ++i)
        opens.push_back(script.Send(
            "rrext_process", {{"subcommand", "open"},
                              {"object", json::object{{"name", "file" + std::to_string(i) + ".txt"}, {"size", 8192}}},
                              {"mimeType", "text/plain"},
                              {"provider", nullptr},
                              {"token", token}}));
    std::vector<int64_t> pipes;
    for (int64_t seq : opens)
    {
        json::object body = script.Expect(seq, "rrext_process open");
        const json::value* pipe = body.if_contains("pipe_id");
        pipes.push_back(pipe && pipe->is_int64() ? pipe->as_int64() : -1);
    }
    for (size_t i = 0; i < pipes.size(); ++i)
    {
        for (int part = 0; part < 2; ++part)
        {
            std::string chunk(4096, static_cast<char>('a' + i));
            script.Call("rrext_process", {{"subcommand", "write"}, {"pipe_id", pipes[i]}, {"token", token}},
                        "rrext_process write", chunk);
        }
        script.Call("rrext_process", {{"subcommand", "close"}, {"pipe_id", pipes[i]}, {"token", token}},
                    "rrext_process close");
    }

    // A chat: question in, answer in the close body.
    json::object chat = script.Call("rrext_process",
                                    {{"subcommand", "open"},
                                     {"object", json::object{{"name", "Question 1"}}},
                                     {"mimeType", "application/rocketride-question"},
                                     {"provider", "chat"},
                                     {"token", token}},
                                    "chat open");
    const json::value* chatPipe = chat.if_contains("pipe_id");
    int64_t chatId = chatPipe && chatPipe->is_int64() ? chatPipe->as_int64() : 0;
    std::string question = R"({"type":"question","questions":[{"text":"What does dapscope do?"}],"history":[]})";
    script.Call("rrext_process", {{"subcommand", "write"}, {"pipe_id", chatId}, {"token", token}}, "chat write",
                question);
    script.Call("rrext_process", {{"subcommand", "close"}, {"pipe_id", chatId}, {"token", token}}, "chat close");

    // Failures, as users meet them: an unknown command and a write to a pipe that is not open.
    script.Expect(script.Send("rrext_get_nodes", {}), "rrext_get_nodes", true);
    script.Expect(script.Send("rrext_process", {{"subcommand", "write"}, {"pipe_id", 99}, {"token", token}},
                              std::string("orphan bytes")),
                  "write to a closed pipe", true);

    // The user store: write a file, read it back (the read reply is a binary frame).
    json::object file =
        script.Call("rrext_store", {{"subcommand", "fs_open"}, {"path", "demo/notes.txt"}, {"mode", "w"}}, "fs_open w");
    std::string handle = Text(file, "handle");
    script.Call("rrext_store", {{"subcommand", "fs_write"}, {"handle", handle}}, "fs_write",
                std::string("dapscope was here\n"));
    script.Call("rrext_store", {{"subcommand", "fs_close"}, {"handle", handle}, {"mode", "w"}}, "fs_close");
    json::object reading =
        script.Call("rrext_store", {{"subcommand", "fs_open"}, {"path", "demo/notes.txt"}, {"mode", "r"}}, "fs_open r");
    handle = Text(reading, "handle");
    script.Call("rrext_store", {{"subcommand", "fs_read"}, {"handle", handle}, {"offset", 0}, {"length", 4194304}},
                "fs_read");
    if (client->LastPayload() != "dapscope was here\n")
        report.problems.push_back("fs_read returned other bytes than written");
    script.Call("rrext_store", {{"subcommand", "fs_close"}, {"handle", handle}, {"mode", "r"}}, "fs_close");

    script.Call("rrext_get_task_status", {{"token", token}}, "rrext_get_task_status");
    script.Call("terminate", {{"token", token}}, "terminate");
    script.Call("deauth", {}, "deauth");
    report.events = static_cast<int>(client->Events().size());
    client->Close(1000, "Disconnected by request");
    return report;
}

} // namespace dapscope::mock
