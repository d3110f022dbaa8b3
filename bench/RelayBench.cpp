// Relay benchmark: the same client against an echo engine directly, through `dapscope proxy` (capture on),
// and through mitmproxy in reverse-proxy mode when it is installed, measured side by side in one run.
// Rounds alternate between targets so machine noise hits them alike; ratios are proxy / direct.

#include "net/WsClient.hpp"
#include "support/TestProcess.hpp"
#include "support/Upstream.hpp"

#include <CLI/CLI.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <thread>

using namespace dapscope;
using Clock = std::chrono::steady_clock;

namespace
{
struct Target
{
    std::string name;
    int port = 0;
    std::unique_ptr<net::WsClient> client;
    std::vector<double> rttUs;       // every round trip, microseconds
    std::vector<double> throughputs; // MiB/s per round
};

double Percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    size_t rank = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[rank];
}

bool PortOpen(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool open = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return open;
}

int FreePort()
{
    net::EventLoop loop("probe");
    net::WsServer server(loop, {}, {});
    return server.Port();
}

std::unique_ptr<net::WsClient> Connect(int port)
{
    net::WsClientOptions options;
    options.url = "ws://127.0.0.1:" + std::to_string(port) + "/task/service";
    std::string error;
    auto client = net::WsClient::Connect(options, error);
    if (!client)
        std::fprintf(stderr, "bench: cannot connect to port %d: %s\n", port, error.c_str());
    return client;
}

