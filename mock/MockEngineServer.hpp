#pragma once
// The lws glue of the mock engine: a WsServer whose connections each drive an EngineConnection and execute
// the Reactions it returns (send now or later, then maybe close).

#include "EngineModel.hpp"
#include "net/WsServer.hpp"

#include <map>
#include <memory>

namespace dapscope::mock
{

class MockEngineServer
{
  public:
    // Listens on options.host:port (port 0 = any); throws std::runtime_error when it cannot.
    MockEngineServer(net::EventLoop& loop, net::WsServerOptions listen, EngineOptions options);
    ~MockEngineServer();

    int Port() const { return m_server->Port(); }
    size_t Connections();

  private:
    void Execute(const std::shared_ptr<net::WsConnection>& connection, Reaction reaction);

    net::EventLoop& m_loop;
    EngineOptions m_options;
    EngineState m_state; // tasks, files: shared by all connections
    std::map<net::WsConnection*, std::unique_ptr<EngineConnection>> m_engines; // one per open connection
    std::shared_ptr<int> m_alive = std::make_shared<int>(0); // posted tasks check it: the server may be gone
    std::unique_ptr<net::WsServer> m_server;                 // last: destroyed first
};

} // namespace dapscope::mock
