// `dapscope held | release | drop | break | inject | close`: act on a running proxy's live sessions through its
// control endpoint (`dapscope proxy --control`, cli/ControlServer). Exit 0 done, 1 refused by the proxy (no such
// held message or session), 2 no proxy to talk to or bad usage.

#include "Commands.hpp"
#include "ControlServer.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

namespace dapscope::cli
{

namespace json = boost::json;

namespace
{
struct ControlArgs
{
    std::string db;
    std::string socket; // --control-socket: instead of the one beside --db
    bool json = false;
};

// Send `request`; print the answer's error (exit 1) or hand the answer to `show` (exit 0).
int Call(const ControlArgs& args, json::object request, const std::function<void(const json::object&)>& show)
{
    json::object answer;
    try
    {
        answer = ControlCall(args.socket.empty() ? ControlSocketPath(args.db) : args.socket, request);
    }
    catch (const std::exception& e)
    {
        return Fail(e.what());
    }
    if (answer["ok"] != true)
    {
        std::fprintf(stderr, "dapscope: %s\n", json::value_to<std::string>(answer["error"]).c_str());
        return kExitFailure;
    }
    if (args.json)
        std::printf("%s\n", json::serialize(answer).c_str());
    else
        show(answer);
    return kExitOk;
}

CLI::App* AddControl(CLI::App& app, const char* name, const char* description, std::shared_ptr<ControlArgs> args)
{
    CLI::App* command = app.add_subcommand(name, description);
    AddDbOption(*command, args->db);
    command->add_option("--control-socket", args->socket, "The proxy's control socket (default: beside --db)");
    command->add_flag("--json", args->json, "Print the proxy's answer as JSON");
    return command;
}

std::optional<std::string> ReadText(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf()))
        return std::nullopt;
    return text.str();
}
} // namespace

