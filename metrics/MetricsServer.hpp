#pragma once
// The /metrics endpoint: prometheus-cpp's exposer (civetweb, threads of its own) serving a registry in the text
// exposition format on its own listener.

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace prometheus
{
class Exposer;
} // namespace prometheus

namespace dapscope::metrics
{

class MetricsServer
{
  public:
    // Listens on host:port (port 0: any free one). With an access token, a scrape must present it as the
    // password of HTTP basic auth (any user name). Throws std::runtime_error naming the address.
    MetricsServer(const std::string& host, int port, std::shared_ptr<prometheus::Registry> registry,
                  const std::string& accessToken = "");
    ~MetricsServer();

    int Port() const { return m_port; }
    // Also serve what `collectable` collects at each scrape (while it lives).
    void Add(const std::weak_ptr<prometheus::Collectable>& collectable);

  private:
    std::unique_ptr<prometheus::Exposer> m_exposer;
    std::shared_ptr<prometheus::Registry> m_registry;
    int m_port = 0;
};

} // namespace dapscope::metrics
