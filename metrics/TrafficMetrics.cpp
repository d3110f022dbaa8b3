#include "TrafficMetrics.hpp"

#include "inspector/Envelope.hpp"
#include "storage/TraceWriter.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <type_traits>

namespace dapscope::metrics
{

namespace
{
using inspector::Kind;

// 100 µs to 60 s: a ping answered on loopback to a pipeline run that takes a minute.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets()
{
    static const prometheus::Histogram::BucketBoundaries buckets{
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    return buckets;
}

// The path of an HTTP request target, without its query (query values may be secret and are unbounded).
std::string Route(const std::string& target)
{
    return target.substr(0, target.find('?'));
}
} // namespace

const std::string& LabelCap::Bound(const std::string& value)
{
    auto found = m_seen.find(value);
    if (found != m_seen.end())
        return *found;
    if (m_seen.size() >= m_cap)
        return m_other;
    return *m_seen.insert(value).first;
}

TrafficMetrics::TrafficMetrics(size_t labelCap)
    : m_requests(prometheus::BuildCounter()
                     .Name("dapscope_requests_total")
                     .Help("Requests answered, by command, subcommand and the answer's success")
                     .Register(*m_registry)),
      m_latency(prometheus::BuildHistogram()
                    .Name("dapscope_request_duration_seconds")
                    .Help("Time from a request's last byte to its answer's first byte, as the proxy saw them")
                    .Register(*m_registry)),
      m_pending(prometheus::BuildGauge()
                    .Name("dapscope_requests_pending")
                    .Help("Requests sent and not answered yet")
                    .Register(*m_registry)
                    .Add({})),
      m_unanswered(prometheus::BuildCounter()
                       .Name("dapscope_requests_unanswered_total")
                       .Help("Requests whose session ended before they were answered, by command")
                       .Register(*m_registry)),
      m_events(prometheus::BuildCounter()
                   .Name("dapscope_events_total")
                   .Help("Events the engine sent, by name")
                   .Register(*m_registry)),
      m_sessionsOpen(prometheus::BuildGauge()
                         .Name("dapscope_sessions_open")
                         .Help("Connections open through the proxy, by protocol (websocket, http)")
                         .Register(*m_registry)),
      m_sessions(prometheus::BuildCounter()
                     .Name("dapscope_sessions_closed_total")
                     .Help("Connections that ended, by protocol (websocket once upgraded, else http)")
                     .Register(*m_registry)),
      m_clients(prometheus::BuildCounter()
                    .Name("dapscope_sessions_authenticated_total")
                    .Help("Sessions that named their client in auth, by client name")
                    .Register(*m_registry)),
      m_messages(prometheus::BuildCounter()
                     .Name("dapscope_messages_total")
                     .Help("Messages, by direction (c2s, s2c) and kind")
                     .Register(*m_registry)),
      m_bytes(prometheus::BuildCounter()
                  .Name("dapscope_message_bytes_total")
                  .Help("Message bytes by direction, decoded (after permessage-deflate) or on the wire")
                  .Register(*m_registry)),
      m_http(prometheus::BuildCounter()
                 .Name("dapscope_http_exchanges_total")
                 .Help("Plain HTTP exchanges through the proxy, by method, route (path without query) and status")
                 .Register(*m_registry)),
      m_capture(prometheus::BuildCounter()
                    .Name("dapscope_capture_messages_total")
                    .Help("Messages given to the store: stored whole, truncated (--max-capture-bytes) or elided "
                          "(capture fell behind)")
                    .Register(*m_registry)),
      m_tasksRunning(prometheus::BuildGauge()
                         .Name("dapscope_tasks_running")
                         .Help("Tasks whose last apaevt_status_update says starting, initializing, running or "
                               "stopping, by pipeline (the status' name)")
                         .Register(*m_registry)),
      m_taskObjects(prometheus::BuildCounter()
                        .Name("dapscope_task_objects_total")
                        .Help("Objects the engine reports in apaevt_status_update (totalCount, completedCount, "
                              "failedCount), summed over tasks, by pipeline and figure")
                        .Register(*m_registry)),
      m_taskBytes(prometheus::BuildCounter()
                      .Name("dapscope_task_bytes_total")
                      .Help("Bytes the engine reports in apaevt_status_update (totalSize, completedSize, failedSize), "
                            "summed over tasks, by pipeline and figure")
                      .Register(*m_registry)),
      m_taskRate(prometheus::BuildGauge()
                     .Name("dapscope_task_rate")
                     .Help("The engine's last reported rate of a pipeline's task (rateCount objects/s, rateSize "
                           "bytes/s), by pipeline and unit")
                     .Register(*m_registry)),
      m_commands(labelCap), m_subcommands(labelCap), m_eventNames(labelCap), m_clientNames(labelCap),
      m_routes(labelCap), m_methods(labelCap), m_pipelines(labelCap)
{
}

void TrafficMetrics::Observe(const storage::StoreOps& batch)
{
    namespace op = storage::op;
    for (const storage::StoreOp& item : batch)
        std::visit(
            [this](const auto& o)
            {
                using T = std::decay_t<decltype(o)>;
                if constexpr (std::is_same_v<T, op::InsertMessage>)
                    Message(o);
                else if constexpr (std::is_same_v<T, op::UpdateMessage>)
                    Update(o.update);
                else if constexpr (std::is_same_v<T, op::BeginSession>)
                {
                    m_sessionsBy[o.id].protocol = o.row.protocol;
                    m_sessionsOpen.Add({{"protocol", o.row.protocol}}).Increment();
                }
                else if constexpr (std::is_same_v<T, op::SessionUpgrade>)
                {
                    auto found = m_sessionsBy.find(o.session);
                    if (found == m_sessionsBy.end() || found->second.protocol == "websocket")
                        return;
                    m_sessionsOpen.Add({{"protocol", found->second.protocol}}).Decrement();
                    found->second.protocol = "websocket";
                    m_sessionsOpen.Add({{"protocol", "websocket"}}).Increment();
                }
                else if constexpr (std::is_same_v<T, op::SessionFacts>)
                {
                    auto found = m_sessionsBy.find(o.session);
                    if (found == m_sessionsBy.end() || found->second.named || o.facts.clientName.empty())
                        return;
                    found->second.named = true;
                    m_clients.Add({{"client", m_clientNames.Bound(o.facts.clientName)}}).Increment();
                }
                else if constexpr (std::is_same_v<T, op::EndSession>)
                {
                    auto found = m_sessionsBy.find(o.session);
                    if (found == m_sessionsBy.end())
                        return;
                    m_sessionsOpen.Add({{"protocol", found->second.protocol}}).Decrement();
                    m_sessions.Add({{"protocol", found->second.protocol}}).Increment();
                    m_sessionsBy.erase(found);
                    std::erase_if(m_open,
                                  [&](const auto& entry)
                                  {
                                      if (entry.second.session != o.session)
                                          return false;
                                      m_pending.Decrement();
                                      return true;
                                  });
                }
            },
            item);
}

void TrafficMetrics::Message(const storage::op::InsertMessage& m)
{
    const storage::MessageRow& row = m.row;
    const inspector::InspectedMessage& d = m.decoded;
    const inspector::Envelope& env = d.envelope;
    const std::string dir(inspector::ToString(row.dir));

    m_messages.Add({{"dir", dir}, {"kind", std::string(inspector::ToString(env.kind))}}).Increment();
    m_bytes.Add({{"dir", dir}, {"layer", "decoded"}}).Increment(static_cast<double>(row.size));
    if (row.wireSize)
        m_bytes.Add({{"dir", dir}, {"layer", "wire"}}).Increment(static_cast<double>(*row.wireSize));
    const char* outcome = (row.flags & storage::MessageFlag::Elided)      ? "elided"
                          : (row.flags & storage::MessageFlag::Truncated) ? "truncated"
                                                                          : "stored";
    m_capture.Add({{"outcome", outcome}}).Increment();

    switch (env.kind)
    {
    case Kind::Request:
        // Its state is already final when its answer came within the same batch: the answer's row follows.
        if (d.state == inspector::ExchangeState::Unanswered)
            m_unanswered.Add({{"command", m_commands.Bound(env.command)}}).Increment();
        else if (d.state != inspector::ExchangeState::DuplicateSeq)
        {
            m_open[row.id] = {row.session, &m_commands.Bound(env.command), &m_subcommands.Bound(env.subcommand)};
            m_pending.Increment();
        }
        break;
    case Kind::HttpRequest:
        if (d.http)
        {
            m_open[row.id] = {row.session, nullptr, nullptr, &m_methods.Bound(d.http->method),
                              &m_routes.Bound(Route(d.http->target))};
            m_pending.Increment();
        }
        break;
    case Kind::Response:
    case Kind::HttpResponse:
        if (d.pairId)
            if (auto found = m_open.find(*d.pairId); found != m_open.end())
            {
                Answered(found->second, env, d.http ? std::optional<int>(d.http->status) : std::nullopt, d.latencyNs);
                m_open.erase(found);
                m_pending.Decrement();
            }
        break;
    case Kind::Event:
        m_events.Add({{"event", m_eventNames.Bound(env.event)}}).Increment();
        if (env.event == "apaevt_status_update" && !(row.flags & storage::MessageFlag::Elided))
            TaskStatus(d.task, inspector::SplitFrame(row.opcode, m.data).json);
        break;
    default:
        break;
    }
}

// The engine's own task figures (PROTOCOL §6.2, TASK_STATUS): its counters are cumulative per task, so each
// report adds what grew since the task's previous one. Only numbers and the pipeline's name are read: notes and
// errors can hold tokens.
void TrafficMetrics::TaskStatus(const std::string& task, std::string_view json)
{
    boost::system::error_code ec;
    boost::json::value root = boost::json::parse(json, ec);
    const boost::json::object* body = nullptr;
    if (!ec && root.is_object())
        if (const auto* b = root.get_object().if_contains("body"); b && b->is_object())
            body = &b->get_object();
    if (!body)
        return;
    auto number = [&](const char* key) -> std::optional<double>
    {
        const auto* v = body->if_contains(key);
        if (!v || !v->is_number())
            return std::nullopt;
        return v->to_number<double>();
    };
    std::string name;
    if (const auto* n = body->if_contains("name"); n && n->is_string())
        name = std::string(n->get_string());
    const std::string key = task.empty() ? name : task;
    if (key.empty())
        return;
    // Finished tasks are remembered (a repeated final report must not count twice) up to a bound.
    if (m_tasks.size() >= kMaxTasks && !m_tasks.count(key))
        std::erase_if(m_tasks, [](const auto& entry) { return !entry.second.running; });
    Task& t = m_tasks[key];
    if (!t.pipeline)
        t.pipeline = &m_pipelines.Bound(name.empty() ? "unknown" : name);
    const std::string& pipeline = *t.pipeline;

    if (auto state = number("state"))
    {
        const bool running = *state >= 1 && *state <= 4; // STARTING .. STOPPING
        if (running != t.running)
            m_tasksRunning.Add({{"pipeline", pipeline}}).Increment(running ? 1 : -1);
        t.running = running;
    }
    static constexpr const char* kFigures[3] = {"total", "completed", "failed"};
    static constexpr const char* kCounts[3] = {"totalCount", "completedCount", "failedCount"};
    static constexpr const char* kSizes[3] = {"totalSize", "completedSize", "failedSize"};
    for (int i = 0; i < 3; ++i)
    {
        if (auto count = number(kCounts[i]); count && *count > t.objects[i])
        {
            m_taskObjects.Add({{"pipeline", pipeline}, {"figure", kFigures[i]}}).Increment(*count - t.objects[i]);
            t.objects[i] = *count;
        }
        if (auto size = number(kSizes[i]); size && *size > t.bytes[i])
        {
            m_taskBytes.Add({{"pipeline", pipeline}, {"figure", kFigures[i]}}).Increment(*size - t.bytes[i]);
            t.bytes[i] = *size;
        }
    }
    if (auto rate = number("rateCount"))
        m_taskRate.Add({{"pipeline", pipeline}, {"unit", "objects_per_second"}}).Set(*rate);
    if (auto rate = number("rateSize"))
        m_taskRate.Add({{"pipeline", pipeline}, {"unit", "bytes_per_second"}}).Set(*rate);
}

void TrafficMetrics::Update(const inspector::MessageUpdate& u)
{
    if (u.state != inspector::ExchangeState::Unanswered)
        return;
    auto found = m_open.find(u.id);
    if (found == m_open.end())
        return;
    const std::string& command = found->second.command ? *found->second.command : *found->second.route;
    m_unanswered.Add({{"command", command}}).Increment();
    m_open.erase(found);
    m_pending.Decrement();
}

void TrafficMetrics::Answered(const Request& request, const inspector::Envelope& response,
                              std::optional<int> httpStatus, std::optional<int64_t> latencyNs)
{
    if (request.route)
    {
        m_http
            .Add({{"method", *request.method},
                  {"route", *request.route},
                  {"status", httpStatus ? std::to_string(*httpStatus) : "none"}})
            .Increment();
        return;
    }
    const bool success = response.success.value_or(true);
    m_requests
        .Add({{"command", *request.command},
              {"subcommand", *request.subcommand},
              {"success", success ? "true" : "false"}})
        .Increment();
    if (latencyNs)
        m_latency.Add({{"command", *request.command}, {"subcommand", *request.subcommand}}, LatencyBuckets())
            .Observe(static_cast<double>(*latencyNs) / 1e9);
}

} // namespace dapscope::metrics
