// `dapscope replay SESSION --to URI`: re-run a captured session against an engine, by meaning, and report what
// differs. Exit status 0 equivalent, 1 differs, 2 could not run: usable as a regression test in CI.

#include "Commands.hpp"
#include "Format.hpp"
#include "inspector/Envelope.hpp"
#include "replay/ClientReplay.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>

namespace dapscope::cli
{

namespace
{
struct ReplayArgs
{
    std::string db;
    int64_t session = 0;
    std::string to;
    std::string apiKey;
    std::string timing = "asap";
    double timeoutSeconds = 30;
    std::string report;
    bool allowMarkers = false;
};

// Requests listed one per row up to this many; beyond it only the ones that did not match.
constexpr size_t kFullTableRows = 100;

void PrintProgress(size_t settled, size_t total)
{
    constexpr int kWidth = 30;
    const int filled = total ? static_cast<int>(static_cast<double>(settled) / static_cast<double>(total) * kWidth) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '-');
    std::fprintf(stderr, "\rreplay [%s] %zu/%zu requests", bar.c_str(), settled, total);
    std::fflush(stderr);
}

std::string Success(const std::optional<bool>& success)
{
    return success ? (*success ? "ok" : "failed") : "-";
}

std::string Latency(const std::optional<int64_t>& ns)
{
    return ns ? HumanDuration(*ns) : "-";
}

void PrintRow(const replay::RequestResult& r, const Palette& c)
{
    using replay::RequestStatus;
    const char* colour = r.status == RequestStatus::Matched   ? c.green
                         : r.status == RequestStatus::Differs ? c.yellow
                                                              : c.red;
    std::string name = r.command + (r.subcommand.empty() ? "" : " (" + r.subcommand + ")");
    std::string detail;
    if (!r.differences.empty())
    {
        const auto& d = r.differences.front();
        detail = d.path + ": " + d.then + " -> " + d.now;
        if (r.differences.size() > 1)
            detail += " (+" + std::to_string(r.differences.size() - 1) + " more)";
    }
    if (!r.note.empty())
        detail += (detail.empty() ? "" : "; ") + r.note;
    std::printf("%5zu  %6s  %-32s  %s%-8s%s  %-16s  %-22s  %s\n", r.index, r.seq ? std::to_string(*r.seq).c_str() : "",
                inspector::EscapeForTerminal(name, 32).c_str(), colour, std::string(replay::ToString(r.status)).c_str(),
                c.reset, (Success(r.successThen) + " -> " + Success(r.successNow)).c_str(),
                (Latency(r.latencyThenNs) + " -> " + Latency(r.latencyNowNs)).c_str(),
                inspector::EscapeForTerminal(detail, 160).c_str());
}

void PrintReport(const replay::ReplayReport& report)
{
    Palette c(stdout);
    std::printf("%sreplay of session %lld against %s (timing %s)%s", c.bold, static_cast<long long>(report.session),
                report.target.c_str(), report.timing.c_str(), c.reset);
    if (report.replay)
        std::printf(", captured as session %lld", static_cast<long long>(*report.replay));
    std::printf("\n\n%5s  %6s  %-32s  %-8s  %-16s  %-22s  %s\n", "#", "seq", "request", "result", "success", "latency",
                "difference");
    const bool full = report.requests.size() <= kFullTableRows;
    for (const auto& r : report.requests)
        if (full || r.status != replay::RequestStatus::Matched)
            PrintRow(r, c);
    if (!full)
        std::printf("%s(%zu matched requests not shown; --report FILE.json lists every request)%s\n", c.dim,
                    report.Count(replay::RequestStatus::Matched), c.reset);

    int64_t eventsThen = 0;
    int64_t eventsNow = 0;
    if (!report.events.empty())
        std::printf("\n%-34s  %6s  %6s  %s\n", "event", "then", "now", "");
    for (const auto& e : report.events)
    {
        eventsThen += e.then;
        eventsNow += e.now;
        std::string delta = e.now < e.then   ? std::to_string(e.then - e.now) + " missing"
                            : e.now > e.then ? std::to_string(e.now - e.then) + " extra"
                                             : "";
        std::printf("%-34s  %6lld  %6lld  %s%s%s\n", inspector::EscapeForTerminal(e.event, 34).c_str(),
                    static_cast<long long>(e.then), static_cast<long long>(e.now), c.yellow, delta.c_str(), c.reset);
    }
    std::printf("\n%zu requests: %zu matched, %zu differ, %zu missing; events %lld then, %lld now",
                report.requests.size(), report.Count(replay::RequestStatus::Matched),
                report.Count(replay::RequestStatus::Differs), report.Count(replay::RequestStatus::Missing),
                static_cast<long long>(eventsThen), static_cast<long long>(eventsNow));
    if (report.unexpectedResponses)
        std::printf("; %lld responses to no request", static_cast<long long>(report.unexpectedResponses));
    std::printf("; %s\n", HumanDuration(report.durationNs).c_str());
    const bool same = report.outcome == replay::Outcome::Equivalent;
    std::printf("%s%s%s\n", same ? c.green : c.yellow, std::string(replay::ToString(report.outcome)).c_str(), c.reset);
}

int RunReplay(const ReplayArgs& args)
{
    auto timing = replay::ParseTiming(args.timing);
    if (!timing)
        return Fail("--timing must be asap, original or a factor for the captured gaps (e.g. 0.5)");
    replay::ClientReplayOptions options;
    options.storePath = args.db;
    options.session = args.session;
    options.to = args.to;
    options.timingLabel = args.timing;
    options.replay.timing = *timing;
    options.replay.timeoutNs = static_cast<int64_t>(args.timeoutSeconds * 1e9);
    options.replay.allowMarkers = args.allowMarkers;
    const char* envKey = std::getenv("ROCKETRIDE_APIKEY");
    options.replay.apiKey = !args.apiKey.empty() ? args.apiKey : envKey ? envKey : "";
    const bool terminal = isatty(STDERR_FILENO);
    if (terminal)
        options.progress = PrintProgress;

    replay::ReplayReport report = replay::RunClientReplay(options);
    if (terminal)
    {
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
    }
    if (!args.report.empty())
    {
        std::ofstream file(args.report, std::ios::trunc);
        file << boost::json::serialize(replay::ReportJson(report)) << '\n';
        if (!file)
            return Fail("cannot write the report to " + args.report);
    }
    if (report.outcome == replay::Outcome::CouldNotRun)
        return Fail("replay could not run: " + report.reason);
    PrintReport(report);
    return replay::ExitStatus(report.outcome);
}
} // namespace

void AddReplayCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<ReplayArgs>();
    CLI::App* command = app.add_subcommand(
        "replay", "Re-run a captured session against an engine and report what differs (exit 0 equivalent, 1 "
                  "differs, 2 could not run)");
    AddDbOption(*command, args->db);
    command->add_option("session", args->session, "Session to replay (see dapscope sessions)")->required();
    command->add_option("--to", args->to, "Engine to replay against (host[:port] or URL, as for proxy --upstream)")
        ->required();
    command->add_option("--apikey", args->apiKey,
                        "API key to use where the capture's key was redacted (default: $ROCKETRIDE_APIKEY)");
    command
        ->add_option("--timing", args->timing,
                     "asap (each request once what it depends on is answered), original (captured gaps) or a "
                     "factor for the gaps")
        ->capture_default_str();
    command->add_option("--timeout", args->timeoutSeconds, "Seconds to wait for each response")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command->add_option("--report", args->report, "Write the full report as JSON to this file");
    command->add_flag("--allow-markers", args->allowMarkers,
                      "Send redacted values nothing can replace as their markers instead of refusing to run");
    command->callback([&run, args] { run = [args] { return RunReplay(*args); }; });
}

} // namespace dapscope::cli
