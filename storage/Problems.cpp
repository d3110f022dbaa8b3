#include "Problems.hpp"

#include "TraceReader.hpp"
#include "inspector/SessionInspector.hpp"

namespace dapscope::storage
{

bool IsFailedResponse(std::optional<bool> success, std::optional<int> httpStatus)
{
    return success == false || (httpStatus && *httpStatus >= kFailedHttpStatus);
}

bool IsProblemState(inspector::ExchangeState state)
{
    using inspector::ExchangeState;
    return state == ExchangeState::Unanswered || state == ExchangeState::Orphan ||
           state == ExchangeState::DuplicateSeq || state == ExchangeState::CommandMismatch;
}

bool IsProblem(inspector::Kind kind, std::optional<bool> success, inspector::ExchangeState state,
               std::optional<int> httpStatus)
{
    return IsFailedResponse(success, httpStatus) || kind == inspector::Kind::Malformed || IsProblemState(state);
}

bool IsProblem(const MessageSummary& m)
{
    return IsProblem(m.kind, m.success, m.state, m.status);
}

bool IsProblem(const inspector::InspectedMessage& m)
{
    // Only responses carry a status (a request's is 0).
    const std::optional<int> status = m.http && m.http->status ? std::optional<int>(m.http->status) : std::nullopt;
    return IsProblem(m.envelope.kind, m.envelope.success, m.state, status);
}

std::string ProblemCondition()
{
    using inspector::ExchangeState;
    auto number = [](auto value) { return std::to_string(static_cast<int>(value)); };
    return "(success = 0 OR kind = " + number(inspector::Kind::Malformed) + " OR state IN (" +
           number(ExchangeState::Unanswered) + ", " + number(ExchangeState::Orphan) + ", " +
           number(ExchangeState::DuplicateSeq) + ", " + number(ExchangeState::CommandMismatch) +
           ") OR status >= " + std::to_string(kFailedHttpStatus) + ")";
}

} // namespace dapscope::storage
