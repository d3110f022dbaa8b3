#pragma once
// A WebSocket server for dapscope's own endpoints (mock engine, serve-replay, test upstreams).

#include "EventLoop.hpp"
#include "WsConnection.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

struct lws_vhost;
struct lws_protocols;

namespace dapscope::net
{

struct WsServerOptions
{
    std::string host = "127.0.0.1"; // bind address
    int port = 0;                   // 0 = the kernel picks one (see Port())
    std::string tlsCert;            // PEM files: serve wss when both are set
    std::string tlsKey;
    bool deflate = false; // accept permessage-deflate when a client offers it (lws's built-in extension)
};

class WsServer
{
  public:
    // Starts listening; throws std::runtime_error when the address cannot be bound.
    WsServer(EventLoop& loop, WsServerOptions options, WsHandlers handlers);
    ~WsServer(); // closes every connection and the listener

    int Port() const { return m_port; }
    EventLoop& Loop() { return m_loop; }
    // Connections currently open (loop thread only).
    std::vector<std::shared_ptr<WsConnection>> Connections() const;

    WsConnection* Accept(lws* wsi); // from the lws callback

  private:
    EventLoop& m_loop;
    WsServerOptions m_options;
    WsHandlers m_handlers; // given to every accepted connection
    lws_vhost* m_vhost = nullptr;
    int m_port = 0;                                                  // actual listening port
    uint64_t m_nextId = 1;                                           // connection ids
    std::map<uint64_t, std::shared_ptr<WsConnection>> m_connections; // open connections
};

} // namespace dapscope::net
