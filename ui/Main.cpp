// dapscope-ui: the desktop GUI. Opens a trace store read-only (the default one, or FILE.db), optionally runs the
// capturing proxy in the same process (--listen / --upstream), or renders a screenshot and exits (--screenshot).

#include "cli/Capture.hpp"
#include "cli/ControlServer.hpp"
#include "metrics/TrafficMetrics.hpp"
#include "net/EngineUri.hpp"
#include "platform/GlfwPlatform.hpp"
#include "storage/Store.hpp"
#include "ui/App.hpp"
#include "ui/Settings.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

namespace
{
using namespace dapscope;

// Set by SIGINT / SIGTERM; the loop looks at it at least every 250 ms and exits cleanly (the embedded proxy then
// closes its sessions and flushes the store).
volatile std::sig_atomic_t g_stop = 0;

void OnSignal(int)
{
    g_stop = 1;
}

struct Args
{
    std::string store;             // positional FILE.db, or --db
    std::string listen;            // embedded proxy: listen address ("" = no proxy)
    std::string upstream;          // embedded proxy: engine URI
    bool insecure = false;         // embedded proxy: skip wss certificate checks
    bool noRedact = false;         // embedded proxy: store secrets as they are
    std::string screenshot;        // write a PNG and exit
    int64_t session = 0;           // session to show
    int64_t select = 0;            // message to select
    int64_t compare = 0;           // session to compare the shown one with
    std::string view;              // bottom tab to show (timeline, tasks, stats, compare)
    std::string size = "1400x850"; // window size
};

constexpr int kExitUsage = 2;

int Fail(const std::string& message)
{
    std::fprintf(stderr, "dapscope-ui: %s\n", message.c_str());
    return kExitUsage;
}

int NoDisplay(const std::string& reason)
{
    std::fprintf(stderr,
                 "dapscope-ui: cannot open a window: %s.\n"
                 "Use the command line instead:\n"
                 "  dapscope sessions           list captured sessions\n"
                 "  dapscope show SESSION       print a session's messages\n"
                 "  dapscope stats SESSION      per-command latency statistics\n"
                 "  dapscope proxy              capture without a GUI\n"
                 "(each takes --db FILE), or run the GUI under a virtual display: xvfb-run dapscope-ui\n",
                 reason.c_str());
    return kExitUsage;
}

std::string DefaultUpstream()
{
    const char* env = std::getenv("ROCKETRIDE_URI");
    return env && *env ? env : "ws://127.0.0.1:5565";
}

int Run(const Args& args)
{
    int width = 0, height = 0;
    if (std::sscanf(args.size.c_str(), "%dx%d", &width, &height) != 2 || width < 320 || height < 240 || width > 8192 ||
        height > 8192)
        return Fail("--size: expected WIDTHxHEIGHT, e.g. 1400x850");
    std::optional<ui::BottomTab> tab;
    if (args.view == "timeline")
        tab = ui::BottomTab::Timeline;
    else if (args.view == "tasks")
        tab = ui::BottomTab::Tasks;
    else if (args.view == "stats")
        tab = ui::BottomTab::Stats;
    else if (args.view == "compare")
        tab = ui::BottomTab::Compare;
    else if (!args.view.empty() && args.view != "sessions" && args.view != "messages")
        return Fail("--view: expected timeline, tasks, stats, compare, sessions or messages");

    const std::string storePath = args.store.empty() ? storage::DefaultStorePath() : args.store;
    if (std::string reason = ui::NoDisplayReason(); !reason.empty())
        return NoDisplay(reason);

    // The embedded proxy: relay + recorder threads in this process; the GUI reads the store it writes.
    std::shared_ptr<metrics::TrafficMetrics> traffic; // the stats view's live figures
    std::unique_ptr<cli::Capture> capture;
    std::unique_ptr<cli::ControlServer> control; // goes before the capture it talks to
    std::string captureInfo;
    if (!args.listen.empty())
    {
        net::EngineUri upstream;
        std::pair<std::string, int> listen;
        const char* option = "--upstream";
        try
        {
            upstream = net::NormaliseEngineUri(args.upstream.empty() ? DefaultUpstream() : args.upstream, "");
            option = "--listen";
            listen = net::ParseListenAddress(args.listen);
        }
        catch (const net::NetError& e)
        {
            return Fail(std::string(option) + ": " + e.what());
        }
        if (!net::IsLoopbackHost(listen.first))
            std::fprintf(stderr, "dapscope-ui: warning: listening on %s: captured traffic may contain secrets\n",
                         listen.first.c_str());
        cli::CaptureOptions options;
        options.storePath = storePath;
        options.relay.listenHost = listen.first;
        options.relay.listenPort = listen.second;
        options.relay.upstream = upstream;
        options.relay.insecure = args.insecure;
        options.relay.control = true; // the Intercept view (and `dapscope held ...` on the same store)
        options.redaction.enabled = !args.noRedact;
        options.log = [](const std::string& line)
        {
            std::printf("%s\n", line.c_str());
            std::fflush(stdout);
        };
        traffic = std::make_shared<metrics::TrafficMetrics>();
        options.observer = [traffic](const storage::StoreOps& batch) { traffic->Observe(batch); };
        try
        {
            capture = std::make_unique<cli::Capture>(std::move(options));
            control = std::make_unique<cli::ControlServer>(*capture, cli::ControlSocketPath(storePath));
        }
        catch (const std::exception& e)
        {
            return Fail(e.what());
        }
        captureInfo =
            "ws://" + listen.first + ":" + std::to_string(capture->Port()) + " \xE2\x86\x92 " + upstream.ToString();
        std::printf("dapscope-ui: listening on ws://%s:%d, upstream %s, capturing to %s\n", listen.first.c_str(),
                    capture->Port(), upstream.ToString().c_str(), storePath.c_str());
        std::fflush(stdout);
    }

    const bool screenshot = !args.screenshot.empty();
    ui::PlatformOptions platformOptions;
    platformOptions.width = width;
    platformOptions.height = height;
    platformOptions.visible = !screenshot;
    platformOptions.title = "dapscope - " + storePath;
    const std::string config = screenshot ? std::string() : ui::ConfigFolder();
    platformOptions.iniPath = config.empty() ? std::string() : config + "/imgui.ini";

    int status = 0;
    try
    {
        ui::GlfwPlatform platform(platformOptions);
        ui::AppOptions options;
        options.storePath = storePath;
        options.configFolder = config;
        options.session = args.session;
        options.select = args.select;
        options.compare = args.compare;
        options.tab = tab;
        options.captureInfo = captureInfo;
        if (capture)
        {
            options.openSessions = [&capture] { return capture->OpenSessions(); };
            options.liveFigures = [traffic] { return metrics::Summarise(*traffic->Registry()); };
            options.control = [&control](const boost::json::object& request) { return control->Handle(request); };
        }
        {
            ui::App app(options, platform.Waker());
            if (screenshot)
            {
                std::string error = platform.Screenshot(app, args.screenshot);
                if (!error.empty())
                    status = Fail(error);
                else
                    std::printf("dapscope-ui: wrote %s (%dx%d)\n", args.screenshot.c_str(), width, height);
            }
            else
            {
                std::signal(SIGINT, OnSignal);
                std::signal(SIGTERM, OnSignal);
                platform.Run(app, [] { return g_stop != 0; });
            }
        }
    }
    catch (const std::exception& e)
    {
        status = NoDisplay(e.what());
    }
    control.reset(); // no control call may reach the relay while it stops
    if (capture)
        capture->Stop(std::chrono::seconds(2));
    return status;
}
} // namespace

