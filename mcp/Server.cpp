#include "Server.hpp"

#include <algorithm>

namespace dapscope::mcp
{

namespace
{
// A params member that must be a string when present.
std::optional<std::string> StringParam(const json::object& params, std::string_view name)
{
    const json::value* value = params.if_contains(name);
    if (!value || value->is_null())
        return std::nullopt;
    if (!value->is_string())
        throw RpcError(kInvalidParams, "Invalid params: \"" + std::string(name) + "\" must be a string");
    return std::string(value->get_string());
}

json::object TextContent(std::string text)
{
    return json::object{{"type", "text"}, {"text", std::move(text)}};
}
} // namespace

Server::Server(ServerInfo info, std::vector<Tool> tools, Resources resources)
    : m_info(std::move(info)), m_tools(std::move(tools)), m_resources(std::move(resources))
{
}

std::optional<std::string> Server::HandleLine(std::string_view line)
{
    json::value badId;
    Incoming incoming;
    try
    {
        incoming = ParseMessage(line, badId);
    }
    catch (const RpcError& e)
    {
        return ErrorLine(badId, e.Code(), e.what());
    }
    if (incoming.type != Incoming::Type::Request)
        return std::nullopt; // notifications (initialized, cancelled) need nothing; we never send requests
    try
    {
        return ResultLine(incoming.id, Dispatch(incoming));
    }
    catch (const RpcError& e)
    {
        return ErrorLine(incoming.id, e.Code(), e.what());
    }
    catch (const std::exception& e)
    {
        return ErrorLine(incoming.id, kInternalError, std::string("Internal error: ") + e.what());
    }
}

json::value Server::Dispatch(const Incoming& request)
{
    const std::string& method = request.method;
    if (method == "initialize")
        return Initialize(request.params);
    if (method == "ping")
        return json::object{};
    if (method == "tools/list")
        return ListTools();
    if (method == "tools/call")
        return CallTool(request.params);
    if (method == "resources/list")
        return ListResources(request.params);
    if (method == "resources/templates/list")
        return json::object{{"resourceTemplates", m_resources.templates}};
    if (method == "resources/read")
        return ReadResource(request.params);
    throw RpcError(kMethodNotFound, "Method not found: " + method);
}

json::value Server::Initialize(const json::object& params)
{
    std::optional<std::string> asked = StringParam(params, "protocolVersion");
    m_version = kProtocolVersions[0];
    for (const char* version : kProtocolVersions)
        if (asked && *asked == version)
            m_version = version;
    return json::object{
        {"protocolVersion", m_version},
        {"capabilities", json::object{{"tools", json::object{{"listChanged", false}}},
                                      {"resources", json::object{{"listChanged", false}, {"subscribe", false}}}}},
        {"serverInfo", json::object{{"name", m_info.name}, {"version", m_info.version}}},
        {"instructions", m_info.instructions},
    };
}

json::value Server::ListTools() const
{
    json::array tools;
    for (const Tool& tool : m_tools)
        tools.push_back(json::object{{"name", tool.name},
                                     {"title", tool.title},
                                     {"description", tool.description},
                                     {"inputSchema", tool.inputSchema},
                                     {"outputSchema", tool.outputSchema},
                                     {"annotations", json::object{{"readOnlyHint", true},
                                                                  {"destructiveHint", false},
                                                                  {"idempotentHint", true},
                                                                  {"openWorldHint", false}}}});
    return json::object{{"tools", std::move(tools)}};
}

json::value Server::CallTool(const json::object& params)
{
    std::optional<std::string> name = StringParam(params, "name");
    if (!name)
        throw RpcError(kInvalidParams, "Invalid params: tools/call needs \"name\"");
    auto tool = std::find_if(m_tools.begin(), m_tools.end(), [&](const Tool& t) { return t.name == *name; });
    if (tool == m_tools.end())
        throw RpcError(kInvalidParams, "Unknown tool: " + *name);
    json::object arguments;
    if (const json::value* given = params.if_contains("arguments"); given && !given->is_null())
    {
        if (!given->is_object())
            throw RpcError(kInvalidParams, "Invalid params: \"arguments\" must be an object");
        arguments = given->get_object();
    }
    // Problems of the call itself go back to the model as a tool result it can read and correct (MCP: tool
    // execution errors), not as protocol errors.
    try
    {
        ToolAnswer answer = tool->call(arguments);
        json::array content{TextContent(json::serialize(answer.structured))};
        if (!answer.note.empty())
            content.push_back(TextContent(answer.note));
        return json::object{
            {"content", std::move(content)}, {"structuredContent", std::move(answer.structured)}, {"isError", false}};
    }
    catch (const ArgumentError& e)
    {
        return json::object{{"content", json::array{TextContent(e.what())}}, {"isError", true}};
    }
    catch (const std::exception& e)
    {
        return json::object{{"content", json::array{TextContent(std::string("error: ") + e.what())}},
                            {"isError", true}};
    }
}

json::value Server::ListResources(const json::object& params)
{
    ResourceList list;
    try
    {
        list = m_resources.list(StringParam(params, "cursor"));
    }
    catch (const ArgumentError& e)
    {
        throw RpcError(kInvalidParams, std::string("Invalid params: ") + e.what());
    }
    json::object result{{"resources", std::move(list.resources)}};
    if (list.nextCursor)
        result["nextCursor"] = *list.nextCursor;
    return result;
}

json::value Server::ReadResource(const json::object& params)
{
    std::optional<std::string> uri = StringParam(params, "uri");
    if (!uri)
        throw RpcError(kInvalidParams, "Invalid params: resources/read needs \"uri\"");
    try
    {
        json::value contents = m_resources.read(*uri);
        return json::object{{"contents", json::array{json::object{
                                             {"uri", *uri},
                                             {"mimeType", "application/json"},
                                             {"text", json::serialize(contents)},
                                         }}}};
    }
    catch (const ResourceNotFound& e)
    {
        throw RpcError(kResourceNotFound, std::string("Resource not found: ") + e.what());
    }
}

} // namespace dapscope::mcp
