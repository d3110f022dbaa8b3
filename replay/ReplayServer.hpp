#pragma once
// The lws glue of serve-replay: a WsServer whose connections each drive a ServeSession, sending what it has
// due and waking it with one timer per connection for what comes later.

#include "ServeCore.hpp"
#include "net/WsServer.hpp"

#include <map>
#include <memory>

namespace dapscope::replay
{

class ReplayServer
{
  public:
    // Listens on listen.host:port (port 0 = any); throws std::runtime_error when it cannot. `timing` scales the
    // captured delays of answers and events (1 = as captured, 0 = at once).
    ReplayServer(net::EventLoop& loop, net::WsServerOptions listen, const Recording& recording, double timing);
    ~ReplayServer();

    int Port() const { return m_server->Port(); }
    const ServeScript& Script() const { return m_script; }
    size_t Connections();

  private:
    // One client connection.
    struct Client
    {
        std::unique_ptr<ServeSession> session; // its own replay state
        uint64_t timer = 0;                    // pending wake-up (0: none)
        int64_t timerDueNs = 0;                // when that timer fires
    };

    void Pump(net::WsConnection& connection);

    net::EventLoop& m_loop;
    ServeScript m_script;
    double m_timing;
    std::map<net::WsConnection*, Client> m_clients;          // per open connection (loop thread only)
    std::shared_ptr<int> m_alive = std::make_shared<int>(0); // timers check it: the server may be gone
    std::unique_ptr<net::WsServer> m_server;                 // last: destroyed first
};

} // namespace dapscope::replay
