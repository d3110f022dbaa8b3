#pragma once
// An MCP server without I/O: the lifecycle (initialize with version negotiation, ping), tools/list and
// tools/call, resources/list, resources/templates/list and resources/read. It takes one line from the client and
// gives the line to answer, if any. The tools and resources it serves are given to it (StoreTools.hpp).

#include "Protocol.hpp"
#include "Tool.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::mcp
{

// Protocol revisions this server speaks, newest first. A client asking for another one gets the newest.
inline constexpr const char* kProtocolVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

struct ServerInfo
{
    std::string name;
    std::string version;
    std::string instructions; // what the server is for, shown to the model
};

class Server
{
  public:
    Server(ServerInfo info, std::vector<Tool> tools, Resources resources);

    // The answer to one line from the client (a JSON-RPC response), or nullopt for notifications and responses.
    std::optional<std::string> HandleLine(std::string_view line);
    // The protocol version agreed in initialize ("" before it).
    const std::string& ProtocolVersion() const { return m_version; }

  private:
    json::value Dispatch(const Incoming& request);
    json::value Initialize(const json::object& params);
    json::value ListTools() const;
    json::value CallTool(const json::object& params);
    json::value ListResources(const json::object& params);
    json::value ReadResource(const json::object& params);

    ServerInfo m_info;
    std::vector<Tool> m_tools;
    Resources m_resources;
    std::string m_version;
};

} // namespace dapscope::mcp
