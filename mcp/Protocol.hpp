#pragma once
// JSON-RPC 2.0 as MCP uses it (one message per line on stdio): reading a line into a message, and writing
// results and errors. Pure: no I/O.

#include <boost/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dapscope::mcp
{

namespace json = boost::json;

// JSON-RPC and MCP error codes.
enum RpcCode : int
{
    kParseError = -32700,
    kInvalidRequest = -32600,
    kMethodNotFound = -32601,
    kInvalidParams = -32602,
    kInternalError = -32603,
    kResourceNotFound = -32002, // MCP: resources/read of an unknown URI
};

// A request that gets an error response instead of a result.
class RpcError : public std::runtime_error
{
  public:
    RpcError(int code, const std::string& message) : std::runtime_error(message), m_code(code) {}
    int Code() const { return m_code; }

  private:
    int m_code;
};

// One message read from the client.
struct Incoming
{
    enum class Type
    {
        Request,      // method and id: answered
        Notification, // method, no id: never answered
        Response,     // result or error for a request of ours (the server sends none): ignored
    };
    Type type = Type::Request;
    json::value id; // string or number (requests)
    std::string method;
    json::object params;
};

// Reads one line. Throws RpcError (kParseError, kInvalidRequest, kInvalidParams) with the id to answer in `badId`
// (null when the line has none or is not JSON).
Incoming ParseMessage(std::string_view line, json::value& badId);

std::string ResultLine(const json::value& id, json::value result);
std::string ErrorLine(const json::value& id, int code, const std::string& message);

} // namespace dapscope::mcp
