// `dapscope proxy --otlp`: the proxy posts the spans of a scripted SDK session to a collector the test runs (an
// HTTP server on loopback that records what it receives); the spans have the mapping of otlp/Spans.hpp; nothing
// secret is in them; a collector that refuses for a while gets the spans once it takes them; with the collector
// gone the relay goes on and the drops are counted; `dapscope export --format otlp` gives the same spans. The JSON
// is also decoded by an independent decoder: the OpenTelemetry JavaScript packages' protobuf definitions
// (tests/otlp/node, installed by scripts/install-deps.sh).

#include "mock/DemoSession.hpp"
#include "support/HttpUpstream.hpp"
#include "support/MockEngine.hpp"
#include "support/ProxyProcess.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace
{

constexpr const char* kApiKey = "sk-otlp-test-key-1234567890";

struct SpanRow
{
    std::string traceId, spanId, parent, name;
    int64_t status = 0;
    std::string start, end;
    std::string text; // the span as JSON, to look for secrets
    std::map<std::string, std::string> attributes;

    auto Key() const { return std::tie(spanId, traceId, parent, name, status, start, end); }
};

std::string ValueText(const json::value& v)
{
    const json::object& o = v.as_object();
    if (auto* s = o.if_contains("stringValue"))
        return std::string(s->as_string());
    if (auto* i = o.if_contains("intValue"))
        return std::string(i->as_string());
    if (auto* b = o.if_contains("boolValue"))
        return b->as_bool() ? "true" : "false";
    return "?";
}

// Every span of every OTLP JSON request in `bodies`.
std::vector<SpanRow> Spans(const std::vector<std::string>& bodies)
{
    std::vector<SpanRow> rows;
    for (const std::string& body : bodies)
    {
        json::value doc = json::parse(body);
        for (const auto& rs : doc.at("resourceSpans").as_array())
            for (const auto& ss : rs.at("scopeSpans").as_array())
                for (const auto& s : ss.at("spans").as_array())
                {
                    SpanRow row;
                    row.traceId = std::string(s.at("traceId").as_string());
                    row.spanId = std::string(s.at("spanId").as_string());
                    if (auto* parent = s.as_object().if_contains("parentSpanId"))
                        row.parent = std::string(parent->as_string());
                    row.name = std::string(s.at("name").as_string());
                    row.status = s.at("status").at("code").as_int64();
                    row.start = std::string(s.at("startTimeUnixNano").as_string());
                    row.end = std::string(s.at("endTimeUnixNano").as_string());
                    row.text = json::serialize(s);
                    for (const auto& a : s.at("attributes").as_array())
                        row.attributes[std::string(a.at("key").as_string())] = ValueText(a.at("value"));
                    rows.push_back(std::move(row));
                }
    }
    return rows;
}

// A collector: answers `status()` to each post and keeps the bodies of the accepted ones.
class Collector
{
  public:
    explicit Collector(std::function<int()> status = [] { return 200; })
        : m_server(
              [this, status](const test::ReceivedRequest& request)
              {
                  const int code = status();
                  std::lock_guard lock(m_mutex);
                  m_heads.push_back(request.rawHead);
                  if (code == 200)
                      m_bodies.push_back(request.body);
                  return test::HttpReply{test::HttpResponseBytes(code, code == 200 ? "OK" : "Unavailable", "{}"),
                                         false};
              })
    {
    }
    std::string Url() const { return "http://127.0.0.1:" + std::to_string(m_server.Port()); }

    // The accepted bodies, once their spans number at least `spans` (within 30 s).
    std::vector<std::string> WaitForSpans(size_t spans)
    {
        for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;
             std::this_thread::sleep_for(100ms))
            if (Spans(Bodies()).size() >= spans)
                break;
        return Bodies();
    }
    std::vector<std::string> Bodies()
    {
        std::lock_guard lock(m_mutex);
        return m_bodies;
    }
    std::vector<std::string> Heads()
    {
        std::lock_guard lock(m_mutex);
        return m_heads;
    }

  private:
    std::mutex m_mutex;
    std::vector<std::string> m_bodies;
    std::vector<std::string> m_heads;
    test::HttpUpstream m_server;
};

// The span count the independent decoder (tests/otlp/node/check.js) reads from a file of OTLP JSON lines; -1 when
// it refuses the file.
int DecodedSpans(const std::string& file)
{
    test::TestProcess check({"/usr/bin/env", "node", std::string(DAPSCOPE_FIXTURES) + "/../otlp/node/check.js", file},
                            {}, true);
    std::optional<std::string> line = check.WaitForLine("spans ", 60s);
    const int status = check.Wait(10s).value_or(-1);
    if (!line || status != 0)
    {
        ADD_FAILURE() << "the OTLP decoder refused " << file << ":\n" << check.Output();
        return -1;
    }
    return std::stoi(line->substr(line->find("spans ") + 6));
}

