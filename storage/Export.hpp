#pragma once
// Export of captured sessions to formats other tools read: HAR 1.2 (Chrome DevTools' WebSocket flavour, with
// dapscope's decoded fields under `_dapscope`) and JSONL (one JSON object per message, for jq and scripts).

#include "TraceReader.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::storage
{

enum class ExportFormat
{
    Har,
    Jsonl,
};

std::optional<ExportFormat> ParseExportFormat(std::string_view name); // "har" / "jsonl"

// Called now and then with messages written so far and the total.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// Write the sessions to `path` ("-" = stdout), created 0600. The store holds no secrets (they were redacted
// before storing), and exports never add any. Throws std::runtime_error with a one-line message.
void ExportSessions(TraceReader& reader, const std::vector<int64_t>& sessions, ExportFormat format,
                    const std::string& path, const ProgressFn& progress = {});

} // namespace dapscope::storage
