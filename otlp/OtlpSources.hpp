#pragma once
// Where spans come from: the recorder's batches while capturing (BatchTracer, on the decode thread) or a stored
// session afterwards (StoredSessionSpans). Both feed the same TraceBuilder, so they give the same spans.

#include "Spans.hpp"
#include "storage/StoreOps.hpp"
#include "storage/TraceReader.hpp"

#include <vector>

namespace dapscope::otlp
{

class BatchTracer
{
  public:
    // One batch of the recorder, in order; returns the spans it finished.
    std::vector<SessionSpans> Observe(const storage::StoreOps& batch);

  private:
    TraceBuilder m_builder;
};

// The spans of a stored session, as the live export gave them (an open session's unanswered requests and its
// task and session spans end at its last message).
std::vector<SessionSpans> StoredSessionSpans(storage::TraceReader& reader, int64_t session);

} // namespace dapscope::otlp
