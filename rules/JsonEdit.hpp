#pragma once
// Changing a message's JSON: set / remove at JSONPaths, and RFC 6902 patches over RFC 6901 pointers.

#include "Rule.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace dapscope::rules
{

// What is wrong with `pointer` as an RFC 6901 JSON pointer, or nullopt when it is well-formed.
std::optional<std::string> CheckJsonPointer(std::string_view pointer);

// Apply `edit` to `root` in place: set (creating a missing last member), then remove, then the patch. An RFC 6902
// patch applies whole or not at all: on a failed operation `root` is left as it was and the problem is returned.
std::optional<std::string> ApplyEdit(const EditAction& edit, boost::json::value& root);

} // namespace dapscope::rules
