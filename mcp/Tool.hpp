#pragma once
// What a tool and a resource are to the server (Server.hpp): a name, a description, JSON schemas and a function.
// Tools report bad arguments by throwing ArgumentError, which the server turns into a tool result with isError.

#include <boost/json.hpp>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dapscope::mcp
{

namespace json = boost::json;

// An argument a tool cannot use; what() names it: "session: no session 42 in traces.db".
class ArgumentError : public std::runtime_error
{
  public:
    ArgumentError(const std::string& argument, const std::string& problem)
        : std::runtime_error(argument + ": " + problem)
    {
    }
};

// A resource URI the server does not hold (JSON-RPC error -32002).
class ResourceNotFound : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

struct ToolAnswer
{
    json::object structured; // structuredContent, also sent as JSON text
    std::string note;        // "" or one line for the reader: how much was left out and how to get it
};

struct Tool
{
    std::string name;
    std::string title;
    std::string description;
    json::object inputSchema;
    json::object outputSchema;
    std::function<ToolAnswer(const json::object& arguments)> call;
};

struct ResourceList
{
    json::array resources;
    std::optional<std::string> nextCursor;
};

struct Resources
{
    json::array templates;                                                      // resources/templates/list
    std::function<ResourceList(const std::optional<std::string>& cursor)> list; // resources/list
    std::function<json::value(const std::string& uri)> read; // resources/read; throws ResourceNotFound
};

} // namespace dapscope::mcp
