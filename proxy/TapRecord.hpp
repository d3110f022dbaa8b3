#pragma once
// What the relay hands to the recorder: session lifecycle facts and message chunks, in relay order.
// Plain data; the relay thread builds them and never waits for anyone to consume them.

#include "inspector/Types.hpp"

#include <cstdint>
#include <string>

namespace dapscope::proxy
{

using inspector::Direction;
using inspector::Opcode;

struct TapRecord
{
    enum class Type : uint8_t
    {
        SessionOpen,  // a client connected: client, path, upstream, headers summary
        UpstreamOpen, // the upstream handshake completed
        Chunk,        // part of a message (or a whole one): bytes as received
        SessionClose, // both sides are gone: close code/reason, error
    };

    Type type = Type::Chunk;
    uint64_t session = 0; // relay-assigned session id, unique per proxy run
    int64_t ns = 0;       // wall-clock time of the event (chunk: arrival)

    // Chunk
    Direction dir = Direction::ClientToServer;
    Opcode opcode = Opcode::Text; // of the whole message
    bool first = false;           // first chunk of its message
    bool final = false;           // last chunk of its message
    uint64_t wireBytes = 0;       // bytes of this chunk on the wire
    std::string bytes;            // captured part of the chunk (shorter when beyond --max-capture-bytes or elided)
    bool elided = false;          // bytes dropped because the recorder fell behind its byte budget

    // SessionOpen: client/path/upstream; SessionClose: closeCode/closeReason/closedBy/error
    std::string client;      // "ip:port" of the SDK
    std::string path;        // request path and query
    std::string upstream;    // ws[s]://host:port of the engine
    std::string userAgent;   // User-Agent header of the client, if any
    uint16_t closeCode = 0;  // close code seen (0 = none)
    std::string closeReason; // close reason seen
    std::string closedBy;    // "client", "upstream" or "proxy"
    std::string error;       // why the session failed, if it did
};

} // namespace dapscope::proxy
