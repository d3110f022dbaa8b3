#pragma once
// `dapscope proxy` as a separate process for end-to-end tests: started on a free loopback port, reached with a
// WebSocket client, stopped with SIGTERM.

#include "TestProcess.hpp"
#include "net/WsClient.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace dapscope::test
{

struct ProxyProcessOptions
{
    std::string listen = "127.0.0.1:0"; // --listen
    bool mergeStderr = false;           // read the proxy's stderr with its stdout (Process().Output())
};

class ProxyProcess
{
  public:
    // Starts `dapscope proxy --listen <listen> [--upstream <upstream>] --db <db> [extra...]` (no --upstream when
    // `upstream` is empty) and waits up to 10 s for its "listening on" line.
    ProxyProcess(const std::string& upstream, const std::string& db, const std::vector<std::string>& extra = {},
                 const ProxyProcessOptions& options = {});
    ProxyProcess(const ProxyProcess&) = delete;
    ProxyProcess& operator=(const ProxyProcess&) = delete;

    // The port from the "listening on" line; 0 when the proxy printed none (it failed to start).
    int Port() const { return m_port; }
    // ws[s]://127.0.0.1:PORT<path>, wss when the proxy listens with TLS.
    std::string Url(const std::string& path = "/task/service") const;
    // A client connected to Url(path) with these options (their url is replaced); nullptr and a test failure when
    // the connection fails.
    std::unique_ptr<net::WsClient> Connect(const std::string& path = "/task/service",
                                           net::WsClientOptions options = {});
    // SIGTERM, then the exit status; -1 when the proxy did not exit within the timeout.
    int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));

    TestProcess& Process() { return m_process; }

  private:
    TestProcess m_process;
    int m_port = 0;
    bool m_tls = false;
};

// "127.0.0.1:PORT", an upstream address.
std::string Loopback(int port);

} // namespace dapscope::test
