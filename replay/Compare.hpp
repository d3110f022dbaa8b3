#pragma once
// What "the same answer" means, in one place: client replay compares a captured response with the engine's
// answer now, `dapscope diff` compares the responses of two captures. Both go through CompareAnswer.

#include "Recording.hpp"
#include "Remap.hpp"
#include "ReplayJson.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::replay
{

// Differing paths reported per message at most.
inline constexpr size_t kMaxDifferences = 50;

// A message's `body` (null when it has none).
const json::value& BodyOf(const json::value& doc);

// Compares the answer to `request` then (`then`, as captured) with an answer now (`now`, parsed). Values the
// engine hands out again (tokens, ids, pipe ids of `pipeScope`, the recorded task token) are learned into
// `remap` first, so the answer that hands them out compares equal. Appends the differing paths of the body, of
// `message` when either failed, and of a binary payload. Returns false when `then` was not stored in full:
// only success can be compared then, and nothing is appended.
bool CompareAnswer(const RecordedMessage& request, std::string_view pipeScope, const RecordedMessage& then,
                   const Frame& now, Remap& remap, std::vector<Difference>& out);

} // namespace dapscope::replay
