// `dapscope demo`: mock engine + proxy + a scripted SDK-like session, then tells the user where to look.

#include "Capture.hpp"
#include "Commands.hpp"
#include "mock/DemoSession.hpp"
#include "mock/MockEngineServer.hpp"

#include <cstdio>
#include <memory>

namespace dapscope::cli
{

namespace
{
struct DemoArgs
{
    std::string db;
    int sessions = 1;
};

int RunDemo(const DemoArgs& args)
{
    const std::string apiKey = "sk-demo-0000-not-a-real-key";
    try
    {
        net::EventLoop engineLoop("demo-engine");
        mock::MockEngineServer engine(engineLoop, net::WsServerOptions{}, mock::EngineOptions{});
        std::printf("demo: mock engine on ws://127.0.0.1:%d\n", engine.Port());

        CaptureOptions options;
        options.storePath = args.db;
        options.relay.listenPort = 0;
        options.relay.upstream = net::NormaliseEngineUri("127.0.0.1:" + std::to_string(engine.Port()));
        Capture capture(std::move(options));
        std::printf("demo: proxy on ws://127.0.0.1:%d, capturing to %s\n", capture.Port(), args.db.c_str());

        bool clean = true;
        for (int i = 0; i < args.sessions; ++i)
        {
            std::printf("demo: running a scripted SDK session (%d/%d)...\n", i + 1, args.sessions);
            std::fflush(stdout);
            mock::DemoReport report =
                mock::RunDemoSession("ws://127.0.0.1:" + std::to_string(capture.Port()) + "/task/service", apiKey);
            std::printf("demo: %d requests, %d answered (%d failed on purpose), %d events, task %s\n", report.requests,
                        report.answered, report.expectedFailures, report.events, report.task.c_str());
            for (const std::string& problem : report.problems)
                std::printf("demo: problem: %s\n", problem.c_str());
            clean = clean && report.problems.empty();
        }
        capture.Stop(std::chrono::seconds(3));
        int64_t first = capture.Recorder().StoreSession(1);
        int64_t last = capture.Recorder().StoreSession(static_cast<uint64_t>(args.sessions));
        std::printf("\nCaptured session%s %lld%s. Look at %s with:\n", args.sessions > 1 ? "s" : "",
                    static_cast<long long>(first), args.sessions > 1 ? ("-" + std::to_string(last)).c_str() : "",
                    args.sessions > 1 ? "them" : "it");
        std::printf("  dapscope show %lld --db %s\n", static_cast<long long>(last), args.db.c_str());
        std::printf("  dapscope stats %lld --db %s\n", static_cast<long long>(last), args.db.c_str());
        std::printf("  dapscope sessions --db %s\n", args.db.c_str());
        std::printf("  dapscope-ui %s\n", args.db.c_str());
        return clean ? kExitOk : kExitFailure;
    }
    catch (const std::exception& e)
    {
        return Fail(e.what());
    }
}
} // namespace

void AddDemoCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<DemoArgs>();
    CLI::App* command =
        app.add_subcommand("demo", "Run a mock engine, the proxy and a scripted SDK session, and capture it");
    AddDbOption(*command, args->db);
    command->add_option("--sessions", args->sessions, "How many scripted sessions to run")->check(CLI::Range(1, 1000));
    command->callback([&run, args] { run = [args] { return RunDemo(*args); }; });
}

} // namespace dapscope::cli
