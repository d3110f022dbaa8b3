#pragma once
// Reading a rules file (YAML) into a RuleSet. A file that does not parse, or holds a bad rule, is refused whole.

#include "Rule.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace dapscope::rules
{

// Why a rules file was refused; what() is "<line>:<column>: <message>" (1-based).
class RuleError : public std::runtime_error
{
  public:
    RuleError(int line, int column, const std::string& message);
    int line;
    int column;
    std::string message;
};

// Parse the text of a rules file. Throws RuleError.
RuleSet ParseRules(std::string_view yaml);

// "2s", "500ms", "1.5s", "1m" or a bare number of milliseconds; nullopt when it is none of these.
std::optional<int64_t> ParseDurationMs(std::string_view text);

} // namespace dapscope::rules