int main(int argc, char** argv)
{
    Args args;
    CLI::App cli("dapscope-ui: the dapscope GUI. Shows sessions, requests, responses, events and timing of a trace "
                 "store; with --listen it also captures.");
    cli.add_option("store", args.store, "Trace store to open (default: $DAPSCOPE_DB, else the per-user store)");
    cli.add_option("--db", args.store, "Same as the positional store argument");
    cli.add_option("--listen", args.listen, "Run the capturing proxy in this process, listening on HOST:PORT");
    cli.add_option("--upstream", args.upstream,
                   "Engine the proxy forwards to (default: $ROCKETRIDE_URI, else "
                   "ws://127.0.0.1:5565)");
    cli.add_flag("--insecure", args.insecure, "Do not verify a wss upstream's certificate");
    cli.add_flag("--no-redact", args.noRedact, "Store secrets as they are (the proxy redacts them by default)");
    cli.add_option("--screenshot", args.screenshot, "Render a few frames, write this PNG and exit");
    cli.add_option("--session", args.session, "Session to show (default: the newest)");
    cli.add_option("--select", args.select, "Message to select (shows its session and its detail)");
    cli.add_option("--compare", args.compare, "Compare the session shown with this session (the Compare tab)");
    cli.add_option("--view", args.view, "Bottom tab to show: timeline, tasks, stats or compare");
    cli.add_option("--size", args.size, "Window size, WIDTHxHEIGHT (default 1400x850)");
    try
    {
        cli.parse(argc, argv);
    }
    catch (const CLI::ParseError& e)
    {
        return cli.exit(e) == 0 ? 0 : kExitUsage;
    }
    return Run(args);
}