void LatencyRound(Target& target, int requests, int& seq)
{
    for (int i = 0; i < requests; ++i)
    {
        std::string request =
            R"({"type":"request","seq":)" + std::to_string(++seq) + R"(,"command":"rrext_ping","arguments":{}})";
        auto start = Clock::now();
        target.client->SendText(std::move(request));
        if (!target.client->Receive(std::chrono::seconds(10)))
        {
            std::fprintf(stderr, "bench: %s: no echo\n", target.name.c_str());
            return;
        }
        target.rttUs.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
}

void ThroughputRound(Target& target, const std::string& payload, int messages, int window)
{
    auto start = Clock::now();
    int sent = 0;
    int received = 0;
    while (received < messages)
    {
        while (sent < messages && sent - received < window)
        {
            target.client->Send(net::FrameType::Binary, payload);
            ++sent;
        }
        if (!target.client->Receive(std::chrono::seconds(30)))
        {
            std::fprintf(stderr, "bench: %s: throughput round stalled\n", target.name.c_str());
            return;
        }
        ++received;
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    target.throughputs.push_back(static_cast<double>(messages) * static_cast<double>(payload.size()) / 1048576.0 /
                                 seconds);
}
} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Relay benchmark: round-trip latency and 1 MiB throughput, direct vs dapscope proxy vs mitmproxy",
                 "dapscope-bench-relay"};
    int requests = 20000;
    int rounds = 10;
    int messages = 100;
    bool noMitm = false;
    std::vector<std::string> proxyArgs;
    app.add_option("--requests", requests, "Small JSON requests per target (split over the rounds)")
        ->capture_default_str();
    app.add_option("--rounds", rounds, "Rounds; targets alternate within each round")->capture_default_str();
    app.add_option("--messages", messages, "1 MiB binary messages per target and round")->capture_default_str();
    app.add_flag("--no-mitmproxy", noMitm, "Do not measure mitmproxy even when installed");
    app.add_option("--proxy-arg", proxyArgs,
                   "Extra argument for dapscope proxy (repeatable), e.g. --proxy-arg=--no-redact");
    CLI11_PARSE(app, argc, argv);

    test::TempDir dir;
    test::EchoUpstream engine;
    std::vector<Target> targets;
    targets.push_back({"direct", engine.Port()});

    std::vector<std::string> proxyArgv = {test::BinPath("dapscope"),
                                          "proxy",
                                          "--listen",
                                          "127.0.0.1:0",
                                          "--upstream",
                                          "127.0.0.1:" + std::to_string(engine.Port()),
                                          "--db",
                                          dir.File("bench.db"),
                                          "--quiet"};
    proxyArgv.insert(proxyArgv.end(), proxyArgs.begin(), proxyArgs.end());
    test::TestProcess proxy(proxyArgv);
    auto line = proxy.WaitForLine("listening on", std::chrono::seconds(10));
    if (!line)
    {
        std::fprintf(stderr, "bench: dapscope proxy did not start\n");
        return 2;
    }
    targets.push_back({"dapscope", test::PortFromLine(*line)});

    std::unique_ptr<test::TestProcess> mitm;
    if (!noMitm && access("/usr/bin/mitmdump", X_OK) == 0)
    {
        int port = FreePort();
        mitm = std::make_unique<test::TestProcess>(std::vector<std::string>{
            "/usr/bin/mitmdump", "--mode", "reverse:http://127.0.0.1:" + std::to_string(engine.Port()), "--listen-host",
            "127.0.0.1", "--listen-port", std::to_string(port), "-q", "--set", "connection_strategy=lazy"});
        auto deadline = Clock::now() + std::chrono::seconds(30);
        while (!PortOpen(port) && Clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (PortOpen(port))
            targets.push_back({"mitmproxy", port});
        else
            std::fprintf(stderr, "bench: mitmdump did not start; measuring without it\n");
    }

    for (Target& target : targets)
    {
        target.client = Connect(target.port);
        if (!target.client)
            return 2;
    }
    std::printf("relay benchmark: %d small requests and %d x 1 MiB messages per target, %d alternating rounds\n",
                requests, messages * rounds, rounds);
    std::fflush(stdout);

    const std::string payload(1u << 20, 'x');
    int seq = 0;
    for (Target& target : targets) // warm-up
        LatencyRound(target, 200, seq), target.rttUs.clear();
    for (int round = 0; round < rounds; ++round)
    {
        for (Target& target : targets)
            LatencyRound(target, requests / rounds, seq);
        for (Target& target : targets)
            ThroughputRound(target, payload, messages, 4);
    }

    const Target& direct = targets[0];
    double directP50 = Percentile(direct.rttUs, 0.50);
    double directP99 = Percentile(direct.rttUs, 0.99);
    double directThroughput = Percentile(direct.throughputs, 0.50);
    std::printf("\n%-10s %12s %12s %16s %10s %10s %12s\n", "target", "p50 rtt", "p99 rtt", "throughput", "p50 ratio",
                "p99 ratio", "thr. ratio");
    for (const Target& target : targets)
    {
        double p50 = Percentile(target.rttUs, 0.50);
        double p99 = Percentile(target.rttUs, 0.99);
        double throughput = Percentile(target.throughputs, 0.50);
        std::printf("%-10s %9.1f us %9.1f us %10.1f MiB/s %10.2f %10.2f %12.2f\n", target.name.c_str(), p50, p99,
                    throughput, p50 / directP50, p99 / directP99, throughput / directThroughput);
    }
    const Target& dapscope = targets[1];
    double p50Ratio = Percentile(dapscope.rttUs, 0.50) / directP50;
    double p99Ratio = Percentile(dapscope.rttUs, 0.99) / directP99;
    double throughputRatio = Percentile(dapscope.throughputs, 0.50) / directThroughput;
    std::printf("\ndapscope targets: p50 ratio %.2f (<= 1.25 %s), p99 ratio %.2f (<= 1.5 %s), throughput ratio %.2f "
                "(>= 0.85 %s)\n",
                p50Ratio, p50Ratio <= 1.25 ? "met" : "MISSED", p99Ratio, p99Ratio <= 1.5 ? "met" : "MISSED",
                throughputRatio, throughputRatio >= 0.85 ? "met" : "MISSED");
    std::printf("(throughput is the median over rounds of 1 MiB messages echoed with 4 in flight; latency "
                "percentiles are over all requests)\n");

    for (Target& target : targets)
        target.client.reset();
    proxy.Signal(SIGTERM);
    proxy.Wait(std::chrono::seconds(30));
    if (mitm)
    {
        mitm->Signal(SIGTERM);
        mitm->Wait(std::chrono::seconds(10));
    }
    return 0;
}
