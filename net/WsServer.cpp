#include "WsServer.hpp"

#include <libwebsockets.h>

#include <cstring>
#include <stdexcept>

namespace dapscope::net
{

namespace
{
// Static: lws may still read a vhost's protocol table while it tears the vhost down.
const lws_protocols kServerProtocols[] = {
    {"dapscope-ws", reinterpret_cast<lws_callback_function*>(WsConnectionCallback), sizeof(WsConnection*),
     kWsRxBufferSize, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// lws keeps a pointer to a vhost's extension table: static too.
const lws_extension kDeflateExtensions[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate, "permessage-deflate; client_max_window_bits"},
    {nullptr, nullptr, nullptr},
};
} // namespace

WsServer::WsServer(EventLoop& loop, WsServerOptions options, WsHandlers handlers)
    : m_loop(loop), m_options(std::move(options)), m_handlers(std::move(handlers))
{
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = m_options.port;
    info.iface = m_options.host.c_str();
    info.protocols = kServerProtocols;
    info.user = this;
    info.vhost_name = "dapscope-server";
    info.extensions = m_options.deflate ? kDeflateExtensions : nullptr;
    if (!m_options.tlsCert.empty())
    {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = m_options.tlsCert.c_str();
        info.ssl_private_key_filepath = m_options.tlsKey.c_str();
    }
    m_vhost = m_loop.CreateVhost(info);
    if (!m_vhost)
        throw std::runtime_error("cannot listen on " + m_options.host + ":" + std::to_string(m_options.port));
    m_port = lws_get_vhost_listen_port(m_vhost);
}

WsServer::~WsServer()
{
    m_loop.Call(
        [this]
        {
            // Close every connection synchronously so no callback can reach this object afterwards.
            auto open = m_connections;
            for (auto& [id, connection] : open)
                connection->Kill();
            m_connections.clear();
            if (m_vhost)
                lws_vhost_destroy(m_vhost);
        });
}

std::vector<std::shared_ptr<WsConnection>> WsServer::Connections() const
{
    std::vector<std::shared_ptr<WsConnection>> out;
    for (auto& [id, connection] : m_connections)
        out.push_back(connection);
    return out;
}

WsConnection* WsServer::Accept(lws* wsi)
{
    WsHandlers handlers = m_handlers;
    uint64_t id = m_nextId++;
    auto userClose = handlers.onClose;
    handlers.onClose = [this, id, userClose](WsConnection& connection, const WsCloseInfo& info)
    {
        if (userClose)
            userClose(connection, info);
        m_connections.erase(id);
    };
    auto connection = std::make_shared<WsConnection>(std::move(handlers));
    connection->Attach(wsi, id);
    m_connections[id] = connection;
    return connection.get();
}

} // namespace dapscope::net
