#pragma once
// Internal: decoding of one message that also hands back the parsed JSON document for linking and redaction.

#include "Envelope.hpp"
#include "JsonReader.hpp"

#include <boost/json.hpp>

namespace dapscope::inspector
{

struct DecodedMessage
{
    Envelope envelope;                      // decoded fields of the original (unredacted) message
    Framing framing;                        // JSON part and payload, viewing the caller's bytes
    boost::json::value* document = nullptr; // the parsed JSON (owned by the reader), even when Malformed
    boost::json::object* root = nullptr;    // `document` when it is an object
};

// Decode `bytes` (see DecodeEnvelope); `out.document` stays valid until the reader parses again.
void DecodeMessage(JsonReader& reader, Opcode opcode, std::string_view bytes, uint64_t size, bool truncated,
                   DecodedMessage& out);

// The integer held by `value`, or nullopt with `error` = "is not an integer" / "is out of range".
std::optional<int64_t> ReadInteger(const boost::json::value& value, const char*& error);

// The string member `key` of `object`, or "" when absent or not a string.
std::string_view StringMember(const boost::json::object* object, std::string_view key);

// The object member `key` of `object`, or nullptr when absent or not an object.
const boost::json::object* ObjectMember(const boost::json::object* object, std::string_view key);

} // namespace dapscope::inspector
