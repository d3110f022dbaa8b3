#include "Relay.hpp"

#include "capture/Clock.hpp"
#include "net/Lws.hpp"

#include <libwebsockets.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <array>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

namespace dapscope::proxy
{

// The engine's numeric address. lws 4.1 resolves names with a blocking getaddrinfo() on its only thread, which
// would stall every session: the proxy resolves once at start and again, on a thread of its own, after a
// connection to the engine failed (its address may have changed).
struct UpstreamAddress
{
    std::mutex mutex;
    std::string host; // as configured
    std::string ip;   // what the last resolution gave
    bool resolving = false;
};

// One side of a session, as lws sees it: the wsi's opaque user data points here.
struct Leg
{
    RelaySession* session = nullptr;
    Side side = Side::Client;
    lws* wsi = nullptr;                   // null once closed or detached
    std::unique_ptr<net::TlsChannel> tls; // when this leg speaks TLS (through the proxy's own OpenSSL layer)
    bool ready = false;                   // connected, and TLS handshake done where there is TLS
    bool closeNotifySent = false;         // TLS: our close_notify went out before closing
};

struct RelaySession
{
    RelaySession(uint64_t id, const RelaySettings& settings, TapQueue& tap) : core(id, settings, tap)
    {
        legs[0].session = legs[1].session = this;
        legs[0].side = Side::Client;
        legs[1].side = Side::Upstream;
    }

    RelayCore core;
    Leg legs[2];                      // indexed by Side
    std::array<uint64_t, 2> timers{}; // EventLoop timer ids by SessionTimer (0 = none)

    void CancelTimers(net::EventLoop& loop)
    {
        for (uint64_t& timer : timers)
            if (std::exchange(timer, 0))
                loop.Cancel(timer);
    }

    Leg& At(Side side) { return legs[static_cast<size_t>(side)]; }
};

namespace
{
// lws sends at most this much per write and copies the rest to its own buffer: as much as one read holds.
constexpr size_t kTxPacket = kRelayReadBytes;

int RelayCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len)
{
    auto* relay = static_cast<Relay*>(lws_vhost_user(lws_get_vhost(wsi)));
    if (!relay)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    try
    {
        return relay->OnEvent(wsi, reason, in, len);
    }
    catch (const std::exception& e)
    {
        lwsl_err("dapscope relay: %s\n", e.what());
        return -1;
    }
}

const lws_protocols kRelayProtocols[] = {
    {"dapscope-relay", RelayCallback, 0, 0, 0, nullptr, kTxPacket},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

std::string Resolve(const std::string& host, std::string& error)
{
    addrinfo hints{};
    hints.ai_family = AF_INET; // the loop's context has IPv6 off
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &result);
    if (rc != 0 || !result)
    {
        error = gai_strerror(rc);
        return {};
    }
    char text[INET_ADDRSTRLEN] = "";
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr, text, sizeof text);
    freeaddrinfo(result);
    return text;
}

void ResolveAgain(const std::shared_ptr<UpstreamAddress>& address)
{
    {
        std::lock_guard lock(address->mutex);
        if (address->resolving)
            return;
        address->resolving = true;
    }
    std::thread(
        [address]
        {
            std::string error;
            std::string ip = Resolve(address->host, error);
            std::lock_guard lock(address->mutex);
            if (!ip.empty())
                address->ip = ip;
            address->resolving = false;
        })
        .detach();
}

} // namespace

// Full-size read buffers, recycled: a fresh 256 KiB allocation is an mmap (glibc), and its first touch page
// faults, on every read. Buffers come back from whichever thread lets go of the bytes last (the recorder's,
// usually), so the pool is shared and locked.
class ReadBufferPool : public std::enable_shared_from_this<ReadBufferPool>
{
  public:
    // Raw bytes from lws's per-thread read buffer, copied once into a buffer the write queue and the tap share.
    SharedBytes Copy(const void* in, size_t len)
    {
        if (len < kRelayReadBytes / 4)
        {
            std::shared_ptr<char[]> small = std::make_shared_for_overwrite<char[]>(len);
            std::memcpy(small.get(), in, len);
            const char* data = small.get();
            return SharedBytes(std::move(small), data, len);
        }
        char* buffer = Take();
        std::memcpy(buffer, in, len);
        std::shared_ptr<char> owner(buffer, [pool = shared_from_this()](char* p) { pool->Give(p); });
        return SharedBytes(std::move(owner), buffer, len);
    }

  private:
    static constexpr size_t kKept = 16; // 4 MiB: a steady flow frees one as it takes one; the rest is freed