// The spans the exchanges of a demo session make: one per answered request.
size_t Exchanges(const std::vector<SpanRow>& spans)
{
    return std::count_if(spans.begin(), spans.end(), [](const SpanRow& s) { return s.attributes.count("rocketride.command"); });
}

} // namespace

TEST(Otlp, TheProxyPostsTheSpansOfASessionWithTheMapping)
{
    test::TempDir dir;
    test::MockEngine engine;
    Collector collector;
    test::ProxyProcess proxy(engine.Address(), dir.File("traces.db"), {"--otlp", collector.Url()});
    ASSERT_NE(proxy.Port(), 0) << proxy.Process().Output();
    mock::DemoReport report = mock::RunDemoSession(proxy.Url(), kApiKey);
    ASSERT_TRUE(report.problems.empty()) << report.problems.front();
    ASSERT_FALSE(report.task.empty());
    // The session's end finishes its task and session spans: stop the proxy, then read what arrived.
    ASSERT_EQ(proxy.Stop(), 0);
    EXPECT_TRUE(proxy.Process().WaitForLine("otlp: ", 5s)) << proxy.Process().Output();

    std::vector<SpanRow> spans = Spans(collector.Bodies());
    ASSERT_FALSE(spans.empty());
    for (const std::string& head : collector.Heads())
    {
        EXPECT_EQ(head.rfind("POST /v1/traces HTTP/1.1\r\n", 0), 0u) << head;
        EXPECT_NE(head.find("Content-Type: application/json"), std::string::npos) << head;
    }
    EXPECT_EQ(Exchanges(spans), static_cast<size_t>(report.answered));

    // The task's trace: its span is the parent of its exchanges; everything else hangs from the session's span.
    auto task = std::find_if(spans.begin(), spans.end(), [&](const SpanRow& s) { return s.name == "task " + report.task; });
    ASSERT_NE(task, spans.end());
    auto session = std::find_if(spans.begin(), spans.end(), [](const SpanRow& s) { return s.name.rfind("session ", 0) == 0; });
    ASSERT_NE(session, spans.end());
    EXPECT_TRUE(task->parent.empty());
    EXPECT_TRUE(session->parent.empty());
    std::set<std::string> ids;
    for (const SpanRow& s : spans)
        ids.insert(s.spanId);
    EXPECT_EQ(ids.size(), spans.size()); // span ids are unique
    size_t inTask = 0, failed = 0;
    for (const SpanRow& s : spans)
    {
        EXPECT_EQ(s.traceId.size(), 32u);
        EXPECT_EQ(s.spanId.size(), 16u);
        if (!s.parent.empty())
        {
            EXPECT_TRUE(ids.count(s.parent)) << s.name << " has a parent that was not sent";
        }
        if (!s.attributes.count("rocketride.command"))
            continue;
        if (s.attributes.count("rocketride.task"))
        {
            ++inTask;
            EXPECT_EQ(s.attributes.at("rocketride.task"), report.task);
            EXPECT_EQ(s.traceId, task->traceId);
            EXPECT_EQ(s.parent, task->spanId);
        }
        else
        {
            EXPECT_EQ(s.traceId, session->traceId);
            EXPECT_EQ(s.parent, session->spanId);
        }
        if (s.status == 2)
        {
            ++failed;
            EXPECT_EQ(s.attributes.at("rocketride.success"), "false");
            EXPECT_TRUE(s.attributes.count("rocketride.message")) << s.text;
        }
    }
    EXPECT_GT(inTask, 5u);
    EXPECT_EQ(failed, static_cast<size_t>(report.expectedFailures));
    // The task's events are on its span, and the auth span names no key.
    EXPECT_NE(task->text.find("\"events\""), std::string::npos);
    for (const std::string& body : collector.Bodies())
    {
        EXPECT_EQ(body.find(kApiKey), std::string::npos);
        EXPECT_EQ(body.find("sk-otlp"), std::string::npos);
    }

    // The stored session exports the same spans.
    test::TestProcess exported({test::BinPath("dapscope"), "export", "1", "--db", dir.File("traces.db"), "--format",
                                "otlp", "-o", dir.File("spans.json")});
    ASSERT_EQ(exported.Wait(30s), 0);
    std::ifstream file(dir.File("spans.json"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(file, line);)
        lines.push_back(line);
    std::vector<SpanRow> stored = Spans(lines);
    EXPECT_EQ(DecodedSpans(dir.File("spans.json")), static_cast<int>(stored.size()));
    {
        std::ofstream posted(dir.File("posted.json"));
        for (const std::string& body : collector.Bodies())
            posted << body << "\n";
    }
    EXPECT_EQ(DecodedSpans(dir.File("posted.json")), static_cast<int>(spans.size()));
    auto byId = [](std::vector<SpanRow> rows)
    {
        std::sort(rows.begin(), rows.end(), [](const SpanRow& a, const SpanRow& b) { return a.spanId < b.spanId; });
        return rows;
    };
    // ... and posts them with --otlp.
    Collector second;
    test::TestProcess posted({test::BinPath("dapscope"), "export", "1", "--db", dir.File("traces.db"), "--otlp",
                              second.Url()});
    ASSERT_EQ(posted.Wait(30s), 0);
    EXPECT_EQ(Spans(second.Bodies()).size(), stored.size());

    std::vector<SpanRow> live = byId(spans), after = byId(stored);
    ASSERT_EQ(live.size(), after.size());
    for (size_t i = 0; i < live.size(); ++i)
    {
        EXPECT_EQ(live[i].Key(), after[i].Key()) << live[i].text << "\n" << after[i].text;
        EXPECT_EQ(live[i].attributes, after[i].attributes) << live[i].name;
    }
}

TEST(Otlp, ACollectorThatRefusesForAWhileGetsTheSpansLater)
{
    test::TempDir dir;
    test::MockEngine engine;
    std::atomic<bool> up{false};
    std::atomic<int> refused{0};
    Collector collector(
        [&]
        {
            if (up)
                return 200;
            ++refused;
            return 503;
        });
    test::ProxyProcess proxy(engine.Address(), dir.File("traces.db"), {"--otlp", collector.Url()});
    mock::DemoReport report = mock::RunDemoSession(proxy.Url(), kApiKey);
    ASSERT_TRUE(report.problems.empty()) << report.problems.front();
    // The relay is unaffected: a second session works while posts are refused.
    mock::DemoReport second = mock::RunDemoSession(proxy.Url(), kApiKey);
    ASSERT_TRUE(second.problems.empty()) << second.problems.front();
    for (auto deadline = std::chrono::steady_clock::now() + 20s; refused == 0 && std::chrono::steady_clock::now() < deadline;)
        std::this_thread::sleep_for(50ms);
    ASSERT_GT(refused.load(), 0);
    up = true;
    std::vector<SpanRow> spans = Spans(collector.WaitForSpans(static_cast<size_t>(report.answered + second.answered)));
    EXPECT_EQ(Exchanges(spans), static_cast<size_t>(report.answered + second.answered));
    EXPECT_EQ(proxy.Stop(), 0);
}

TEST(Otlp, WithTheCollectorGoneTheRelayGoesOnAndDropsAreCounted)
{
    test::TempDir dir;
    test::MockEngine engine;
    int port;
    {
        test::HttpUpstream closed; // a port that was just free: nothing listens there once it is gone
        port = closed.Port();
    }
    test::ProxyProcess proxy(engine.Address(), dir.File("traces.db"),
                             {"--otlp", "http://127.0.0.1:" + std::to_string(port), "--otlp-max-queue", "10",
                              "--metrics", "127.0.0.1:0"},
                             {.mergeStderr = true});
    ASSERT_NE(proxy.Port(), 0) << proxy.Process().Output();
    auto metricsLine = proxy.Process().WaitForLine("metrics at http://", 10s);
    ASSERT_TRUE(metricsLine);
    const int metrics = std::stoi(metricsLine->substr(metricsLine->rfind(':') + 1));
    for (int i = 0; i < 3; ++i)
    {
        mock::DemoReport report = mock::RunDemoSession(proxy.Url(), kApiKey);
        ASSERT_TRUE(report.problems.empty()) << report.problems.front();
    }
    double dropped = 0;
    for (auto deadline = std::chrono::steady_clock::now() + 20s; dropped == 0 && std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(100ms))
    {
        test::RawHttpConnection connection(metrics);
        ASSERT_TRUE(connection.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        auto response = connection.Read(5s);
        ASSERT_TRUE(response);
        std::istringstream lines(response->body);
        for (std::string line; std::getline(lines, line);)
            if (line.rfind("dapscope_otlp_spans_total{outcome=\"dropped\"}", 0) == 0)
                dropped = std::stod(line.substr(line.rfind(' ') + 1));
    }
    EXPECT_GT(dropped, 0);
    EXPECT_EQ(proxy.Stop(), 0);
    EXPECT_TRUE(proxy.Process().WaitForLine("spans dropped", 5s)) << proxy.Process().Output();
}
