#include "Relay.hpp"

#include "net/Clock.hpp"
#include "net/Lws.hpp"

#include <libwebsockets.h>

#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace dapscope::proxy
{

// Everything the glue keeps per session: the core plus what lws forgets after the handshake.
struct RelaySession
{
    RelaySession(uint64_t id, RelayLimits limits, TapQueue& tap) : core(id, limits, tap) {}

    RelayCore core;
    lws* wsi[2] = {nullptr, nullptr}; // indexed by Side; null once that side is gone
    std::string path;                 // request URI with query, forwarded as is
    std::string origin;               // handshake headers forwarded upstream
    std::string subprotocol;
    std::string authorization;
    std::string cookie;
    std::string userAgent;
    std::string forwardedFor; // X-Forwarded-For to send: the client's chain plus its address
};

namespace
{
constexpr size_t kRelayRxBuffer = 64 * 1024; // bytes per receive callback

// Per-session data lws keeps for the client-facing wsi (zero-filled, no constructor runs).
struct RelayPss
{
    RelaySession* session;
};

int RelayCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len)
{
    auto* relay = static_cast<Relay*>(lws_vhost_user(lws_get_vhost(wsi)));
    if (!relay)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    try
    {
        return relay->OnEvent(wsi, reason, user, in, len);
    }
    catch (const std::exception& e)
    {
        lwsl_err("dapscope relay: %s\n", e.what());
        return -1;
    }
}

// lws keeps pointers to protocol tables for as long as the context lives, which can be longer than a Relay.
const lws_protocols* MakeProtocols(const std::vector<std::string>& subprotocols)
{
    static std::mutex mutex;
    static std::deque<std::string> names;
    static std::deque<std::vector<lws_protocols>> tables;
    std::lock_guard lock(mutex);
    std::vector<lws_protocols> table;
    table.push_back({"dapscope-relay", RelayCallback, sizeof(RelayPss), kRelayRxBuffer, 0, nullptr, 0});
    for (const std::string& name : subprotocols)
    {
        names.push_back(name);
        table.push_back({names.back().c_str(), RelayCallback, sizeof(RelayPss), kRelayRxBuffer, 0, nullptr, 0});
    }
    table.push_back({nullptr, nullptr, 0, 0, 0, nullptr, 0});
    tables.push_back(std::move(table));
    return tables.back().data();
}

// False when the header does not fit in lws's handshake buffer.
bool AddHeader(lws* wsi, const char* name, const std::string& value, unsigned char** position, unsigned char* end)
{
    if (value.empty())
        return true;
    return !lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                        reinterpret_cast<const unsigned char*>(value.data()),
                                        static_cast<int>(value.size()), position, end);
}

std::string PeerIp(const std::string& peer)
{
    size_t colon = peer.rfind(':');
    return colon == std::string::npos ? peer : peer.substr(0, colon);
}
} // namespace

Relay::Relay(net::EventLoop& loop, RelayOptions options, TapQueue& tap)
    : m_loop(loop), m_options(std::move(options)), m_tap(tap)
{
    m_protocols = MakeProtocols(m_options.subprotocols);
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = m_options.listenPort;
    info.iface = m_options.listenHost.c_str();
    info.protocols = m_protocols;
    info.user = this;
    info.vhost_name = "dapscope-relay";
    if (m_options.upstream.tls || !m_options.tlsCert.empty())
    {
        info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT; // TLS (the client side loads the system CAs)
        if (!m_options.caFile.empty())
            info.client_ssl_ca_filepath = m_options.caFile.c_str();
    }
    if (!m_options.tlsCert.empty())
    {
        info.ssl_cert_filepath = m_options.tlsCert.c_str();
        info.ssl_private_key_filepath = m_options.tlsKey.c_str();
        info.alpn = "http/1.1"; // WebSocket over HTTP/1.1 only, never h2
    }
    m_vhost = m_loop.CreateVhost(info);
    if (!m_vhost)
        throw std::runtime_error("cannot listen on " + m_options.listenHost + ":" +
                                 std::to_string(m_options.listenPort) + " (address in use or not local?)");
    m_port = lws_get_vhost_listen_port(m_vhost);
}

