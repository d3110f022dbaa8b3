#pragma once
// The relay logic of one client connection, without I/O (mitmproxy's sans-io idea): the lws glue feeds it
// events (bytes arrived, the upstream connected, a side closed, a deadline passed) and executes the commands
// it answers with. Like haproxy for WebSocket: it parses HTTP heads to rewrite them (Host, X-Forwarded-*,
// dapscope's own token), forwards every other byte as read, and after a 101 only follows frame headers, to know
// where it may put a close of its own. It taps everything it forwards into the capture queue, sharing the
// buffers it was given.

#include "Interceptor.hpp"
#include "Side.hpp"
#include "capture/TapQueue.hpp"
#include "wire/HttpStream.hpp"
#include "wire/WsFrame.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::proxy
{

class RuleBook;

// What the relay taps into: the capture library's types.
using capture::Direction;
using capture::SharedBytes;
using capture::TapQueue;
using capture::TapRecord;

struct RelayLimits
{
    size_t highWatermark = 2u << 20;   // pause the source when a direction queues more than this
    size_t lowWatermark = 512u << 10;  // resume it once the queue is back under this
    int64_t headTimeoutMs = 10000;     // the client's first request head must arrive within this
    int64_t upstreamTimeoutMs = 10000; // connect, and answer a WebSocket upgrade, within this (then 504)
    int64_t closeTimeoutMs = 2000;     // after the proxy sends a close frame, wait this long for the reply
    size_t maxHeadBytes = 64u << 10;   // larger request heads get 431
};

// What the relay knows about its own configuration, the same for every connection.
struct RelaySettings
{
    std::string upstreamHost;        // Host header sent upstream (host[:port])
    std::string upstreamUri;         // ws[s]://host:port, for the record
    bool clientTls = false;          // clients reach the proxy over TLS (X-Forwarded-Proto: https)
    std::string accessToken;         // clients must present it (X-Dapscope-Token header or dapscope_token argument)
    const RuleBook* rules = nullptr; // rules act on WebSocket sessions (then no permessage-deflate is offered)
    InterceptorOptions interception; // with `rules`
    RelayLimits limits;
};

struct RelayCommand
{
    enum class Type : uint8_t
    {
        Connect,         // open the upstream connection
        Flush,           // bytes wait for `side`: write what it takes now, or ask for WRITEABLE
        SetRx,           // enable / disable reading from `side`
        Drop,            // close `side`'s connection now, discarding what it has not sent
        SetTimer,        // (re)arm the session's one deadline in `ms` (0 = cancel); call Timeout() when it passes
        SetReleaseTimer, // (re)arm the rules' timer in `ms` (0 = cancel); call Released() when it passes
    };
    Type type;
    Side side = Side::Client;
    bool enable = false;
    int64_t ms = 0;
};

class RelayCore
{
  public:
    RelayCore(uint64_t sessionId, const RelaySettings& settings, TapQueue& tap);
    ~RelayCore();

    // A client connected from `peer` ("ip:port"). The client's first head must arrive in headTimeoutMs.
    void Accepted(int64_t now, std::string peer);
    // Bytes read from `from` (plaintext when that side uses TLS). `bytes` may be kept, shared, by the write
    // queue and the tap.
    void Received(Side from, const SharedBytes& bytes, int64_t now);
    void UpstreamConnected(int64_t now);
    // The upstream could not be reached (refused, TLS verification, ...): the client gets a 502.
    void UpstreamFailed(int64_t now, std::string_view error);
    // `side`'s connection is gone (closed by the peer, or after a Drop / close-after-drain).
    void Closed(Side side, int64_t now);
    // The deadline set with SetTimer passed.
    void Timeout(int64_t now);
    // The time set with SetReleaseTimer came: messages a rule delayed move on.
    void Released(int64_t now);
    // The proxy is stopping: close WebSocket sessions with 1001 at frame boundaries, HTTP connections once
    // their exchange in flight is done.
    void Shutdown(int64_t now);

    // The next bytes to write to `side`, or false. Each one is written whole (lws keeps what the socket did
    // not take).
    bool NextWrite(Side side, SharedBytes& out);
    // Everything for `side` is written and the core wants it closed (after lws has sent its own remainder).
    bool CloseWhenWritten(Side side) const;

    // Commands produced by the last calls; the glue executes and clears them.
    std::vector<RelayCommand>& Commands() { return m_commands; }

    // The rules' interceptor of this WebSocket session (nullptr: no rules, or no 101 yet), for the control
    // endpoint; after changing it, Act() carries out what it made ready.
    Interceptor* Rules() { return m_interceptor.get(); }
    void Act(int64_t now);
    // Close both legs of this WebSocket session with `code` and `reason` (the control endpoint's `close`).
    void CloseSession(uint16_t code, std::string_view reason, int64_t now);

    bool Finished() const { return m_finished; }
    bool IsGone(Side side) const { return At(side).gone; }
    bool UpstreamConnecting() const { return m_upstream == UpstreamState::Connecting; }
    size_t QueuedBytes(Side to) const { return At(to).queued; }
    uint64_t Id() const { return m_id; }

  private:
    enum class Mode : uint8_t
    {
        Http,   // request and response heads are parsed (the first head is still awaited when !m_opened)
        Tunnel, // after a 101: WebSocket frames, followed header by header
    };
    enum class UpstreamState : uint8_t
    {
        None,
        Connecting,
        Open,
        Gone,
    };
    enum class Deadline : uint8_t
    {
        None,
        Head,     // the client's first head
        Upstream, // connect / upgrade answer
        Close,    // the reply to the proxy's close frame
    };

    struct SideState
    {
        std::deque<SharedBytes> queue; // waiting to be written TO this side
        size_t queued = 0;             // bytes in `queue`
        bool gone = false;             // its connection is closed
        bool rxEnabled = true;         // what we last told lws about reading FROM this side
        bool paused = false;           // the queue toward the other side passed the high watermark
        bool closeWhenWritten = false; // close this side once its queue is written
        bool closeSent = false;        // the proxy wrote a close frame of its own to this side
        bool closeFrameSeen = false;   // this side sent a close frame
        bool pendingClose = false;     // a proxy close frame waits for the frame in flight toward this side
        uint16_t pendingCode = 0;
        std::string pendingReason;
        wire::FrameTracker frames; // frames FROM this side (tunnel mode)
        bool intercepting = false; // frames FROM this side go through the rules' Interceptor
    };

    SideState& At(Side side) { return m_sides[static_cast<size_t>(side)]; }
    const SideState& At(Side side) const { return m_sides[static_cast<size_t>(side)]; }

    void ReceiveHttpRequest(const SharedBytes& bytes, int64_t now);
    void ReceiveHttpResponse(const SharedBytes& bytes, int64_t now);
    void ReceiveTunnel(Side from, const SharedBytes& bytes, int64_t now);
    // Whether bytes from `from` go through the rules now (a direction switches only between messages).
    bool Intercepting(Side from);
    void ReceiveIntercepted(Side from, const SharedBytes& bytes, int64_t now);
    // A header that breaks the protocol came from `from`: close both legs with 1002.
    void ProtocolViolation(Side from, bool atBoundary, int64_t now);
    // Do what the rules' Interceptor has ready, and keep its timer right.
    void CarryOut(int64_t now);
    // Records the session and checks the access token; false when the client was refused.
    bool AdmitFirstHead(const wire::HttpHead& head, int64_t now, const std::string& rewritten);
    void EnterTunnel(const SharedBytes& rest, int64_t now);
    void ResumeAfterRefusedUpgrade(int64_t now);

    // Queue bytes toward `to` (and tap them); `bytes` came from the other side unless generated.
    void Forward(Side to, const SharedBytes& bytes);
    void TapHead(Direction dir, std::string head, bool generated, int64_t now);
    void TapBody(Direction dir, const SharedBytes& from, const std::vector<std::string_view>& data, size_t wireBytes,
                 int64_t now);
    void TapEnd(Direction dir, int64_t now, std::string error = {});
    void TapFrames(Side to, const SharedBytes& bytes, size_t firstHeader, int64_t now, bool generated = false,
                   std::optional<capture::RuleMark> mark = std::nullopt);
    // A message that was going to `to` and was not sent as received (a rule dropped or rewrote it).
    void TapNotSent(Side to, const SharedBytes& payload, capture::Opcode opcode, capture::RuleMark mark, int64_t now);
    // The proxy answers the client itself and closes the connection once that is written.
    void Answer(int status, std::string_view body, int64_t now);
    // A close frame of the proxy's own to `to`, at the next frame boundary of the stream toward it.
    void ProxyClose(Side to, uint16_t code, std::string_view reason, int64_t now);
    void WriteClose(Side to, uint16_t code, std::string_view reason, int64_t now);
    void CloseAfterWrite(Side side);
    void DropSide(Side side);
    void UpdateRx(Side side);
    void SetDeadline(Deadline deadline, int64_t ms);
    void NoteEnd(const char* by); // remember who ended the connection first
    void OpenRecord(int64_t now, const std::string& path, const std::string& userAgent);
    void FinishIfDone(int64_t now);
    bool HttpIdle() const;

    uint64_t m_id;
    const RelaySettings& m_settings;
    TapQueue& m_tap;
    std::vector<RelayCommand> m_commands;

    Mode m_mode = Mode::Http;
    UpstreamState m_upstream = UpstreamState::None;
    Deadline m_deadline = Deadline::None;
    std::array<SideState, 2> m_sides; // indexed by Side
    wire::HttpStream m_requests{wire::HttpStream::Role::Request};
    wire::HttpStream m_responses{wire::HttpStream::Role::Response};
    std::vector<wire::HttpEvent> m_events; // scratch for the HTTP streams
    std::string m_peer;                    // "ip:port" of the client
    bool m_opened = false;                 // SessionOpen was tapped
    bool m_receivedAnything = false;       // the client sent at least one byte
    bool m_awaitingUpgrade = false;        // an upgrade request went upstream; its answer has not come
    std::vector<SharedBytes> m_held;       // client bytes after that request, until the answer is known
    size_t m_requestsOpen = 0;             // requests forwarded whose response has not ended
    bool m_responseStarted = false;        // bytes of the current response went to the client
    int m_lastStatus = 0;                  // status of the last response head from the engine
    bool m_stopping = false;               // Shutdown() was called
    bool m_finished = false;               // both sides are gone and SessionClose was tapped
    std::string m_closedBy;                // "client" / "upstream" / "proxy": who ended it first
    std::string m_error;                   // why the session failed, if it did
    std::array<uint64_t, 2> m_tapped{};    // WebSocket bytes tapped per direction
    uint16_t m_proxyCloseCode = 0;         // the first close frame the proxy sent on its own
    std::string m_proxyCloseReason;
    std::string m_path;                         // the first request's target, for rules matching on it
    std::unique_ptr<Interceptor> m_interceptor; // rules on this WebSocket session (when the relay has rules)
    uint64_t m_rulesGeneration = 0;             // of the rules the interceptor has
    int64_t m_releaseDueNs = 0;                 // what the release timer is set for (0: not set)
};

} // namespace dapscope::proxy
