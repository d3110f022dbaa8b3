#pragma once
// MCP's stdio transport: newline-delimited JSON-RPC messages read from one stream and answered on another,
// until the input ends. Nothing else is written to `out` (logs go to stderr).

#include <cstdio>
#include <istream>

namespace dapscope::mcp
{

class Server;

// Serves until `in` ends (the client closed it) or `out` cannot be written (the client went away).
void ServeStdio(Server& server, std::istream& in, std::FILE* out);

} // namespace dapscope::mcp
