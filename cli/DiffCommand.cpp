// `dapscope diff A B`: compare two captured sessions by meaning (replay/SessionDiff) and report what differs.
// A and B are session ids, `last`, or files `dapscope import` reads. Exit 0 equivalent, 1 different, 2 could not
// compare: usable in CI against a golden capture.

#include "Commands.hpp"
#include "Format.hpp"
#include "inspector/Envelope.hpp"
#include "replay/SessionDiff.hpp"
#include "storage/Import.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

namespace dapscope::cli
{

namespace
{

struct DiffArgs
{
    std::string db;
    std::string a;
    std::string b;
    std::vector<std::string> ignore;
    std::string ignoreFile;
    std::string latencyThreshold;
    std::string report;
    bool json = false;
    bool all = false;
};

// A side that cannot be read: an unknown session, an unreadable file.
class DiffInputError : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

// Files are imported into a store of their own that lives as long as the comparison.
class ScratchStores
{
  public:
    ScratchStores() = default;
    ScratchStores(const ScratchStores&) = delete;
    ScratchStores& operator=(const ScratchStores&) = delete;
    ~ScratchStores()
    {
        if (!m_dir.empty())
        {
            std::error_code ignored;
            std::filesystem::remove_all(m_dir, ignored);
        }
    }

    std::string NewStore()
    {
        if (m_dir.empty())
        {
            std::string pattern = (std::filesystem::temp_directory_path() / "dapscope-diff-XXXXXX").string();
            if (!::mkdtemp(pattern.data()))
                throw DiffInputError("cannot make a temporary folder for the imported files");
            m_dir = pattern;
        }
        return m_dir + "/" + std::to_string(++m_stores) + ".db";
    }

