#pragma once
// Internal to mock/: the decoded request and the handler reply of EngineConnection, argument helpers and the
// engine error messages (with the trace file/line of the engine source they come from).

#include "EngineModel.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dapscope::mock
{

struct EngineConnection::Request
{
    boost::json::object message;     // the decoded message, without arguments.data
    boost::json::object args;        // message.arguments ({} when absent or not an object)
    std::string type;                // message.type
    std::string command;             // message.command ("" when absent)
    std::optional<std::string> data; // binary payload, or a string arguments.data of a text frame
};

struct EngineConnection::Reply
{
    std::optional<boost::json::object> body;  // success body; nullopt = no "body" member
    std::optional<std::string> binaryPayload; // fs_read: send a binary frame `header\n payload`, "arguments":{}
    bool close = false;                       // close the socket after the response
    std::vector<std::pair<std::string, boost::json::object>> after; // events to this socket after the response
    std::string afterId;                                            // body.__id of the `after` events
};

// [SECTION] Argument helpers (the engine's args.get(key, default) with type checks)

inline std::string ArgString(const boost::json::object& args, std::string_view key, std::string fallback = {})
{
    const auto* value = args.if_contains(key);
    if (value && value->is_string())
        return std::string(value->get_string());
    return fallback;
}

inline std::optional<int64_t> ArgInt(const boost::json::object& args, std::string_view key)
{
    const auto* value = args.if_contains(key);
    if (!value)
        return std::nullopt;
    if (value->is_int64())
        return value->get_int64();
    if (value->is_uint64() && value->get_uint64() <= static_cast<uint64_t>(INT64_MAX))
        return static_cast<int64_t>(value->get_uint64());
    if (value->is_double() && value->get_double() == static_cast<double>(static_cast<int64_t>(value->get_double())))
        return static_cast<int64_t>(value->get_double());
    return std::nullopt;
}

inline bool ArgBool(const boost::json::object& args, std::string_view key, bool fallback = false)
{
    const auto* value = args.if_contains(key);
    return value && value->is_bool() ? value->get_bool() : fallback;
}

// True if the member exists and is not null (Python `args.get(key) is not None`).
inline bool ArgPresent(const boost::json::object& args, std::string_view key)
{
    const auto* value = args.if_contains(key);
    return value && !value->is_null();
}

// Text of a JSON value as the engine would put it into a key or message (strings unquoted).
inline std::string ValueText(const boost::json::value& value)
{
    if (value.is_string())
        return std::string(value.get_string());
    if (value.is_null())
        return "None";
    return SerializeJson(value);
}

// [SECTION] Engine errors

inline EngineError NotRunningError()
{
    return {"Your pipeline is not running", "task_server.py", 674};
}

inline EngineError TokenRequiredError()
{
    return {"Task token is required", "task_server.py", 670};
}

inline EngineError PermissionError(std::string_view permission)
{
    return {"Permission '" + std::string(permission) + "' denied", "task_conn.py", 386};
}

// [SECTION] Catalog data (EngineCatalog.cpp)

boost::json::object AccountBody(std::string_view userToken);
boost::json::object ProbeBody();
const boost::json::object& ServiceDefinitions();
boost::json::object ValidatePipeline(const boost::json::object& pipeline, std::string_view source);

// Source component id of a pipeline: explicit, pipeline.source, else the one component in Source mode.
std::string ResolveSource(const boost::json::object& pipeline, std::string_view explicitSource);
const boost::json::object* FindComponent(const boost::json::object& pipeline, std::string_view id);

} // namespace dapscope::mock