Relay::~Relay()
{
    Shutdown(std::chrono::milliseconds(0));
    m_loop.Call(
        [this]
        {
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
            std::vector<uint64_t> ids;
            for (auto& [id, session] : m_sessions)
                ids.push_back(id);
            for (uint64_t id : ids)
            {
                auto it = m_sessions.find(id);
                if (it == m_sessions.end())
                    continue;
                RelaySession& session = *it->second;
                session.core.Shutdown(1001, "dapscope proxy shutting down");
                Execute(session);
                if (session.core.UpstreamConnecting() && session.wsi[1])
                    lws_set_timeout(session.wsi[1], PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_SYNC);
            }
        });
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (OpenSessions() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return m_loop.Call(
        [this]
        {
            size_t dropped = m_sessions.size();
            std::vector<lws*> victims;
            for (auto& [id, session] : m_sessions)
                for (lws* wsi : session->wsi)
                    if (wsi)
                        victims.push_back(wsi);
            for (lws* wsi : victims)
                lws_set_timeout(wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_SYNC);
            return dropped;
        });
}

void Relay::Accept(lws* wsi, void* user)
{
    uint64_t id = m_nextSession++;
    auto owned = std::make_unique<RelaySession>(id, m_options.limits, m_tap);
    RelaySession& session = *owned;
    m_sessions[id] = std::move(owned);
    m_openSessions = m_sessions.size();
    static_cast<RelayPss*>(user)->session = &session;
    session.wsi[0] = wsi;

    // lws drops the headers after this callback: copy what goes upstream now.
    std::string peer = net::PeerAddress(wsi);
    session.path = net::CopyRequestUri(wsi, "dapscope_token"); // the proxy's own token never goes upstream
    session.origin = net::CopyHeader(wsi, WSI_TOKEN_ORIGIN);
    session.subprotocol = net::CopyHeader(wsi, WSI_TOKEN_PROTOCOL);
    session.authorization = net::CopyHeader(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    session.cookie = net::CopyHeader(wsi, WSI_TOKEN_HTTP_COOKIE);
    session.userAgent = net::CopyHeader(wsi, WSI_TOKEN_HTTP_USER_AGENT);
    std::string chain = net::CopyHeader(wsi, WSI_TOKEN_X_FORWARDED_FOR);
    session.forwardedFor = (chain.empty() ? "" : chain + ", ") + PeerIp(peer);

    net::EngineUri upstream = m_options.upstream;
    upstream.path.clear();
    session.core.Open(net::WallNs(), peer, session.path, upstream.ToString(), session.userAgent);
    Execute(session);
    ConnectUpstream(session);
}

void Relay::ConnectUpstream(RelaySession& session)
{
    const net::EngineUri& upstream = m_options.upstream;
    std::string hostPort = upstream.HostPort();
    lws_client_connect_info info;
    std::memset(&info, 0, sizeof info);
    info.context = m_loop.Context();
    info.vhost = m_vhost;
    info.address = upstream.host.c_str();
    info.port = upstream.port;
    info.path = session.path.c_str();
    info.host = hostPort.c_str();
    info.origin = session.origin.empty() ? nullptr : session.origin.c_str();
    info.protocol = session.subprotocol.empty() ? nullptr : session.subprotocol.c_str();
    info.local_protocol_name = m_protocols[0].name;
    info.opaque_user_data = &session;
    info.alpn = "http/1.1";
    if (upstream.tls)
    {
        info.ssl_connection = LCCSCF_USE_SSL;
        if (m_options.insecure)
            info.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                   LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    lws* wsi = nullptr;
    info.pwsi = &wsi;
    uint64_t id = session.core.Id();
    lws_client_connect_via_info(&info);
    // A synchronous failure has already run CLIENT_CONNECTION_ERROR (and may have ended the session).
    auto it = m_sessions.find(id);
    if (it != m_sessions.end() && wsi && !it->second->core.IsGone(Side::Upstream))
        it->second->wsi[1] = wsi;
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
            lws* wsi = session.wsi[static_cast<size_t>(command.side)];
            if (!wsi)
                continue;
            if (command.type == RelayCommand::Type::SetRx)
                lws_rx_flow_control(wsi, command.enable ? 1 : 0);
            else if (session.core.HasFrames(command.side) && !lws_send_pipe_choked(wsi))
            {
                // The socket can take it now: write without waiting a loop pass for WRITEABLE (latency).
                bool close = false;
                if (!WriteOne(session, command.side, wsi, close))
                    lws_set_timeout(wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
            }
            else
                lws_callback_on_writable(wsi);
        }
    }
}

bool Relay::WriteOne(RelaySession& session, Side side, lws* wsi, bool& close)
{
    WriteStep step = session.core.Writable(side);
    if (step.kind == WriteStep::Kind::Close)
    {
        lws_close_reason(wsi, static_cast<lws_close_status>(step.code),
                         reinterpret_cast<unsigned char*>(step.reason.data()), step.reason.size());
        close = true;
        return true;
    }
    if (step.kind != WriteStep::Kind::Write)
        return true;
    unsigned char* payload = step.frame.Payload();
    if (side == Side::Upstream)
    {
        // lws masks client frames in place; the capture tap shares this buffer, so mask a copy.
        m_scratch.resize(net::Frame::Headroom() + step.frame.Size());
        payload = m_scratch.data() + net::Frame::Headroom();
        std::memcpy(payload, step.frame.Payload(), step.frame.Size());
    }
    int written = lws_write(wsi, payload, step.frame.Size(), static_cast<lws_write_protocol>(step.frame.WriteFlags()));
    return written >= static_cast<int>(step.frame.Size());
}

void Relay::Forget(RelaySession& session)
{
    m_sessions.erase(session.core.Id());
    m_openSessions = m_sessions.size();
}

int Relay::OnEvent(lws* wsi, int reason, void* user, void* in, size_t len)
{
    auto lwsReason = static_cast<lws_callback_reasons>(reason);
    if (reason == LWS_CALLBACK_FILTER_NETWORK_CONNECTION)
        return m_stopping ? 1 : 0;
    if (reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION && !m_options.accessToken.empty())
    {
        std::string presented = net::CopyCustomHeader(wsi, "x-dapscope-token:");
        if (presented.empty())
            presented = net::QueryArgument(wsi, "dapscope_token");
        if (presented == m_options.accessToken)
            return 0;
        lws_return_http_status(wsi, HTTP_STATUS_UNAUTHORIZED,
                               "dapscope proxy: this proxy needs its access token (X-Dapscope-Token header or "
                               "dapscope_token query argument)");
        return 1;
    }
    if (reason == LWS_CALLBACK_HTTP)
    {
        // Not a WebSocket upgrade: the engine's SDK socket is all we relay.
        lws_return_http_status(wsi, 426,
                               "dapscope proxy relays WebSocket connections only (e.g. ws://host:port/task/service)");
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    if (reason == LWS_CALLBACK_ESTABLISHED)
    {
        if (m_stopping)
            return -1;
        Accept(wsi, user);
        return 0;
    }

    // Which session and side is this? The upstream wsi carries the session as opaque user data.
    auto* upstreamOwner = static_cast<RelaySession*>(lws_get_opaque_user_data(wsi));
    RelaySession* session = upstreamOwner;
    Side side = Side::Upstream;
    if (!session)
    {
        auto* pss = static_cast<RelayPss*>(user);
        session = pss ? pss->session : nullptr;
        side = Side::Client;
    }
    if (!session)
        return lws_callback_http_dummy(wsi, lwsReason, user, in, len);
    RelayCore& core = session->core;
    size_t index = static_cast<size_t>(side);
    int result = 0;

    switch (reason)
    {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    {
        auto** position = static_cast<unsigned char**>(in);
        unsigned char* end = *position + len;
        bool fits = AddHeader(wsi, "authorization:", session->authorization, position, end) &&
                    AddHeader(wsi, "cookie:", session->cookie, position, end) &&
                    AddHeader(wsi, "user-agent:", session->userAgent, position, end) &&
                    AddHeader(wsi, "x-forwarded-for:", session->forwardedFor, position, end);
        return fits ? 0 : -1;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        session->wsi[1] = wsi;
        core.UpstreamOpened(net::WallNs());
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    {
        std::string error = in ? std::string(static_cast<const char*>(in)) : std::string();
        session->wsi[1] = nullptr;
        lws_set_opaque_user_data(wsi, nullptr);
        core.UpstreamFailed(net::WallNs(), error);
        break;
    }
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_CLIENT_RECEIVE:
        core.Receive(side, std::string_view(static_cast<const char*>(in), len), lws_frame_is_binary(wsi),
                     lws_is_final_fragment(wsi), net::WallNs());
        break;
    case LWS_CALLBACK_RECEIVE_PONG:
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        core.ReceivePong(side, std::string_view(static_cast<const char*>(in), len), net::WallNs());
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
    {
        bool close = false;
        if (!WriteOne(*session, side, wsi, close) || close)
            result = -1;
        break;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        core.PeerClosing(side, std::string_view(static_cast<const char*>(in), in ? len : 0), net::WallNs());
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        // The last word on any wsi. An upstream that timed out during its handshake gets no CONNECTION_ERROR
        // or CLIENT_CLOSED in lws 4.1, only this: make sure the session hears that the side is gone.
        if (session->wsi[index] != wsi)
            return 0;
        session->wsi[index] = nullptr;
        if (side == Side::Client)
            static_cast<RelayPss*>(user)->session = nullptr;
        else
            lws_set_opaque_user_data(wsi, nullptr);
        if (side == Side::Upstream && core.UpstreamConnecting())
            core.UpstreamFailed(net::WallNs(), "did not answer the WebSocket handshake in time");
        else
            core.Gone(side, net::WallNs());
        break;
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_CLIENT_CLOSED:
        session->wsi[index] = nullptr;
        if (side == Side::Client)
            static_cast<RelayPss*>(user)->session = nullptr;
        else
            lws_set_opaque_user_data(wsi, nullptr);
        core.Gone(side, net::WallNs());
        break;
    default:
        return lws_callback_http_dummy(wsi, lwsReason, user, in, len);
    }

    Execute(*session);
    if (core.Finished())
        Forget(*session);
    return result;
}

} // namespace dapscope::proxy
