#pragma once
// Option values parsed by the lower libraries (addresses, JSONPath rules) throw their typed error for bad input;
// a command turns that into its usage failure here, naming the option.

#include "Commands.hpp"
#include "inspector/Redactor.hpp"
#include "net/NetError.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dapscope::cli
{

// What `parse` returns, or nullopt after Fail("<option>: <why>") (the caller returns kExitUsage).
template <class Parse> auto ParseOption(const std::string& option, Parse&& parse) -> std::optional<decltype(parse())>
{
    try
    {
        return parse();
    }
    catch (const net::NetError& e)
    {
        Fail(option + ": " + e.what());
    }
    catch (const inspector::JsonPathError& e)
    {
        Fail(option + ": " + e.what());
    }
    return std::nullopt;
}

// Whether every --redact rule parses (Fail() has named the first that does not).
inline bool ValidRedactRules(const std::vector<std::string>& rules)
{
    for (const std::string& rule : rules)
        if (!ParseOption("--redact " + rule,
                         [&]
                         {
                             inspector::ValidateRedactionRule(rule);
                             return true;
                         }))
            return false;
    return true;
}

} // namespace dapscope::cli
