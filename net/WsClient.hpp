#pragma once
// A blocking WebSocket client for tests, benchmarks, replay and the demo. The connection itself lives on an
// EventLoop thread; this object hands messages across through a locked inbox.

#include "EventLoop.hpp"
#include "NetError.hpp"
#include "WsConnection.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dapscope::net
{

struct WsClientOptions
{
    std::string url;                                          // ws[s]://host:port/path?query
    std::vector<std::pair<std::string, std::string>> headers; // extra handshake headers ("Name", "value")
    std::string origin;
    std::string subprotocol;
    std::string caFile;    // extra CA (PEM) for wss
    bool insecure = false; // accept any server certificate
    bool deflate = false;  // offer permessage-deflate (lws's built-in extension)
    std::chrono::milliseconds connectTimeout{10000};
};

class WsClient
{
  public:
    // Connects and waits for the handshake; throws NetError (why it could not) on failure.
    // With loop == nullptr the client runs its own EventLoop.
    static std::unique_ptr<WsClient> Connect(const WsClientOptions& options, EventLoop* loop = nullptr);
    ~WsClient();

    void Send(FrameType type, std::string data, size_t fragmentSize = 0);
    void SendText(std::string data) { Send(FrameType::Text, std::move(data)); }

    // Next message (text, binary or pong), or nullopt on timeout / when closed and drained.
    std::optional<WsMessage> Receive(std::chrono::milliseconds timeout);
    // Stop or resume reading from the socket.
    void SetReading(bool enabled);
    // Bytes queued but not yet handed to the socket.
    size_t QueuedBytes();

    void Close(uint16_t code = 1000, std::string reason = {});
    // Wait until the connection is closed (by either side); nullopt on timeout.
    std::optional<WsCloseInfo> WaitClosed(std::chrono::milliseconds timeout);
    bool IsClosed();

  private:
    WsClient() = default;
    struct Inbox;

    std::unique_ptr<EventLoop> m_ownLoop;       // set when the client runs its own loop
    EventLoop* m_loop = nullptr;                // the loop the connection lives on
    std::shared_ptr<Inbox> m_inbox;             // shared with the connection's handlers
    std::shared_ptr<WsConnection> m_connection; // touched on the loop thread only
};

} // namespace dapscope::net
