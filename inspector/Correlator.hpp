#pragma once
// Pairs responses with requests by (direction of the request, seq) and measures latency.

#include "TaskLinker.hpp"
#include "Types.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dapscope::inspector
{

struct PendingRequest
{
    MessageId id = 0;       // the request message
    std::string command;    // its command, compared with the response's echo
    int64_t lastByteNs = 0; // end of the request: latency starts here
    RequestLink link;       // linking context handed back with the response
    std::string subcommand; // its arguments.subcommand, shown on the response too
};

struct Pairing
{
    PendingRequest request;                        // the request the response answers (no longer pending)
    ExchangeState state = ExchangeState::Answered; // Answered or CommandMismatch, for both messages
    int64_t latencyNs = 0;                         // response first byte - request last byte
};

class Correlator
{
  public:
    // Register a request: Pending, or DuplicateSeq (and not registered) when its seq is still pending in the
    // same direction, so that the older request keeps the pairing.
    ExchangeState AddRequest(Direction dir, int64_t seq, PendingRequest request);

    // Pair a response (sent in `dir`) with the pending request of the other direction that it answers;
    // nullopt when there is none (an orphan, or a second response to the same request).
    std::optional<Pairing> MatchResponse(Direction dir, int64_t requestSeq, std::string_view command,
                                         int64_t firstByteNs);

    // End of the session: the ids of every request still pending, in id order; they are forgotten.
    std::vector<MessageId> TakePending();

  private:
    struct Key
    {
        Direction dir; // who sent the request
        int64_t seq;   // the request's seq
        bool operator==(const Key&) const = default;
    };
    struct KeyHash
    {
        size_t operator()(const Key& key) const noexcept
        {
            return std::hash<int64_t>{}(key.seq) ^ static_cast<size_t>(key.dir);
        }
    };

    std::unordered_map<Key, PendingRequest, KeyHash> m_pending; // requests waiting for their response
};

} // namespace dapscope::inspector
