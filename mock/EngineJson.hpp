#pragma once
// JSON helpers of the mock engine: Python-compatible serialisation, hashing, token formulas and response overrides.

#include <boost/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dapscope::mock
{

// How SerializeJson writes a value. The defaults give Starlette's send_json output (compact, raw UTF-8);
// {true, true, true} gives Python's json.dumps(sort_keys=True) that the engine hashes into task tokens.
struct JsonStyle
{
    bool pythonSpacing = false; // ", " and ": " separators (json.dumps default) instead of "," and ":"
    bool ensureAscii = false;   // escape every non-ASCII character as \uXXXX (json.dumps default)
    bool sortKeys = false;      // object keys in code point order
};

// Serialise like Python's json module: floats as repr() (1795752440.0942712, 0.0, 1e+16), not Boost's 1.7E9.
std::string SerializeJson(const boost::json::value& value, JsonStyle style = {});

// Python repr() of a float, which json.dumps uses ("NaN"/"Infinity" for non-finite values).
std::string PyFloatRepr(double value);

// Replace invalid UTF-8 sequences by U+FFFD so the text can go into a JSON text frame.
std::string SanitizeUtf8(std::string_view bytes);

// Parse JSON without throwing; nullopt on malformed input.
std::optional<boost::json::value> ParseJson(std::string_view text);

// Lower-case hex SHA-256 of bytes.
std::string Sha256Hex(std::string_view bytes);

// Incremental SHA-256 (OpenSSL EVP), movable.
class Sha256Stream
{
  public:
    Sha256Stream();
    ~Sha256Stream();
    Sha256Stream(Sha256Stream&&) noexcept;
    Sha256Stream& operator=(Sha256Stream&&) noexcept;
    Sha256Stream(const Sha256Stream&) = delete;
    Sha256Stream& operator=(const Sha256Stream&) = delete;

    void Update(std::string_view bytes);
    std::string FinalHex(); // finishes the digest; further Update calls start a new one

  private:
    struct Context;
    std::unique_ptr<Context> m_context; // EVP_MD_CTX owner
};

// A UUID-shaped string (8-4-4-4-12 hex) derived from SHA-256 of `seed`, with the given version nibble.
std::string HashUuid(std::string_view seed, char version);

// Task token formulas of the engine (PROTOCOL §5.1): tk_/pk_ + first 32 hex of SHA-256 over json.dumps(sort_keys).
std::string TaskToken(const boost::json::value& projectId, const boost::json::value& source, std::string_view userId);
std::string PublicToken(const boost::json::value& projectId, const boost::json::value& source);

// Display id: first 8 chars of the token without its tk_/pk_ prefix, ".", source.
std::string DisplayId(std::string_view token, std::string_view source);

// One step of a JSONPATH: an object member or an array index.
using JsonPathStep = std::variant<std::string, size_t>;

// A parsed "COMMAND:JSONPATH=JSON" override of EngineOptions::overrides.
struct ResponseOverride
{
    std::string command;            // responses to this command are changed
    std::vector<JsonPathStep> path; // steps below the response message ($)
    boost::json::value value;       // new value of the leaf
};

// Parse one override; returns the error message on failure.
std::variant<ResponseOverride, std::string> ParseOverride(std::string_view spec);

// Set the leaf of `path` in `message`, creating missing objects on the way. A step that meets the wrong kind of
// container (or an index more than one past the end) leaves the message unchanged.
void ApplyOverride(boost::json::object& message, const ResponseOverride& rule);

} // namespace dapscope::mock
