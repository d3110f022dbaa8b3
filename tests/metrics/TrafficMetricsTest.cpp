// The Prometheus figures of the recorder's batches: fed store operations as the Ingestor makes them, the
// registry holds the counts, latencies and gauges, and traffic cannot grow the series past the label cap.

#include "metrics/TrafficMetrics.hpp"

#include <prometheus/text_serializer.h>

#include <gtest/gtest.h>

#include <sstream>

using namespace dapscope;
namespace op = storage::op;

namespace
{

// The registry in the text exposition format, as a scrape gets it.
std::string Scrape(const metrics::TrafficMetrics& metrics)
{
    return prometheus::TextSerializer().Serialize(metrics.Registry()->Collect());
}

// The value of one series in the exposition text ("name{labels} value"), or -1 when it is absent.
double Value(const std::string& text, const std::string& series)
{
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (line.compare(0, series.size() + 1, series + " ") == 0)
            return std::stod(line.substr(series.size() + 1));
    return -1;
}

size_t SeriesOf(const std::string& text, const std::string& name)
{
    size_t count = 0;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        count += line.compare(0, name.size() + 1, name + "{") == 0;
    return count;
}

class Traffic
{
  public:
    storage::StoreOps ops;

    void Begin(int64_t session, const std::string& protocol = "websocket")
    {
        storage::SessionRow row;
        row.protocol = protocol;
        ops.push_back(op::BeginSession{session, row});
    }
    void Request(int64_t session, int64_t id, const std::string& command, const std::string& subcommand = "")
    {
        op::InsertMessage m = Message(session, id, inspector::Direction::ClientToServer, inspector::Kind::Request);
        m.decoded.envelope.command = command;
        m.decoded.envelope.subcommand = subcommand;
        m.decoded.state = inspector::ExchangeState::Pending;
        ops.push_back(std::move(m));
    }
    void Response(int64_t session, int64_t id, int64_t request, const std::string& command, bool success,
                  int64_t latencyNs)
    {
        op::InsertMessage m = Message(session, id, inspector::Direction::ServerToClient, inspector::Kind::Response);
        m.decoded.envelope.command = command;
        m.decoded.envelope.success = success;
        m.decoded.state = inspector::ExchangeState::Answered;
        m.decoded.pairId = request;
        m.decoded.latencyNs = latencyNs;
        ops.push_back(std::move(m));
    }
    void Event(int64_t session, int64_t id, const std::string& name)
    {
        op::InsertMessage m = Message(session, id, inspector::Direction::ServerToClient, inspector::Kind::Event);
        m.decoded.envelope.event = name;
        ops.push_back(std::move(m));
    }
    void Status(int64_t session, int64_t id, const std::string& task, const std::string& body)
    {
        Event(session, id, "apaevt_status_update");
        auto& m = std::get<op::InsertMessage>(ops.back());
        m.decoded.task = task;
        m.data = R"({"type":"event","event":"apaevt_status_update","seq":1,"body":)" + body + "}";
        m.row.size = m.data.size();
    }
    void End(int64_t session) { ops.push_back(op::EndSession{session, {}}); }

  private:
    static op::InsertMessage Message(int64_t session, int64_t id, inspector::Direction dir, inspector::Kind kind)
    {
        op::InsertMessage m;
        m.row.id = id;
        m.row.session = session;
        m.row.dir = dir;
        m.row.size = 100;
        m.row.wireSize = 40;
        m.decoded.id = id;
        m.decoded.envelope.kind = kind;
        return m;
    }
};

} // namespace

