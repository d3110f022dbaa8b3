#pragma once
// What the relay hands to the recorder: session lifecycle facts and message chunks, in relay order.
// Plain data; the relay thread builds them and never waits for anyone to consume them.

#include "inspector/Types.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace dapscope::proxy
{

using inspector::Direction;
using inspector::Opcode;

// Captured bytes that may share the relay's frame buffer: the relay copies a chunk once, and both the
// frame queue and the recorder hold it until each is done with it.
class CapturedBytes
{
  public:
    CapturedBytes() = default;
    CapturedBytes(std::string text) // owns a copy (imports, tests)
    {
        auto owner = std::make_shared<const std::string>(std::move(text));
        m_data = owner->data();
        m_size = owner->size();
        m_owner = std::move(owner);
    }
    CapturedBytes(std::shared_ptr<const void> owner, const char* data, size_t size)
        : m_owner(std::move(owner)), m_data(data), m_size(size)
    {
    }

    std::string_view View() const { return {m_data, m_size}; }
    operator std::string_view() const { return View(); }
    size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    void clear() { *this = CapturedBytes(); }

  private:
    std::shared_ptr<const void> m_owner; // keeps the buffer alive
    const char* m_data = "";
    size_t m_size = 0;
};

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
    CapturedBytes bytes;          // captured part of the chunk (shorter when beyond --max-capture-bytes or elided)
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
