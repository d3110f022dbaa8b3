#include "CaptureHealth.hpp"

#include <prometheus/metric_family.h>

namespace dapscope::metrics
{
namespace
{

prometheus::MetricFamily Counter(const char* name, const char* help, uint64_t value)
{
    prometheus::ClientMetric metric;
    metric.counter.value = static_cast<double>(value);
    return prometheus::MetricFamily{name, help, prometheus::MetricType::Counter, {metric}};
}

} // namespace

std::vector<prometheus::MetricFamily> CaptureHealth::Collect() const
{
    const storage::RecorderStats stats = m_stats();
    return {
        Counter("dapscope_capture_elided_total",
                "Messages stored without (all of) their bytes because capture fell behind (raise --capture-buffer)",
                stats.elided),
        Counter("dapscope_capture_lost_records_total",
                "Capture records that never reached the store (dropped, or a store error)", stats.lostRecords),
        Counter("dapscope_capture_gaps_total",
                "Times the store refused writes for a while (disk full); each is a row of capture_gaps", stats.gaps),
    };
}

} // namespace dapscope::metrics
