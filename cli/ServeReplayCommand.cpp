// `dapscope serve-replay SESSION --listen HOST:PORT`: a mock engine made from real traffic. Each connection
// gets the captured answers to its requests, with its own seq numbers and its own ids and secrets.

#include "Commands.hpp"
#include "ParseOption.hpp"
#include "net/EngineUri.hpp"
#include "replay/ClientReplay.hpp"
#include "replay/ReplayServer.hpp"

#include <csignal>
#include <cstdio>
#include <memory>

namespace dapscope::cli
{

namespace
{
struct ServeReplayArgs
{
    std::string db;
    int64_t session = 0;
    std::string listen = "127.0.0.1:5565";
    std::string timing = "original";
};

int RunServeReplay(const ServeReplayArgs& args)
{
    auto listen = ParseOption("--listen", [&] { return net::ParseListenAddress(args.listen); });
    if (!listen)
        return kExitUsage;
    auto timing = replay::ParseTiming(args.timing);
    if (!timing)
        return Fail("--timing must be asap, original or a factor for the captured delays (e.g. 0.5)");
    std::optional<replay::Recording> recording;
    try
    {
        storage::TraceReader reader(args.db);
        recording = replay::LoadRecording(reader, args.session);
    }
    catch (const std::exception& e)
    {
        return Fail(e.what());
    }

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    net::EventLoop loop("serve-replay");
    std::unique_ptr<replay::ReplayServer> server;
    try
    {
        net::WsServerOptions options;
        options.host = listen->first;
        options.port = listen->second;
        server = std::make_unique<replay::ReplayServer>(loop, options, *recording, *timing);
    }
    catch (const std::exception& e)
    {
        return Fail(e.what());
    }
    for (const std::string& note : server->Script().Notes())
        std::printf("dapscope serve-replay: %s\n", note.c_str());
    std::printf("dapscope serve-replay: listening on ws://%s:%d/task/service (session %lld, %zu requests)\n",
                listen->first.c_str(), server->Port(), static_cast<long long>(args.session),
                server->Script().Requests());
    std::printf("dapscope serve-replay: Ctrl-C stops\n");
    std::fflush(stdout);
    int signal = 0;
    sigwait(&signals, &signal);
    server.reset();
    std::printf("dapscope serve-replay: stopped\n");
    return kExitOk;
}
} // namespace

void AddServeReplayCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<ServeReplayArgs>();
    CLI::App* command = app.add_subcommand("serve-replay", "Act as the engine, answering from a captured session");
    AddDbOption(*command, args->db);
    command->add_option("session", args->session, "Session to serve (see dapscope sessions)")->required();
    command->add_option("--listen", args->listen, "Address to listen on (host:port)")->capture_default_str();
    command
        ->add_option("--timing", args->timing,
                     "Delays of answers and events: original (as captured), asap, or a factor")
        ->capture_default_str();
    command->callback([&run, args] { run = [args] { return RunServeReplay(*args); }; });
}

} // namespace dapscope::cli
