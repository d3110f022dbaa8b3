// `dapscope proxy`: the capturing man-in-the-middle relay.

#include "Capture.hpp"
#include "Commands.hpp"
#include "ControlServer.hpp"
#include "ParseOption.hpp"
#include "inspector/Redactor.hpp"
#include "metrics/CaptureHealth.hpp"
#include "metrics/MetricsServer.hpp"
#include "metrics/TrafficMetrics.hpp"
#include "net/EngineUri.hpp"
#include "otlp/OtlpExporter.hpp"
#include "otlp/OtlpSources.hpp"

#include <prometheus/counter.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace dapscope::cli
{

namespace
{
struct ProxyArgs
{
    std::string listen = "127.0.0.1:5566";
    std::string upstream;
    std::string db;
    uint64_t maxCaptureBytes = 64u << 20;
    uint64_t captureBuffer = 64u << 20;
    int64_t maxDbSizeMb = 0;
    std::string caFile;
    bool insecure = false;
    std::vector<std::string> subprotocols;
    std::vector<std::string> redact;
    bool noRedact = false;
    bool quiet = false;
    std::string accessToken;
    std::string tlsCert;
    std::string tlsKey;
    unsigned upstreamTimeout = 10;
    std::string metrics; // host:port of the /metrics endpoint, "" = none
    size_t metricsLabelCap = metrics::TrafficMetrics::kDefaultLabelCap;
    std::string otlp; // the OTLP/HTTP collector's URL, "" = none
    size_t otlpMaxQueue = otlp::ExporterOptions{}.maxQueuedSpans;
    std::string rules; // rules file, "" = none
    bool control = false;
    double holdTimeout = 30; // seconds
};

std::string DefaultUpstream()
{
    const char* env = std::getenv("ROCKETRIDE_URI");
    return env && *env ? env : "ws://127.0.0.1:5565";
}

int RunProxy(const ProxyArgs& args)
{
    auto upstream = ParseOption("--upstream", [&] { return net::NormaliseEngineUri(args.upstream, ""); });
    if (!upstream)
        return kExitUsage;
    auto listen = ParseOption("--listen", [&] { return net::ParseListenAddress(args.listen); });
    if (!listen)
        return kExitUsage;
    if (args.tlsCert.empty() != args.tlsKey.empty())
        return Fail("--tls-cert and --tls-key go together");
    if (!ValidRedactRules(args.redact))
        return kExitUsage;

    // Signals are taken by sigwait() below: block them before any thread starts so none of them gets one.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP); // read the rules file again
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    CaptureOptions options;
    options.storePath = args.db;
    options.relay.listenHost = listen->first;
    options.relay.listenPort = listen->second;
    options.relay.upstream = *upstream;
    options.relay.caFile = args.caFile;
    options.relay.insecure = args.insecure;
    options.maxCaptureBytes = args.maxCaptureBytes;
    options.relay.accessToken = args.accessToken;
    options.relay.tlsCert = args.tlsCert;
    options.relay.tlsKey = args.tlsKey;
    options.upstreamTimeoutSecs = args.upstreamTimeout;
    options.captureBufferBytes = args.captureBuffer;
    options.redaction.enabled = !args.noRedact;
    options.redaction.userRules = args.redact;
    options.relay.rulesFile = args.rules;
    options.relay.control = args.control;
    options.relay.holdTimeoutMs = static_cast<int64_t>(args.holdTimeout * 1000);
    // Rule reloads are printed even with --quiet: they change what the relay does.
    options.relay.log = [](const std::string& line)
    {
        std::printf("dapscope proxy: %s\n", line.c_str());
        std::fflush(stdout);
    };
    if (!args.quiet)
        options.log = [](const std::string& line)
        {
            std::printf("%s\n", line.c_str());
            std::fflush(stdout);
        };

    std::shared_ptr<metrics::TrafficMetrics> traffic;
    std::unique_ptr<metrics::MetricsServer> metricsServer;
    std::shared_ptr<otlp::OtlpExporter> exporter;
    std::unique_ptr<Capture> capture;
    std::unique_ptr<ControlServer> control;
    std::shared_ptr<metrics::CaptureHealth> health; // reads the capture's recorder at each scrape
    try
    {
        std::vector<storage::BatchObserver> observers;
        if (!args.metrics.empty())
        {
            auto address = ParseOption("--metrics", [&] { return net::ParseListenAddress(args.metrics); });
            if (!address)
                return kExitUsage;
            traffic = std::make_shared<metrics::TrafficMetrics>(args.metricsLabelCap);
            metricsServer = std::make_unique<metrics::MetricsServer>(address->first, address->second,
                                                                     traffic->Registry(), args.accessToken);
            observers.push_back([traffic](const storage::StoreOps& batch) { traffic->Observe(batch); });
        }
        if (!args.otlp.empty())
        {
            otlp::ExporterOptions exporting;
            exporting.url = args.otlp;
            exporting.maxQueuedSpans = args.otlpMaxQueue;
            if (traffic)
            {
                auto& spans = prometheus::BuildCounter()
                                  .Name("dapscope_otlp_spans_total")
                                  .Help("Spans the OTLP exporter delivered to the collector or dropped")
                                  .Register(*traffic->Registry());
                exporting.onSent = [&sent = spans.Add({{"outcome", "sent"}})](uint64_t n)
                { sent.Increment(double(n)); };
                exporting.onDropped = [&dropped = spans.Add({{"outcome", "dropped"}})](uint64_t n)
                { dropped.Increment(double(n)); };
            }
            exporter = std::make_shared<otlp::OtlpExporter>(std::move(exporting));
            // The tracer runs on the recorder's decode thread; posting happens on the exporter's own thread.
            observers.push_back([exporter, tracer = std::make_shared<otlp::BatchTracer>()](
                                    const storage::StoreOps& batch) { exporter->Submit(tracer->Observe(batch)); });
        }
        if (!observers.empty())
            options.observer = [observers](const storage::StoreOps& batch)
            {
                for (const auto& observe : observers)
                    observe(batch);
            };
        capture = std::make_unique<Capture>(std::move(options));
        if (args.control)
            control = std::make_unique<ControlServer>(*capture, ControlSocketPath(args.db));
        if (metricsServer)
        {
            health = std::make_shared<metrics::CaptureHealth>([&recorder = capture->Recorder()]
                                                              { return recorder.Stats(); });
            metricsServer->Add(health);
        }
    }
    catch (const std::exception& e)
    {
        return Fail(e.what());
    }

    std::string upstreamText = upstream->ToString();
    capture->Recorder().SetSizeLimit(args.maxDbSizeMb * 1000000);
    const char* scheme = args.tlsCert.empty() ? "ws" : "wss";
    std::printf("dapscope proxy: listening on %s://%s:%d (any path), relaying to %s\n", scheme, listen->first.c_str(),
                capture->Port(), upstreamText.c_str());
    std::printf("dapscope proxy: capturing to %s (redaction %s)\n", args.db.c_str(),
                args.noRedact ? "OFF: secrets are stored as sent" : "on");
    if (metricsServer)
        std::printf("dapscope proxy: metrics at http://%s:%d/metrics%s\n",
                    args.metrics.substr(0, args.metrics.rfind(':')).c_str(), metricsServer->Port(),
                    args.accessToken.empty() ? "" : " (basic auth, the access token as password)");
    if (!args.rules.empty())
        std::printf("dapscope proxy: rules from %s act on WebSocket sessions (reread when the file changes and on "
                    "SIGHUP); new sessions are relayed without permessage-deflate, so messages can be changed\n",
                    args.rules.c_str());
    if (control)
        std::printf("dapscope proxy: control endpoint %s (this user only): dapscope held, release, drop, break, "
                    "inject, close; held messages go on by themselves after %g s; new sessions are relayed without "
                    "permessage-deflate\n",
                    control->Path().c_str(), args.holdTimeout);
    if (exporter)
        std::printf("dapscope proxy: posting traces to %s (OTLP/HTTP JSON)\n", exporter->Endpoint().c_str());
    if (!net::IsLoopbackHost(listen->first))
        std::printf("dapscope proxy: WARNING: listening on %s, reachable from the network; captured traffic may "
                    "contain API keys and other secrets%s\n",
                    listen->first.c_str(), args.accessToken.empty() ? " (consider --access-token)" : "");
    if (!args.subprotocols.empty())
        std::printf("dapscope proxy: WARNING: --subprotocol does nothing any more: the handshake goes to the "
                    "engine as sent, so client and engine agree on a subprotocol themselves\n");
    if (args.insecure && upstream->tls)
        std::printf("dapscope proxy: WARNING: --insecure: the upstream certificate is not verified\n");
    const char* sdkScheme = args.tlsCert.empty() ? "http" : "https";
    std::printf("dapscope proxy: point your SDK at %s://%s:%d (e.g. ROCKETRIDE_URI=%s://%s:%d); Ctrl-C stops\n",
                sdkScheme, listen->first.c_str(), capture->Port(), sdkScheme, listen->first.c_str(), capture->Port());
    std::fflush(stdout);

    int signal = 0;
    while (sigwait(&signals, &signal) == 0 && signal == SIGHUP)
        capture->ReloadRules();
    std::printf("dapscope proxy: %s: closing %zu open session(s)\n", signal == SIGINT ? "interrupted" : "terminated",
                capture->OpenSessions());
    std::fflush(stdout);
    control.reset(); // no control call may reach the relay while it stops
    size_t dropped = capture->Stop(std::chrono::seconds(3));
    storage::RecorderStats stats = capture->Recorder().Stats();
    std::printf("dapscope proxy: stored %llu session(s), %llu message(s)%s in %s\n",
                static_cast<unsigned long long>(stats.sessions), static_cast<unsigned long long>(stats.messages),
                dropped ? " (some sessions did not close in time)" : "", args.db.c_str());
    if (stats.elided)
        std::printf("dapscope proxy: %llu message(s) were stored without their bytes: capture fell behind "
                    "(raise --capture-buffer)\n",
                    static_cast<unsigned long long>(stats.elided));
    if (stats.lostRecords)
        std::printf("dapscope proxy: %llu record(s) could not be written: %s\n",
                    static_cast<unsigned long long>(stats.lostRecords), stats.lastError.c_str());
    metricsServer.reset(); // no scrape may reach the recorder while it goes
    if (exporter)
    {
        capture.reset(); // its last batches reach the exporter before it drains
        exporter->Stop();
        otlp::ExporterCounts counts = exporter->Counts();
        std::printf("dapscope proxy: otlp: %llu span(s) sent, %llu dropped\n",
                    static_cast<unsigned long long>(counts.sent), static_cast<unsigned long long>(counts.dropped));
    }
    return kExitOk;
}
} // namespace

void AddProxyCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<ProxyArgs>();
    args->upstream = DefaultUpstream();
    CLI::App* command = app.add_subcommand(
        "proxy", "Relay SDK connections to the engine and capture every message into the trace store");
    command->add_option("--listen", args->listen, "Address to accept SDK connections on (host:port)")
        ->capture_default_str();
    command
        ->add_option("--upstream", args->upstream,
                     "Engine URI, any form the SDKs accept (host, http[s]://, ws[s]://; default port 5565; "
                     "default $ROCKETRIDE_URI, else ws://127.0.0.1:5565)")
        ->capture_default_str();
    AddDbOption(*command, args->db);
    command
        ->add_option("--max-capture-bytes", args->maxCaptureBytes,
                     "Bytes of one message kept in the store; the rest is relayed but not stored (e.g. 64MiB)")
        ->transform(CLI::AsSizeValue(false))
        ->capture_default_str();
    command
        ->add_option("--capture-buffer", args->captureBuffer,
                     "Bytes allowed to wait for the store writer before payloads are elided (the bound on capture "
                     "memory, e.g. 64MiB)")
        ->transform(CLI::AsSizeValue(false))
        ->capture_default_str();
    command
        ->add_option("--max-db-size", args->maxDbSizeMb,
                     "Keep the store under this many MB by removing the oldest ended sessions (0 = no limit)")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--ca-file", args->caFile, "Extra CA certificate (PEM) to verify a wss upstream")
        ->check(CLI::ExistingFile);
    command->add_flag("--insecure", args->insecure, "Do not verify the upstream's TLS certificate");
    command->add_option("--subprotocol", args->subprotocols,
                        "Obsolete: subprotocols are negotiated between client and engine (accepted, ignored)");
    command->add_option("--redact", args->redact,
                        "Also redact the value at this JSON path (repeatable), e.g. "
                        "'$.arguments.pipeline.config.key' or '$..password'");
    command->add_flag("--no-redact", args->noRedact, "Store secrets (API keys, tokens) as sent");
    command->add_flag("-q,--quiet", args->quiet, "Do not print a line per session");
    command->add_option("--access-token", args->accessToken,
                        "Refuse clients that do not present this token (X-Dapscope-Token header or "
                        "?dapscope_token= query argument, never forwarded upstream)");
    command->add_option("--tls-cert", args->tlsCert, "PEM certificate: clients connect with wss://")
        ->check(CLI::ExistingFile);
    command->add_option("--tls-key", args->tlsKey, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
    command
        ->add_option("--upstream-timeout", args->upstreamTimeout,
                     "Seconds to wait for the engine to accept the connection and answer a WebSocket upgrade "
                     "(then the client gets 504)")
        ->capture_default_str()
        ->check(CLI::Range(1, 600));
    command->add_option("--metrics", args->metrics,
                        "Serve Prometheus metrics of the traffic at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464); "
                        "with --access-token a scrape needs it as basic-auth password");
    command
        ->add_option("--metrics-label-cap", args->metricsLabelCap,
                     "Distinct values of one label (command, event, route, client) before new ones count as \"other\"")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    command->add_option("--otlp", args->otlp,
                        "Post OpenTelemetry traces of the traffic to this OTLP/HTTP collector (JSON to URL/v1/traces, "
                        "e.g. http://127.0.0.1:4318); a task is a trace, each exchange a span (docs/observability.md)");
    command
        ->add_option("--otlp-max-queue", args->otlpMaxQueue,
                     "Spans waiting for the collector before new ones are dropped (and counted)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    command
        ->add_option("--rules", args->rules,
                     "Rules file (YAML) that delays, drops, rewrites, answers or closes WebSocket messages "
                     "(docs/rules.md; check it with `dapscope rules check`)")
        ->check(CLI::ExistingFile);
    command->add_flag("--control", args->control,
                      "Let `dapscope held/release/drop/break/inject/close` act on live sessions, through a Unix socket "
                      "beside the store (mode 0600)");
    command
        ->add_option("--hold-timeout", args->holdTimeout,
                     "Seconds a breakpoint holds a message before it goes on by itself")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 3600.0));
    command->callback([&run, args] { run = [args] { return RunProxy(*args); }; });
}

} // namespace dapscope::cli
