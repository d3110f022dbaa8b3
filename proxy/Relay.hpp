#pragma once
// The libwebsockets glue of `dapscope proxy`: accepts client connections as raw sockets, opens one raw
// upstream connection per client connection, runs TLS itself where a leg needs it (net::TlsChannel), and turns
// lws callbacks into RelayCore events and RelayCore commands into lws calls. No relay logic lives here.

#include "RelayCore.hpp"
#include "RuleBook.hpp"
#include "capture/TapQueue.hpp"
#include "net/EngineUri.hpp"
#include "net/EventLoop.hpp"
#include "net/TlsChannel.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct lws;
struct lws_vhost;

namespace dapscope::proxy
{

struct RelayOptions
{
    std::string listenHost = "127.0.0.1"; // bind address
    int listenPort = 5566;                // 0 = the kernel picks one
    net::EngineUri upstream;              // the engine (path is ignored: the client's path is forwarded)
    std::string caFile;                   // extra CA for a wss upstream
    bool insecure = false;                // skip upstream certificate checks
    std::string accessToken;              // clients must present it (X-Dapscope-Token header or ?dapscope_token=)
    std::string tlsCert;                  // PEM certificate and key: clients connect with https:// / wss://
    std::string tlsKey;
    RelayLimits limits;
    std::string rulesFile;         // rules that act on WebSocket sessions (`--rules`), "" = none
    bool control = false;          // the control endpoint may act on sessions (breakpoints, inject, close)
    int64_t holdTimeoutMs = 30000; // a held message goes on by itself after this
    std::function<void(const std::string&)> log; // reloads of the rules file (loop thread)
};

// The most one read takes from a socket, and so the size of the buffers the write queue and the capture share:
// fewer, larger reads mean fewer wake-ups and capture records per MiB relayed. Give it to the loop's context.
constexpr size_t kRelayReadBytes = 256 * 1024;

struct RelaySession;
struct UpstreamAddress;
class ReadBufferPool;

class Relay
{
  public:
    // Starts listening on the loop; throws std::runtime_error when the address cannot be bound or the upstream
    // host does not resolve, net::NetError when a TLS file cannot be used.
    Relay(net::EventLoop& loop, RelayOptions options, TapQueue& tap);
    ~Relay();

    int Port() const { return m_port; }
    // Read the rules file again now (SIGHUP); any thread.
    void ReloadRules();

    // The control endpoint's calls (any thread; they run on the loop). Sessions are the relay's ids. Need
    // `rulesFile` or `control`; throw std::runtime_error with a message for the user.
    struct Held
    {
        uint64_t session;
        HeldMessage message;
    };
    std::vector<Held> HeldMessages();
    bool AnswerHeld(uint64_t id, bool drop, std::optional<std::string> edited);
    void AddBreakpoint(const std::string& rule); // one rule, YAML or JSON, whose action is break
    bool RemoveBreakpoint(const std::string& name);
    std::vector<std::string> Breakpoints(); // their names
    std::vector<uint64_t> LiveWebSocketSessions();
    // nullopt: no such live WebSocket session.
    std::optional<int64_t> Inject(uint64_t session, boost::json::object request);
    std::optional<std::string> InjectedResponse(uint64_t session, int64_t seq);
    bool CloseSession(uint64_t session, uint16_t code, const std::string& reason);
    size_t OpenSessions() const { return m_openSessions.load(); }

    // Stop accepting, close WebSocket sessions with 1001 at frame boundaries and HTTP connections after the
    // exchange in flight, and wait for them to end. Sessions still open after `timeout` are dropped. Returns
    // the number dropped that way.
    size_t Shutdown(std::chrono::milliseconds timeout);

    // The lws callback (both legs of every session).
    int OnEvent(lws* wsi, int reason, void* in, size_t len);

  private:
    void Accept(lws* wsi);
    void ConnectUpstream(RelaySession& session);
    // Feed ciphertext from a TLS leg; false when the leg failed.
    bool ReceiveTls(RelaySession& session, Side side, const void* in, size_t len);
    void Execute(RelaySession& session);
    // Write what `side` can take now. Inside that side's own WRITEABLE callback (`own`), returns -1 when lws
    // must close it; otherwise 0.
    int Write(RelaySession& session, Side side, bool own);
    void Detach(RelaySession& session, Side side);
    enum class SessionTimer : uint8_t
    {
        Deadline, // the core's deadline: Timeout()
        Release,  // messages the rules hold: Released()
    };
    void ArmTimer(RelaySession& session, SessionTimer which, int64_t ms);
    // Look at the rules file every kRulesPollMs and read it again when it changed.
    void WatchRules();
    void RefreshRules(bool force);
    static constexpr int64_t kRulesPollMs = 500;
    void ForgetIfFinished(RelaySession& session);
    // The live session with an interceptor under this id (loop thread), or nullptr.
    RelaySession* Intercepted(uint64_t session);
    void RequireRules() const;

    net::EventLoop& m_loop;
    RelayOptions m_options;
    RelaySettings m_settings;
    TapQueue& m_tap;
    std::shared_ptr<UpstreamAddress> m_address;   // numeric address of the engine, re-resolved off the loop
    std::shared_ptr<ReadBufferPool> m_buffers;    // what reads are copied into (outlives the relay if captured)
    std::unique_ptr<net::TlsContext> m_clientTls; // toward a wss engine
    std::unique_ptr<net::TlsContext> m_serverTls; // toward clients, with --tls-cert
    std::unique_ptr<RuleBook> m_rules;            // with --rules
    uint64_t m_rulesTimer = 0;                    // the rules file's next look (loop thread)
    lws_vhost* m_vhost = nullptr;
    int m_port = 0;                                               // bound port
    bool m_stopping = false;                                      // Shutdown() began (loop thread)
    lws* m_connecting = nullptr;                                  // the wsi inside RAW_CONNECTED: never write there
    uint64_t m_nextSession = 1;                                   // relay-local session ids
    std::map<uint64_t, std::unique_ptr<RelaySession>> m_sessions; // live sessions (loop thread)
    std::atomic<size_t> m_openSessions{0};                        // m_sessions.size(), readable anywhere
};

} // namespace dapscope::proxy
