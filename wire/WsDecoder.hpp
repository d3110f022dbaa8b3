#pragma once
// Decodes one direction of a WebSocket stream for the recorder: reassembles frames into messages, unmasks
// client frames, and inflates permessage-deflate messages (RFC 7692) with the parameters the engine agreed to.
// Never throws on bad input: a message that cannot be decoded is delivered with a `problem`, and the stream
// goes on. Output comes in parts of bounded size so memory does not grow with a message.

#include "WsFrame.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace dapscope::wire
{

// What the server's 101 agreed to for permessage-deflate ("server_*" = engine -> client messages).
struct DeflateParams
{
    bool enabled = false;
    bool serverNoContextTakeover = false;
    bool clientNoContextTakeover = false;
    int serverMaxWindowBits = 15;
    int clientMaxWindowBits = 15;
};

// From every Sec-WebSocket-Extensions value of the 101, joined with ", ". Other extensions are ignored.
DeflateParams ParseAgreedDeflate(std::string_view extensions);

struct DecodedPart
{
    // Of the message (Text/Binary), or the control frame's (Close/Ping/Pong). Continuation for bytes that belong
    // to no message the decoder saw start: a continuation frame with no message open, a header cut short by Skip
    // or Finish, bytes passed over while finding the next header after Skip, and everything from a header
    // violation on.
    WsOpcode opcode = WsOpcode::Text;
    bool first = false;       // first part of its message (control frames: first and final)
    bool final = false;       // last part of its message
    std::string_view bytes;   // decoded payload bytes (unmasked, inflated); valid during the callback only
    uint64_t wireBytes = 0;   // wire bytes (frame headers included) accounted to this part
    bool compressed = false;  // the message was sent compressed (RSV1)
    bool lost = false;        // some of the message's wire bytes were not captured (see Skip)
    uint64_t skipped = 0;     // payload bytes of an uncompressed message that were not captured (a gap in it)
    std::string_view problem; // on a final part: why the message could not be decoded ("" = it could)
};

class WsDecoder
{
  public:
    using Sink = std::function<void(const DecodedPart&)>;

    // `fromClient`: client -> server direction (frames are masked; deflate uses the client_* parameters).
    WsDecoder(bool fromClient, DeflateParams params);
    ~WsDecoder();
    WsDecoder(WsDecoder&&) noexcept;
    WsDecoder& operator=(WsDecoder&&) noexcept;

    // The next bytes of the stream. `firstHeaderOffset` (FrameTracker::FirstHeaderOffset of the same bytes,
    // or FrameTracker::npos) lets the decoder find its way again after Skip.
    void Feed(std::string_view wire, size_t firstHeaderOffset, const Sink& sink);
    // `wireBytes` bytes of the stream were not captured. Inside the payload of the frame being read, frame
    // boundaries stay known: the message goes on, `lost`, with a gap (`skipped`); a compressed one can no longer
    // be inflated. Otherwise the message they belong to is delivered `lost`, and decoding resumes at the next
    // frame header a later Feed points to. With context takeover every later compressed message of this
    // direction is then undecodable (delivered raw with a problem).
    void Skip(uint64_t wireBytes, const Sink& sink);
    // The stream ended: a message still open is delivered as final with a problem.
    void Finish(const Sink& sink);
    // Whole frames decoded so far (the same count as a FrameTracker fed the same bytes, until a Skip or a
    // header violation).
    uint64_t Frames() const;

  private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace dapscope::wire
