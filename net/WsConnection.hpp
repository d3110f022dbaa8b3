#pragma once
// A WebSocket connection (server-accepted or client-initiated) for dapscope's own endpoints: the mock engine,
// the test and benchmark clients, replay. Lives on its EventLoop's thread; every method must be called there.
// (The relay does not use this: it forwards chunks without assembling messages, see proxy/.)

#include "Frame.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

struct lws;

namespace dapscope::net
{

struct WsMessage
{
    FrameType type = FrameType::Text; // Text, Binary or Pong
    std::string data;
};

struct WsCloseInfo
{
    uint16_t code = 1006; // 1006 when the connection dropped without a close frame
    std::string reason;
    bool byPeer = false; // the peer sent the close frame
    std::string error;   // connection error (client connect failure), if any
};

class WsConnection;

struct WsHandlers
{
    std::function<void(WsConnection&)> onOpen;
    std::function<void(WsConnection&, WsMessage&&)> onMessage;
    std::function<void(WsConnection&, const WsCloseInfo&)> onClose;
};

class WsConnection : public std::enable_shared_from_this<WsConnection>
{
  public:
    explicit WsConnection(WsHandlers handlers) : m_handlers(std::move(handlers)) {}

    // Queue a message; fragmentSize > 0 splits it into frames of at most that many bytes.
    void Send(FrameType type, std::string_view data, size_t fragmentSize = 0);
    // Close once everything queued is written.
    void Close(uint16_t code = 1000, std::string reason = {});
    // Drop the connection now, without a close handshake.
    void Kill();
    // Stop or resume reading from the socket (TCP flow control pushes back on the peer).
    void SetReading(bool enabled);

    bool IsOpen() const { return m_wsi != nullptr && !m_closing; }
    size_t QueuedBytes() const { return m_queue.Bytes(); }
    const std::string& Path() const { return m_path; }
    const std::string& Peer() const { return m_peer; }
    // Handshake headers of a server-accepted connection (lower-case names; only the ones dapscope forwards).
    const std::map<std::string, std::string>& Headers() const { return m_headers; }
    uint64_t Id() const { return m_id; }
    void* userData = nullptr; // owner's per-connection state

    // Used by the lws callback in WsConnection.cpp.
    int OnLwsEvent(lws* wsi, int reason, void* in, size_t len);
    void Attach(lws* wsi, uint64_t id);

  private:
    void Closed();

    WsHandlers m_handlers;
    lws* m_wsi = nullptr;                         // null once closed
    uint64_t m_id = 0;                            // per-owner connection number
    std::string m_path;                           // request URI (server side)
    std::string m_peer;                           // peer address
    std::map<std::string, std::string> m_headers; // selected handshake headers (server side)
    FrameQueue m_queue;                           // frames waiting for WRITEABLE
    WsMessage m_partial;                          // message being assembled
    bool m_inMessage = false;                     // m_partial holds a started message
    bool m_closing = false;                       // Close() called: no more sends
    bool m_closeSent = false;                     // close frame has been requested from lws
    bool m_closeReported = false;                 // onClose already ran
    WsCloseInfo m_close;                          // what we learned about the close
    // The frame last given to lws_write: with permessage-deflate lws keeps reading its payload while it drains
    // the compressed message, and asks for WRITEABLE again only after that.
    Frame m_writing;
};

// Bytes delivered per receive callback (and the largest frame we write in one go).
constexpr size_t kWsRxBufferSize = 64 * 1024;

// The lws protocol callback shared by WsServer and WsClient: per-session data is a WsConnection*.
int WsConnectionCallback(lws* wsi, int reason, void* user, void* in, size_t len);

} // namespace dapscope::net
