#pragma once
// The JSONPath subset of user redaction rules: $, .name, ['name'], [n], [*], .*, and recursive ..name / ..* / ..[…].

#include <boost/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::inspector
{

struct JsonPathStep
{
    enum class Type : uint8_t
    {
        Member,   // .name or ['name']
        Index,    // [n]; negative counts from the end
        Wildcard, // .* or [*]: every member or element
    };
    Type type = Type::Member;
    bool recursive = false; // `..`: applies at every depth below the current values
    std::string name;       // Member: the key
    int64_t index = 0;      // Index: the position
};

using JsonPath = std::vector<JsonPathStep>;

// A user's rule that is not a JSONPath of this subset; what() says why and where ("expected ']' at offset 4").
class JsonPathError : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

// Parse `rule` (given by a user, never wire content); throws JsonPathError when it is not a valid rule.
JsonPath ParseJsonPath(std::string_view rule);

// Append every value of `root` that `path` selects (each at most once).
void SelectJsonPath(const JsonPath& path, boost::json::value& root, std::vector<boost::json::value*>& out);

} // namespace dapscope::inspector
