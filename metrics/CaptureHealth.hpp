#pragma once
// The capture's own health, read from the recorder when Prometheus scrapes: messages stored without their bytes
// because capture fell behind, records lost, and the gaps while the store refused writes (disk full).

#include "storage/Recorder.hpp"

#include <prometheus/collectable.h>

#include <functional>
#include <vector>

namespace dapscope::metrics
{

class CaptureHealth : public prometheus::Collectable
{
  public:
    explicit CaptureHealth(std::function<storage::RecorderStats()> stats) : m_stats(std::move(stats)) {}
    std::vector<prometheus::MetricFamily> Collect() const override;

  private:
    std::function<storage::RecorderStats()> m_stats;
};

} // namespace dapscope::metrics
