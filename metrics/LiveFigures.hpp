#pragma once
// The headline figures of a TrafficMetrics registry, summed over labels, for a display that is not Prometheus
// (dapscope-ui's stats view while it captures).

#include <prometheus/registry.h>

#include <cstdint>

namespace dapscope::metrics
{

struct LiveFigures
{
    double requests = 0;     // answered
    double failures = 0;     // answered with success:false
    double pending = 0;      // waiting for their answer now
    double events = 0;
    double sessionsOpen = 0;
    double bytes = 0;        // decoded, both directions
    double elided = 0;       // messages stored without their bytes
    double tasksRunning = 0;
};

LiveFigures Summarise(const prometheus::Registry& registry);

} // namespace dapscope::metrics