void AddControlCommands(CLI::App& app, CommandAction& run)
{
    {
        auto args = std::make_shared<ControlArgs>();
        CLI::App* command = AddControl(app, "held", "List the messages a breakpoint holds in a running proxy", args);
        command->callback(
            [&run, args]
            {
                run = [args]
                {
                    return Call(*args, {{"op", "held"}},
                                [](const json::object& answer)
                                {
                                    const json::array& held = answer.at("held").as_array();
                                    if (held.empty())
                                        std::printf("no message is held\n");
                                    for (const json::value& v : held)
                                    {
                                        const json::object& h = v.as_object();
                                        std::printf("%lld  session %lld  %s  held %lld ms (goes on in %lld ms)  "
                                                    "rule %s\n    %s\n",
                                                    static_cast<long long>(h.at("id").to_number<int64_t>()),
                                                    static_cast<long long>(h.at("session").to_number<int64_t>()),
                                                    h.at("dir").as_string().c_str(),
                                                    static_cast<long long>(h.at("age_ms").to_number<int64_t>()),
                                                    static_cast<long long>(h.at("releases_in_ms").to_number<int64_t>()),
                                                    h.at("rule").as_string().c_str(),
                                                    h.at("message").as_string().c_str());
                                    }
                                });
                };
            });
    }
    {
        auto args = std::make_shared<ControlArgs>();
        auto id = std::make_shared<int64_t>(0);
        auto editFile = std::make_shared<std::string>();
        CLI::App* command =
            AddControl(app, "release", "Let a held message go on, as received or edited (--edit FILE)", args);
        command->add_option("id", *id, "The held message's id (dapscope held)")->required();
        command->add_option("--edit", *editFile, "Send this file's JSON instead (validated first)")
            ->check(CLI::ExistingFile);
        command->callback(
            [&run, args, id, editFile]
            {
                run = [args, id, editFile]
                {
                    json::object request{{"op", "release"}, {"id", *id}};
                    if (!editFile->empty())
                    {
                        auto text = ReadText(*editFile);
                        if (!text)
                            return Fail("cannot read " + *editFile);
                        request["edit"] = *text;
                    }
                    return Call(*args, request,
                                [&](const json::object&) { std::printf("released %lld\n", (long long)*id); });
                };
            });
    }
    {
        auto args = std::make_shared<ControlArgs>();
        auto id = std::make_shared<int64_t>(0);
        CLI::App* command = AddControl(app, "drop", "Drop a held message: it is never sent", args);
        command->add_option("id", *id, "The held message's id (dapscope held)")->required();
        command->callback(
            [&run, args, id]
            {
                run = [args, id]
                {
                    return Call(*args, {{"op", "drop"}, {"id", *id}},
                                [&](const json::object&) { std::printf("dropped %lld\n", (long long)*id); });
                };
            });
    }
    {
        auto args = std::make_shared<ControlArgs>();
        CLI::App* command = app.add_subcommand("break", "Breakpoints of a running proxy: add, list, remove");
        command->require_subcommand(1);
        struct BreakArgs
        {
            std::string name, dir, kind, command, subcommand, event, timeout;
        };
        auto b = std::make_shared<BreakArgs>();
        CLI::App* add = AddControl(*command, "add", "Hold the messages that match until released (or timed out)", args);
        add->add_option("--name", b->name, "Its name (default: break-<command or event>)");
        add->add_option("--dir", b->dir, "c2s or s2c")->check(CLI::IsMember({"c2s", "s2c"}));
        add->add_option("--kind", b->kind, "request, response or event")
            ->check(CLI::IsMember({"request", "response", "event"}));
        add->add_option("--command", b->command, "A request's command (a response's: its request's)");
        add->add_option("--subcommand", b->subcommand, "arguments.subcommand");
        add->add_option("--event", b->event, "An event's name");
        add->add_option("--timeout", b->timeout, "Let a held message go on by itself after this (e.g. 30s)");
        add->callback(
            [&run, args, b]
            {
                run = [args, b]
                {
                    json::object match;
                    for (auto [key, value] : {std::pair{"dir", &b->dir},
                                              {"kind", &b->kind},
                                              {"command", &b->command},
                                              {"subcommand", &b->subcommand},
                                              {"event", &b->event}})
                        if (!value->empty())
                            match[key] = *value;
                    std::string name = !b->name.empty()      ? b->name
                                       : !b->command.empty() ? "break-" + b->command
                                       : !b->event.empty()   ? "break-" + b->event
                                                             : "break";
                    json::object rule{{"name", name}, {"match", match}};
                    if (b->timeout.empty())
                        rule["break"] = true;
                    else
                        rule["break"] = json::object{{"timeout", b->timeout}};
                    return Call(*args, {{"op", "break"}, {"rule", json::serialize(rule)}},
                                [&](const json::object&) { std::printf("breakpoint %s added\n", name.c_str()); });
                };
            });
        CLI::App* list = AddControl(*command, "list", "The breakpoints in force", args);
        list->callback(
            [&run, args]
            {
                run = [args]
                {
                    return Call(*args, {{"op", "breaks"}},
                                [](const json::object& answer)
                                {
                                    for (const json::value& name : answer.at("breakpoints").as_array())
                                        std::printf("%s\n", name.as_string().c_str());
                                });
                };
            });
        auto name = std::make_shared<std::string>();
        CLI::App* remove = AddControl(*command, "remove", "Remove a breakpoint (what it holds stays held)", args);
        remove->add_option("name", *name, "Its name (dapscope break list)")->required();
        remove->callback(
            [&run, args, name]
            {
                run = [args, name]
                {
                    return Call(*args, {{"op", "unbreak"}, {"name", *name}},
                                [&](const json::object&) { std::printf("breakpoint %s removed\n", name->c_str()); });
                };
            });
    }
    {
        auto args = std::make_shared<ControlArgs>();
        auto session = std::make_shared<int64_t>(0);
        auto request = std::make_shared<std::string>();
        auto wait = std::make_shared<double>(10);
        CLI::App* command = AddControl(
            app, "inject",
            "Send a request into a live session; the engine's answer is shown here and the SDK never sees it", args);
        command->add_option("session", *session, "The live session (dapscope sessions)")->required();
        command->add_option("--request", *request, "The request, e.g. '{\"command\":\"rrext_ping\"}'")->required();
        command->add_option("--wait", *wait, "Seconds to wait for the answer")->capture_default_str();
        command->callback(
            [&run, args, session, request, wait]
            {
                run = [args, session, request, wait]
                {
                    boost::system::error_code ec;
                    json::value body = json::parse(*request, ec);
                    if (ec || !body.is_object() || !body.as_object().contains("command"))
                        return Fail("--request must be a JSON object with a command");
                    return Call(*args,
                                {{"op", "inject"},
                                 {"session", *session},
                                 {"request", body},
                                 {"wait_ms", static_cast<int64_t>(*wait * 1000)}},
                                [](const json::object& answer)
                                {
                                    if (answer.at("response").is_null())
                                        std::printf("sent as seq %lld; no answer yet\n",
                                                    static_cast<long long>(answer.at("seq").to_number<int64_t>()));
                                    else
                                        std::printf("%s\n", json::serialize(answer.at("response")).c_str());
                                });
                };
            });
    }
    {
        auto args = std::make_shared<ControlArgs>();
        auto session = std::make_shared<int64_t>(0);
        auto code = std::make_shared<int>(1000);
        auto reason = std::make_shared<std::string>();
        CLI::App* command = AddControl(app, "close", "Close a live session's legs with a code and reason", args);
        command->add_option("session", *session, "The live session (dapscope sessions)")->required();
        command->add_option("--code", *code, "Close code")->capture_default_str()->check(CLI::Range(1000, 4999));
        command->add_option("--reason", *reason, "Close reason");
        command->callback(
            [&run, args, session, code, reason]
            {
                run = [args, session, code, reason]
                {
                    return Call(*args, {{"op", "close"}, {"session", *session}, {"code", *code}, {"reason", *reason}},
                                [&](const json::object&)
                                { std::printf("closing session %lld\n", (long long)*session); });
                };
            });
    }
}

} // namespace dapscope::cli
