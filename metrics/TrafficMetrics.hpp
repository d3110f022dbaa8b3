#pragma once
// Prometheus figures of the traffic the recorder decodes. Fed each batch of store operations (on the recorder's
// decode thread, so the relay never waits for it), it counts requests, answers, latencies, events, sessions,
// bytes and HTTP exchanges into a prometheus-cpp registry that an exposer serves. Every label value that comes
// from traffic is capped: past `labelCap` distinct values of one label, new ones count as "other".

#include "storage/StoreOps.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace dapscope::metrics
{

// Distinct values of one traffic label, at most `cap`; the rest are folded into "other".
class LabelCap
{
  public:
    explicit LabelCap(size_t cap) : m_cap(cap) {}
    const std::string& Bound(const std::string& value);

  private:
    size_t m_cap;
    std::unordered_set<std::string> m_seen;
    std::string m_other = "other";
};

class TrafficMetrics
{
  public:
    static constexpr size_t kDefaultLabelCap = 200;
    static constexpr size_t kMaxTasks = 10000; // tasks whose last figures are kept

    explicit TrafficMetrics(size_t labelCap = kDefaultLabelCap);

    const std::shared_ptr<prometheus::Registry>& Registry() const { return m_registry; }

    // One batch of the recorder, in order. Not thread-safe: one thread feeds it (the registry may be read by any).
    void Observe(const storage::StoreOps& batch);

  private:
    struct Request
    {
        int64_t session = 0;
        const std::string* command = nullptr; // capped label values (owned by the LabelCaps)
        const std::string* subcommand = nullptr;
        const std::string* method = nullptr; // HTTP requests
        const std::string* route = nullptr;
    };
    struct Session
    {
        std::string protocol;
        bool named = false; // its client name was counted
    };

    struct Task
    {
        const std::string* pipeline = nullptr; // capped label value
        bool running = false;
        double objects[3] = {0, 0, 0}; // total, completed, failed, as the engine last reported them
        double bytes[3] = {0, 0, 0};
    };

    void Message(const storage::op::InsertMessage& m);
    void TaskStatus(const std::string& task, std::string_view json);
    void Update(const inspector::MessageUpdate& u);
    void Answered(const Request& request, const inspector::Envelope& response, std::optional<int> httpStatus,
                  std::optional<int64_t> latencyNs);

    std::shared_ptr<prometheus::Registry> m_registry = std::make_shared<prometheus::Registry>();
    prometheus::Family<prometheus::Counter>& m_requests;
    prometheus::Family<prometheus::Histogram>& m_latency;
    prometheus::Gauge& m_pending;
    prometheus::Family<prometheus::Counter>& m_unanswered;
    prometheus::Family<prometheus::Counter>& m_events;
    prometheus::Family<prometheus::Gauge>& m_sessionsOpen;
    prometheus::Family<prometheus::Counter>& m_sessions;
    prometheus::Family<prometheus::Counter>& m_clients;
    prometheus::Family<prometheus::Counter>& m_messages;
    prometheus::Family<prometheus::Counter>& m_bytes;
    prometheus::Family<prometheus::Counter>& m_http;
    prometheus::Family<prometheus::Counter>& m_capture;
    prometheus::Family<prometheus::Gauge>& m_tasksRunning;
    prometheus::Family<prometheus::Counter>& m_taskObjects;
    prometheus::Family<prometheus::Counter>& m_taskBytes;
    prometheus::Family<prometheus::Gauge>& m_taskRate;

    LabelCap m_commands;
    LabelCap m_subcommands;
    LabelCap m_eventNames;
    LabelCap m_clientNames;
    LabelCap m_routes;
    LabelCap m_methods;
    LabelCap m_pipelines;
    std::unordered_map<int64_t, Request> m_open;       // requests waiting for their answer, by message id
    std::unordered_map<int64_t, Session> m_sessionsBy; // open sessions by id
    std::unordered_map<std::string, Task> m_tasks;     // tasks seen in apaevt_status_update, by task id
};

} // namespace dapscope::metrics
