#pragma once
// RFC 6455 frame headers, read incrementally from one direction of a byte stream. The relay's loop thread uses
// FrameTracker to know where frames start and end without touching payload bytes; the recorder's WsDecoder
// uses the same header parser to decode them.

#include "Mask.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dapscope::wire
{

enum class WsOpcode : uint8_t
{
    Continuation = 0,
    Text = 1,
    Binary = 2,
    Close = 8,
    Ping = 9,
    Pong = 10,
};

inline bool IsControl(uint8_t opcode)
{
    return (opcode & 0x8) != 0;
}

struct FrameHeader
{
    bool fin = false;
    uint8_t rsv = 0;    // RSV1..3 as bits 2..0 (RSV1 = 4: permessage-deflate's "compressed")
    uint8_t opcode = 0; // raw 4-bit opcode (reserved ones included)
    bool masked = false;
    uint64_t payloadLength = 0;
    MaskKey mask{};   // valid when masked
    uint8_t size = 0; // header bytes: 2..14
};

// Parse a complete header at data[0..size). Returns the header's length, or 0 when more bytes are needed.
// It does not judge the header (see Violation()).
size_t ParseFrameHeader(const uint8_t* data, size_t size, FrameHeader& out);

// Header problems that make frame boundaries unknowable or that no endpoint may accept from a relay
// (RFC 6455 §5.2, §5.5). The relay fails the leg that sent them with 1002. Everything else (RSV bits,
// continuation without a start, invalid UTF-8, mask bit) is the endpoints' business and passes through.
enum class HeaderViolation : uint8_t
{
    None,
    ReservedOpcode,    // 3-7, 0xB-0xF
    FragmentedControl, // control frame with FIN=0
    LongControl,       // control frame with more than 125 payload bytes
    LengthTopBit,      // 64-bit length with its most significant bit set
};

HeaderViolation Violation(const FrameHeader& header);
std::string_view ToString(HeaderViolation violation); // "reserved opcode 3", ... as a short English phrase

// Follows one direction of a WebSocket stream, header by header; payload bytes are skipped, never read.
class FrameTracker
{
  public:
    static constexpr size_t npos = static_cast<size_t>(-1);

    // Follow `size` more bytes. Returns how many were taken: all of them, unless
    // - stopAtBoundary is set and a frame ends inside: then the count up to that frame's last byte (0 when
    //   the stream is already at a frame boundary);
    // - a header violation is found: then the offset where that frame's header starts. Violation() says which,
    //   and from then on Feed takes nothing. A violation is found as soon as the header bytes seen decide it
    //   (the opcode byte for most); when that header began in an earlier Feed, those bytes were taken and 0 is
    //   returned.
    size_t Feed(const uint8_t* data, size_t size, bool stopAtBoundary = false);

    bool AtFrameBoundary() const;     // no frame partly seen
    bool InFragmentedMessage() const; // a data frame with FIN=0 passed and its message's final frame has not
    bool CloseSeen() const;           // a whole close frame passed
    HeaderViolation Violation() const;
    // Offset, in the bytes of the last Feed, of the first frame header that began there; npos if none did.
    size_t FirstHeaderOffset() const;
    uint64_t Frames() const; // whole frames passed

  private:
    void EndFrame();
    size_t Fail(HeaderViolation violation, size_t headerStart);

    uint64_t m_payloadLeft = 0; // of the frame whose header has passed
    uint64_t m_frames = 0;
    size_t m_firstHeader = npos;
    uint8_t m_header[14] = {}; // a header split across Feed calls, as far as it has come
    uint8_t m_headerHave = 0;
    uint8_t m_opcode = 0; // of the current frame
    bool m_fin = false;
    bool m_fragmented = false;
    bool m_closeSeen = false;
    HeaderViolation m_violation = HeaderViolation::None;
};

// One unfragmented frame (FIN set, no RSV bits) carrying `payload`, masked with a fresh CSPRNG key when `masked`
// (frames written toward the engine). For the messages the proxy writes itself.
std::string MakeFrame(WsOpcode opcode, std::string_view payload, bool masked);

// A close frame with `code` and `reason` (cut to 123 bytes at a UTF-8 boundary), masked with a fresh
// CSPRNG key when `masked` (frames written toward the engine).
std::string MakeCloseFrame(uint16_t code, std::string_view reason, bool masked);

} // namespace dapscope::wire
