#include "Protocol.hpp"

namespace dapscope::mcp
{

Incoming ParseMessage(std::string_view line, json::value& badId)
{
    badId = nullptr;
    boost::system::error_code error;
    json::value message = json::parse(line, error);
    if (error)
        throw RpcError(kParseError, "Parse error: not JSON (" + error.message() + ")");
    if (message.is_array())
        throw RpcError(kInvalidRequest, "Invalid Request: batches are not supported, send one message per line");
    json::object* object = message.if_object();
    if (!object)
        throw RpcError(kInvalidRequest, "Invalid Request: a JSON-RPC message is an object");
    const json::value* id = object->if_contains("id");
    bool validId = id && (id->is_string() || id->is_int64() || id->is_uint64());
    if (validId)
        badId = *id;
    const json::value* version = object->if_contains("jsonrpc");
    if (!version || !version->is_string() || version->get_string() != "2.0")
        throw RpcError(kInvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\"");

    Incoming incoming;
    const json::value* method = object->if_contains("method");
    if (!method)
    {
        if (object->contains("result") || object->contains("error"))
        {
            incoming.type = Incoming::Type::Response;
            return incoming;
        }
        throw RpcError(kInvalidRequest, "Invalid Request: no \"method\"");
    }
    if (!method->is_string())
        throw RpcError(kInvalidRequest, "Invalid Request: \"method\" must be a string");
    incoming.method = std::string(method->get_string());
    if (id && !validId)
        throw RpcError(kInvalidRequest, "Invalid Request: \"id\" must be a string or an integer");
    incoming.type = id ? Incoming::Type::Request : Incoming::Type::Notification;
    if (id)
        incoming.id = *id;
    if (const json::value* params = object->if_contains("params"))
    {
        if (!params->is_object())
            throw RpcError(kInvalidParams, "Invalid params: \"params\" must be an object");
        incoming.params = params->get_object();
    }
    return incoming;
}

std::string ResultLine(const json::value& id, json::value result)
{
    return json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

std::string ErrorLine(const json::value& id, int code, const std::string& message)
{
    return json::serialize(
        json::object{{"jsonrpc", "2.0"}, {"id", id}, {"error", json::object{{"code", code}, {"message", message}}}});
}

} // namespace dapscope::mcp
