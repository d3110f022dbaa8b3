#pragma once
// A parsed rules file: an ordered list of rules, each a match and one action (docs/rules.md).

#include "inspector/JsonPath.hpp"
#include "inspector/Types.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace dapscope::rules
{

// One `where` entry: what the values a JSONPath selects must satisfy (any selected value will do).
struct Condition
{
    std::string pathText;
    inspector::JsonPath path;
    std::optional<boost::json::value> equals;
    std::optional<bool> exists;
    std::optional<std::regex> regex; // on string values
    std::string regexText;
    std::optional<double> gt, ge, lt, le;
};

struct Match
{
    std::optional<inspector::Direction> dir;
    std::optional<inspector::Kind> kind; // Request, Response or Event
    std::string command;                 // a response's: that of its request when known
    std::string subcommand;              // a response's: that of its request
    std::string event;
    std::vector<Condition> where;
    std::string client;                // the session's client name (auth arguments.clientName)
    std::string path;                  // the session's upgrade path
    int64_t nth = 0;                   // only the n-th message that matches everything else (1-based), 0: off
    int64_t every = 0;                 // every n-th such message, 0: off
    std::optional<double> probability; // with the file's seed, so runs repeat
};

enum class ActionKind : uint8_t
{
    None,
    Delay,
    Drop,
    Close,
    Respond,
    Edit, // set / remove / patch
    Duplicate,
    Event,
    Break, // hold the message for a person (the proxy's control endpoint releases, edits or drops it)
};

const char* ActionName(ActionKind kind);

enum class Leg : uint8_t
{
    Client,
    Engine,
    Both,
};

struct CloseAction
{
    uint16_t code = 1000;
    std::string reason;
    Leg leg = Leg::Both;
};

// One RFC 6902 operation; pointers are kept as text and resolved when applied.
struct PatchOp
{
    std::string op; // add, remove, replace, move, copy, test
    std::string path;
    std::string from;
    boost::json::value value;
};

struct EditAction
{
    std::vector<std::pair<inspector::JsonPath, boost::json::value>> set;
    std::vector<inspector::JsonPath> remove;
    std::vector<PatchOp> patch;
};

struct Rule
{
    std::string name;
    int line = 0; // where the rule starts in its file (1-based)
    Match match;
    ActionKind action = ActionKind::None;
    int64_t delayMs = 0;
    int64_t holdMs = 0; // break: released on its own after this long (0: the proxy's --hold-timeout)
    CloseAction close;
    boost::json::object respond; // keys laid over the synthesised response
    EditAction edit;
    boost::json::object event; // keys laid over the synthesised event
};

struct RuleSet
{
    std::vector<Rule> rules;
    uint64_t seed = 0;
    // Whether some rule may act on messages of `dir` (the relay decodes only those directions).
    bool Affects(inspector::Direction dir) const;
};

} // namespace dapscope::rules
