#include "ProxyProcess.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace dapscope::test
{
namespace
{
std::vector<std::string> ProxyArgv(const std::string& upstream, const std::string& db,
                                   const std::vector<std::string>& extra, const std::string& listen)
{
    std::vector<std::string> argv = {BinPath("dapscope"), "proxy", "--listen", listen};
    if (!upstream.empty())
        argv.insert(argv.end(), {"--upstream", upstream});
    argv.insert(argv.end(), {"--db", db});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}
} // namespace

ProxyProcess::ProxyProcess(const std::string& upstream, const std::string& db, const std::vector<std::string>& extra,
                           const ProxyProcessOptions& options)
    : m_process(ProxyArgv(upstream, db, extra, options.listen), {}, options.mergeStderr)
{
    if (auto line = m_process.WaitForLine("listening on", std::chrono::seconds(10)))
    {
        m_port = PortFromLine(*line);
        m_tls = line->find("listening on wss://") != std::string::npos;
    }
}

std::string ProxyProcess::Url(const std::string& path) const
{
    return std::string(m_tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(m_port) + path;
}

std::unique_ptr<net::WsClient> ProxyProcess::Connect(const std::string& path, net::WsClientOptions options)
{
    options.url = Url(path);
    auto client = net::WsClient::Connect(options);
    return client;
}

int ProxyProcess::Stop(std::chrono::milliseconds timeout)
{
    m_process.Signal(SIGTERM);
    return m_process.Wait(timeout).value_or(-1);
}

std::string Loopback(int port)
{
    return "127.0.0.1:" + std::to_string(port);
}

} // namespace dapscope::test
