// YAML -> RuleSet with yaml-cpp. Every problem names the line and column of the offending node.

#include "RuleParser.hpp"

#include "JsonEdit.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <set>

namespace dapscope::rules
{

RuleError::RuleError(int l, int c, const std::string& m)
    : std::runtime_error(std::to_string(l) + ":" + std::to_string(c) + ": " + m), line(l), column(c), message(m)
{
}

namespace
{

constexpr int64_t kMaxDelayMs = 3'600'000; // an hour: beyond that it is a typo, not a delay

[[noreturn]] void Fail(const YAML::Node& node, const std::string& message)
{
    YAML::Mark mark = node.Mark();
    throw RuleError(mark.line + 1, mark.column + 1, message);
}

std::string Scalar(const YAML::Node& node, const std::string& what)
{
    if (!node.IsScalar())
        Fail(node, what + " must be a single value");
    return node.Scalar();
}

// A YAML value as JSON: plain scalars that read as null, booleans or numbers become those; quoted ones stay text.
boost::json::value ToJson(const YAML::Node& node)
{
    switch (node.Type())
    {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        return nullptr;
    case YAML::NodeType::Sequence:
    {
        boost::json::array out;
        for (const auto& item : node)
            out.push_back(ToJson(item));
        return out;
    }
    case YAML::NodeType::Map:
    {
        boost::json::object out;
        for (const auto& item : node)
            out[Scalar(item.first, "a key")] = ToJson(item.second);
        return out;
    }
    case YAML::NodeType::Scalar:
        break;
    }
    const std::string& text = node.Scalar();
    if (node.Tag() == "!") // quoted
        return boost::json::value(text);
    if (text == "null" || text == "~")
        return nullptr;
    if (text == "true" || text == "false")
        return text == "true";
    try
    {
        size_t used = 0;
        long long integer = std::stoll(text, &used);
        if (used == text.size())
            return static_cast<int64_t>(integer);
        double real = std::stod(text, &used);
        if (used == text.size() && std::isfinite(real))
            return real;
    }
    catch (const std::exception&)
    {
    }
    return boost::json::value(text);
}

bool ToBool(const YAML::Node& node, const std::string& what)
{
    std::string text = Scalar(node, what);
    if (text == "true" || text == "yes")
        return true;
    if (text == "false" || text == "no")
        return false;
    Fail(node, what + " must be true or false, not '" + text + "'");
}

int64_t ToInteger(const YAML::Node& node, const std::string& what, int64_t min, int64_t max)
{
    std::string text = Scalar(node, what);
    try
    {
        size_t used = 0;
        long long value = std::stoll(text, &used);
        if (used == text.size() && value >= min && value <= max)
            return value;
    }
    catch (const std::exception&)
    {
    }
    Fail(node, what + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", not '" +
                   text + "'");
}

double ToNumber(const YAML::Node& node, const std::string& what)
{
    std::string text = Scalar(node, what);
    try
    {
        size_t used = 0;
        double value = std::stod(text, &used);
        if (used == text.size() && std::isfinite(value))
            return value;
    }
    catch (const std::exception&)
    {
    }
    Fail(node, what + " must be a number, not '" + text + "'");
}

inspector::JsonPath ToPath(const YAML::Node& node)
{
    std::string text = Scalar(node, "a JSONPath");
    try
    {
        return inspector::ParseJsonPath(text);
    }
    catch (const inspector::JsonPathError& e)
    {
        Fail(node, "bad JSONPath '" + text + "': " + e.what());
    }
}

void CheckKeys(const YAML::Node& map, const std::set<std::string>& allowed, const std::string& where)
{
    if (!map.IsMap())
        Fail(map, where + " must be a mapping");
    for (const auto& item : map)
    {
        std::string key = Scalar(item.first, "a key");
        if (!allowed.contains(key))
        {
            std::string list;
            for (const auto& a : allowed)
                list += (list.empty() ? "" : ", ") + a;
            Fail(item.first, "unknown key '" + key + "' in " + where + " (known: " + list + ")");
        }
    }
}

Condition ToCondition(const YAML::Node& pathNode, const YAML::Node& test)
{
    Condition c;
    c.pathText = Scalar(pathNode, "a JSONPath");
    c.path = ToPath(pathNode);
    if (!test.IsMap())
    {
        c.equals = ToJson(test);
        return c;
    }
    CheckKeys(test, {"equals", "exists", "regex", "gt", "ge", "lt", "le"}, "the condition on " + c.pathText);
    for (const auto& item : test)
    {
        std::string key = item.first.Scalar();
        const YAML::Node& v = item.second;
        if (key == "equals")
            c.equals = ToJson(v);
        else if (key == "exists")
            c.exists = ToBool(v, "exists");
        else if (key == "regex")
        {
            c.regexText = Scalar(v, "regex");
            try
            {
                c.regex.emplace(c.regexText, std::regex::ECMAScript);
            }
            catch (const std::regex_error& e)
            {
                Fail(v, "bad regex '" + c.regexText + "': " + e.what());
            }
        }
        else
        {
            double n = ToNumber(v, key);
            (key == "gt" ? c.gt : key == "ge" ? c.ge : key == "lt" ? c.lt : c.le) = n;
        }
    }
    return c;
}

Match ToMatch(const YAML::Node& node)
{
    Match m;
    if (!node.IsDefined() || node.IsNull())
        return m; // an empty match takes every message
    CheckKeys(
        node,
        {"dir", "kind", "command", "subcommand", "event", "where", "client", "path", "nth", "every", "probability"},
        "match");
    for (const auto& item : node)
    {
        std::string key = item.first.Scalar();
        const YAML::Node& v = item.second;
        if (key == "dir")
        {
            std::string d = Scalar(v, "dir");
            if (d != "c2s" && d != "s2c")
                Fail(v, "dir must be c2s (client to engine) or s2c (engine to client), not '" + d + "'");
            m.dir = d == "c2s" ? inspector::Direction::ClientToServer : inspector::Direction::ServerToClient;
        }
        else if (key == "kind")
        {
            std::string k = Scalar(v, "kind");
            if (k == "request")
                m.kind = inspector::Kind::Request;
            else if (k == "response")
                m.kind = inspector::Kind::Response;
            else if (k == "event")
                m.kind = inspector::Kind::Event;
            else
                Fail(v, "kind must be request, response or event, not '" + k + "'");
        }
        else if (key == "command")
            m.command = Scalar(v, key);
        else if (key == "subcommand")
            m.subcommand = Scalar(v, key);
        else if (key == "event")
            m.event = Scalar(v, key);
        else if (key == "client")
            m.client = Scalar(v, key);
        else if (key == "path")
            m.path = Scalar(v, key);
        else if (key == "nth")
            m.nth = ToInteger(v, key, 1, INT64_MAX);
        else if (key == "every")
            m.every = ToInteger(v, key, 1, INT64_MAX);
        else if (key == "probability")
        {
            double p = ToNumber(v, key);
            if (p < 0 || p > 1)
                Fail(v, "probability must be between 0 and 1");
            m.probability = p;
        }
        else if (key == "where")
        {
            if (!v.IsMap())
                Fail(v, "where must map JSONPaths to conditions");
            for (const auto& cond : v)
                m.where.push_back(ToCondition(cond.first, cond.second));
        }
    }
    if (m.nth && m.every)
        Fail(node, "nth and every cannot be combined");
    if (m.kind == inspector::Kind::Request && m.dir == inspector::Direction::ServerToClient)
        Fail(node, "requests go c2s (the engine sends no requests)");
    if ((m.kind == inspector::Kind::Response || m.kind == inspector::Kind::Event) &&
        m.dir == inspector::Direction::ClientToServer)
        Fail(node, "responses and events go s2c");
    if (!m.event.empty() && m.kind && m.kind != inspector::Kind::Event)
        Fail(node, "an event name matches only events");
    return m;
}

PatchOp ToPatchOp(const YAML::Node& node)
{
    CheckKeys(node, {"op", "path", "from", "value"}, "a patch operation");
    PatchOp op;
    if (!node["op"] || !node["path"])
        Fail(node, "a patch operation needs op and path");
    op.op = Scalar(node["op"], "op");
    op.path = Scalar(node["path"], "path");
    static const std::set<std::string> ops{"add", "remove", "replace", "move", "copy", "test"};
    if (!ops.contains(op.op))
        Fail(node["op"], "unknown patch op '" + op.op + "' (RFC 6902: add, remove, replace, move, copy, test)");
    if (auto problem = CheckJsonPointer(op.path))
        Fail(node["path"], *problem);
    bool needsFrom = op.op == "move" || op.op == "copy";
    bool needsValue = op.op == "add" || op.op == "replace" || op.op == "test";
    if (needsFrom != bool(node["from"]))
        Fail(node, needsFrom ? "op " + op.op + " needs from" : "op " + op.op + " takes no from");
    if (needsValue != bool(node["value"]))
        Fail(node, needsValue ? "op " + op.op + " needs value" : "op " + op.op + " takes no value");
    if (needsFrom)
    {
        op.from = Scalar(node["from"], "from");
        if (auto problem = CheckJsonPointer(op.from))
            Fail(node["from"], *problem);
    }
    if (needsValue)
        op.value = ToJson(node["value"]);
    return op;
}

boost::json::object ToObject(const YAML::Node& node, const std::string& what)
{
    if (!node.IsMap())
        Fail(node, what + " must be a mapping of the message's keys");
    return ToJson(node).as_object();
}

// The one action of a rule; `key` is known to be an action key.
void ReadAction(Rule& rule, const std::string& key, const YAML::Node& v)
{
    if (key == "delay")
    {
        auto ms = ParseDurationMs(Scalar(v, "delay"));
        if (!ms || *ms > kMaxDelayMs)
            Fail(v, "delay must be a duration up to 1h such as 2s, 500ms or 1.5s, not '" + v.Scalar() + "'");
        rule.action = ActionKind::Delay;
        rule.delayMs = *ms;
    }
    else if (key == "drop")
    {
        if (!ToBool(v, "drop"))
            Fail(v, "drop: false is no action; remove the rule instead");
        rule.action = ActionKind::Drop;
    }
    else if (key == "break")
    {
        rule.action = ActionKind::Break;
        if (v.IsScalar() && !ToBool(v, "break"))
            Fail(v, "break: false is no action; remove the rule instead");
        if (v.IsMap())
        {
            CheckKeys(v, {"timeout"}, "break");
            auto ms = v["timeout"] ? ParseDurationMs(Scalar(v["timeout"], "timeout")) : std::nullopt;
            if (!ms || *ms <= 0 || *ms > kMaxDelayMs)
                Fail(v, "break: {timeout: ...} needs a duration up to 1h such as 30s");
            rule.holdMs = *ms;
        }
    }
    else if (key == "duplicate")
    {
        if (!ToBool(v, "duplicate"))
            Fail(v, "duplicate: false is no action; remove the rule instead");
        rule.action = ActionKind::Duplicate;
    }
    else if (key == "close")
    {
        rule.action = ActionKind::Close;
        if (v.IsNull())
            return;
        CheckKeys(v, {"code", "reason", "leg"}, "close");
        if (v["code"])
        {
            int64_t code = ToInteger(v["code"], "close code", 1000, 4999);
            // Codes a peer must never send (RFC 6455 7.4.1): 1004-1006, 1015.
            if (code == 1004 || code == 1005 || code == 1006 || code == 1015)
                Fail(v["code"], "close code " + std::to_string(code) + " may not be sent on the wire");
            rule.close.code = static_cast<uint16_t>(code);
        }
        if (v["reason"])
        {
            rule.close.reason = Scalar(v["reason"], "reason");
            if (rule.close.reason.size() > 123) // a close frame's payload is at most 125 bytes
                Fail(v["reason"], "a close reason is at most 123 bytes");
        }
        if (v["leg"])
        {
            std::string leg = Scalar(v["leg"], "leg");
            if (leg == "client")
                rule.close.leg = Leg::Client;
            else if (leg == "engine")
                rule.close.leg = Leg::Engine;
            else if (leg == "both")
                rule.close.leg = Leg::Both;
            else
                Fail(v["leg"], "leg must be client, engine or both, not '" + leg + "'");
        }
    }
    else if (key == "respond")
    {
        rule.action = ActionKind::Respond;
        if (!v.IsNull())
            rule.respond = ToObject(v, "respond");
        for (const char* fixed : {"type", "request_seq", "seq"})
            if (rule.respond.contains(fixed))
                Fail(v, std::string("respond sets ") + fixed + " itself (docs/rules.md)");
    }
    else if (key == "event")
    {
        rule.action = ActionKind::Event;
        rule.event = ToObject(v, "event");
        if (!rule.event.contains("event") || !rule.event["event"].is_string())
            Fail(v, "event needs an event name: event: {event: NAME, body: {...}}");
        for (const char* fixed : {"type", "seq"})
            if (rule.event.contains(fixed))
                Fail(v, std::string("event sets ") + fixed + " itself (docs/rules.md)");
    }
    else if (key == "set")
    {
        rule.action = ActionKind::Edit;
        if (!v.IsMap())
            Fail(v, "set must map JSONPaths to values");
        for (const auto& item : v)
            rule.edit.set.emplace_back(ToPath(item.first), ToJson(item.second));
    }
    else if (key == "remove")
    {
        rule.action = ActionKind::Edit;
        if (v.IsScalar())
            rule.edit.remove.push_back(ToPath(v));
        else if (v.IsSequence())
            for (const auto& item : v)
                rule.edit.remove.push_back(ToPath(item));
        else
            Fail(v, "remove must be a JSONPath or a list of them");
    }
    else if (key == "patch")
    {
        rule.action = ActionKind::Edit;
        if (!v.IsSequence() || v.size() == 0)
            Fail(v, "patch must be a non-empty list of RFC 6902 operations");
        for (const auto& item : v)
            rule.edit.patch.push_back(ToPatchOp(item));
    }
}

Rule ToRule(const YAML::Node& node, size_t index)
{
    static const std::set<std::string> actions{"delay",  "drop",  "close",     "respond", "set",
                                               "remove", "patch", "duplicate", "event",   "break"};
    std::set<std::string> allowed{"name", "match"};
    allowed.insert(actions.begin(), actions.end());
    CheckKeys(node, allowed, "rule " + std::to_string(index + 1));
    Rule rule;
    rule.line = node.Mark().line + 1;
    if (!node["name"])
        Fail(node, "rule " + std::to_string(index + 1) + " has no name");
    rule.name = Scalar(node["name"], "name");
    if (rule.name.empty())
        Fail(node["name"], "a rule name cannot be empty");
    rule.match = ToMatch(node["match"]);
    const YAML::Node* first = nullptr;
    std::string firstKey;
    for (const auto& item : node)
    {
        std::string key = item.first.Scalar();
        if (!actions.contains(key))
            continue;
        // set, remove and patch are one action (an edit); any other pair is two actions.
        bool edits = (key == "set" || key == "remove" || key == "patch") &&
                     (firstKey == "set" || firstKey == "remove" || firstKey == "patch");
        if (first && !edits)
            Fail(item.first,
                 "rule '" + rule.name + "' has two actions (" + firstKey + " and " + key + "); give each its own rule");
        if (!first)
        {
            first = &item.first;
            firstKey = key;
        }
        ReadAction(rule, key, item.second);
    }
    if (rule.action == ActionKind::None)
        Fail(node, "rule '" + rule.name +
                       "' has no action (delay, drop, close, respond, set, remove, patch, duplicate, event, break)");
    if (rule.action == ActionKind::Respond)
    {
        if (rule.match.kind && rule.match.kind != inspector::Kind::Request)
            Fail(node, "rule '" + rule.name + "': respond answers requests only");
        rule.match.kind = inspector::Kind::Request;
        rule.match.dir = inspector::Direction::ClientToServer;
    }
    return rule;
}

} // namespace

std::optional<int64_t> ParseDurationMs(std::string_view text)
{
    std::string s(text);
    size_t used = 0;
    double value = 0;
    try
    {
        value = std::stod(s, &used);
    }
    catch (const std::exception&)
    {
        return std::nullopt;
    }
    std::string unit = s.substr(used);
    double scale = unit == "ms" || unit.empty() ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000 : 0;
    if (scale == 0 || !std::isfinite(value) || value < 0 || value * scale > 1e15)
        return std::nullopt;
    return static_cast<int64_t>(std::llround(value * scale));
}

RuleSet ParseRules(std::string_view yaml)
{
    YAML::Node root;
    try
    {
        root = YAML::Load(std::string(yaml));
    }
    catch (const YAML::ParserException& e)
    {
        throw RuleError(e.mark.line + 1, e.mark.column + 1, e.msg);
    }
    if (!root.IsMap())
        throw RuleError(1, 1, "a rules file is a mapping with a 'rules' list");
    CheckKeys(root, {"rules", "seed"}, "the file");
    RuleSet set;
    if (root["seed"])
        set.seed = static_cast<uint64_t>(ToInteger(root["seed"], "seed", 0, INT64_MAX));
    YAML::Node list = root["rules"];
    if (!list || !list.IsSequence())
        Fail(list ? list : root, "'rules' must be a list of rules");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i)
    {
        Rule rule = ToRule(list[i], i);
        if (!names.insert(rule.name).second)
            Fail(list[i]["name"], "two rules are named '" + rule.name + "'");
        set.rules.push_back(std::move(rule));
    }
    return set;
}

} // namespace dapscope::rules
