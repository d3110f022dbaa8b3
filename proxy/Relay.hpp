#pragma once
// The libwebsockets glue of `dapscope proxy`: accepts SDK connections, opens one upstream connection per
// session, and turns lws callbacks into RelayCore events and RelayCore commands into lws calls. No relay
// logic lives here.

#include "RelayCore.hpp"
#include "TapQueue.hpp"
#include "net/EngineUri.hpp"
#include "net/EventLoop.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct lws;
struct lws_vhost;
struct lws_protocols;

namespace dapscope::proxy
{

struct RelayOptions
{
    std::string listenHost = "127.0.0.1";  // bind address
    int listenPort = 5566;                 // 0 = the kernel picks one
    net::EngineUri upstream;               // the engine (path is ignored: the client's path is forwarded)
    std::string caFile;                    // extra CA for a wss upstream
    bool insecure = false;                 // skip upstream certificate checks
    std::vector<std::string> subprotocols; // Sec-WebSocket-Protocol values clients may ask for
    std::string accessToken;               // clients must present it (X-Dapscope-Token header or ?dapscope_token=)
    std::string tlsCert;                   // PEM certificate and key: clients connect with wss://
    std::string tlsKey;
    RelayLimits limits;
};

struct RelaySession;

class Relay
{
  public:
    // Starts listening on the loop; throws std::runtime_error when the address cannot be bound.
    Relay(net::EventLoop& loop, RelayOptions options, TapQueue& tap);
    ~Relay();

    int Port() const { return m_port; }
    size_t OpenSessions() const { return m_openSessions.load(); }

    // Stop accepting, close every session with 1001 once its queues drain, and wait for them to end.
    // Sessions still open after `timeout` are dropped. Returns the number dropped that way.
    size_t Shutdown(std::chrono::milliseconds timeout);

    // The lws callback (both sides of every session).
    int OnEvent(lws* wsi, int reason, void* user, void* in, size_t len);

  private:
    void Accept(lws* wsi, void* user);
    void ConnectUpstream(RelaySession& session);
    void Execute(RelaySession& session);
    // Run one WRITEABLE step on `side`; false when the connection must be dropped.
    bool WriteOne(RelaySession& session, Side side, lws* wsi, bool& close);
    void Forget(RelaySession& session);

    net::EventLoop& m_loop;
    RelayOptions m_options;
    TapQueue& m_tap;
    const lws_protocols* m_protocols = nullptr; // relay + subprotocol aliases (never freed)
    lws_vhost* m_vhost = nullptr;
    int m_port = 0;                                               // bound port
    bool m_stopping = false;                                      // Shutdown() began (loop thread)
    uint64_t m_nextSession = 1;                                   // relay-local session ids
    std::map<uint64_t, std::unique_ptr<RelaySession>> m_sessions; // live sessions (loop thread)
    std::atomic<size_t> m_openSessions{0};                        // m_sessions.size(), readable anywhere
    std::vector<unsigned char> m_scratch;                         // upstream frames are masked in this copy
};

} // namespace dapscope::proxy
