// `dapscope sessions`: what the store holds, one line per session.

#include "Commands.hpp"
#include "Format.hpp"
#include "inspector/Envelope.hpp"

#include <memory>

namespace dapscope::cli
{

namespace
{
struct SessionsArgs
{
    std::string db;
    bool json = false;
};

std::string Status(const storage::SessionSummary& s)
{
    if (!s.error.empty())
        return s.error;
    if (!s.endedNs)
        return "live";
    if (s.closeCode)
        return "closed " + std::to_string(*s.closeCode) + (s.closedBy.empty() ? "" : " by " + s.closedBy);
    return "closed";
}

int RunSessions(const SessionsArgs& args)
{
    try
    {
        storage::TraceReader reader(args.db);
        std::vector<storage::SessionSummary> sessions = reader.Sessions();
        if (args.json)
        {
            for (const auto& s : sessions)
                PrintJsonLine(SessionJson(s));
            return kExitOk;
        }
        Palette c(stdout);
        std::printf("%s%5s  %-19s  %9s  %-21s  %-22s  %-15s  %8s  %9s  %s%s\n", c.bold, "ID", "STARTED", "DURATION",
                    "CLIENT", "SDK", "PATH", "MESSAGES", "BYTES", "STATUS", c.reset);
        for (const auto& s : sessions)
        {
            std::string sdk = s.clientName + (s.clientVersion.empty() ? "" : " " + s.clientVersion);
            if (sdk.empty() && s.protocol == "http")
                sdk = "(http)";
            std::string duration = s.endedNs ? HumanDuration(*s.endedNs - s.startedNs) : "live";
            std::string status = Status(s);
            const char* colour = !s.error.empty() ? c.red : !s.endedNs ? c.green : "";
            std::printf("%5lld  %-19s  %9s  %-21s  %-22s  %-15s  %8lld  %9s  %s%s%s%s\n", static_cast<long long>(s.id),
                        LocalTime(s.startedNs).c_str(), duration.c_str(),
                        inspector::EscapeForTerminal(s.client, 21).c_str(),
                        inspector::EscapeForTerminal(sdk, 22).c_str(), inspector::EscapeForTerminal(s.path, 15).c_str(),
                        static_cast<long long>(s.messages), HumanBytes(s.bytes).c_str(), colour,
                        inspector::EscapeForTerminal(status, 80).c_str(), c.reset,
                        s.replayOf ? (" (replay of " + std::to_string(*s.replayOf) + ")").c_str()
                        : s.rules  ? " (with rules)"
                                   : "");
        }
        std::printf("%s%zu session(s) in %s (%s)%s\n", c.dim, sessions.size(), args.db.c_str(),
                    HumanBytes(reader.StoreBytes()).c_str(), c.reset);
        return kExitOk;
    }
    catch (const std::exception& e)
    {
        return FailStore(args.db, e);
    }
}
} // namespace

void AddSessionsCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<SessionsArgs>();
    CLI::App* command = app.add_subcommand("sessions", "List the captured sessions");
    AddDbOption(*command, args->db);
    command->add_flag("--json", args->json, "One JSON object per session and line");
    command->callback([&run, args] { run = [args] { return RunSessions(*args); }; });
}

} // namespace dapscope::cli
