// `dapscope stats`: latency and failure statistics per command, counts per event.

#include "Commands.hpp"
#include "Format.hpp"
#include "inspector/Envelope.hpp"

#include <memory>

namespace dapscope::cli
{

namespace
{
struct StatsArgs
{
    std::string db;
    std::vector<int64_t> sessions;
    bool json = false;
};

int RunStats(const StatsArgs& args)
{
    try
    {
        storage::TraceReader reader(args.db);
        for (int64_t id : args.sessions)
            if (!reader.Session(id))
                return Fail("no session " + std::to_string(id) + " in " + args.db);
        storage::TraceStats stats = reader.Stats(args.sessions);
        if (args.json)
        {
            for (const auto& c : stats.commands)
                PrintJsonLine(CommandStatsJson(c));
            for (const auto& e : stats.events)
                PrintJsonLine(boost::json::object{{"event", e.event}, {"count", e.count}});
            for (const auto& r : stats.rules)
                PrintJsonLine(boost::json::object{{"rule", r.rule}, {"action", r.action}, {"count", r.count}});
            PrintJsonLine(boost::json::object{
                {"orphans", stats.orphans}, {"unanswered", stats.unanswered}, {"malformed", stats.malformed}});
            return kExitOk;
        }
        Palette c(stdout);
        std::printf("%s%-28s %7s %8s %10s %10s %10s %10s %10s%s\n", c.bold, "COMMAND", "COUNT", "FAILED", "UNANSWERED",
                    "P50", "P95", "P99", "MAX", c.reset);
        for (const auto& s : stats.commands)
            std::printf("%-28s %7lld %s%8lld%s %10lld %10s %10s %10s %10s\n",
                        inspector::EscapeForTerminal(s.command, 28).c_str(), static_cast<long long>(s.count),
                        s.failures ? c.red : "", static_cast<long long>(s.failures), c.reset,
                        static_cast<long long>(s.unanswered), HumanDuration(int64_t(s.p50Ms * 1e6)).c_str(),
                        HumanDuration(int64_t(s.p95Ms * 1e6)).c_str(), HumanDuration(int64_t(s.p99Ms * 1e6)).c_str(),
                        HumanDuration(int64_t(s.maxMs * 1e6)).c_str());
        if (!stats.events.empty())
        {
            std::printf("\n%s%-28s %7s%s\n", c.bold, "EVENT", "COUNT", c.reset);
            for (const auto& e : stats.events)
                std::printf("%-28s %7lld\n", inspector::EscapeForTerminal(e.event, 28).c_str(),
                            static_cast<long long>(e.count));
        }
        if (!stats.rules.empty())
        {
            std::printf("\n%s%-28s %-34s %7s%s\n", c.bold, "RULE", "ACTION", "COUNT", c.reset);
            for (const auto& r : stats.rules)
                std::printf("%-28s %-34s %7lld\n",
                            inspector::EscapeForTerminal(r.rule.empty() ? "(dapscope)" : r.rule, 28).c_str(),
                            inspector::EscapeForTerminal(r.action, 34).c_str(), static_cast<long long>(r.count));
        }
        std::printf("\n%sorphan responses: %lld   unanswered requests: %lld   malformed messages: %lld%s\n", c.dim,
                    static_cast<long long>(stats.orphans), static_cast<long long>(stats.unanswered),
                    static_cast<long long>(stats.malformed), c.reset);
        return kExitOk;
    }
    catch (const std::exception& e)
    {
        return FailStore(args.db, e);
    }
}
} // namespace

void AddStatsCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<StatsArgs>();
    CLI::App* command = app.add_subcommand("stats", "Per-command latency percentiles and failures, per-event counts");
    command->add_option("SESSION", args->sessions, "Sessions to include (default: all)");
    AddDbOption(*command, args->db);
    command->add_flag("--json", args->json, "One JSON object per command / event and line");
    command->callback([&run, args] { run = [args] { return RunStats(*args); }; });
}

} // namespace dapscope::cli
