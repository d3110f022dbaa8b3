// Replay benchmark: capture a session of small pipelined requests through the proxy against the mock engine,
// then replay it at asap against a fresh mock engine (capturing the replay too, as `dapscope replay` does), and
// report requests per second and the time to replay the whole session.

#include "capture/Clock.hpp"
#include "cli/Capture.hpp"
#include "net/EngineUri.hpp"
#include "net/WsClient.hpp"
#include "replay/ClientReplay.hpp"
#include "support/MockEngine.hpp"
#include "support/TestProcess.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

using namespace dapscope;
using namespace std::chrono_literals;

namespace
{
constexpr const char* kKey = "sk-bench-0000-replay";

// auth, then `requests` rrext_ping with at most `window` in flight (an SDK with many concurrent callers).
bool RunPingSession(const std::string& url, int requests, int window)
{
    net::WsClientOptions options;
    options.url = url;
    std::unique_ptr<net::WsClient> client;
    try
    {
        client = net::WsClient::Connect(options);
    }
    catch (const net::NetError& e)
    {
        std::fprintf(stderr, "bench: %s\n", e.what());
        return false;
    }
    client->SendText(R"({"type":"request","seq":1,"command":"auth","arguments":{"auth":")" + std::string(kKey) +
                     R"(","clientName":"replay bench"}})");
    if (!client->Receive(10s))
        return false;
    int sent = 0;
    int answered = 0;
    while (answered < requests)
    {
        while (sent < requests && sent - answered < window)
        {
            ++sent;
            client->SendText(R"({"type":"request","seq":)" + std::to_string(sent + 1) +
                             R"(,"command":"rrext_ping","arguments":{}})");
        }
        if (!client->Receive(10s))
        {
            std::fprintf(stderr, "bench: the capture session stalled at %d answers\n", answered);
            return false;
        }
        ++answered;
    }
    client->Close(1000, "done");
    client->WaitClosed(10s);
    return true;
}
} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Replay benchmark: a captured session of small pipelined requests replayed at asap against the mock "
                 "engine"};
    int requests = 50000;
    int window = 64;
    int rounds = 3;
    bool capture = true;
    app.add_option("--requests", requests, "Requests in the captured session (messages = 2 x requests + 2)")
        ->capture_default_str();
    app.add_option("--window", window, "Requests in flight at once in the captured session")->capture_default_str();
    app.add_option("--rounds", rounds, "Replays measured (each against a fresh mock engine)")->capture_default_str();
    app.add_flag("!--no-capture", capture, "Do not record the replays (by default they are, as dapscope replay does)");
    CLI11_PARSE(app, argc, argv);

    test::TempDir dir;
    const std::string db = dir.File("traces.db");
    int64_t session = 0;
    {
        test::MockEngine engine;
        cli::CaptureOptions options;
        options.storePath = db;
        options.relay.listenPort = 0;
        options.relay.upstream = net::NormaliseEngineUri(engine.Address());
        options.captureBufferBytes = 256u << 20; // keep every byte: the replay needs them
        cli::Capture capture(std::move(options));
        const int64_t start = capture::MonoNs();
        if (!RunPingSession("ws://127.0.0.1:" + std::to_string(capture.Port()) + "/task/service", requests, window))
            return 1;
        capture.Stop(10s);
        session = capture.Recorder().StoreSession(1);
        std::printf("captured session %lld: %d requests (window %d) through the proxy in %.2f s\n",
                    static_cast<long long>(session), requests, window,
                    static_cast<double>(capture::MonoNs() - start) / 1e9);
    }

    {
        const int64_t start = capture::MonoNs();
        storage::TraceReader reader(db);
        auto recording = replay::LoadRecording(reader, session);
        std::printf("reading the session from the store: %.2f s (%zu messages)\n",
                    static_cast<double>(capture::MonoNs() - start) / 1e9, recording.messages.size());
    }
    std::printf("%-8s  %10s  %12s  %12s  %14s  %s\n", "round", "messages", "total s", "replay s", "requests/s",
                "outcome");
    std::vector<double> rates;
    for (int round = 1; round <= rounds; ++round)
    {
        test::MockEngine engine;
        replay::ClientReplayOptions options;
        options.storePath = db;
        options.session = session;
        options.to = engine.Address();
        options.replay.apiKey = kKey;
        options.capture = capture;
        const int64_t start = capture::MonoNs();
        replay::ReplayReport report = replay::RunClientReplay(options);
        const double total = static_cast<double>(capture::MonoNs() - start) / 1e9;
        const double replaySeconds = static_cast<double>(report.durationNs) / 1e9;
        const double rate = static_cast<double>(report.requests.size()) / replaySeconds;
        rates.push_back(rate);
        std::printf("%-8d  %10d  %12.2f  %12.2f  %14.0f  %s%s\n", round, 2 * requests + 2, total, replaySeconds, rate,
                    std::string(replay::ToString(report.outcome)).c_str(),
                    report.outcome == replay::Outcome::CouldNotRun ? (": " + report.reason).c_str() : "");
        if (report.outcome != replay::Outcome::Equivalent)
            return 1;
    }
    std::sort(rates.begin(), rates.end());
    double median = rates.empty() ? 0 : rates[rates.size() / 2];
    std::printf("median: %.0f requests/s (target >= 20000 %s); total = load from the store + replay + capture flush\n",
                median, median >= 20000 ? "met" : "MISSED");
    return 0;
}
