// Sustained capture benchmark: `dapscope proxy` relays a steady stream of small DAP requests (and the mock
// engine's responses) at a fixed rate for a while, then the store is checked: every message relayed must be stored
// whole, with no capture gap and no elided bytes. This is the "the recorder keeps up" check; the relay never waits for
// it, so falling behind would show up here as elided or missing messages, not as a slower relay.

#include "net/WsClient.hpp"
#include "storage/TraceReader.hpp"
#include "support/HttpUpstream.hpp"
#include "support/MockEngine.hpp"
#include "support/TestProcess.hpp"

#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <thread>

using namespace dapscope;
using Clock = std::chrono::steady_clock;

namespace
{
// A small request of about 300 bytes; the mock engine answers it at once.
std::string Request(int64_t seq)
{
    static const std::string pad(200, 'a');
    return R"({"type":"request","seq":)" + std::to_string(seq) + R"(,"command":"rrext_ping","arguments":{"note":")" +
           pad + R"("}})";
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Sustained capture benchmark: a steady message rate through dapscope proxy, then the store is "
                 "checked for every message",
                 "dapscope-bench-sustained"};
    int rate = 20000;
    int seconds = 60;
    app.add_option("--rate", rate,
                   "Messages per second through the relay, both directions counted (requests "
                   "and their responses)")
        ->capture_default_str();
    app.add_option("--seconds", seconds, "How long to sustain the rate")->capture_default_str();
    std::string observability = "off";
    app.add_option("--observability", observability,
                   "off; on: the proxy also serves --metrics and posts --otlp to a collector in this process; down: "
                   "the same with the collector gone")
        ->check(CLI::IsMember({"off", "on", "down"}))
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    test::TempDir dir;
    test::MockEngine engine;
    std::string db = dir.File("sustained.db");
    std::vector<std::string> command{test::BinPath("dapscope"), "proxy", "--listen", "127.0.0.1:0", "--upstream",
                                  "127.0.0.1:" + std::to_string(engine.Port()), "--db", db, "--quiet"};
    std::optional<test::HttpUpstream> collector;
    if (observability != "off")
    {
        collector.emplace();
        const int port = collector->Port();
        if (observability == "down")
            collector.reset(); // nothing listens there any more
        command.insert(command.end(), {"--metrics", "127.0.0.1:0", "--otlp", "http://127.0.0.1:" + std::to_string(port)});
    }
    test::TestProcess proxy(command);
    auto line = proxy.WaitForLine("listening on", std::chrono::seconds(10));
    if (!line)
    {
        std::fprintf(stderr, "bench: dapscope proxy did not start\n");
        return 2;
    }
    net::WsClientOptions options;
    options.url = "ws://127.0.0.1:" + std::to_string(test::PortFromLine(*line)) + "/task/service";
    std::unique_ptr<net::WsClient> client;
    try
    {
        client = net::WsClient::Connect(options);
    }
    catch (const net::NetError& e)
    {
        std::fprintf(stderr, "bench: cannot connect through the proxy: %s\n", e.what());
        return 2;
    }

    client->SendText(R"({"type":"request","seq":0,"command":"auth","arguments":{"auth":"sk-bench-0000"}})");
    if (!client->Receive(std::chrono::seconds(10)))
    {
        std::fprintf(stderr, "bench: no auth response\n");
        return 2;
    }

    std::printf("sustained capture: %d messages/s (requests + responses) for %d s through dapscope proxy "
                "(observability %s)\n",
                rate, seconds, observability.c_str());
    std::fflush(stdout);
    // Requests go out in 10 ms ticks; responses are drained as they come. A tick that starts late catches up.
    const int64_t requestsPerSecond = rate / 2;
    const int64_t totalRequests = requestsPerSecond * seconds;
    const auto start = Clock::now();
    int64_t sent = 0;
    int64_t answered = 0;
    int64_t behindMax = 0;
    while (answered < totalRequests)
    {
        double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        int64_t due = std::min<int64_t>(totalRequests, static_cast<int64_t>(elapsed * requestsPerSecond));
        for (; sent < due; ++sent)
            client->SendText(Request(sent + 1));
        behindMax = std::max(behindMax, sent - answered);
        while (answered < sent && client->Receive(std::chrono::milliseconds(0)))
            ++answered;
        if (answered == sent && sent < totalRequests)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        else if (answered < sent && !client->Receive(std::chrono::seconds(10)))
        {
            std::fprintf(stderr, "bench: responses stalled after %lld of %lld\n", static_cast<long long>(answered),
                         static_cast<long long>(sent));
            return 2;
        }
        else if (answered < sent)
            ++answered;
    }
    double took = std::chrono::duration<double>(Clock::now() - start).count();
    client->Close(1000, "done");
    client->WaitClosed(std::chrono::seconds(5));
    client.reset();
    proxy.Signal(SIGTERM);
    int status = proxy.Wait(std::chrono::seconds(60)).value_or(-1);
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);
    if (observability != "off")
        if (auto otlp = proxy.WaitForLine("otlp: ", std::chrono::seconds(5)))
            std::printf("%s\n", otlp->c_str());

    const storage::CaptureTally tally = storage::TraceReader(db).Tally();
    const int64_t stored = tally.messages;
    const int64_t elided = tally.elided;
    const int64_t gaps = tally.gaps;
    int64_t relayed = 2 * answered + 2; // + auth and its response
    std::printf("relayed %lld messages in %.1f s (%.0f messages/s achieved; at most %lld requests in flight)\n",
                static_cast<long long>(relayed), took, static_cast<double>(relayed) / took,
                static_cast<long long>(behindMax));
    std::printf("stored %lld, elided %lld, capture gaps %lld; proxy exit %d, proxy peak RSS %.1f MiB\n",
                static_cast<long long>(stored), static_cast<long long>(elided), static_cast<long long>(gaps), status,
                static_cast<double>(usage.ru_maxrss) / 1024.0);
    bool ok = stored == relayed && elided == 0 && gaps == 0 && status == 0;
    std::printf("every message captured: %s\n", ok ? "yes" : "NO");
    return ok ? 0 : 1;
}
