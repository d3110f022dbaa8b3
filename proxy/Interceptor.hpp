#pragma once
// Rules acting on one relayed WebSocket session, without I/O. The frames of a direction the rules affect are
// gathered into whole messages; each is decided once by rules::SessionRules, and the decision becomes whole
// frames toward a side, records of what was not sent, and closes. What goes toward a side waits in that side's
// queue while a delayed message ahead of it does, so order holds; pings and pongs never wait, so the engine's
// keep-alive keeps working.

#include "Side.hpp"
#include "capture/TapRecord.hpp"
#include "rules/RuleEngine.hpp"

#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::proxy
{

// One thing the relay core must do, in order.
struct Emit
{
    enum class Type : uint8_t
    {
        Frames,  // write `bytes` (whole frames) to `to` and tap them
        NotSent, // tap a message that was going to `to` and is not sent as received: `bytes` is its payload
        Close,   // close the `to` leg with `code` and `reason`
    };
    Type type = Type::Frames;
    Side to = Side::Client;
    capture::SharedBytes bytes;
    capture::Opcode opcode = capture::Opcode::Text; // NotSent
    std::optional<capture::RuleMark> mark;
    bool generated = false; // Frames the proxy made
    uint16_t code = 0;      // Close
    std::string reason;
};

// A message a `break` holds for a person, as the control endpoint lists it.
struct HeldMessage
{
    uint64_t id = 0; // unique in the process
    Side to = Side::Upstream;
    std::string rule;
    capture::Opcode opcode = capture::Opcode::Text;
    std::string payload; // as received (unmasked)
    int64_t sinceNs = 0; // when it was held
    int64_t dueNs = 0;   // when it goes on by itself
};

struct InterceptorOptions
{
    bool always = false;           // take every message of both directions (the control endpoint is on)
    int64_t holdTimeoutMs = 30000; // a held message goes on by itself after this (unless its rule says)
};

class Interceptor
{
  public:
    Interceptor(std::shared_ptr<const rules::RuleSet> rules, rules::SessionInfo info, InterceptorOptions options);

    // A reload: counters of rules that keep their name carry on.
    void SetRules(std::shared_ptr<const rules::RuleSet> rules) { m_rules.SetRules(std::move(rules)); }

    // Whether bytes from `from` must come here (else the core forwards them as read).
    bool Affects(Side from) const;
    // No frame or message from `from` is partly gathered: the core may switch that direction in or out here.
    bool Between(Side from) const;

    // Bytes read from `from`, whose frame headers the core has checked (no violation in them).
    void Received(Side from, const capture::SharedBytes& bytes, int64_t nowNs);
    // Move on what waited for `nowNs`.
    void Release(int64_t nowNs);
    // Nothing more may go to `to` (closed): forget what waits for it.
    void Discard(Side to);

    // Held messages (in the order they wait in), and a person's answer to one: send it as received or as
    // `edited` (the message's new payload), or drop it. False when no message is held under `id`. A held message
    // goes on only after the ones held before it in its direction: call Release() after.
    std::vector<HeldMessage> Held() const;
    bool Answer(uint64_t id, bool drop, std::optional<std::string> edited, int64_t nowNs);

    // Send `request` to the engine with a seq from the proxy's own range; its response is taken out of the stream
    // to the client and kept for TakeInjectedResponse. Returns the seq.
    int64_t Inject(boost::json::object request, int64_t nowNs);
    std::optional<std::string> TakeInjectedResponse(int64_t seq);

    // When the next waiting emit is due (ns), 0 when nothing waits.
    int64_t NextDueNs() const;
    // What is ready now, in order; the core carries it out and clears it.
    std::vector<Emit>& Ready() { return m_ready; }

  private:
    struct Gathering
    {
        bool active = false;
        bool compressed = false; // RSV1: permessage-deflate, which rules cannot read (the proxy takes it out
                                 // of the offers; a message that comes compressed anyway goes on untouched)
        uint8_t opcode = 0;
        std::vector<capture::SharedBytes> frames; // as received
        std::string payload;                      // unmasked, all frames
    };
    struct Incoming
    {
        std::string carry; // a frame begun in an earlier read
        Gathering message;
    };
    struct Hold
    {
        HeldMessage shown;
        std::vector<capture::SharedBytes> frames; // as received
        enum class Outcome : uint8_t
        {
            Unanswered, // no answer yet (when its time runs out, it goes on as received)
            AsReceived,
            Edited,
            Dropped,
        } outcome = Outcome::Unanswered;
        std::string edited;
    };
    struct Waiting
    {
        int64_t dueNs;
        Emit emit;
        std::shared_ptr<Hold> hold; // set: a held message, whose emits are made when it goes on
    };

    void Frame(Side from, const uint8_t* frame, size_t headerSize, const capture::SharedBytes& raw);
    void Decide(Side from, Gathering& message);
    void Queue(Side to, int64_t dueNs, Emit emit);
    void Let(Hold& hold); // a held message goes on as answered
    // The response to an injected request, taken out of the stream (true); false for any other message.
    bool TakeOutInjected(Side from, const Gathering& message);

    rules::SessionRules m_rules;
    InterceptorOptions m_options;
    int64_t m_injected = 0;                             // requests injected so far
    std::map<int64_t, std::string> m_injectedResponses; // by seq; empty string: not answered yet
    std::array<Incoming, 2> m_in;                       // by the side the bytes come from
    std::array<std::deque<Waiting>, 2> m_queues;        // by the side they go to
    std::vector<Emit> m_ready;
    int64_t m_nowNs = 0;
};

} // namespace dapscope::proxy
