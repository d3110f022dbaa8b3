// `dapscope proxy --metrics`: Debian's Prometheus scrapes the proxy while a scripted SDK session runs through it,
// and its query API gives the counts the session made; the series stay under the label cap whatever a client
// sends; with --access-token a scrape needs the token.

#include "mock/DapClient.hpp"
#include "mock/DemoSession.hpp"
#include "support/HttpUpstream.hpp"
#include "support/MockEngine.hpp"
#include "support/ProxyProcess.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace
{

// The port of the proxy's metrics endpoint, from its "metrics at" line (0 when it printed none).
int MetricsPort(test::ProxyProcess& proxy)
{
    std::optional<std::string> line = proxy.Process().WaitForLine("metrics at http://", 10s);
    if (!line)
        return 0;
    size_t colon = line->rfind(':');
    return std::stoi(line->substr(colon + 1));
}

// A loopback port nothing listens on now.
int FreePort()
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

std::optional<test::ReadResponse> Get(int port, const std::string& target, const std::string& extraHeaders = "")
{
    test::RawHttpConnection connection(port);
    if (!connection.Connected() || !connection.Send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                                    extraHeaders + "Connection: close\r\n\r\n"))
        return std::nullopt;
    return connection.Read(5s);
}

std::string Encoded(const std::string& text)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text)
        if (std::isalnum(c) || c == '_' || c == '-' || c == '.')
            out += static_cast<char>(c);
        else
            out += std::string("%") + hex[c >> 4] + hex[c & 15];
    return out;
}

// Prometheus 2 from Debian, scraping one target every 500 ms, with its data in `dir`.
class Prometheus
{
  public:
    Prometheus(const test::TempDir& dir, int target)
        : m_port(FreePort()),
          m_process(
              [&]
              {
                  std::ofstream(dir.File("prometheus.yml"))
                      << "global:\n  scrape_interval: 500ms\n  evaluation_interval: 500ms\n"
                         "scrape_configs:\n  - job_name: dapscope\n    static_configs:\n"
                         "      - targets: ['127.0.0.1:"
                      << target << "']\n";
                  return std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + dir.File("prometheus.yml"),
                                                  "--storage.tsdb.path=" + dir.File("tsdb"),
                                                  "--web.listen-address=127.0.0.1:" + std::to_string(m_port)};
              }())
    {
    }

    // The value of a PromQL query returning one sample, once it equals `expected` (within 30 s); else the last one.
    double WaitFor(const std::string& query, double expected)
    {
        double value = -1;
        for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;
             std::this_thread::sleep_for(250ms))
        {
            auto response = Get(m_port, "/api/v1/query?query=" + Encoded(query));
            if (!response || response->status != 200)
                continue;
            json::value doc = json::parse(response->body);
            const json::array& result = doc.at("data").at("result").as_array();
            if (result.size() != 1)
                continue;
            value = std::stod(std::string(result[0].at("value").as_array()[1].as_string()));
            if (value == expected)
                break;
        }
        return value;
    }

  private:
    int m_port;
    test::TestProcess m_process;
};

} // namespace

TEST(Metrics, PrometheusScrapesTheCountsOfAScriptedSession)
{
    test::TempDir dir;
    test::MockEngine engine;
    test::ProxyProcess proxy(engine.Address(), dir.File("traces.db"), {"--metrics", "127.0.0.1:0"});
    ASSERT_NE(proxy.Port(), 0);
    const int metrics = MetricsPort(proxy);
    ASSERT_NE(metrics, 0) << proxy.Process().Output();

    mock::DemoReport report = mock::RunDemoSession(proxy.Url(), "sk-metrics-test-key");
    ASSERT_TRUE(report.problems.empty()) << report.problems.front();
    ASSERT_GT(report.answered, 10);
    ASSERT_GT(report.events, 5);

    Prometheus prometheus(dir, metrics);
    EXPECT_EQ(prometheus.WaitFor("sum(dapscope_requests_total)", report.answered), report.answered);
    EXPECT_EQ(prometheus.WaitFor("sum(dapscope_request_duration_seconds_count)", report.answered), report.answered);
    EXPECT_EQ(prometheus.WaitFor("sum(dapscope_requests_total{success=\"false\"})", report.expectedFailures),
              report.expectedFailures);
    EXPECT_EQ(prometheus.WaitFor("sum(dapscope_events_total)", report.events), report.events);
    EXPECT_EQ(prometheus.WaitFor("sum(dapscope_requests_total{command=\"auth\"})", 1), 1);
    EXPECT_EQ(prometheus.WaitFor("sum(dapscope_sessions_closed_total)", 1), 1);
    EXPECT_EQ(prometheus.WaitFor("sum(dapscope_sessions_open)", 0), 0);
    EXPECT_EQ(prometheus.WaitFor("dapscope_requests_pending", 0), 0);

    // Nothing secret in any series.
    auto text = Get(metrics, "/metrics");
    ASSERT_TRUE(text);
    EXPECT_EQ(text->body.find("sk-metrics-test-key"), std::string::npos);
    // The engine's task figures (the mock engine counts the objects its pipes completed) and capture health.
    double completed = 0;
    bool gaps = false;
    std::istringstream lines(text->body);
    for (std::string line; std::getline(lines, line);)
    {
        if (line.rfind("dapscope_task_objects_total{figure=\"completed\"", 0) == 0)
            completed += std::stod(line.substr(line.rfind(' ') + 1));
        gaps = gaps || line == "dapscope_capture_gaps_total 0";
    }
    EXPECT_GT(completed, 0) << text->body;
    EXPECT_TRUE(gaps) << text->body;
    EXPECT_EQ(proxy.Stop(), 0);
}

