#include "LiveFigures.hpp"

#include <prometheus/metric_family.h>

namespace dapscope::metrics
{
namespace
{

bool HasLabel(const prometheus::ClientMetric& metric, const char* name, const char* value)
{
    for (const auto& label : metric.label)
        if (label.name == name)
            return label.value == value;
    return false;
}

} // namespace

LiveFigures Summarise(const prometheus::Registry& registry)
{
    LiveFigures f;
    for (const prometheus::MetricFamily& family : registry.Collect())
        for (const prometheus::ClientMetric& m : family.metric)
        {
            const std::string& name = family.name;
            if (name == "dapscope_requests_total")
            {
                f.requests += m.counter.value;
                if (HasLabel(m, "success", "false"))
                    f.failures += m.counter.value;
            }
            else if (name == "dapscope_requests_pending")
                f.pending += m.gauge.value;
            else if (name == "dapscope_events_total")
                f.events += m.counter.value;
            else if (name == "dapscope_sessions_open")
                f.sessionsOpen += m.gauge.value;
            else if (name == "dapscope_message_bytes_total" && HasLabel(m, "layer", "decoded"))
                f.bytes += m.counter.value;
            else if (name == "dapscope_capture_messages_total" && HasLabel(m, "outcome", "elided"))
                f.elided += m.counter.value;
            else if (name == "dapscope_tasks_running")
                f.tasksRunning += m.gauge.value;
        }
    return f;
}

} // namespace dapscope::metrics
