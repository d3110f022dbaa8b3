#pragma once
// Plain data shared by every part of the inspector. No I/O, no clocks: callers pass timestamps in.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dapscope::inspector
{

enum class Direction : uint8_t
{
    ClientToServer = 0, // "c2s": SDK -> engine
    ServerToClient = 1, // "s2c": engine -> SDK
};

enum class Opcode : uint8_t
{
    Text = 1,
    Binary = 2,
    Close = 8,
    Ping = 9,
    Pong = 10,
};

enum class Kind : uint8_t
{
    Request,
    Response,
    Event,
    Malformed,
    Control,      // close / ping / pong frames
    HttpRequest,  // a plain HTTP request on the proxy port (or an upgrade the engine refused)
    HttpResponse, // its response
};

// Where a request or response stands in its exchange.
enum class ExchangeState : uint8_t
{
    None,            // not part of an exchange (events, control, malformed)
    Pending,         // request not answered yet
    Answered,        // request or response paired normally
    Unanswered,      // request whose session ended without a response
    Orphan,          // response whose request_seq matches no request
    DuplicateSeq,    // request reusing a seq that is still pending (the older one keeps the pairing)
    CommandMismatch, // paired, but the response echoes another command
};

using MessageId = int64_t;

// One complete WebSocket message as captured, fed to the inspector in wire order per session.
struct WireMessage
{
    Direction dir = Direction::ClientToServer;
    Opcode opcode = Opcode::Text;
    int64_t firstByteNs = 0;  // arrival of the first chunk
    int64_t lastByteNs = 0;   // arrival of the final chunk
    std::string_view bytes;   // captured bytes (may be a prefix when truncated)
    uint64_t size = 0;        // full size on the wire
    bool truncated = false;   // bytes is a prefix of the message
    std::string_view problem; // the transport could not decode it (bad compressed data, ...): malformed
    bool aside = false;       // not part of the exchange (a message a rule replaced): decoded and redacted only
};

std::string_view ToString(Direction d); // "c2s" / "s2c"
std::string_view ToString(Opcode o);    // "text" / "binary" / "close" / "ping" / "pong"
// "request" / "response" / "event" / "malformed" / "control" / "http_request" / "http_response"
std::string_view ToString(Kind k);
// "" / "pending" / "answered" / "unanswered" / "orphan" / "duplicate" / "mismatch"
std::string_view ToString(ExchangeState s);
std::optional<Direction> ParseDirection(std::string_view s);
std::optional<Opcode> ParseOpcode(std::string_view s);
std::optional<Kind> ParseKind(std::string_view s);

} // namespace dapscope::inspector
