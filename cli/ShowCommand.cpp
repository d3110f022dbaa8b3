// `dapscope show SESSION`: one line per message, in the style of tshark.

#include "Commands.hpp"
#include "Format.hpp"
#include "inspector/Envelope.hpp"

#include <chrono>
#include <memory>
#include <thread>

namespace dapscope::cli
{

namespace
{
struct ShowArgs
{
    std::string db;
    int64_t session = 0;
    bool follow = false;
    bool json = false;
    bool absolute = false;
    std::string dir;
    std::string kind;
    storage::MessageFilter filter;
};

std::string Seq(const storage::MessageSummary& m)
{
    std::string text = m.seq ? std::to_string(*m.seq) : "";
    if (m.requestSeq)
        text += "\xE2\x86\x92" + std::to_string(*m.requestSeq); // →
    return text;
}

void PrintLine(const storage::MessageSummary& m, int64_t originNs, bool absolute, const Palette& c)
{
    std::string time;
    if (absolute)
        time = IsoTime(m.tsNs).substr(11, 15);
    else
    {
        char text[32];
        std::snprintf(text, sizeof text, "%12.6f", static_cast<double>(m.tsNs - originNs) / 1e9);
        time = text;
    }
    bool answer = m.kind == inspector::Kind::Response || m.kind == inspector::Kind::HttpResponse;
    std::string latency = m.latencyNs && answer ? HumanDuration(*m.latencyNs) : "";
    std::string status;
    const char* colour = "";
    using inspector::ExchangeState;
    using inspector::Kind;
    if (m.kind == Kind::Malformed)
    {
        status = "malformed: " + m.malformed;
        colour = c.magenta;
    }
    else if (m.kind == Kind::Response && m.success == false)
    {
        status = "FAILED: " + m.error + (m.trace.empty() ? "" : " (" + m.trace + ")");
        colour = c.red;
    }
    else if (m.kind == Kind::Response && m.state == ExchangeState::Orphan)
    {
        status = "orphan: no request with this seq";
        colour = c.yellow;
    }
    else if (m.kind == Kind::Response)
        status = "ok";
    else if (m.kind == Kind::HttpResponse && m.status >= 400)
    {
        status = "HTTP " + std::to_string(*m.status);
        colour = c.red;
    }
    else if (m.kind == Kind::HttpRequest && m.state == ExchangeState::Unanswered)
    {
        status = "unanswered";
        colour = c.yellow;
    }
    else if (m.kind == Kind::Request && m.state != ExchangeState::Answered)
    {
        status = std::string(inspector::ToString(m.state));
        colour = c.yellow;
    }
    if (!m.task.empty() && m.kind != Kind::Malformed)
        status += std::string(status.empty() ? "" : "  ") + c.dim + "task " + m.task + c.reset;
    if (std::string mark = RuleMarkText(m); !mark.empty())
        status += "  " + mark;
    else if (m.flags & 8)
        status += "  [by dapscope]";
    if (m.flags & 2)
        status += "  [bytes elided]";
    else if (m.flags & 1)
        status += "  [truncated]";
    std::string kindText(inspector::ToString(m.kind));
    std::printf("%s  %s%s%s  %-9s  %-34s  %-9s  %9s  %9s  %s%s%s\n", time.c_str(),
                m.dir == inspector::Direction::ClientToServer ? c.cyan : c.green, Arrow(m.dir), c.reset,
                kindText.c_str(), MessageName(m).c_str(), Seq(m).c_str(), latency.c_str(), HumanBytes(m.size).c_str(),
                colour, inspector::EscapeForTerminal(status, 200).c_str(), c.reset);
}

int RunShow(ShowArgs args)
{
    try
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
        storage::TraceReader reader(args.db);
        auto session = reader.Session(args.session);
        if (!session)
            return Fail("no session " + std::to_string(args.session) + " in " + args.db + " (see dapscope sessions)");
        Palette c(stdout);
        int64_t lastId = 0;
        while (true)
        {
            std::vector<storage::MessageSummary> page = reader.Messages(args.session, args.filter, lastId, 5000);
            for (const auto& m : page)
            {
                if (args.json)
                    PrintJsonLine(MessageJson(m));
                else
                    PrintLine(m, session->startedNs, args.absolute, c);
                lastId = m.id;
            }
            std::fflush(stdout);
            if (!page.empty())
                continue;
            if (!args.follow)
                break;
            session = reader.Session(args.session);
            if (session && session->endedNs)
            {
                // One more page: messages committed together with the session's end.
                if (reader.Messages(args.session, args.filter, lastId, 1).empty())
                    break;
                continue;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        if (!args.json && session)
        {
            std::string status =
                session->endedNs ? (session->error.empty() ? "ended" : "ended: " + session->error) : "live";
            std::printf("%ssession %lld: %lld message(s), %s, %s%s\n", c.dim, static_cast<long long>(session->id),
                        static_cast<long long>(session->messages), HumanBytes(session->bytes).c_str(),
                        inspector::EscapeForTerminal(status, 200).c_str(), c.reset);
        }
        return kExitOk;
    }
    catch (const std::exception& e)
    {
        return FailStore(args.db, e);
    }
}
} // namespace

void AddShowCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<ShowArgs>();
    CLI::App* command = app.add_subcommand("show", "Print the messages of a session, one per line");
    command->add_option("SESSION", args->session, "Session id (see dapscope sessions)")->required();
    AddDbOption(*command, args->db);
    command->add_flag("-f,--follow", args->follow, "Keep printing new messages until the session ends");
    command->add_flag("--json", args->json, "One JSON object per message and line");
    command->add_flag("--absolute", args->absolute, "Absolute UTC times instead of seconds since the session began");
    command->add_option("--dir", args->dir, "Only c2s or s2c messages");
    command->add_option("--kind", args->kind, "Only request, response, event, malformed or control messages");
    command->add_option("--command", args->filter.command, "Only this command (requests and responses)");
    command->add_option("--event", args->filter.event, "Only this event");
    command->add_option("--task", args->filter.task, "Only messages of this task (display id)");
    command->add_flag("--failed", args->filter.failedOnly, "Only failures, malformed and unanswered messages");
    command->add_option("--text", args->filter.text, "Only messages whose JSON contains this text");
    command->callback([&run, args] { run = [args] { return RunShow(*args); }; });
}

} // namespace dapscope::cli
