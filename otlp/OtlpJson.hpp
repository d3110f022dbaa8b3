#pragma once
// Spans in OTLP's JSON encoding (an ExportTraceServiceRequest as the protocol's JSON mapping writes it: ids as hex,
// 64-bit integers and nanosecond times as strings, enums as numbers). The same text is posted to a collector's
// /v1/traces and written by `dapscope export --format otlp` (one request per line, as the collector's file
// receiver reads it).

#include "Spans.hpp"

#include <string>
#include <vector>

namespace dapscope::otlp
{

std::string ExportRequestJson(const std::vector<SessionSpans>& sessions);

} // namespace dapscope::otlp
