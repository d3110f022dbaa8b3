#include "Interceptor.hpp"

#include "inspector/Envelope.hpp"
#include "wire/WsFrame.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>

namespace dapscope::proxy
{

using capture::RuleMark;
using capture::SharedBytes;

namespace
{
// Header bytes of a frame whose first `have` bytes are `b` (2 until the length byte is known).
size_t HeaderBytes(const std::string& b)
{
    if (b.size() < 2)
        return 2;
    const uint8_t length = static_cast<uint8_t>(b[1]) & 0x7F;
    return 2 + (length == 126 ? 2 : length == 127 ? 8 : 0) + ((static_cast<uint8_t>(b[1]) & 0x80) ? 4 : 0);
}

SharedBytes Joined(const std::vector<SharedBytes>& frames)
{
    if (frames.size() == 1)
        return frames.front();
    std::string all;
    for (const SharedBytes& frame : frames)
        all += frame.View();
    return SharedBytes(std::move(all));
}

capture::Opcode OpcodeOf(uint8_t opcode)
{
    return opcode == static_cast<uint8_t>(wire::WsOpcode::Binary) ? capture::Opcode::Binary : capture::Opcode::Text;
}

wire::WsOpcode WsOpcodeOf(capture::Opcode opcode)
{
    return opcode == capture::Opcode::Binary ? wire::WsOpcode::Binary : wire::WsOpcode::Text;
}

// A frame the proxy writes itself toward `to` (masked toward the engine).
SharedBytes MadeFrame(Side to, capture::Opcode opcode, std::string_view payload)
{
    return SharedBytes(wire::MakeFrame(WsOpcodeOf(opcode), payload, to == Side::Upstream));
}

// Injected requests take seqs from here up: far above what an SDK counts to in a session, so the engine's
// responses to them are told apart from those to the SDK's own requests.
constexpr int64_t kInjectedSeqBase = 1'000'000'000;

// Held messages are numbered across every session, so one number names one for the control endpoint.
std::atomic<uint64_t> g_nextHoldId{1};
} // namespace

Interceptor::Interceptor(std::shared_ptr<const rules::RuleSet> rules, rules::SessionInfo info,
                         InterceptorOptions options)
    : m_rules(std::move(rules), std::move(info)), m_options(options)
{
}

bool Interceptor::Affects(Side from) const
{
    return m_options.always || m_rules.Affects(Toward(Other(from)));
}

bool Interceptor::Between(Side from) const
{
    const Incoming& in = m_in[static_cast<size_t>(from)];
    return in.carry.empty() && !in.message.active;
}

void Interceptor::Received(Side from, const SharedBytes& bytes, int64_t nowNs)
{
    m_nowNs = nowNs;
    Incoming& in = m_in[static_cast<size_t>(from)];
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    const size_t size = bytes.size();
    size_t pos = 0;
    while (pos < size)
    {
        wire::FrameHeader header;
        if (in.carry.empty())
        {
            // The usual case: a whole frame inside this read, handed on without a copy.
            size_t headerSize = wire::ParseFrameHeader(data + pos, size - pos, header);
            if (headerSize && size - pos - headerSize >= header.payloadLength)
            {
                const size_t frameSize = headerSize + header.payloadLength;
                Frame(from, data + pos, headerSize, bytes.Slice(pos, frameSize));
                pos += frameSize;
                continue;
            }
            in.carry.assign(bytes.data() + pos, size - pos);
            break;
        }
        // Complete the frame begun earlier: its header first, then its payload. It is judged after the bytes are
        // added, so a frame that ends with this read goes on now, not with the next one.
        auto parseCarry = [&]
        { return wire::ParseFrameHeader(reinterpret_cast<const uint8_t*>(in.carry.data()), in.carry.size(), header); };
        size_t headerSize = parseCarry();
        const size_t want = headerSize ? headerSize + header.payloadLength : HeaderBytes(in.carry);
        const size_t take = std::min(want - in.carry.size(), size - pos);
        in.carry.append(bytes.data() + pos, take);
        pos += take;
        headerSize = parseCarry();
        if (!headerSize || in.carry.size() < headerSize + header.payloadLength)
            continue;
        SharedBytes frame(std::move(in.carry));
        in.carry.clear();
        Frame(from, reinterpret_cast<const uint8_t*>(frame.data()), headerSize, frame);
    }
}

void Interceptor::Frame(Side from, const uint8_t* frame, size_t headerSize, const SharedBytes& raw)
{
    wire::FrameHeader header;
    wire::ParseFrameHeader(frame, headerSize, header);
    const Side to = Other(from);
    if (wire::IsControl(header.opcode))
    {
        // Pings and pongs go at once; a close goes after what waits, as it would have.
        Emit emit{.type = Emit::Type::Frames, .to = to, .bytes = raw};
        if (header.opcode == static_cast<uint8_t>(wire::WsOpcode::Close))
            Queue(to, m_nowNs, std::move(emit));
        else
            m_ready.push_back(std::move(emit));
        return;
    }
    Gathering& message = m_in[static_cast<size_t>(from)].message;
    if (header.opcode != static_cast<uint8_t>(wire::WsOpcode::Continuation))
    {
        message = Gathering{};
        message.active = true;
        message.opcode = header.opcode;
        message.compressed = (header.rsv & 4) != 0;
    }
    else if (!message.active)
    {
        Queue(to, m_nowNs, {.type = Emit::Type::Frames, .to = to, .bytes = raw}); // the endpoints' business
        return;
    }
    message.frames.push_back(raw);
    const size_t start = message.payload.size();
    message.payload.append(raw.data() + headerSize, raw.size() - headerSize);
    if (header.masked)
        wire::ApplyMask(reinterpret_cast<uint8_t*>(message.payload.data()) + start, message.payload.size() - start,
                        header.mask, 0);
    if (!header.fin)
        return;
    Decide(from, message);
    message = Gathering{};
}

void Interceptor::Decide(Side from, Gathering& message)
{
    const Side to = Other(from);
    if (message.compressed)
    {
        for (const SharedBytes& frame : message.frames)
            Queue(to, m_nowNs, {.type = Emit::Type::Frames, .to = to, .bytes = frame});
        return;
    }
    if (TakeOutInjected(from, message))
        return;
    const capture::Opcode opcode = OpcodeOf(message.opcode);
    rules::Decision decision = m_rules.Decide(Toward(to), opcode, message.payload);
    if (decision.hold)
    {
        auto hold = std::make_shared<Hold>();
        hold->shown = {.id = g_nextHoldId++,
                       .to = to,
                       .rule = decision.rule,
                       .opcode = opcode,
                       .payload = std::move(message.payload),
                       .sinceNs = m_nowNs,
                       .dueNs = m_nowNs + (decision.holdMs ? decision.holdMs : m_options.holdTimeoutMs) * 1000000};
        hold->frames = std::move(message.frames);
        m_queues[static_cast<size_t>(to)].push_back({hold->shown.dueNs, {}, hold});
        return;
    }
    const int64_t due = m_nowNs + decision.delayMs * 1000000;
    auto mark = [&](RuleMark::Outcome outcome)
    {
        std::string action = decision.rule.empty() ? "renumber" : rules::ActionName(decision.action);
        if (!decision.problem.empty())
            action += " failed: " + decision.problem;
        return RuleMark{decision.rule, std::move(action), outcome};
    };
    auto notSent = [&](RuleMark::Outcome outcome)
    {
        return Emit{.type = Emit::Type::NotSent,
                    .to = to,
                    .bytes = SharedBytes(message.payload),
                    .opcode = opcode,
                    .mark = mark(outcome)};
    };

    if (!decision.forward)
        Queue(to, due, notSent(RuleMark::Outcome::Dropped));
    else if (decision.replacement)
    {
        if (!decision.rule.empty())
            Queue(to, due, notSent(RuleMark::Outcome::Replaced));
        Queue(to, due,
              {.type = Emit::Type::Frames,
               .to = to,
               .bytes = MadeFrame(to, opcode, *decision.replacement),
               .mark = mark(RuleMark::Outcome::Rewritten)});
    }
    else if (!decision.rule.empty())
        Queue(to, due,
              {.type = Emit::Type::Frames,
               .to = to,
               .bytes = Joined(message.frames),
               .mark = mark(RuleMark::Outcome::Forwarded)});
    else
        for (const SharedBytes& frame : message.frames)
            Queue(to, due, {.type = Emit::Type::Frames, .to = to, .bytes = frame});

    for (const rules::OutMessage& extra : decision.extra)
    {
        const Side toward = extra.dir == capture::Direction::ClientToServer ? Side::Upstream : Side::Client;
        Queue(toward, due,
              {.type = Emit::Type::Frames,
               .to = toward,
               .bytes = MadeFrame(toward, extra.opcode, extra.bytes),
               .mark = mark(RuleMark::Outcome::Synthesized),
               .generated = true});
    }
    if (decision.close)
        for (Side leg : {Side::Client, Side::Upstream})
            if (decision.close->leg == rules::Leg::Both ||
                (decision.close->leg == rules::Leg::Client) == (leg == Side::Client))
                Queue(leg, due,
                      {.type = Emit::Type::Close,
                       .to = leg,
                       .code = decision.close->code,
                       .reason = decision.close->reason});
}

void Interceptor::Queue(Side to, int64_t dueNs, Emit emit)
{
    std::deque<Waiting>& queue = m_queues[static_cast<size_t>(to)];
    if (queue.empty() && dueNs <= m_nowNs)
        m_ready.push_back(std::move(emit));
    else
        queue.push_back({dueNs, std::move(emit)});
}

void Interceptor::Release(int64_t nowNs)
{
    m_nowNs = nowNs;
    for (std::deque<Waiting>& queue : m_queues)
        while (!queue.empty() && queue.front().dueNs <= nowNs)
        {
            Waiting waiting = std::move(queue.front());
            queue.pop_front();
            if (waiting.hold)
                Let(*waiting.hold);
            else
                m_ready.push_back(std::move(waiting.emit));
        }
}

void Interceptor::Let(Hold& hold)
{
    const HeldMessage& m = hold.shown;
    auto mark = [&](RuleMark::Outcome outcome, const char* action) { return RuleMark{m.rule, action, outcome}; };
    auto notSent = [&](RuleMark::Outcome outcome, const char* action)
    {
        return Emit{.type = Emit::Type::NotSent,
                    .to = m.to,
                    .bytes = SharedBytes(m.payload),
                    .opcode = m.opcode,
                    .mark = mark(outcome, action)};
    };
    switch (hold.outcome)
    {
    case Hold::Outcome::Unanswered: // its time ran out
    case Hold::Outcome::AsReceived:
    {
        std::vector<SharedBytes> frames = std::move(hold.frames);
        m_ready.push_back({.type = Emit::Type::Frames,
                           .to = m.to,
                           .bytes = Joined(frames),
                           .mark = mark(RuleMark::Outcome::Forwarded, hold.outcome == Hold::Outcome::Unanswered
                                                                          ? "break (released: timed out)"
                                                                          : "break (released)")});
        break;
    }
    case Hold::Outcome::Edited:
        m_ready.push_back(notSent(RuleMark::Outcome::Replaced, "break (edited)"));
        m_ready.push_back({.type = Emit::Type::Frames,
                           .to = m.to,
                           .bytes = MadeFrame(m.to, m.opcode, hold.edited),
                           .mark = mark(RuleMark::Outcome::Rewritten, "break (edited)")});
        break;
    case Hold::Outcome::Dropped:
        m_ready.push_back(notSent(RuleMark::Outcome::Dropped, "break (dropped)"));
        break;
    }
}

std::vector<HeldMessage> Interceptor::Held() const
{
    std::vector<HeldMessage> held;
    for (const std::deque<Waiting>& queue : m_queues)
        for (const Waiting& waiting : queue)
            if (waiting.hold && waiting.hold->outcome == Hold::Outcome::Unanswered)
                held.push_back(waiting.hold->shown);
    return held;
}

bool Interceptor::Answer(uint64_t id, bool drop, std::optional<std::string> edited, int64_t nowNs)
{
    for (std::deque<Waiting>& queue : m_queues)
        for (Waiting& waiting : queue)
            if (waiting.hold && waiting.hold->shown.id == id && waiting.hold->outcome == Hold::Outcome::Unanswered)
            {
                Hold& hold = *waiting.hold;
                hold.outcome = drop     ? Hold::Outcome::Dropped
                               : edited ? Hold::Outcome::Edited
                                        : Hold::Outcome::AsReceived;
                hold.edited = edited.value_or("");
                waiting.dueNs = nowNs; // answered: goes once the ones before it have
                return true;
            }
    return false;
}

int64_t Interceptor::Inject(boost::json::object request, int64_t nowNs)
{
    m_nowNs = nowNs;
    const int64_t seq = kInjectedSeqBase + ++m_injected;
    request["type"] = "request";
    request["seq"] = seq;
    m_injectedResponses[seq];
    Queue(Side::Upstream, nowNs,
          {.type = Emit::Type::Frames,
           .to = Side::Upstream,
           .bytes = MadeFrame(Side::Upstream, capture::Opcode::Text, boost::json::serialize(request)),
           .mark = RuleMark{"", "inject", RuleMark::Outcome::Synthesized},
           .generated = true});
    return seq;
}

std::optional<std::string> Interceptor::TakeInjectedResponse(int64_t seq)
{
    auto it = m_injectedResponses.find(seq);
    if (it == m_injectedResponses.end() || it->second.empty())
        return std::nullopt;
    std::string response = std::move(it->second);
    m_injectedResponses.erase(it);
    return response;
}

bool Interceptor::TakeOutInjected(Side from, const Gathering& message)
{
    if (from != Side::Upstream || m_injectedResponses.empty())
        return false;
    const capture::Opcode opcode = OpcodeOf(message.opcode);
    inspector::Envelope env = inspector::DecodeEnvelope(opcode, message.payload, message.payload.size(), false);
    if (env.kind != inspector::Kind::Response || !env.requestSeq)
        return false;
    auto it = m_injectedResponses.find(*env.requestSeq);
    if (it == m_injectedResponses.end() || !it->second.empty())
        return false;
    it->second = message.payload;
    Queue(Side::Client, m_nowNs,
          {.type = Emit::Type::NotSent,
           .to = Side::Client,
           .bytes = SharedBytes(message.payload),
           .opcode = opcode,
           .mark = RuleMark{"", "inject", RuleMark::Outcome::Dropped}});
    return true;
}

void Interceptor::Discard(Side to)
{
    m_queues[static_cast<size_t>(to)].clear();
}

int64_t Interceptor::NextDueNs() const
{
    int64_t due = 0;
    for (const std::deque<Waiting>& queue : m_queues)
        if (!queue.empty() && (due == 0 || queue.front().dueNs < due))
            due = queue.front().dueNs;
    return due;
}

} // namespace dapscope::proxy
