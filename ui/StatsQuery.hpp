#pragma once
// Per-command statistics of one session or of the whole store, with the same meaning as
// storage::TraceReader::Stats (count, failures, unanswered, p50 / p95 / p99 / max latency, events, orphans,
// malformed), computed on a background job's connection.

#include "storage/TraceReader.hpp"

#include <cstdint>

namespace dapscope::ui
{

// session 0 = every session.
storage::TraceStats ComputeStats(SQLite::Database& db, int64_t session);

} // namespace dapscope::ui
