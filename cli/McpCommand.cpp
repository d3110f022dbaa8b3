// `dapscope mcp`: the trace store as a Model Context Protocol server on stdin/stdout, for AI coding agents.

#include "Commands.hpp"
#include "dapscope/Version.hpp"
#include "mcp/Server.hpp"
#include "mcp/Stdio.hpp"
#include "mcp/StoreTools.hpp"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

namespace dapscope::cli
{

namespace
{
struct McpArgs
{
    std::string db;
};

int RunMcp(const McpArgs& args)
{
    // A client that goes away makes writes fail; they end the loop instead of the process.
    std::signal(SIGPIPE, SIG_IGN);
    try
    {
        storage::TraceReader reader(args.db);
        mcp::Store store{reader, args.db};
        mcp::Server server({"dapscope", kVersion, mcp::StoreInstructions()}, mcp::StoreTools(store),
                           mcp::StoreResources(store));
        std::fprintf(stderr, "dapscope mcp: serving %s on stdio (MCP, read-only)\n", args.db.c_str());
        mcp::ServeStdio(server, std::cin, stdout);
        return kExitOk;
    }
    catch (const std::exception& e)
    {
        return FailStore(args.db, e);
    }
}
} // namespace

void AddMcpCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<McpArgs>();
    CLI::App* command = app.add_subcommand(
        "mcp", "Serve the trace store to AI agents as a Model Context Protocol server on stdin/stdout (read-only)");
    AddDbOption(*command, args->db);
    command->footer(
        "Speaks MCP (JSON-RPC 2.0, one message per line) on stdin/stdout; logs go to stderr. An MCP client starts it "
        "itself; register it in the client's configuration, e.g.:\n"
        "  {\"mcpServers\": {\"dapscope\": {\"command\": \"dapscope\", \"args\": [\"mcp\", \"--db\", "
        "\"/path/to/traces.db\"]}}}\n"
        "Tools: list_sessions, session_summary, failures, list_messages, get_message, task_timeline, search, diff.\n"
        "Resources: dapscope://session/{id}, dapscope://message/{id}. See docs/mcp.md.");
    command->callback([&run, args] { run = [args] { return RunMcp(*args); }; });
}

} // namespace dapscope::cli