    char* Take()
    {
        {
            std::lock_guard lock(m_mutex);
            if (!m_free.empty())
            {
                char* buffer = m_free.back();
                m_free.pop_back();
                return buffer;
            }
        }
        return new char[kRelayReadBytes];
    }

    void Give(char* buffer)
    {
        {
            std::lock_guard lock(m_mutex);
            if (m_free.size() < kKept)
            {
                m_free.push_back(buffer);
                return;
            }
        }
        delete[] buffer;
    }

  public:
    ~ReadBufferPool()
    {
        for (char* buffer : m_free)
            delete[] buffer;
    }

  private:
    std::mutex m_mutex;
    std::vector<char*> m_free;
};

namespace
{
void Kill(lws* wsi)
{
    lws_set_timeout(wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
}
} // namespace

Relay::Relay(net::EventLoop& loop, RelayOptions options, TapQueue& tap)
    : m_loop(loop), m_options(std::move(options)), m_tap(tap)
{
    const net::EngineUri& upstream = m_options.upstream;
    m_settings.upstreamHost = upstream.HostPort();
    net::EngineUri shown = upstream;
    shown.path.clear();
    m_settings.upstreamUri = shown.ToString();
    m_settings.clientTls = !m_options.tlsCert.empty();
    m_settings.accessToken = m_options.accessToken;
    m_settings.limits = m_options.limits;
    if (!m_options.rulesFile.empty() || m_options.control)
    {
        m_rules = std::make_unique<RuleBook>(m_options.rulesFile);
        m_settings.rules = m_rules.get();
        m_settings.interception = {.always = m_options.control, .holdTimeoutMs = m_options.holdTimeoutMs};
    }

    m_buffers = std::make_shared<ReadBufferPool>();
    m_address = std::make_shared<UpstreamAddress>();
    m_address->host = upstream.host;
    std::string error;
    m_address->ip = Resolve(upstream.host, error);
    if (m_address->ip.empty())
        throw std::runtime_error("cannot resolve the upstream host " + upstream.host + ": " + error);

    if (upstream.tls)
        m_clientTls = net::TlsContext::Client({m_options.caFile, m_options.insecure});
    if (!m_options.tlsCert.empty())
        m_serverTls = net::TlsContext::Server({m_options.tlsCert, m_options.tlsKey});

    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = m_options.listenPort;
    info.iface = m_options.listenHost.c_str();
    info.protocols = kRelayProtocols;
    info.user = this;
    info.vhost_name = "dapscope-relay";
    // Every accepted socket goes to our protocol as raw bytes: HTTP is parsed by the relay itself.
    info.options = LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
    info.listen_accept_role = "raw-skt";
    info.listen_accept_protocol = "dapscope-relay";
    m_vhost = m_loop.CreateVhost(info);
    if (!m_vhost)
        throw std::runtime_error("cannot listen on " + m_options.listenHost + ":" +
                                 std::to_string(m_options.listenPort) + " (address in use or not local?)");
    m_port = lws_get_vhost_listen_port(m_vhost);
    if (m_rules)
        m_loop.Call([this] { WatchRules(); });
}

Relay::~Relay()
{
    Shutdown(std::chrono::milliseconds(0));
    m_loop.Call(
        [this]
        {
            if (m_rulesTimer)
                m_loop.Cancel(m_rulesTimer);
            lws_vhost_destroy(m_vhost);
            m_vhost = nullptr;
        });
}

size_t Relay::Shutdown(std::chrono::milliseconds timeout)
{
    m_loop.Call(
        [this]
        {
            m_stopping = true;
            std::vector<RelaySession*> sessions;
            for (auto& [id, session] : m_sessions)
                sessions.push_back(session.get());
            for (RelaySession* session : sessions)
            {
                session->core.Shutdown(capture::WallNs());
                Execute(*session);
            }
            for (RelaySession* session : sessions)
                ForgetIfFinished(*session);
        });
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (OpenSessions() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return m_loop.Call(
        [this]
        {
            size_t dropped = m_sessions.size();
            while (!m_sessions.empty())
            {
                RelaySession& session = *m_sessions.begin()->second;
                for (Side side : {Side::Client, Side::Upstream})
                {
                    if (lws* wsi = session.At(side).wsi)
                        Kill(wsi);
                    Detach(session, side);
                    session.core.Closed(side, capture::WallNs());
                }
                session.core.Commands().clear();
                session.CancelTimers(m_loop);
                m_sessions.erase(m_sessions.begin());
            }
            m_openSessions = 0;
            return dropped;
        });
}

void Relay::Accept(lws* wsi)
{
    uint64_t id = m_nextSession++;
    auto owned = std::make_unique<RelaySession>(id, m_settings, m_tap);
    RelaySession& session = *owned;
    m_sessions[id] = std::move(owned);
    m_openSessions = m_sessions.size();
    Leg& client = session.At(Side::Client);
    client.wsi = wsi;
    lws_set_opaque_user_data(wsi, &client);
    if (m_serverTls)
        client.tls = net::TlsChannel::Server(*m_serverTls);
    else
        client.ready = true;
    session.core.Accepted(capture::WallNs(), net::PeerAddress(wsi));
    Execute(session);
}

void Relay::ConnectUpstream(RelaySession& session)
{
    std::string ip;
    {
        std::lock_guard lock(m_address->mutex);
        ip = m_address->ip;
    }
    Leg& leg = session.At(Side::Upstream);
    lws_client_connect_info info;
    std::memset(&info, 0, sizeof info);
    info.context = m_loop.Context();
    info.vhost = m_vhost;
    info.address = ip.c_str();
    info.port = m_options.upstream.port;
    info.path = "/";
    info.host = info.address;
    info.origin = info.address;
    info.method = "RAW";
    info.local_protocol_name = kRelayProtocols[0].name;
    info.opaque_user_data = &leg;
    // A NULL return fires no callback (and leaves pwsi dangling in lws 4.1): use the return value only.
    lws* wsi = lws_client_connect_via_info(&info);
    if (!wsi)
    {
        leg.wsi = nullptr;
        session.core.UpstreamFailed(capture::WallNs(),
                                    "cannot connect to " + ip + ":" + std::to_string(m_options.upstream.port));
        ResolveAgain(m_address);
        return;
    }
    leg.wsi = wsi;
}

bool Relay::ReceiveTls(RelaySession& session, Side side, const void* in, size_t len)
{
    Leg& leg = session.At(side);
    std::string plain;
    bool ok = leg.tls->ReceiveCipher(static_cast<const uint8_t*>(in), len, plain);
    if (leg.tls->HasCipher())
        lws_callback_on_writable(leg.wsi); // handshake records or alerts to send
    if (!ok)
        return false;
    if (!leg.ready && leg.tls->HandshakeDone())
    {
        leg.ready = true;
        lws_callback_on_writable(leg.wsi); // what waited for the handshake
        if (side == Side::Upstream)
            session.core.UpstreamConnected(capture::WallNs());
    }
    if (!plain.empty())
        session.core.Received(side, SharedBytes(std::move(plain)), capture::WallNs());
    return true;
}

void Relay::Execute(RelaySession& session)
{
    std::vector<RelayCommand> commands;
    while (!session.core.Commands().empty())
    {
        commands.clear();
        commands.swap(session.core.Commands());
        for (const RelayCommand& command : commands)
        {
            Leg& leg = session.At(command.side);
            switch (command.type)
            {
            case RelayCommand::Type::Connect:
                ConnectUpstream(session);
                break;
            case RelayCommand::Type::Flush:
                if (!leg.wsi || !leg.ready)
                    break;
                if (leg.wsi == m_connecting || lws_send_pipe_choked(leg.wsi))
                    lws_callback_on_writable(leg.wsi);
                else
                    Write(session, command.side, false); // now, without waiting a loop pass (latency)
                break;
            case RelayCommand::Type::SetRx:
                if (leg.wsi)
                    lws_rx_flow_control(leg.wsi, command.enable ? 1 : 0);
                break;
            case RelayCommand::Type::Drop:
                if (lws* wsi = leg.wsi)
                {
                    Detach(session, command.side);
                    Kill(wsi);
                }
                break;
            case RelayCommand::Type::SetTimer:
                ArmTimer(session, SessionTimer::Deadline, command.ms);
                break;
            case RelayCommand::Type::SetReleaseTimer:
                ArmTimer(session, SessionTimer::Release, command.ms);
                break;
            }
        }
    }
}

int Relay::Write(RelaySession& session, Side side, bool own)
{
    Leg& leg = session.At(side);
    lws* wsi = leg.wsi;
    if (!wsi)
        return 0;
    SharedBytes bytes;
    std::string cipher;
    while (!lws_partial_buffered(wsi))
    {
        if (leg.tls)
        {
            if (!leg.tls->HasCipher())
            {
                if (!leg.ready || !session.core.NextWrite(side, bytes))
                    break;
                leg.tls->SendPlain(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
            }
            cipher.clear();
            leg.tls->TakeCipher(cipher);
            if (cipher.empty())
                continue;
            if (lws_write(wsi, reinterpret_cast<unsigned char*>(cipher.data()), cipher.size(), LWS_WRITE_RAW) < 0)
                return own ? -1 : (Kill(wsi), 0);
        }
        else
        {
            if (!session.core.NextWrite(side, bytes))
                break;
            // Raw writes never touch the buffer (nothing is prepended or masked): the shared bytes go as they are.
            auto* data = reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data()));
            if (lws_write(wsi, data, bytes.size(), LWS_WRITE_RAW) < 0)
                return own ? -1 : (Kill(wsi), 0);
        }
    }
    if (lws_partial_buffered(wsi) || session.core.QueuedBytes(side) > 0 || (leg.tls && leg.tls->HasCipher()))
    {
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (!session.core.CloseWhenWritten(side))
        return 0;
    if (leg.tls && leg.ready && !leg.closeNotifySent)
    {
        leg.closeNotifySent = true;
        leg.tls->Shutdown(); // close_notify first
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (!own)
    {
        lws_callback_on_writable(wsi); // closing is done from the leg's own callback
        return 0;
    }
    // Close once lws has sent what it still holds, but not wait for a peer that stopped reading for ever.
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, 5);
    return lws_raw_transaction_completed(wsi);
}

void Relay::Detach(RelaySession& session, Side side)
{
    Leg& leg = session.At(side);
    if (leg.wsi)
        lws_set_opaque_user_data(leg.wsi, nullptr);
    leg.wsi = nullptr;
}

void Relay::ArmTimer(RelaySession& session, SessionTimer which, int64_t ms)
{
    uint64_t& timer = session.timers[static_cast<size_t>(which)];
    if (timer)
        m_loop.Cancel(timer);
    timer = 0;
    if (ms <= 0)
        return;
    uint64_t id = session.core.Id();
    timer = m_loop.After(ms,
                         [this, id, which]
                         {
                             auto it = m_sessions.find(id);
                             if (it == m_sessions.end())
                                 return;
                             RelaySession& session = *it->second;
                             session.timers[static_cast<size_t>(which)] = 0;
                             if (which == SessionTimer::Deadline)
                                 session.core.Timeout(capture::WallNs());
                             else
                                 session.core.Released(capture::WallNs());
                             Execute(session);
                             ForgetIfFinished(session);
                         });
}

void Relay::RequireRules() const
{
    if (!m_rules)
        throw std::runtime_error("this proxy cannot act on traffic: start it with --control (or --rules)");
}

RelaySession* Relay::Intercepted(uint64_t session)
{
    auto it = m_sessions.find(session);
    return it == m_sessions.end() || !it->second->core.Rules() ? nullptr : it->second.get();
}

std::vector<Relay::Held> Relay::HeldMessages()
{
    RequireRules();
    return m_loop.Call(
        [this]
        {
            std::vector<Held> held;
            for (auto& [id, session] : m_sessions)
                if (Interceptor* rules = session->core.Rules())
                    for (HeldMessage& message : rules->Held())
                        held.push_back({id, std::move(message)});
            return held;
        });
}

bool Relay::AnswerHeld(uint64_t id, bool drop, std::optional<std::string> edited)
{
    RequireRules();
    return m_loop.Call(
        [&]
        {
            for (auto& [sessionId, session] : m_sessions)
                if (Interceptor* rules = session->core.Rules();
                    rules && rules->Answer(id, drop, edited, capture::WallNs()))
                {
                    RelaySession& live = *session;
                    live.core.Act(capture::WallNs());
                    Execute(live);
                    ForgetIfFinished(live);
                    return true;
                }
            return false;
        });
}

void Relay::AddBreakpoint(const std::string& rule)
{
    RequireRules();
    m_loop.Call([&] { m_rules->AddBreakpoint(rule); });
}

bool Relay::RemoveBreakpoint(const std::string& name)
{
    RequireRules();
    return m_loop.Call([&] { return m_rules->RemoveBreakpoint(name); });
}

std::vector<std::string> Relay::Breakpoints()
{
    RequireRules();
    return m_loop.Call(
        [this]
        {
            std::vector<std::string> names;
            for (const rules::Rule& rule : m_rules->Breakpoints())
                names.push_back(rule.name);
            return names;
        });
}

std::vector<uint64_t> Relay::LiveWebSocketSessions()
{
    return m_loop.Call(
        [this]
        {
            std::vector<uint64_t> ids;
            for (auto& [id, session] : m_sessions)
                if (session->core.Rules())
                    ids.push_back(id);
            return ids;
        });
}

std::optional<int64_t> Relay::Inject(uint64_t session, boost::json::object request)
{
    RequireRules();
    return m_loop.Call(
        [&]() -> std::optional<int64_t>
        {
            RelaySession* live = Intercepted(session);
            if (!live)
                return std::nullopt;
            int64_t seq = live->core.Rules()->Inject(std::move(request), capture::WallNs());
            live->core.Act(capture::WallNs());
            Execute(*live);
            return seq;
        });
}

std::optional<std::string> Relay::InjectedResponse(uint64_t session, int64_t seq)
{
    return m_loop.Call(
        [&]() -> std::optional<std::string>
        {
            RelaySession* live = Intercepted(session);
            return live ? live->core.Rules()->TakeInjectedResponse(seq) : std::nullopt;
        });
}

bool Relay::CloseSession(uint64_t session, uint16_t code, const std::string& reason)
{
    RequireRules();
    return m_loop.Call(
        [&]
        {
            RelaySession* live = Intercepted(session);
            if (!live)
                return false;
            live->core.CloseSession(code, reason, capture::WallNs());
            Execute(*live);
            ForgetIfFinished(*live);
            return true;
        });
}

void Relay::ReloadRules()
{
    if (m_rules)
        m_loop.Post([this] { RefreshRules(true); });
}

void Relay::RefreshRules(bool force)
{
    std::string line = m_rules->Refresh(force);
    if (!line.empty() && m_options.log)
        m_options.log(line);
}

void Relay::WatchRules()
{
    RefreshRules(false);
    m_rulesTimer = m_loop.After(kRulesPollMs, [this] { WatchRules(); });
}

void Relay::ForgetIfFinished(RelaySession& session)
{
    if (!session.core.Finished())
        return;
    for (Side side : {Side::Client, Side::Upstream})
        Detach(session, side);
    session.CancelTimers(m_loop);
    m_sessions.erase(session.core.Id());
    m_openSessions = m_sessions.size();
}

int Relay::OnEvent(lws* wsi, int reason, void* in, size_t len)
{
    if (reason == LWS_CALLBACK_FILTER_NETWORK_CONNECTION)
        return m_stopping ? 1 : 0;
    if (reason == LWS_CALLBACK_RAW_ADOPT)
    {
        if (m_stopping)
            return -1;
        Accept(wsi);
        return 0;
    }
    auto* leg = static_cast<Leg*>(lws_get_opaque_user_data(wsi));
    if (!leg)
        return 0; // a leg the session let go of (dropped or finished)
    RelaySession& session = *leg->session;
    Side side = leg->side;
    int64_t now = capture::WallNs();
    int result = 0;

    switch (reason)
    {
    case LWS_CALLBACK_RAW_CONNECTED:
        leg->wsi = wsi;
        if (m_clientTls)
        {
            leg->tls = net::TlsChannel::Client(*m_clientTls, m_options.upstream.host);
            lws_callback_on_writable(wsi); // the ClientHello, from WRITEABLE (never write in CONNECTED)
        }
        else
        {
            leg->ready = true;
            m_connecting = wsi;
            session.core.UpstreamConnected(now);
            Execute(session);
            m_connecting = nullptr;
        }
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    {
        std::string error = in ? static_cast<const char*>(in) : "connection failed";
        Detach(session, side);
        session.core.UpstreamFailed(now, "cannot connect to " + m_options.upstream.HostPort() + " (" + error + ")");
        ResolveAgain(m_address);
        break;
    }
    case LWS_CALLBACK_RAW_RX:
        if (leg->tls)
        {
            if (!ReceiveTls(session, side, in, len))
            {
                std::string error = "TLS: " + leg->tls->Error();
                bool handshake = !leg->ready;
                Detach(session, side);
                if (side == Side::Upstream && handshake)
                    session.core.UpstreamFailed(now, error);
                else
                    session.core.Closed(side, now);
                result = -1;
            }
        }
        else
            session.core.Received(side, m_buffers->Copy(in, len), now);
        break;
    case LWS_CALLBACK_RAW_WRITEABLE:
        result = Write(session, side, true);
        break;
    case LWS_CALLBACK_RAW_CLOSE:
    case LWS_CALLBACK_WSI_DESTROY: // the last word on a wsi, if RAW_CLOSE never came
        Detach(session, side);
        if (side == Side::Upstream && !leg->ready && session.core.UpstreamConnecting())
            session.core.UpstreamFailed(now, "the connection to " + m_options.upstream.HostPort() +
                                                 " closed before it was ready");
        else
            session.core.Closed(side, now);
        break;
    default:
        return 0;
    }
    Execute(session);
    ForgetIfFinished(session);
    return result;
}

} // namespace dapscope::proxy
