// `dapscope prune`: remove old sessions from the store.

#include "Commands.hpp"
#include "storage/Retention.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>

namespace dapscope::cli
{

namespace
{
struct PruneArgs
{
    std::string db;
    std::string before;
    std::vector<int64_t> sessions;
    int64_t maxSizeMb = 0;
    bool vacuum = false;
};

// "2026-11-01", "2026-11-01T12:30[:00]" (local time), or an age: "7d", "12h", "30m".
std::optional<int64_t> ParseBefore(const std::string& text)
{
    if (!text.empty() && (text.back() == 'd' || text.back() == 'h' || text.back() == 'm'))
    {
        char* end = nullptr;
        long long amount = std::strtoll(text.c_str(), &end, 10);
        if (end != text.c_str() + text.size() - 1 || amount < 0)
            return std::nullopt;
        int64_t unit = text.back() == 'd' ? 86400 : text.back() == 'h' ? 3600 : 60;
        auto now = std::chrono::system_clock::now().time_since_epoch();
        return std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() - amount * unit * 1'000'000'000;
    }
    std::tm local{};
    local.tm_isdst = -1;
    const char* rest = strptime(text.c_str(), "%Y-%m-%d", &local);
    if (rest && *rest == 'T')
        rest = strptime(rest + 1, "%H:%M", &local);
    if (rest && *rest == ':')
        rest = strptime(rest + 1, "%S", &local);
    if (!rest || *rest)
        return std::nullopt;
    std::time_t seconds = std::mktime(&local);
    return static_cast<int64_t>(seconds) * 1'000'000'000;
}

int RunPrune(const PruneArgs& args)
{
    int modes = !args.before.empty() + !args.sessions.empty() + (args.maxSizeMb > 0);
    if (modes != 1 && !(modes == 0 && args.vacuum))
        return Fail("give one of --before DATE, --session N..., --max-size MB (or only --vacuum)");
    try
    {
        storage::Pruner pruner(args.db);
        storage::PruneResult result;
        if (!args.before.empty())
        {
            auto before = ParseBefore(args.before);
            if (!before)
                return Fail("--before: expected a date (2026-11-01, 2026-11-01T12:30) or an age (7d, 12h, 30m)");
            result = pruner.PruneEndedBefore(*before);
        }
        else if (!args.sessions.empty())
        {
            for (int64_t id : args.sessions)
            {
                const auto state = pruner.SessionState(id);
                if (state == storage::Pruner::State::Missing)
                    return Fail("no session " + std::to_string(id) + " in " + args.db);
                if (state == storage::Pruner::State::Live)
                    return Fail("session " + std::to_string(id) + " is still live; stop its capture first");
            }
            result = pruner.Prune(args.sessions);
        }
        else if (args.maxSizeMb > 0)
            result = pruner.KeepUnder(args.maxSizeMb * 1000000);
        std::printf("removed %lld session(s), %lld message(s)\n", static_cast<long long>(result.sessions),
                    static_cast<long long>(result.messages));
        if (args.vacuum)
        {
            const int64_t used = pruner.Vacuum();
            std::printf("vacuumed: the store now uses %.1f MB\n", static_cast<double>(used) / 1e6);
        }
        return kExitOk;
    }
    catch (const std::exception& e)
    {
        return FailStore(args.db, e);
    }
}
} // namespace

void AddPruneCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<PruneArgs>();
    CLI::App* command = app.add_subcommand("prune", "Remove old sessions from the store");
    AddDbOption(*command, args->db);
    command->add_option("--before", args->before,
                        "Remove sessions that ended before this date (2026-11-01, 2026-11-01T12:30) or age (7d, 12h)");
    command->add_option("--session", args->sessions, "Remove these sessions (repeatable)");
    command->add_option("--max-size", args->maxSizeMb, "Remove the oldest ended sessions until the store is under MB")
        ->check(CLI::PositiveNumber);
    command->add_flag("--vacuum", args->vacuum,
                      "Then give the freed space back to the file system (rewrites the file)");
    command->callback([&run, args] { run = [args] { return RunPrune(*args); }; });
}

} // namespace dapscope::cli