TEST(Metrics, TenThousandDistinctCommandsStayUnderTheLabelCap)
{
    test::TempDir dir;
    test::MockEngine engine;
    test::ProxyProcess proxy(engine.Address(), dir.File("traces.db"),
                             {"--metrics", "127.0.0.1:0", "--metrics-label-cap", "50", "--quiet"});
    const int metrics = MetricsPort(proxy);
    ASSERT_NE(metrics, 0) << proxy.Process().Output();
    auto client = mock::DapClient::Connect(proxy.Url());
    ASSERT_TRUE(client->Call("auth", {{"auth", "sk-metrics-test-key"}}));
    std::vector<int64_t> sent;
    for (int i = 0; i < 10000; ++i)
    {
        sent.push_back(client->Send("unknown_command_" + std::to_string(i)));
        if (sent.size() == 100) // 100 in flight, as a busy SDK has
        {
            for (int64_t seq : sent)
                ASSERT_TRUE(client->Wait(seq));
            sent.clear();
        }
    }
    client->Close();

    size_t series = 0;
    double total = 0;
    for (auto deadline = std::chrono::steady_clock::now() + 20s;
         std::chrono::steady_clock::now() < deadline && total < 10000; std::this_thread::sleep_for(100ms))
    {
        auto text = Get(metrics, "/metrics");
        ASSERT_TRUE(text);
        series = 0;
        total = 0;
        std::istringstream lines(text->body);
        for (std::string line; std::getline(lines, line);)
            if (line.rfind("dapscope_requests_total{", 0) == 0)
            {
                ++series;
                total += std::stod(line.substr(line.rfind(' ') + 1));
            }
    }
    EXPECT_EQ(total, 10001); // and the auth
    EXPECT_LE(series, 51u); // 50 commands and "other"
    EXPECT_EQ(proxy.Stop(), 0);
}

TEST(Metrics, WithAnAccessTokenAScrapeNeedsIt)
{
    test::TempDir dir;
    test::MockEngine engine;
    test::ProxyProcess proxy(engine.Address(), dir.File("traces.db"),
                             {"--metrics", "127.0.0.1:0", "--access-token", "s3cret-token"});
    const int metrics = MetricsPort(proxy);
    ASSERT_NE(metrics, 0) << proxy.Process().Output();
    auto refused = Get(metrics, "/metrics");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    auto wrong = Get(metrics, "/metrics", "Authorization: Basic cHJvbWV0aGV1czp3cm9uZw==\r\n"); // prometheus:wrong
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401);
    auto allowed = Get(metrics, "/metrics", "Authorization: Basic cHJvbWV0aGV1czpzM2NyZXQtdG9rZW4=\r\n");
    ASSERT_TRUE(allowed);
    EXPECT_EQ(allowed->status, 200);
    EXPECT_NE(allowed->body.find("dapscope_requests_pending"), std::string::npos);
}

TEST(Metrics, AMetricsAddressInUseIsAClearError)
{
    test::TempDir dir;
    test::MockEngine engine;
    test::TestProcess proxy({test::BinPath("dapscope"), "proxy", "--upstream", engine.Address(), "--listen",
                             "127.0.0.1:0", "--db", dir.File("traces.db"), "--metrics", engine.Address()},
                            {}, true);
    EXPECT_TRUE(proxy.WaitForLine("cannot listen", 10s));
    EXPECT_EQ(proxy.Wait(10s), 2);
    EXPECT_NE(proxy.Output().find("--metrics " + engine.Address() + ": cannot listen"), std::string::npos)
        << proxy.Output();
}
