// Matching walks the rules in file order; the first one whose conditions hold and whose count (nth / every /
// probability) says yes acts. The JSON is parsed only when a rule needs more than the envelope.

#include "RuleEngine.hpp"

#include "JsonEdit.hpp"
#include "inspector/MessageDecoder.hpp"

namespace dapscope::rules
{

using inspector::Direction;
using inspector::Kind;
using inspector::Opcode;

namespace
{

bool SynthesisesTowardClient(const Rule& rule)
{
    return rule.action == ActionKind::Respond || rule.action == ActionKind::Event ||
           (rule.action == ActionKind::Duplicate && rule.match.dir != Direction::ClientToServer);
}

bool MayMatch(const Match& m, Direction dir)
{
    if (m.dir)
        return *m.dir == dir;
    if (m.kind == Kind::Request)
        return dir == Direction::ClientToServer;
    if (m.kind == Kind::Response || m.kind == Kind::Event || !m.event.empty())
        return dir == Direction::ServerToClient;
    return true;
}

std::optional<double> Number(const boost::json::value& v)
{
    if (v.is_int64())
        return static_cast<double>(v.get_int64());
    if (v.is_uint64())
        return static_cast<double>(v.get_uint64());
    if (v.is_double())
        return v.get_double();
    return std::nullopt;
}

// Equality as a user means it: 1 equals 1.0.
bool SameValue(const boost::json::value& a, const boost::json::value& b)
{
    auto x = Number(a), y = Number(b);
    if (x && y)
        return *x == *y;
    return a == b;
}

bool Holds(const Condition& c, const boost::json::value& v)
{
    if (c.equals && !SameValue(*c.equals, v))
        return false;
    if (c.regex && (!v.is_string() || !std::regex_search(v.get_string().begin(), v.get_string().end(), *c.regex)))
        return false;
    if (c.gt || c.ge || c.lt || c.le)
    {
        auto n = Number(v);
        if (!n || (c.gt && !(*n > *c.gt)) || (c.ge && !(*n >= *c.ge)) || (c.lt && !(*n < *c.lt)) ||
            (c.le && !(*n <= *c.le)))
            return false;
    }
    return true;
}

bool ConditionHolds(const Condition& c, boost::json::value& root)
{
    std::vector<boost::json::value*> hits;
    inspector::SelectJsonPath(c.path, root, hits);
    if (c.exists)
        if (*c.exists != !hits.empty())
            return false;
    if (!c.equals && !c.regex && !c.gt && !c.ge && !c.lt && !c.le)
        return c.exists.has_value();
    for (auto* hit : hits)
        if (Holds(c, *hit))
            return true;
    return false;
}

std::string Serialise(const boost::json::value& json, Opcode opcode, std::string_view payload, bool hasPayload)
{
    std::string out = boost::json::serialize(json);
    if (opcode == Opcode::Binary && hasPayload)
    {
        out += '\n';
        out += payload;
    }
    return out;
}

} // namespace

const char* ActionName(ActionKind kind)
{
    switch (kind)
    {
    case ActionKind::None:
        return "none";
    case ActionKind::Delay:
        return "delay";
    case ActionKind::Drop:
        return "drop";
    case ActionKind::Close:
        return "close";
    case ActionKind::Respond:
        return "respond";
    case ActionKind::Edit:
        return "edit";
    case ActionKind::Duplicate:
        return "duplicate";
    case ActionKind::Event:
        return "event";
    case ActionKind::Break:
        return "break";
    }
    return "none";
}

bool RuleSet::Affects(Direction dir) const
{
    for (const auto& rule : rules)
    {
        if (MayMatch(rule.match, dir))
            return true;
        // Renumbering the engine's seq after a synthesised message needs the engine's messages decoded.
        if (dir == Direction::ServerToClient && SynthesisesTowardClient(rule))
            return true;
        // A response is matched through its request, so requests must be seen.
        if (dir == Direction::ClientToServer && MayMatch(rule.match, Direction::ServerToClient) &&
            (!rule.match.command.empty() || !rule.match.subcommand.empty()))
            return true;
    }
    return false;
}

SessionRules::SessionRules(std::shared_ptr<const RuleSet> rules, SessionInfo info)
    : rules_(std::move(rules)), info_(std::move(info)), random_(rules_->seed)
{
}

void SessionRules::SetRules(std::shared_ptr<const RuleSet> rules)
{
    std::map<std::string, Counter> kept;
    for (const auto& rule : rules->rules)
        if (auto it = counters_.find(rule.name); it != counters_.end())
            kept.emplace(rule.name, it->second);
    counters_ = std::move(kept);
    rules_ = std::move(rules);
}

bool SessionRules::Affects(Direction dir) const
{
    return rules_->Affects(dir) || (dir == Direction::ServerToClient && shift_ != 0);
}

bool SessionRules::Matches(const Rule& rule, Direction dir, const inspector::Envelope& env, const RequestInfo* request,
                           std::string_view json, std::optional<boost::json::value>& parsed) const
{
    const Match& m = rule.match;
    if (!MayMatch(m, dir) || (m.kind && *m.kind != env.kind))
        return false;
    if (env.kind != Kind::Request && env.kind != Kind::Response && env.kind != Kind::Event)
        return false;
    // A response answers to its request's command and subcommand (its own command field may be missing).
    const std::string& command = env.kind == Kind::Response && request ? request->command : env.command;
    const std::string& subcommand = env.kind == Kind::Response && request ? request->subcommand : env.subcommand;
    if (!m.command.empty() && (env.kind == Kind::Event || m.command != command))
        return false;
    if (!m.subcommand.empty() && (env.kind == Kind::Event || m.subcommand != subcommand))
        return false;
    if (!m.event.empty() && (env.kind != Kind::Event || m.event != env.event))
        return false;
    if (!m.client.empty() && m.client != info_.clientName)
        return false;
    if (!m.path.empty() && m.path != info_.path)
        return false;
    if (m.where.empty())
        return true;
    if (!parsed)
    {
        boost::system::error_code ec;
        parsed = boost::json::parse(json, ec);
        if (ec)
            return false;
    }
    for (const auto& c : m.where)
        if (!ConditionHolds(c, *parsed))
            return false;
    return true;
}

bool SessionRules::Counts(const Rule& rule)
{
    const Match& m = rule.match;
    int64_t n = ++counters_[rule.name].matches;
    if (m.nth && n != m.nth)
        return false;
    if (m.every && n % m.every != 0)
        return false;
    if (m.probability)
    {
        // 53 random bits as a double in [0, 1): the same on every platform for a given seed.
        double draw = static_cast<double>(random_() >> 11) * 0x1.0p-53;
        return draw < *m.probability;
    }
    return true;
}

int64_t SessionRules::NextSynthesisedSeq()
{
    ++shift_;
    return ++lastSeqToClient_;
}

Decision SessionRules::Decide(Direction dir, Opcode opcode, std::string_view bytes)
{
    Decision decision;
    inspector::Envelope env = inspector::DecodeEnvelope(opcode, bytes, bytes.size(), false);
    inspector::Framing framing = inspector::SplitFrame(opcode, bytes);

    std::optional<RequestInfo> request;
    if (dir == Direction::ClientToServer && env.kind == Kind::Request && env.seq)
    {
        request = RequestInfo{env.command, env.subcommand};
        requests_[*env.seq] = *request;
    }
    else if (dir == Direction::ServerToClient && env.kind == Kind::Response && env.requestSeq)
    {
        if (auto it = requests_.find(*env.requestSeq); it != requests_.end())
        {
            request = std::move(it->second);
            requests_.erase(it);
        }
    }

    std::optional<boost::json::value> parsed;
    if (request && env.command == "auth")
    {
        // The session's client name, for `match: {client: ...}`, from the auth request's arguments.
        boost::system::error_code ec;
        parsed = boost::json::parse(framing.json, ec);
        if (ec)
            parsed.reset();
        else if (auto name =
                     inspector::StringMember(inspector::ObjectMember(parsed->if_object(), "arguments"), "clientName");
                 !name.empty())
            info_.clientName = std::string(name);
    }
    const Rule* chosen = nullptr;
    for (const auto& rule : rules_->rules)
        if (Matches(rule, dir, env, request ? &*request : nullptr, framing.json, parsed) && Counts(rule))
        {
            chosen = &rule;
            break;
        }

    bool renumber = dir == Direction::ServerToClient && env.seq && shift_ != 0;
    if (chosen || renumber)
    {
        if (!parsed)
        {
            boost::system::error_code ec;
            parsed = boost::json::parse(framing.json, ec);
            if (ec) // DecodeEnvelope accepted it, so this does not happen; forward untouched if it does
                return decision;
        }
    }
    if (chosen)
        Apply(*chosen, dir, opcode, env, request ? &*request : nullptr, *parsed, bytes, decision);

    if (dir == Direction::ServerToClient && env.seq && decision.forward)
    {
        int64_t out = *env.seq + shift_;
        if (shift_ != 0)
        {
            // Keep the client's view unique and increasing: the engine's seq moves past synthesised ones.
            boost::json::value& json = *parsed;
            if (decision.replacement)
            {
                boost::system::error_code ec;
                json = boost::json::parse(inspector::SplitFrame(opcode, *decision.replacement).json, ec);
            }
            json.as_object()["seq"] = out;
            decision.replacement = Serialise(json, opcode, framing.payload, framing.hasPayload);
        }
        lastSeqToClient_ = std::max(lastSeqToClient_, out);
    }
    // Messages made toward the client take their seq now, after the message they follow.
    for (auto& extra : decision.extra)
    {
        if (extra.dir != Direction::ServerToClient)
            continue;
        std::string original = std::move(extra.bytes);
        inspector::Framing framing = inspector::SplitFrame(extra.opcode, original);
        boost::json::value json = boost::json::parse(framing.json);
        json.as_object()["seq"] = NextSynthesisedSeq();
        extra.bytes = Serialise(json, extra.opcode, framing.payload, framing.hasPayload);
    }
    return decision;
}

void SessionRules::Apply(const Rule& rule, Direction dir, Opcode opcode, const inspector::Envelope& env,
                         const RequestInfo* request, boost::json::value& json, std::string_view bytes,
                         Decision& decision)
{
    inspector::Framing framing = inspector::SplitFrame(opcode, bytes);
    decision.rule = rule.name;
    decision.action = rule.action;
    switch (rule.action)
    {
    case ActionKind::None:
        break;
    case ActionKind::Delay:
        decision.delayMs = rule.delayMs;
        break;
    case ActionKind::Break:
        decision.hold = true;
        decision.holdMs = rule.holdMs;
        break;
    case ActionKind::Drop:
    case ActionKind::Close:
        decision.forward = false;
        if (rule.action == ActionKind::Close)
            decision.close = rule.close;
        if (dir == Direction::ClientToServer && env.kind == Kind::Request && env.seq)
            requests_.erase(*env.seq); // the engine will never answer it
        break;
    case ActionKind::Respond:
    {
        decision.forward = false;
        requests_.erase(*env.seq);
        boost::json::object response{{"seq", 0},
                                     {"type", "response"},
                                     {"request_seq", *env.seq},
                                     {"command", request ? request->command : env.command},
                                     {"success", true}};
        for (const auto& [key, value] : rule.respond)
            response[key] = value;
        decision.extra.push_back({Direction::ServerToClient, Opcode::Text, boost::json::serialize(response)});
        break;
    }
    case ActionKind::Edit:
    {
        boost::json::value changed = json;
        if (auto problem = ApplyEdit(rule.edit, changed))
        {
            decision.problem = *problem;
            break;
        }
        json = std::move(changed);
        decision.replacement = Serialise(json, opcode, framing.payload, framing.hasPayload);
        break;
    }
    case ActionKind::Duplicate:
    {
        decision.extra.push_back({dir, opcode, std::string(bytes)});
        break;
    }
    case ActionKind::Event:
    {
        boost::json::object event{{"seq", 0}, {"type", "event"}};
        for (const auto& [key, value] : rule.event)
            event[key] = value;
        decision.extra.push_back({Direction::ServerToClient, Opcode::Text, boost::json::serialize(event)});
        break;
    }
    }
}

} // namespace dapscope::rules
