#pragma once
// Framing and DAP envelope decoding of a single message (stateless).

#include "Types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dapscope::inspector
{

// Split of a frame into its JSON part and, for DAP binary frames, the raw payload after the first 0x0A.
struct Framing
{
    std::string_view json;    // text frame: everything; binary frame: bytes before the first 0x0A (all if none)
    std::string_view payload; // binary frame: bytes after the first 0x0A; empty otherwise
    bool hasPayload = false;  // a binary frame with a 0x0A separator (payload may still be empty)
};

Framing SplitFrame(Opcode opcode, std::string_view bytes);

struct Envelope
{
    Kind kind = Kind::Malformed;       // Malformed until the message proved to be a DAP message
    std::optional<int64_t> seq;        // seq (required for requests)
    std::optional<int64_t> requestSeq; // request_seq of a response
    std::string command;               // request / response
    std::string subcommand;            // arguments.subcommand
    std::string event;                 // event name
    std::optional<bool> success;       // response success; unset when absent (the SDKs treat that as success)
    std::string message;               // failure message of a response
    std::string traceFile;             // trace.file of a failed response
    int64_t traceLine = 0;             // trace.lineno
    std::string token;                 // arguments.token, else top-level token
    std::string malformedReason;       // why the message is Malformed, "" otherwise
    uint64_t jsonSize = 0;             // bytes of the JSON part
    uint64_t payloadSize = 0;          // bytes of the binary payload (full size, even when truncated)
    bool hasPayload = false;           // a binary frame with a 0x0A separator
};

// Decode one message. Control opcodes give Kind::Control; anything that is not a valid DAP message gives
// Kind::Malformed with a reason. `size` is the full wire size when `bytes` is a truncated prefix.
Envelope DecodeEnvelope(Opcode opcode, std::string_view bytes, uint64_t size, bool truncated);

// A short printable preview of a payload: text-like payloads (valid UTF-8 without control characters other
// than tab/CR/LF) are shown escaped, others as "<N bytes binary>"; an empty payload gives "".
std::string PayloadPreview(std::string_view payload, size_t maxChars = 80);

// Escape control characters, invalid UTF-8 and terminal escapes so wire data can be printed safely: C0 controls,
// DEL and invalid bytes become \xNN (\n, \r, \t for those), C1 controls and bidi overrides \uNNNN, a backslash
// "\\". At most `maxChars` characters come out; when text had to be dropped the last of them is "…".
std::string EscapeForTerminal(std::string_view text, size_t maxChars = SIZE_MAX);

} // namespace dapscope::inspector
