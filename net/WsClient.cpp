#include "WsClient.hpp"

#include "EngineUri.hpp"

#include <libwebsockets.h>

#include <cstring>

namespace dapscope::net
{

struct WsClient::Inbox
{
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<WsMessage> messages;    // received, not yet taken
    bool open = false;                 // handshake done
    std::optional<WsCloseInfo> closed; // set once the connection is gone
    WsClientOptions options;           // kept alive for the handshake-header callback
};

namespace
{
int ClientCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len)
{
    if (reason == LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER)
    {
        auto* connection = static_cast<WsConnection*>(lws_get_opaque_user_data(wsi));
        auto* options = connection ? static_cast<const WsClientOptions*>(connection->userData) : nullptr;
        if (!options)
            return 0;
        auto** position = static_cast<unsigned char**>(in);
        unsigned char* end = *position + len;
        for (auto& [name, value] : options->headers)
        {
            std::string header = name + ":";
            if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(header.c_str()),
                                            reinterpret_cast<const unsigned char*>(value.data()),
                                            static_cast<int>(value.size()), position, end))
                return -1;
        }
        return 0;
    }
    return WsConnectionCallback(wsi, reason, user, in, len);
}

const lws_protocols kClientProtocols[] = {
    {"dapscope-client", ClientCallback, sizeof(WsConnection*), kWsRxBufferSize, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// lws offers the extensions of the connection's vhost; it keeps a pointer to the table.
const lws_extension kDeflateExtensions[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate, "permessage-deflate; client_max_window_bits"},
    {nullptr, nullptr, nullptr},
};

// One client vhost per loop and configuration (CA file, deflate offered), created on first use and kept for the
// loop's lifetime.
lws_vhost* ClientVhost(EventLoop& loop, const WsClientOptions& options)
{
    std::string name = std::string("dapscope-client") + (options.deflate ? "-deflate" : "") +
                       (options.caFile.empty() ? "" : "-" + options.caFile);
    if (lws_vhost* existing = lws_get_vhost_by_name(loop.Context(), name.c_str()))
        return existing;
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kClientProtocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.extensions = options.deflate ? kDeflateExtensions : nullptr;
    // lws keeps these pointers for the vhost's lifetime.
    static std::mutex namesMutex;
    static std::deque<std::string> names;
    std::lock_guard lock(namesMutex);
    names.push_back(name);
    info.vhost_name = names.back().c_str();
    if (!options.caFile.empty())
    {
        names.push_back(options.caFile);
        info.client_ssl_ca_filepath = names.back().c_str();
    }
    return lws_create_vhost(loop.Context(), &info);
}
} // namespace

std::unique_ptr<WsClient> WsClient::Connect(const WsClientOptions& options, EventLoop* loop)
{
    std::unique_ptr<WsClient> client(new WsClient());
    if (!loop)
    {
        client->m_ownLoop = std::make_unique<EventLoop>("dapscope-client");
        loop = client->m_ownLoop.get();
    }
    client->m_loop = loop;
    auto inbox = std::make_shared<Inbox>();
    inbox->options = options;
    client->m_inbox = inbox;

    // Parse ws[s]://host:port/path?query: the path is kept as given.
    std::string url = options.url;
    size_t schemeEnd = url.find("://");
    size_t pathStart = url.find('/', schemeEnd == std::string::npos ? 0 : schemeEnd + 3);
    std::string path = pathStart == std::string::npos ? "/" : url.substr(pathStart);
    const EngineUri uri = NormaliseEngineUri(url.substr(0, pathStart), path);

    WsHandlers handlers;
    handlers.onOpen = [inbox](WsConnection&)
    {
        std::lock_guard lock(inbox->mutex);
        inbox->open = true;
        inbox->changed.notify_all();
    };
    handlers.onMessage = [inbox](WsConnection&, WsMessage&& message)
    {
        std::lock_guard lock(inbox->mutex);
        inbox->messages.push_back(std::move(message));
        inbox->changed.notify_all();
    };
    handlers.onClose = [inbox](WsConnection&, const WsCloseInfo& info)
    {
        std::lock_guard lock(inbox->mutex);
        inbox->closed = info;
        inbox->changed.notify_all();
    };

    bool started = loop->Call(
        [&]
        {
            auto connection = std::make_shared<WsConnection>(std::move(handlers));
            connection->userData = &inbox->options;
            client->m_connection = connection;
            lws_vhost* vhost = ClientVhost(*loop, options);
            if (!vhost)
                return false;
            std::string hostPort = uri.HostPort();
            lws_client_connect_info info;
            std::memset(&info, 0, sizeof info);
            info.context = loop->Context();
            info.vhost = vhost;
            info.address = uri.host.c_str();
            info.port = uri.port;
            info.path = uri.path.c_str();
            info.host = hostPort.c_str();
            info.origin = options.origin.empty() ? nullptr : options.origin.c_str();
            info.protocol = options.subprotocol.empty() ? nullptr : options.subprotocol.c_str();
            info.local_protocol_name = kClientProtocols[0].name;
            info.opaque_user_data = connection.get();
            info.alpn = "http/1.1";
            if (uri.tls)
                info.ssl_connection =
                    LCCSCF_USE_SSL |
                    (options.insecure ? LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                            LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE
                                      : 0);
            lws* wsi = nullptr;
            info.pwsi = &wsi;
            lws_client_connect_via_info(&info);
            if (wsi)
                connection->Attach(wsi, 1);
            return true;
        });
    if (!started)
    {
        throw NetError("cannot create the client vhost");
    }

    std::unique_lock lock(inbox->mutex);
    if (!inbox->changed.wait_for(lock, options.connectTimeout, [&] { return inbox->open || inbox->closed; }))
    {
        lock.unlock();
        throw NetError("timed out connecting to " + uri.ToString());
    }
    if (!inbox->open)
    {
        throw NetError(inbox->closed->error.empty() ? "connection closed during the handshake" : inbox->closed->error);
    }
    return client;
}

WsClient::~WsClient()
{
    if (m_connection)
        m_loop->Call(
            [this]
            {
                m_connection->Kill();
                m_connection.reset();
            });
}

void WsClient::Send(FrameType type, std::string data, size_t fragmentSize)
{
    m_loop->Post([connection = m_connection, type, data = std::move(data), fragmentSize]
                 { connection->Send(type, data, fragmentSize); });
}

std::optional<WsMessage> WsClient::Receive(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_inbox->mutex);
    if (!m_inbox->changed.wait_for(lock, timeout, [&] { return !m_inbox->messages.empty() || m_inbox->closed; }))
        return std::nullopt;
    if (m_inbox->messages.empty())
        return std::nullopt;
    WsMessage message = std::move(m_inbox->messages.front());
    m_inbox->messages.pop_front();
    return message;
}

void WsClient::SetReading(bool enabled)
{
    m_loop->Post([connection = m_connection, enabled] { connection->SetReading(enabled); });
}

size_t WsClient::QueuedBytes()
{
    return m_loop->Call([this] { return m_connection->QueuedBytes(); });
}

void WsClient::Close(uint16_t code, std::string reason)
{
    m_loop->Post([connection = m_connection, code, reason = std::move(reason)] { connection->Close(code, reason); });
}

std::optional<WsCloseInfo> WsClient::WaitClosed(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_inbox->mutex);
    if (!m_inbox->changed.wait_for(lock, timeout, [&] { return m_inbox->closed.has_value(); }))
        return std::nullopt;
    return m_inbox->closed;
}

bool WsClient::IsClosed()
{
    std::lock_guard lock(m_inbox->mutex);
    return m_inbox->closed.has_value();
}

} // namespace dapscope::net
