#include "Correlator.hpp"

#include <algorithm>

namespace dapscope::inspector
{

ExchangeState Correlator::AddRequest(Direction dir, int64_t seq, PendingRequest request)
{
    const bool inserted = m_pending.try_emplace(Key{dir, seq}, std::move(request)).second;
    return inserted ? ExchangeState::Pending : ExchangeState::DuplicateSeq;
}

std::optional<Pairing> Correlator::MatchResponse(Direction dir, int64_t requestSeq, std::string_view command,
                                                 int64_t firstByteNs)
{
    const Direction requestDir =
        dir == Direction::ClientToServer ? Direction::ServerToClient : Direction::ClientToServer;
    const auto it = m_pending.find(Key{requestDir, requestSeq});
    if (it == m_pending.end())
        return std::nullopt;
    Pairing pairing{std::move(it->second)};
    m_pending.erase(it);
    if (pairing.request.command != command)
        pairing.state = ExchangeState::CommandMismatch;
    // Wrapping arithmetic: timestamps come from outside and must not overflow.
    pairing.latencyNs =
        static_cast<int64_t>(static_cast<uint64_t>(firstByteNs) - static_cast<uint64_t>(pairing.request.lastByteNs));
    return pairing;
}

std::vector<MessageId> Correlator::TakePending()
{
    std::vector<MessageId> ids;
    ids.reserve(m_pending.size());
    for (const auto& [key, request] : m_pending)
        ids.push_back(request.id);
    m_pending.clear();
    std::sort(ids.begin(), ids.end());
    return ids;
}

} // namespace dapscope::inspector
