#pragma once
// The relay logic of one session, without I/O (mitmproxy's sans-io idea): the lws glue feeds it events
// (a chunk arrived, a side became writable, a side closed) and executes the commands it answers with.
// It owns the per-direction frame queues, the watermark flow control, the close hand-over between the
// two sides, and the tap of every chunk into the capture queue.

#include "TapQueue.hpp"
#include "net/Frame.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::proxy
{

enum class Side : uint8_t
{
    Client = 0,   // the SDK; lws is its server
    Upstream = 1, // the engine; lws is its client
};

inline Side Other(Side side)
{
    return side == Side::Client ? Side::Upstream : Side::Client;
}

struct RelayLimits
{
    size_t highWatermark = 2u << 20;      // pause the source when a direction queues more than this
    size_t lowWatermark = 512u << 10;     // resume it once the queue is back under this
    uint64_t maxCaptureBytes = 64u << 20; // bytes of one message kept for the store
};

struct RelayCommand
{
    enum class Type : uint8_t
    {
        RequestWritable, // ask lws for a WRITEABLE callback on `side`
        SetRx,           // enable / disable reading from `side`
    };
    Type type;
    Side side;
    bool enable = false;
};

// What to do inside one WRITEABLE callback: at most one write (lws rule).
struct WriteStep
{
    enum class Kind : uint8_t
    {
        Nothing,
        Write, // write `frame`
        Close, // send a close frame with code/reason and drop the connection
    };
    Kind kind = Kind::Nothing;
    net::Frame frame;
    uint16_t code = 0;
    std::string reason;
};

class RelayCore
{
  public:
    RelayCore(uint64_t sessionId, RelayLimits limits, TapQueue& tap);

    // A client connected. Its rx stays off until the upstream is open.
    void Open(int64_t now, std::string client, std::string path, std::string upstream, std::string userAgent);
    void UpstreamOpened(int64_t now);
    void UpstreamFailed(int64_t now, std::string_view error);

    // A chunk of a text/binary message arrived from `from`.
    void Receive(Side from, std::string_view bytes, bool binary, bool final, int64_t now);
    void ReceivePong(Side from, std::string_view bytes, int64_t now);
    // `from` sent a close frame (payload = 2-byte code + reason, possibly empty).
    void PeerClosing(Side from, std::string_view payload, int64_t now);
    // `side`'s connection is gone (closed cleanly or not).
    void Gone(Side side, int64_t now);
    // Close both sides (after their queues drain) with this code.
    void Shutdown(uint16_t code, std::string_view reason);

    WriteStep Writable(Side side);

    // Commands produced by the last calls; the glue executes and clears them.
    std::vector<RelayCommand>& Commands() { return m_commands; }

    bool Finished() const { return IsGone(Side::Client) && IsGone(Side::Upstream); }
    bool IsGone(Side side) const { return At(side).phase == Phase::Gone; }
    bool UpstreamConnecting() const { return At(Side::Upstream).phase == Phase::Connecting; }
    size_t QueuedBytes(Side to) const { return At(to).queue.Bytes(); }
    // A frame is waiting to be written to `side` (not a pending close).
    bool HasFrames(Side side) const { return At(side).phase == Phase::Open && !At(side).queue.Empty(); }
    uint64_t Id() const { return m_id; }

  private:
    enum class Phase : uint8_t
    {
        Connecting,
        Open,
        Gone,
    };

    struct SideState
    {
        Phase phase = Phase::Connecting;
        net::FrameQueue queue;     // frames waiting to be written TO this side
        bool rxEnabled = false;    // what we last told lws about reading FROM this side
        bool overHigh = false;     // the queue towards the other side passed the high watermark
        bool closePending = false; // close this side once its queue is written
        uint16_t closeCode = 1000; // code/reason for that close
        std::string closeReason;
        bool closeSent = false;              // we sent our close frame
        bool peerClosed = false;             // this side sent a close frame
        bool inMessage = false;              // a message from this side is partway through
        Opcode messageOpcode = Opcode::Text; // opcode of that message
        uint64_t messageCaptured = 0;        // bytes of it captured so far
    };

    SideState& At(Side side) { return m_sides[static_cast<size_t>(side)]; }
    const SideState& At(Side side) const { return m_sides[static_cast<size_t>(side)]; }
    // Tap a chunk; `shared` (optional) is a frame holding the same bytes, whose buffer the tap can share.
    void Tap(Side from, Opcode opcode, std::string_view bytes, bool first, bool final, int64_t now,
             const net::Frame* shared = nullptr);
    void CloseAfterDrain(Side side, uint16_t code, std::string_view reason);
    void UpdateRx(Side side);
    void NoteClose(uint16_t code, std::string_view reason, const char* by);
    void Fail(std::string error);

    uint64_t m_id; // session id given by the relay
    RelayLimits m_limits;
    TapQueue& m_tap;                      // capture hand-off
    std::array<SideState, 2> m_sides;     // indexed by Side
    std::vector<RelayCommand> m_commands; // pending commands for the glue
    uint16_t m_closeCode = 0;             // first close code seen (for the session record)
    std::string m_closeReason;
    std::string m_closedBy; // "client" / "upstream" / "proxy"
    std::string m_error;    // first failure, if any
};

} // namespace dapscope::proxy
