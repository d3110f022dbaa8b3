// /metrics benchmark: a TrafficMetrics registry grown to about 1,000 series (requests of many commands, their
// latency histograms, events) served by MetricsServer, then scraped over loopback many times; reports the median
// and p99 of a whole scrape (connect, GET, read the body) and the series count.

#include "metrics/MetricsServer.hpp"
#include "metrics/TrafficMetrics.hpp"
#include "support/HttpUpstream.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

using namespace dapscope;
namespace op = storage::op;

namespace
{

op::InsertMessage Message(int64_t id, inspector::Kind kind, inspector::Direction dir)
{
    op::InsertMessage m;
    m.row.id = id;
    m.row.session = 1;
    m.row.dir = dir;
    m.row.size = 100;
    m.decoded.id = id;
    m.decoded.envelope.kind = kind;
    return m;
}

// `commands` commands, each answered once with success and once with failure, and as many event names.
storage::StoreOps Traffic(int commands)
{
    storage::StoreOps ops;
    ops.push_back(op::BeginSession{1, {}});
    int64_t id = 0;
    for (int c = 0; c < commands; ++c)
        for (bool success : {true, false})
        {
            auto request = Message(++id, inspector::Kind::Request, inspector::Direction::ClientToServer);
            request.decoded.envelope.command = "command_" + std::to_string(c);
            request.decoded.state = inspector::ExchangeState::Pending;
            ops.push_back(request);
            auto response = Message(++id, inspector::Kind::Response, inspector::Direction::ServerToClient);
            response.decoded.envelope.command = "command_" + std::to_string(c);
            response.decoded.envelope.success = success;
            response.decoded.pairId = id - 1;
            response.decoded.latencyNs = 1'000'000 * (c + 1);
            ops.push_back(response);
            auto event = Message(++id, inspector::Kind::Event, inspector::Direction::ServerToClient);
            event.decoded.envelope.event = "event_" + std::to_string(c);
            ops.push_back(event);
        }
    return ops;
}

double Percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5)];
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Scrape latency of dapscope's /metrics endpoint with about 1,000 series", "dapscope-bench-metrics"};
    int commands = 40;
    int scrapes = 300;
    app.add_option("--commands", commands, "Distinct commands (each adds about 25 series)")->capture_default_str();
    app.add_option("--scrapes", scrapes, "Scrapes measured")->capture_default_str()->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);

    metrics::TrafficMetrics traffic(1000);
    traffic.Observe(Traffic(commands));
    metrics::MetricsServer server("127.0.0.1", 0, traffic.Registry());

    std::vector<double> ms;
    size_t series = 0, bytes = 0;
    for (int i = 0; i < scrapes + 10; ++i)
    {
        const auto start = std::chrono::steady_clock::now();
        test::RawHttpConnection connection(server.Port());
        if (!connection.Send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
            return std::fprintf(stderr, "bench: cannot send\n"), 1;
        auto response = connection.Read(std::chrono::seconds(10));
        if (!response || response->status != 200)
            return std::fprintf(stderr, "bench: scrape failed\n"), 1;
        const double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (i < 10)
            continue; // warm-up
        ms.push_back(elapsed);
        series = 0;
        bytes = response->body.size();
        std::istringstream lines(response->body);
        for (std::string line; std::getline(lines, line);)
            series += !line.empty() && line[0] != '#';
    }
    std::printf("dapscope /metrics: %zu series (%zu bytes); scrape over loopback: median %.2f ms, p99 %.2f ms, max "
                "%.2f ms over %d scrapes\n",
                series, bytes, Percentile(ms, 0.5), Percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()),
                scrapes);
    return 0;
}
