#pragma once
// dapscope's mock engine on its own event loop, on a port the kernel picks: the engine end of end-to-end tests
// and benchmarks. Header-only: users link dapscope_mock.

#include "mock/MockEngineServer.hpp"

#include <memory>
#include <string>

namespace dapscope::test
{

class MockEngine
{
  public:
    explicit MockEngine(mock::EngineOptions options = {})
    {
        m_server = std::make_unique<mock::MockEngineServer>(m_loop, net::WsServerOptions{}, std::move(options));
    }
    ~MockEngine()
    {
        m_loop.Call([this] { m_server.reset(); });
    }
    int Port() const { return m_server->Port(); }
    std::string Address() const { return "127.0.0.1:" + std::to_string(Port()); }
    std::string Url() const { return "ws://" + Address() + "/task/service"; }

  private:
    net::EventLoop m_loop{"mock-engine"};
    std::unique_ptr<mock::MockEngineServer> m_server;
};

} // namespace dapscope::test
