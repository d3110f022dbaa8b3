#include "MetricsServer.hpp"

#include <prometheus/exposer.h>

#include <stdexcept>

namespace dapscope::metrics
{

MetricsServer::MetricsServer(const std::string& host, int port, std::shared_ptr<prometheus::Registry> registry,
                             const std::string& accessToken)
    : m_registry(std::move(registry))
{
    const std::string address =
        (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
    try
    {
        // One thread answers scrapes: Prometheus scrapes every few seconds.
        m_exposer = std::make_unique<prometheus::Exposer>(address, 1);
    }
    catch (const std::exception& e)
    {
        throw std::runtime_error("--metrics " + address + ": cannot listen (" + e.what() + ")");
    }
    if (!accessToken.empty())
        m_exposer->RegisterAuth([accessToken](const std::string&, const std::string& password)
                                { return password == accessToken; },
                                "dapscope");
    m_exposer->RegisterCollectable(m_registry);
    std::vector<int> ports = m_exposer->GetListeningPorts();
    m_port = ports.empty() ? port : ports.front();
}

MetricsServer::~MetricsServer() = default;

void MetricsServer::Add(const std::weak_ptr<prometheus::Collectable>& collectable)
{
    m_exposer->RegisterCollectable(collectable);
}

} // namespace dapscope::metrics
