// `dapscope search [TEXT]`: find messages across every session of the store, one line per match, like grep over
// files: sessions in the order they were stored, each session's messages in order. Exit codes are grep's.

#include "Commands.hpp"
#include "Format.hpp"
#include "inspector/Envelope.hpp"
#include "storage/ExportEncoding.hpp"
#include "storage/Problems.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

namespace dapscope::cli
{

namespace
{
constexpr int64_t kPage = 500; // hits read at a time

struct SearchArgs
{
    std::string db;
    std::string since;
    std::string dir;
    std::string kind;
    std::vector<int64_t> sessions;
    int64_t limit = 0; // 0: no limit
    bool json = false;
    storage::MessageFilter filter;
};

// "2026-11-27T04:21:00Z", "2026-11-27T05:21:00+01:00", "2026-11-27 04:21", "2026-11-27" (no zone: UTC), or a
// time ago: "30s", "15m", "2h", "7d", "2w".
std::optional<int64_t> ParseSince(const std::string& text, int64_t nowNs)
{
    if (text.size() >= 2 && std::all_of(text.begin(), text.end() - 1, [](char ch) { return ch >= '0' && ch <= '9'; }))
    {
        constexpr std::string_view kUnits = "smhdw";
        constexpr int64_t kUnitSeconds[] = {1, 60, 3600, 86400, 7 * 86400};
        size_t unit = kUnits.find(text.back());
        if (unit == std::string_view::npos || text.size() > 10)
            return std::nullopt;
        int64_t seconds = std::stoll(text.substr(0, text.size() - 1)) * kUnitSeconds[unit]; // < 10^9 weeks: no overflow
        return seconds >= nowNs / 1'000'000'000 ? 0 : nowNs - seconds * 1'000'000'000;
    }
    std::string iso = text;
    if (iso.size() == 10) // a date
        iso += "T00:00:00";
    else if (iso.size() == 16) // no seconds
        iso += ":00";
    if (auto ns = storage::ParseIsoTime(iso))
        return ns;
    return storage::ParseIsoTime(iso + "Z");
}

// Why a problem is one, in a word or two ("" for a message that is not a problem).
std::string ProblemTag(const storage::MessageSummary& m)
{
    if (!storage::IsProblem(m))
        return "";
    if (m.kind == inspector::Kind::Malformed)
        return "malformed";
    if (m.success == false)
        return "FAILED";
    if (m.status && *m.status >= storage::kFailedHttpStatus)
        return "HTTP " + std::to_string(*m.status);
    return std::string(inspector::ToString(m.state));
}

void PrintHit(const storage::SearchHit& hit, const std::string& text, const Palette& c)
{
    const storage::MessageSummary& m = hit.message;
    std::string excerpt = inspector::EscapeForTerminal(hit.excerpt, 120);
    if (!text.empty() && *c.reset)
    {
        std::string needle = inspector::EscapeForTerminal(text);
        if (size_t at = excerpt.find(needle); at != std::string::npos)
            excerpt = excerpt.substr(0, at) + c.bold + c.red + needle + c.reset + excerpt.substr(at + needle.size());
    }
    std::string tag = ProblemTag(m);
    if (!tag.empty())
        tag = std::string(c.red) + tag + c.reset + "  ";
    std::string kindText(inspector::ToString(m.kind));
    std::printf("%s%lld:%lld%s  %s  %s%s%s  %-9s  %-34s  %s%s\n", c.bold, static_cast<long long>(m.session),
                static_cast<long long>(m.id), c.reset, IsoTime(m.tsNs).c_str(),
                m.dir == inspector::Direction::ClientToServer ? c.cyan : c.green, Arrow(m.dir), c.reset,
                kindText.c_str(), MessageName(m).c_str(), tag.c_str(), excerpt.c_str());
}

int RunSearch(SearchArgs args)
{
    if (!args.dir.empty())
    {
        args.filter.dir = inspector::ParseDirection(args.dir);
        if (!args.filter.dir)
            return Fail("--dir must be c2s or s2c");
    }
    if (!args.kind.empty())
    {
        args.filter.kind = inspector::ParseKind(args.kind);
        if (!args.filter.kind)
            return Fail("--kind must be request, response, event, malformed, control, http_request or "
                        "http_response");
    }
    if (!args.since.empty())
    {
        auto now =
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
        args.filter.sinceNs = ParseSince(args.since, now.count());
        if (!args.filter.sinceNs)
            return Fail("--since: cannot read \"" + args.since +
                        "\" (an ISO date or time such as 2026-11-27 or 2026-11-27T04:21:00Z, or a time ago such as "
                        "30m, 2h, 7d)");
    }
    if (args.filter.Empty())
        return Fail("nothing to search for: give TEXT or a filter (see dapscope search --help)");
    try
    {
        storage::TraceReader reader(args.db);
        storage::TraceReader::Snapshot snapshot(reader); // one state of the store, however many pages
        for (int64_t session : args.sessions)
            if (!reader.Session(session))
                return Fail("no session " + std::to_string(session) + " in " + args.db + " (see dapscope sessions)");
        Palette c(stdout);
        storage::SearchScope scope;
        scope.sessions = args.sessions;
        int64_t found = 0;
        while (args.limit == 0 || found < args.limit)
        {
            int64_t want = args.limit == 0 ? kPage : std::min(kPage, args.limit - found);
            std::vector<storage::SearchHit> hits = reader.Search(args.filter, scope, want);
            for (const storage::SearchHit& hit : hits)
            {
                if (args.json)
                {
                    boost::json::object o = MessageJson(hit.message);
                    o["excerpt"] = hit.excerpt;
                    PrintJsonLine(o);
                }
                else
                    PrintHit(hit, args.filter.text, c);
            }
            found += static_cast<int64_t>(hits.size());
            if (static_cast<int64_t>(hits.size()) < want)
                break;
            scope.afterSession = hits.back().message.session;
            scope.afterId = hits.back().message.id;
        }
        std::fflush(stdout);
        return found > 0 ? kExitOk : kExitFailure;
    }
    catch (const std::exception& e)
    {
        return FailStore(args.db, e);
    }
}
} // namespace

void AddSearchCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<SearchArgs>();
    CLI::App* command = app.add_subcommand(
        "search", "Find messages across every session of the store, one line per match: SESSION:ID, time (UTC), "
                  "direction, kind, command or event, and an excerpt around the match. Oldest session first, each "
                  "session's messages in order, like grep over files");
    command->add_option("TEXT", args->filter.text,
                        "Text the message contains (its bytes, or an HTTP message's path and head); exact, "
                        "case-sensitive");
    AddDbOption(*command, args->db);
    command->add_option("--command", args->filter.command, "Only this command (requests and responses)");
    command->add_option("--event", args->filter.event, "Only this event");
    command->add_option("--task", args->filter.task, "Only messages of this task (display id)");
    command->add_flag("--failed", args->filter.failedOnly, "Only failures, malformed and unanswered messages");
    command->add_option("--since", args->since,
                        "Only messages from this time on: 2026-11-27, 2026-11-27T04:21:00Z, 2026-11-27T05:21:00+01:00 "
                        "(no zone: UTC), or a time ago: 30m, 2h, 7d");
    command->add_option("--dir", args->dir, "Only c2s or s2c messages");
    command->add_option("--kind", args->kind, "Only request, response, event, malformed or control messages");
    command->add_option("--session", args->sessions, "Only this session (repeatable)");
    command->add_option("-n,--limit", args->limit, "Stop after N matches")->check(CLI::PositiveNumber);
    command->add_flag("--json", args->json,
                      "One JSON object per match and line (the fields of `show --json`, plus `excerpt`)");
    command->footer("Exit status: 0 when something matched, 1 when nothing did, 2 on an error (bad option or date, "
                    "unreadable store), as with grep.\nExamples:\n  dapscope search rrext_ping\n"
                    "  dapscope search --failed --since 2h\n  dapscope search token --command execute --json");
    command->callback([&run, args] { run = [args] { return RunSearch(*args); }; });
}

} // namespace dapscope::cli
