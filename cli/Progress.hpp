#pragma once
// The CLI's one progress bar. storage/ reports progress through a ProgressFn; drawing it is the CLI's business.

#include "storage/Export.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace dapscope::cli
{

// "12,345/50,000 messages" or "61.2 MiB/240.0 MiB": what the bar says after itself.
using ProgressCounts = std::function<std::string(uint64_t done, uint64_t total)>;

// A ProgressFn that draws "`label`  [#####---------------] `counts`" on stderr when stderr is a terminal and the
// work lasts long enough to notice (300 ms); an empty one otherwise.
storage::ProgressFn TerminalProgress(std::string label, ProgressCounts counts);

// "12,345": digits grouped by thousands.
std::string Grouped(uint64_t n);

} // namespace dapscope::cli