TEST(TrafficMetrics, CountsRequestsByOutcomeLatenciesEventsAndBytes)
{
    metrics::TrafficMetrics metrics;
    Traffic t;
    t.Begin(1);
    t.Request(1, 1, "rrext_ping");
    t.Response(1, 2, 1, "rrext_ping", true, 300'000); // 0.3 ms
    t.Request(1, 3, "rrext_process", "write");
    t.Response(1, 4, 3, "rrext_process", false, 2'000'000'000); // 2 s
    t.Request(1, 5, "rrext_ping");
    t.Event(1, 6, "apaevt_task");
    t.Event(1, 7, "apaevt_task");
    metrics.Observe(t.ops);

    std::string text = Scrape(metrics);
    EXPECT_EQ(Value(text, R"(dapscope_requests_total{command="rrext_ping",subcommand="",success="true"})"), 1);
    EXPECT_EQ(Value(text, R"(dapscope_requests_total{command="rrext_process",subcommand="write",success="false"})"), 1);
    EXPECT_EQ(Value(text, R"(dapscope_request_duration_seconds_count{command="rrext_ping",subcommand=""})"), 1);
    EXPECT_EQ(
        Value(text, R"(dapscope_request_duration_seconds_bucket{command="rrext_ping",subcommand="",le="0.0001"})"), 0);
    EXPECT_EQ(
        Value(text, R"(dapscope_request_duration_seconds_bucket{command="rrext_ping",subcommand="",le="0.0005"})"), 1);
    EXPECT_EQ(
        Value(text, R"(dapscope_request_duration_seconds_bucket{command="rrext_process",subcommand="write",le="1"})"),
        0);
    EXPECT_EQ(
        Value(text, R"(dapscope_request_duration_seconds_bucket{command="rrext_process",subcommand="write",le="2.5"})"),
        1);
    EXPECT_EQ(Value(text, "dapscope_requests_pending"), 1);
    EXPECT_EQ(Value(text, R"(dapscope_events_total{event="apaevt_task"})"), 2);
    EXPECT_EQ(Value(text, R"(dapscope_sessions_open{protocol="websocket"})"), 1);
    EXPECT_EQ(Value(text, R"(dapscope_message_bytes_total{dir="c2s",layer="decoded"})"), 300);
    EXPECT_EQ(Value(text, R"(dapscope_message_bytes_total{dir="s2c",layer="wire"})"), 160);
    EXPECT_EQ(Value(text, R"(dapscope_capture_messages_total{outcome="stored"})"), 7);

    // The session ends with the second ping unanswered.
    storage::StoreOps end;
    end.push_back(op::UpdateMessage{{5, inspector::ExchangeState::Unanswered, {}, {}, "", {}}});
    end.push_back(op::EndSession{1, {}});
    metrics.Observe(end);
    text = Scrape(metrics);
    EXPECT_EQ(Value(text, "dapscope_requests_pending"), 0);
    EXPECT_EQ(Value(text, R"(dapscope_requests_unanswered_total{command="rrext_ping"})"), 1);
    EXPECT_EQ(Value(text, R"(dapscope_sessions_open{protocol="websocket"})"), 0);
    EXPECT_EQ(Value(text, R"(dapscope_sessions_closed_total{protocol="websocket"})"), 1);
}

TEST(TrafficMetrics, AnHttpConnectionThatUpgradesCountsAsAWebSocketSession)
{
    metrics::TrafficMetrics metrics;
    Traffic t;
    t.Begin(1, "http");
    t.Begin(2, "http");
    t.ops.push_back(op::SessionUpgrade{2, "", std::nullopt, ""});
    metrics.Observe(t.ops);
    std::string text = Scrape(metrics);
    EXPECT_EQ(Value(text, R"(dapscope_sessions_open{protocol="http"})"), 1);
    EXPECT_EQ(Value(text, R"(dapscope_sessions_open{protocol="websocket"})"), 1);
    storage::StoreOps end{op::EndSession{1, {}}, op::EndSession{2, {}}};
    metrics.Observe(end);
    text = Scrape(metrics);
    EXPECT_EQ(Value(text, R"(dapscope_sessions_closed_total{protocol="http"})"), 1);
    EXPECT_EQ(Value(text, R"(dapscope_sessions_closed_total{protocol="websocket"})"), 1);
}

TEST(TrafficMetrics, TenThousandDistinctCommandsStayUnderTheLabelCap)
{
    metrics::TrafficMetrics metrics(50);
    Traffic t;
    t.Begin(1);
    for (int i = 0; i < 10000; ++i)
    {
        t.Request(1, 2 * i + 1, "unknown_" + std::to_string(i));
        t.Response(1, 2 * i + 2, 2 * i + 1, "unknown_" + std::to_string(i), false, 1000);
        t.Event(1, 100000 + i, "event_" + std::to_string(i));
    }
    metrics.Observe(t.ops);
    std::string text = Scrape(metrics);
    EXPECT_EQ(SeriesOf(text, "dapscope_requests_total"), 51u); // 50 commands and "other"
    EXPECT_EQ(SeriesOf(text, "dapscope_events_total"), 51u);
    EXPECT_EQ(Value(text, R"(dapscope_requests_total{command="other",subcommand="",success="false"})"), 9950);
    EXPECT_EQ(Value(text, R"(dapscope_events_total{event="other"})"), 9950);
}

TEST(TrafficMetrics, TaskFiguresComeFromTheEnginesStatusUpdates)
{
    metrics::TrafficMetrics metrics;
    Traffic t;
    t.Begin(1);
    // Two tasks of one pipeline; the engine's counters are cumulative per task.
    t.Status(1, 1, "a.webhook_1", R"({"name":"hello.webhook_1","state":3,"totalCount":4,"completedCount":3,"failedCount":1,"completedSize":300,"rateCount":2.5,"notes":["tk_secret"]})");
    t.Status(1, 2, "a.webhook_1", R"({"name":"hello.webhook_1","state":3,"totalCount":6,"completedCount":5,"failedCount":1,"completedSize":500,"rateCount":1.5})");
    t.Status(1, 3, "b.webhook_1", R"({"name":"hello.webhook_1","state":1,"totalCount":2,"completedCount":2})");
    metrics.Observe(t.ops);
    std::string text = Scrape(metrics);
    EXPECT_EQ(Value(text, R"(dapscope_task_objects_total{figure="total",pipeline="hello.webhook_1"})"), 8);
    EXPECT_EQ(Value(text, R"(dapscope_task_objects_total{figure="completed",pipeline="hello.webhook_1"})"), 7);
    EXPECT_EQ(Value(text, R"(dapscope_task_objects_total{figure="failed",pipeline="hello.webhook_1"})"), 1);
    EXPECT_EQ(Value(text, R"(dapscope_task_bytes_total{figure="completed",pipeline="hello.webhook_1"})"), 500);
    EXPECT_EQ(Value(text, R"(dapscope_task_rate{pipeline="hello.webhook_1",unit="objects_per_second"})"), 1.5);
    EXPECT_EQ(Value(text, R"(dapscope_tasks_running{pipeline="hello.webhook_1"})"), 2);
    EXPECT_EQ(text.find("tk_secret"), std::string::npos);

    // The first task completes and reports its final figures twice: counted once, no longer running.
    Traffic done;
    done.Status(1, 4, "a.webhook_1", R"({"name":"hello.webhook_1","state":5,"totalCount":7,"completedCount":6,"failedCount":1})");
    done.Status(1, 5, "a.webhook_1", R"({"name":"hello.webhook_1","state":5,"totalCount":7,"completedCount":6,"failedCount":1})");
    metrics.Observe(done.ops);
    text = Scrape(metrics);
    EXPECT_EQ(Value(text, R"(dapscope_task_objects_total{figure="total",pipeline="hello.webhook_1"})"), 9);
    EXPECT_EQ(Value(text, R"(dapscope_tasks_running{pipeline="hello.webhook_1"})"), 1);
}
