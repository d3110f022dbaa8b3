#pragma once
// The decision for one message of a session: which rule (if any) matches it and what to send instead. Pure: the
// relay owns the bytes, the timers and the sockets, and carries the decision out.

#include "Rule.hpp"
#include "inspector/Envelope.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::rules
{

// A message the relay must send (changed, renumbered or synthesised), as the bytes of one WebSocket message.
struct OutMessage
{
    inspector::Direction dir = inspector::Direction::ServerToClient;
    inspector::Opcode opcode = inspector::Opcode::Text;
    std::string bytes;
};

struct Decision
{
    std::string rule;                       // the rule that matched, "" for none
    ActionKind action = ActionKind::None;   // None: forward (maybe renumbered, see `replacement`)
    bool forward = true;                    // send the message on (as `replacement` when set)
    std::optional<std::string> replacement; // the bytes to send instead of the received ones
    int64_t delayMs = 0;                    // hold the message (and later ones of its direction) this long
    bool hold = false;                      // break: hold it for a person, at most `holdMs` (0: the default)
    int64_t holdMs = 0;
    std::optional<CloseAction> close;       // close these legs after the message
    std::vector<OutMessage> extra;          // sent right after the message, in this order
    std::string problem;                    // why the action could not be carried out (the message goes on as is)
};

// What the relay knows of a session that rules may match on.
struct SessionInfo
{
    std::string clientName;
    std::string path;
};

// One session's rule state: per-rule match counters, the seeded random stream, the requests seen (so a response
// is matched through its request) and the renumbering of the engine's seq toward the client.
class SessionRules
{
  public:
    SessionRules(std::shared_ptr<const RuleSet> rules, SessionInfo info);

    // A reload: counters of rules that keep their name carry on.
    void SetRules(std::shared_ptr<const RuleSet> rules);
    void SetInfo(SessionInfo info) { info_ = std::move(info); }

    // Whether messages of `dir` must be decoded and passed to Decide (false: forward them as read).
    bool Affects(inspector::Direction dir) const;

    // Decide for one whole message (a text or binary frame's payload, unmasked). Control frames never come here.
    Decision Decide(inspector::Direction dir, inspector::Opcode opcode, std::string_view bytes);

  private:
    struct RequestInfo
    {
        std::string command;
        std::string subcommand;
    };
    struct Counter
    {
        int64_t matches = 0;
    };

    bool Matches(const Rule& rule, inspector::Direction dir, const inspector::Envelope& env, const RequestInfo* request,
                 std::string_view json, std::optional<boost::json::value>& parsed) const;
    bool Counts(const Rule& rule);
    void Apply(const Rule& rule, inspector::Direction dir, inspector::Opcode opcode, const inspector::Envelope& env,
               const RequestInfo* request, boost::json::value& json, std::string_view bytes, Decision& decision);
    // The seq the next message the proxy synthesises toward the client takes (and the shift of later ones).
    int64_t NextSynthesisedSeq();

    std::shared_ptr<const RuleSet> rules_;
    SessionInfo info_;
    std::map<std::string, Counter> counters_;
    std::mt19937_64 random_;
    std::map<int64_t, RequestInfo> requests_; // c2s requests not yet answered, by seq
    int64_t lastSeqToClient_ = 0;             // the last seq the client saw from the engine (after shifting)
    int64_t shift_ = 0;                       // added to the engine's seq toward the client
};

} // namespace dapscope::rules
