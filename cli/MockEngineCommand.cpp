// `dapscope mock-engine`: a stand-in RocketRide engine for users without one, demos and load tests.

#include "Commands.hpp"
#include "ParseOption.hpp"
#include "mock/MockEngineServer.hpp"
#include "net/EngineUri.hpp"

#include <csignal>
#include <cstdio>
#include <memory>

namespace dapscope::cli
{

namespace
{
struct MockArgs
{
    std::string listen = "127.0.0.1:5565";
    mock::EngineOptions engine;
    std::vector<std::string> badKeys;
    bool deflate = false;
};

int RunMockEngine(MockArgs args)
{
    auto listen = ParseOption("--listen", [&] { return net::ParseListenAddress(args.listen); });
    if (!listen)
        return kExitUsage;
    if (!args.badKeys.empty())
        args.engine.badKeys = args.badKeys;
    if (auto problem = mock::ValidateEngineOptions(args.engine))
        return Fail(*problem);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    net::EventLoop loop("mock-engine");
    std::unique_ptr<mock::MockEngineServer> server;
    try
    {
        net::WsServerOptions options;
        options.host = listen->first;
        options.port = listen->second;
        options.deflate = args.deflate;
        server = std::make_unique<mock::MockEngineServer>(loop, options, args.engine);
    }
    catch (const std::exception& e)
    {
        return Fail(e.what());
    }
    std::printf("dapscope mock-engine: listening on ws://%s:%d/task/service (%s)\n", listen->first.c_str(),
                server->Port(), args.engine.apiKey.empty() ? "any API key but the bad ones" : "one API key");
    std::printf("dapscope mock-engine: Ctrl-C stops\n");
    std::fflush(stdout);
    int signal = 0;
    sigwait(&signals, &signal);
    loop.Call([&] { server.reset(); });
    std::printf("dapscope mock-engine: stopped\n");
    return kExitOk;
}
} // namespace

void AddMockEngineCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<MockArgs>();
    CLI::App* command = app.add_subcommand("mock-engine", "Serve a stand-in RocketRide engine (for demos and tests)");
    command->add_option("--listen", args->listen, "Address to listen on (host:port)")->capture_default_str();
    command->add_option("--apikey", args->engine.apiKey, "Accept only this API key (default: any non-empty key)");
    command->add_option("--bad-key", args->badKeys, "A key that is always refused (repeatable; default: bad-key)");
    command->add_flag("--deflate", args->deflate, "Accept permessage-deflate when a client offers it");
    command->add_option("--delay-ms", args->engine.responseDelayMs, "Delay every response by this many ms");
    command->add_option("--burst", args->engine.burstEvents, "Extra status events after every rrext_process write");
    command->add_option("--override", args->engine.overrides,
                        "Change a field of every response to a command: COMMAND:JSONPATH=JSON (repeatable), "
                        "e.g. 'rrext_ping:$.body.pong=false'");
    command->callback([&run, args] { run = [args] { return RunMockEngine(*args); }; });
}

} // namespace dapscope::cli