  private:
    std::string m_dir;
    int m_stores = 0;
};

bool IsNumber(const std::string& text)
{
    return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// One side of the comparison and a short name for it.
std::pair<replay::Recording, std::string> Load(const std::string& spec, const std::string& db, ScratchStores& scratch)
{
    std::string store = db;
    int64_t session = 0;
    std::string label;
    if (IsNumber(spec) || spec == "last")
    {
        storage::TraceReader reader(db);
        if (spec == "last")
        {
            std::vector<storage::SessionSummary> sessions = reader.Sessions();
            if (sessions.empty())
                throw DiffInputError("last: the store " + db + " holds no session");
            session = sessions.back().id;
        }
        else
            session = std::stoll(spec);
        label = "session " + std::to_string(session);
    }
    else
    {
        // FILE or FILE#N (the N-th session of the file).
        std::string file = spec;
        size_t nth = 1;
        if (size_t hash = spec.rfind('#'); hash != std::string::npos && IsNumber(spec.substr(hash + 1)))
        {
            file = spec.substr(0, hash);
            nth = std::stoul(spec.substr(hash + 1));
        }
        if (!std::filesystem::exists(file))
            throw DiffInputError(spec + ": neither a session id, `last`, nor a file");
        store = scratch.NewStore();
        storage::ImportResult imported = storage::ImportFile(store, file);
        if (nth == 0 || nth > imported.sessions.size())
            throw DiffInputError(spec + ": the file holds " + std::to_string(imported.sessions.size()) +
                                 " session(s); name one with " + file + "#N");
        session = imported.sessions[nth - 1];
        label = spec;
    }
    storage::TraceReader reader(store);
    try
    {
        return {replay::LoadRecording(reader, session), label};
    }
    catch (const replay::ReplayError& e)
    {
        throw DiffInputError(spec + ": " + e.what());
    }
}

std::vector<std::string> IgnorePatterns(const DiffArgs& args)
{
    std::vector<std::string> patterns = args.ignore;
    if (args.ignoreFile.empty())
        return patterns;
    std::ifstream file(args.ignoreFile);
    if (!file)
        throw DiffInputError("--ignore-file " + args.ignoreFile + ": cannot read it");
    for (std::string line; std::getline(file, line);)
    {
        line.erase(0, line.find_first_not_of(" \t"));
        line.erase(line.find_last_not_of(" \t\r") + 1);
        if (!line.empty() && line[0] != '#')
            patterns.push_back(line);
    }
    return patterns;
}

std::string Success(const std::optional<bool>& success)
{
    return success ? (*success ? "ok" : "failed") : "-";
}

std::string Latency(const std::optional<int64_t>& ns)
{
    return ns ? HumanDuration(*ns) : "-";
}

std::string Position(const std::optional<size_t>& position)
{
    return position ? std::to_string(*position) : "";
}

// Rows listed whole up to this many; beyond it only those that did not match (unless --all).
constexpr size_t kFullTableRows = 100;

void PrintReport(const replay::DiffReport& report, bool all)
{
    using replay::DiffStatus;
    Palette c(stdout);
    std::printf("%sA: %s    B: %s%s\n\n", c.bold, report.a.c_str(), report.b.c_str(), c.reset);
    std::printf("%5s  %5s  %-32s  %-9s  %-16s  %-22s  %s\n", "A#", "B#", "request", "result", "success A -> B",
                "latency A -> B", "difference");
    const bool full = all || report.rows.size() <= kFullTableRows;
    for (const replay::DiffRow& r : report.rows)
    {
        if (!full && r.status == DiffStatus::Matched)
            continue;
        const char* colour = r.status == DiffStatus::Matched   ? c.green
                             : r.status == DiffStatus::Differs ? c.yellow
                                                               : c.red;
        std::string name = r.command + (r.subcommand.empty() ? "" : " (" + r.subcommand + ")");
        std::string detail;
        if (!r.differences.empty())
        {
            const replay::Difference& d = r.differences.front();
            detail = d.path + ": " + d.then + " -> " + d.now;
            if (r.differences.size() > 1)
                detail += " (+" + std::to_string(r.differences.size() - 1) + " more)";
        }
        if (!r.note.empty())
            detail += (detail.empty() ? "" : "; ") + r.note;
        std::printf("%5s  %5s  %-32s  %s%-9s%s  %-16s  %-22s  %s\n", Position(r.a).c_str(), Position(r.b).c_str(),
                    inspector::EscapeForTerminal(name, 32).c_str(), colour,
                    std::string(replay::ToString(r.status)).c_str(), c.reset,
                    (Success(r.successA) + " -> " + Success(r.successB)).c_str(),
                    (Latency(r.latencyANs) + " -> " + Latency(r.latencyBNs)).c_str(),
                    inspector::EscapeForTerminal(detail, 160).c_str());
    }
    if (!full)
        std::printf("%s(%zu matched requests not shown; --all or --report FILE.json lists every one)%s\n", c.dim,
                    report.Count(DiffStatus::Matched), c.reset);

    int64_t eventsA = 0;
    int64_t eventsB = 0;
    if (!report.events.empty())
        std::printf("\n%-34s  %6s  %6s\n", "event", "A", "B");
    for (const replay::EventCount& e : report.events)
    {
        eventsA += e.then;
        eventsB += e.now;
        std::string delta = e.now < e.then   ? std::to_string(e.then - e.now) + " missing in B"
                            : e.now > e.then ? std::to_string(e.now - e.then) + " extra in B"
                                             : "";
        std::printf("%-34s  %6lld  %6lld  %s%s%s\n", inspector::EscapeForTerminal(e.event, 34).c_str(),
                    static_cast<long long>(e.then), static_cast<long long>(e.now), c.yellow, delta.c_str(), c.reset);
    }
    // Events per task: the tasks whose events differ, one line each (counts, then the first differing body).
    size_t tasksAlike = 0;
    if (!report.tasks.empty())
        std::printf("\n");
    for (const replay::TaskEvents& t : report.tasks)
    {
        if (t.CountsAlike() && !t.firstDifference)
        {
            ++tasksAlike;
            continue;
        }
        const std::string a = t.taskA.empty() ? (t.taskB.empty() ? "(no task)" : "(none)") : t.taskA;
        const std::string b = t.taskB.empty() ? (t.taskA.empty() ? "(no task)" : "(none)") : t.taskB;
        std::string line;
        for (const replay::EventCount& e : t.events)
            if (e.then != e.now)
                line += "; " + e.event + " " + std::to_string(e.then) + " -> " + std::to_string(e.now) +
                        (e.now < e.then ? " (" + std::to_string(e.then - e.now) + " missing in B)"
                                        : " (" + std::to_string(e.now - e.then) + " extra in B)");
        if (t.firstDifference)
            line += "; first differing body: " + t.firstDifferingEvent + " " + t.firstDifference->path + ": " +
                    t.firstDifference->then + " -> " + t.firstDifference->now;
        std::printf("task %s / %s%s%s%s\n", inspector::EscapeForTerminal(a, 60).c_str(),
                    inspector::EscapeForTerminal(b, 60).c_str(), c.yellow,
                    inspector::EscapeForTerminal(line, 400).c_str(), c.reset);
    }
    if (!report.tasks.empty())
        std::printf("%zu of %zu task(s) with the same events in A and B\n", tasksAlike, report.tasks.size());
    std::printf("\n%zu requests: %zu matched, %zu differ, %zu only in A, %zu only in B; events %lld in A, %lld in B\n",
                report.rows.size(), report.Count(DiffStatus::Matched), report.Count(DiffStatus::Differs),
                report.Count(DiffStatus::OnlyInA), report.Count(DiffStatus::OnlyInB), static_cast<long long>(eventsA),
                static_cast<long long>(eventsB));
    const bool same = report.outcome == replay::Outcome::Equivalent;
    std::printf("%s%s%s\n", same ? c.green : c.yellow, std::string(replay::ToString(report.outcome)).c_str(), c.reset);
}

int RunDiff(const DiffArgs& args)
{
    replay::DiffOptions options;
    replay::DiffReport report;
    try
    {
        if (!args.latencyThreshold.empty())
        {
            std::string number = args.latencyThreshold;
            if (!number.empty() && (number.back() == 'x' || number.back() == 'X'))
                number.pop_back();
            char* end = nullptr;
            double factor = std::strtod(number.c_str(), &end);
            if (number.empty() || *end != '\0' || !(factor >= 1))
                return Fail("--latency-threshold " + args.latencyThreshold + ": a factor of at least 1, e.g. 2x");
            options.latencyThreshold = factor;
        }
        options.ignore = replay::IgnoredPaths(IgnorePatterns(args));
        ScratchStores scratch;
        auto [a, labelA] = Load(args.a, args.db, scratch);
        auto [b, labelB] = Load(args.b, args.db, scratch);
        report = replay::DiffSessions(a, b, options);
        report.a = labelA;
        report.b = labelB;
    }
    catch (const std::exception& e)
    {
        return Fail(e.what());
    }
    const std::string json = boost::json::serialize(replay::DiffReportJson(report));
    if (!args.report.empty())
    {
        std::ofstream file(args.report, std::ios::trunc);
        file << json << '\n';
        if (!file)
            return Fail("cannot write the report to " + args.report);
    }
    if (args.json)
        std::printf("%s\n", json.c_str());
    else
        PrintReport(report, args.all);
    return replay::ExitStatus(report.outcome);
}

} // namespace

void AddDiffCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<DiffArgs>();
    CLI::App* command = app.add_subcommand(
        "diff", "Compare two captured sessions by meaning: requests aligned by command and arguments, volatile "
                "values (seq, task tokens, pipe ids, times) normalised (exit 0 equivalent, 1 different, 2 could not "
                "compare)");
    command->footer("Examples:\n  dapscope diff 3 4\n  dapscope diff golden.har last --latency-threshold 2x\n"
                    "  dapscope diff golden.jsonl last --ignore '$..version' --report diff.json");
    AddDbOption(*command, args->db);
    command
        ->add_option("A", args->a,
                     "Session id, `last` (the newest in --db), or a HAR/JSONL file (FILE#N: its N-th session)")
        ->required();
    command->add_option("B", args->b, "The same for the other side")->required();
    command->add_option("--ignore", args->ignore,
                        "A JSONPath whose differences do not count (repeatable): $.body.startedAt, $..version, "
                        "$.body.tasks[*].id");
    command->add_option("--ignore-file", args->ignoreFile, "A file of such paths, one per line (# comments)");
    command->add_option("--latency-threshold", args->latencyThreshold,
                        "A request whose latency in B is over this factor of A's differs, e.g. 2x");
    command->add_option("--report", args->report, "Write the full report as JSON to this file");
    command->add_flag("--json", args->json, "Print the report as JSON instead of a table");
    command->add_flag("--all", args->all, "List matched requests too when there are more than 100");
    command->callback([&run, args] { run = [args] { return RunDiff(*args); }; });
}

} // namespace dapscope::cli
