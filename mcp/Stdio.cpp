#include "Stdio.hpp"

#include "Server.hpp"

#include <string>

namespace dapscope::mcp
{

void ServeStdio(Server& server, std::istream& in, std::FILE* out)
{
    std::string line;
    // A last line cut off by the end of input is answered like any other (a parse error if it is not JSON); the
    // answer may find nobody, which ends the loop too.
    while (std::getline(in, line))
    {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos)
            continue;
        std::optional<std::string> answer = server.HandleLine(line);
        if (!answer)
            continue;
        answer->push_back('\n');
        if (std::fwrite(answer->data(), 1, answer->size(), out) != answer->size() || std::fflush(out) != 0)
            return;
    }
}

} // namespace dapscope::mcp
