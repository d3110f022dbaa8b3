#pragma once
// Redaction of secrets before anything is stored, printed or exported.

#include "JsonPath.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::inspector
{

struct RedactionPolicy
{
    bool enabled = true;                // --no-redact turns it off
    std::vector<std::string> userRules; // --redact JSONPATH, e.g. "$.arguments.pipeline.config.key", "$..password"
};

// Check a user rule; throws JsonPathError (why) for a rule that cannot be parsed.
void ValidateRedactionRule(std::string_view rule);

// The marker that replaces a secret: "[redacted:" + first 8 hex of SHA-256(value) + "]".
std::string RedactionMarker(std::string_view secret);

// The fingerprint inside a marker, or nullopt when `value` is not a marker.
std::optional<std::string> MarkerFingerprint(std::string_view value);

// Whether a marker ("[redacted:" + 8 hex digits + "]") occurs anywhere in `bytes`.
bool HoldsRedactionMarker(std::string_view bytes);

// First 8 hex characters of SHA-256(value).
std::string Fingerprint(std::string_view value);

} // namespace dapscope::inspector
