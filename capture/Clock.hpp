#pragma once
// Time sources. Captured timestamps are wall-clock nanoseconds (they are shown to users and exported);
// durations measured inside one process use the monotonic clock.

#include <chrono>
#include <cstdint>

namespace dapscope::capture
{

inline int64_t WallNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

inline int64_t MonoNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace dapscope::capture
