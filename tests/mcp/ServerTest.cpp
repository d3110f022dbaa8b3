// The MCP server without I/O: JSON-RPC framing, version negotiation, tools/call's errors, stdio's loop.

#include "mcp/Server.hpp"
#include "mcp/Stdio.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

using namespace dapscope::mcp;

namespace
{
// A server with one tool, `echo`, that answers {"said": text} and refuses a text of "bad".
Server MakeServer()
{
    Tool echo{"echo",
              "Echo",
              "Says its text back",
              json::object{{"type", "object"}},
              json::object{{"type", "object"}},
              [](const json::object& arguments)
              {
                  const json::value* text = arguments.if_contains("text");
                  if (!text || !text->is_string() || text->get_string() == "bad")
                      throw ArgumentError("text", "must be a string other than \"bad\"");
                  return ToolAnswer{json::object{{"said", *text}}, "a note"};
              }};
    Resources resources;
    resources.list = [](const std::optional<std::string>&) { return ResourceList{}; };
    resources.read = [](const std::string& uri) -> json::value
    {
        if (uri == "test://one")
            return json::object{{"one", 1}};
        throw ResourceNotFound(uri);
    };
    return Server({"test", "0.1", "for tests"}, {echo}, resources);
}

json::object Answer(Server& server, std::string_view line)
{
    std::optional<std::string> answer = server.HandleLine(line);
    EXPECT_TRUE(answer) << line;
    return answer ? json::parse(*answer).as_object() : json::object{};
}

int64_t ErrorCode(const json::object& answer)
{
    return answer.at("error").at("code").as_int64();
}
} // namespace

TEST(McpServer, NegotiatesTheProtocolVersion)
{
    Server server = MakeServer();
    json::object known = Answer(server, R"({"jsonrpc":"2.0","id":1,"method":"initialize",)"
                                        R"("params":{"protocolVersion":"2025-03-26","capabilities":{}}})");
    EXPECT_EQ(known.at("result").at("protocolVersion"), "2025-03-26");
    EXPECT_EQ(known.at("result").at("serverInfo").at("name"), "test");
    EXPECT_TRUE(known.at("result").at("capabilities").as_object().contains("tools"));
    json::object unknown = Answer(server, R"({"jsonrpc":"2.0","id":"a","method":"initialize",)"
                                          R"("params":{"protocolVersion":"1999-01-01"}})");
    EXPECT_EQ(unknown.at("id"), "a");
    EXPECT_EQ(unknown.at("result").at("protocolVersion"), kProtocolVersions[0]);
}

TEST(McpServer, MalformedLinesGetJsonRpcErrorsAndTheServerGoesOn)
{
    Server server = MakeServer();
    json::object parse = Answer(server, "{not json");
    EXPECT_EQ(ErrorCode(parse), kParseError);
    EXPECT_TRUE(parse.at("id").is_null());
    EXPECT_EQ(ErrorCode(Answer(server, R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])")), kInvalidRequest);
    EXPECT_EQ(ErrorCode(Answer(server, R"({"jsonrpc":"1.0","id":1,"method":"ping"})")), kInvalidRequest);
    EXPECT_EQ(ErrorCode(Answer(server, R"({"jsonrpc":"2.0","id":{},"method":"ping"})")), kInvalidRequest);
    EXPECT_EQ(ErrorCode(Answer(server, R"({"jsonrpc":"2.0","id":5,"method":"ping","params":[1]})")), kInvalidParams);
    json::object unknownMethod = Answer(server, R"({"jsonrpc":"2.0","id":6,"method":"nope"})");
    EXPECT_EQ(ErrorCode(unknownMethod), kMethodNotFound);
    EXPECT_EQ(unknownMethod.at("id"), 6);
    EXPECT_EQ(Answer(server, R"({"jsonrpc":"2.0","id":7,"method":"ping"})").at("result"), json::object{});
}

TEST(McpServer, NotificationsAndResponsesAreNotAnswered)
{
    Server server = MakeServer();
    EXPECT_FALSE(server.HandleLine(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
    EXPECT_FALSE(server.HandleLine(R"({"jsonrpc":"2.0","id":3,"result":{}})"));
}

TEST(McpServer, CallsAToolWithStructuredContentAndText)
{
    Server server = MakeServer();
    json::object listed = Answer(server, R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
    const json::object& tool = listed.at("result").at("tools").at(0).as_object();
    EXPECT_EQ(tool.at("name"), "echo");
    EXPECT_TRUE(tool.contains("outputSchema"));
    EXPECT_EQ(tool.at("annotations").at("readOnlyHint"), true);

    json::object called = Answer(
        server, R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}})");
    const json::object& result = called.at("result").as_object();
    EXPECT_EQ(result.at("isError"), false);
    EXPECT_EQ(result.at("structuredContent"), (json::object{{"said", "hi"}}));
    EXPECT_EQ(json::parse(result.at("content").at(0).at("text").as_string()), result.at("structuredContent"));
    EXPECT_EQ(result.at("content").at(1).at("text"), "a note");
}

TEST(McpServer, UnknownToolIsAProtocolErrorBadArgumentsAToolError)
{
    Server server = MakeServer();
    json::object unknown =
        Answer(server, R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"rm","arguments":{}}})");
    EXPECT_EQ(ErrorCode(unknown), kInvalidParams);
    EXPECT_NE(unknown.at("error").at("message").as_string().find("rm"), std::string::npos);

    json::object bad =
        Answer(server,
               R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"bad"}}})");
    EXPECT_EQ(bad.at("result").at("isError"), true);
    EXPECT_EQ(bad.at("result").at("content").at(0).at("text").as_string().subview(0, 5), "text:");
    EXPECT_FALSE(bad.at("result").as_object().contains("structuredContent"));

    EXPECT_EQ(ErrorCode(Answer(server, R"({"jsonrpc":"2.0","id":3,"method":"tools/call",)"
                                       R"("params":{"name":"echo","arguments":[1]}})")),
              kInvalidParams);
}

TEST(McpServer, ReadsResourcesAndRefusesUnknownOnes)
{
    Server server = MakeServer();
    json::object read =
        Answer(server, R"({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"test://one"}})");
    const json::object& contents = read.at("result").at("contents").at(0).as_object();
    EXPECT_EQ(contents.at("uri"), "test://one");
    EXPECT_EQ(contents.at("mimeType"), "application/json");
    EXPECT_EQ(json::parse(contents.at("text").as_string()), (json::object{{"one", 1}}));
    EXPECT_EQ(ErrorCode(Answer(server,
                               R"({"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"test://two"}})")),
              kResourceNotFound);
}

TEST(McpStdio, AnswersEachLineAndEndsWithTheInputEvenMidMessage)
{
    Server server = MakeServer();
    std::istringstream in("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n\n   \n"
                          "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
                          "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"pi");
    std::FILE* out = std::tmpfile();
    ASSERT_NE(out, nullptr);
    ServeStdio(server, in, out);
    std::rewind(out);
    std::string written;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, out)) > 0;)
        written.append(buffer, n);
    std::fclose(out);
    std::istringstream lines(written);
    std::string first, second, third;
    ASSERT_TRUE(std::getline(lines, first));
    ASSERT_TRUE(std::getline(lines, second));
    EXPECT_FALSE(std::getline(lines, third));
    EXPECT_EQ(json::parse(first).at("id"), 1);
    EXPECT_EQ(json::parse(second).at("error").at("code"), kParseError); // the cut-off request
}
