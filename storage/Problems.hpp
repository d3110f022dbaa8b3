#pragma once
// What "failed" means, in one place: the "failed only" filter (TraceReader, in SQL), the block summaries the writer
// keeps for that filter (Ingestor), the GUI's red rows and the tests all use these definitions.

#include "inspector/Types.hpp"

#include <optional>
#include <string>

namespace dapscope::inspector
{
struct InspectedMessage;
} // namespace dapscope::inspector

namespace dapscope::storage
{

struct MessageSummary;

// HTTP responses with this status and above are failures.
constexpr int kFailedHttpStatus = 400;

// A response that reports a failure: DAP success:false, or an HTTP status of 400 and above.
bool IsFailedResponse(std::optional<bool> success, std::optional<int> httpStatus);
// An exchange state that is a problem in itself: unanswered, orphan response, duplicate seq, command mismatch.
bool IsProblemState(inspector::ExchangeState state);
// What the "failed only" filter shows: a failed response, a malformed message or a problem state.
bool IsProblem(inspector::Kind kind, std::optional<bool> success, inspector::ExchangeState state,
               std::optional<int> httpStatus);
bool IsProblem(const MessageSummary& m);
bool IsProblem(const inspector::InspectedMessage& m);

// IsProblem as an SQL condition over the columns of `messages` (parenthesised).
std::string ProblemCondition();

} // namespace dapscope::storage
