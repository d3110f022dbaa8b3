#include "WsConnection.hpp"

#include "Lws.hpp"
#include "WsServer.hpp"

#include <libwebsockets.h>

#include <algorithm>
#include <cstring>

namespace dapscope::net
{

void WsConnection::Attach(lws* wsi, uint64_t id)
{
    m_wsi = wsi;
    m_id = id;
    m_peer = PeerAddress(wsi);
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
        return; // client side: no request headers
    m_path = CopyRequestUri(wsi);
    const std::pair<const char*, int> known[] = {
        {"origin", WSI_TOKEN_ORIGIN},
        {"user-agent", WSI_TOKEN_HTTP_USER_AGENT},
        {"authorization", WSI_TOKEN_HTTP_AUTHORIZATION},
        {"cookie", WSI_TOKEN_HTTP_COOKIE},
        {"sec-websocket-protocol", WSI_TOKEN_PROTOCOL},
        {"x-forwarded-for", WSI_TOKEN_X_FORWARDED_FOR},
    };
    for (auto [name, token] : known)
        if (std::string value = CopyHeader(wsi, token); !value.empty())
            m_headers[name] = value;
}

void WsConnection::Send(FrameType type, std::string_view data, size_t fragmentSize)
{
    if (!IsOpen())
        return;
    if (fragmentSize == 0 || data.size() <= fragmentSize || type == FrameType::Ping || type == FrameType::Pong)
        m_queue.Push(Frame(type, data));
    else
        for (size_t offset = 0; offset < data.size(); offset += fragmentSize)
            m_queue.Push(
                Frame(type, data.substr(offset, fragmentSize), offset == 0, offset + fragmentSize >= data.size()));
    lws_callback_on_writable(m_wsi);
}

void WsConnection::Close(uint16_t code, std::string reason)
{
    if (!IsOpen())
        return;
    m_closing = true;
    m_close.code = code;
    m_close.reason = std::move(reason);
    lws_callback_on_writable(m_wsi);
}

void WsConnection::Kill()
{
    if (m_wsi)
        lws_set_timeout(m_wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_SYNC);
}

void WsConnection::SetReading(bool enabled)
{
    if (m_wsi)
        lws_rx_flow_control(m_wsi, enabled ? 1 : 0);
}

void WsConnection::Closed()
{
    m_wsi = nullptr;
    m_queue.Clear();
    m_writing = {};
    if (m_closeReported)
        return;
    m_closeReported = true;
    auto self = shared_from_this(); // the handler may drop the owner's reference
    if (m_handlers.onClose)
        m_handlers.onClose(*this, m_close);
}

int WsConnection::OnLwsEvent(lws* wsi, int reason, void* in, size_t len)
{
    switch (reason)
    {
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (m_handlers.onOpen)
            m_handlers.onOpen(*this);
        return 0;

    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_CLIENT_RECEIVE:
    {
        if (!m_inMessage)
        {
            m_partial.type = lws_frame_is_binary(wsi) ? FrameType::Binary : FrameType::Text;
            m_partial.data.clear();
            m_inMessage = true;
        }
        m_partial.data.append(static_cast<const char*>(in), len);
        if (lws_is_final_fragment(wsi))
        {
            m_inMessage = false;
            WsMessage message = std::move(m_partial);
            m_partial = {};
            if (m_handlers.onMessage)
                m_handlers.onMessage(*this, std::move(message));
        }
        return 0;
    }

    case LWS_CALLBACK_RECEIVE_PONG:
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        if (m_handlers.onMessage)
            m_handlers.onMessage(*this, WsMessage{FrameType::Pong, std::string(static_cast<const char*>(in), len)});
        return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
    {
        if (!m_queue.Empty())
        {
            m_writing = m_queue.Pop();
            int written = lws_write(wsi, m_writing.Payload(), m_writing.Size(),
                                    static_cast<lws_write_protocol>(m_writing.WriteFlags()));
            if (written < static_cast<int>(m_writing.Size()))
                return -1;
            if (!m_queue.Empty() || m_closing)
                lws_callback_on_writable(wsi);
            return 0;
        }
        if (m_closing && !m_closeSent)
        {
            m_closeSent = true;
            lws_close_reason(wsi, static_cast<lws_close_status>(WireSafeCloseCode(m_close.code)),
                             reinterpret_cast<unsigned char*>(m_close.reason.data()),
                             std::min<size_t>(m_close.reason.size(), 123));
            return -1;
        }
        return 0;
    }

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        ParseClosePayload(in, len, m_close.code, m_close.reason);
        m_close.byPeer = true;
        return 0;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        m_close.error =
            in ? std::string(static_cast<const char*>(in), len ? len : std::strlen(static_cast<const char*>(in)))
               : std::string("connection failed");
        Closed();
        return 0;

    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!m_close.byPeer && !m_closeSent)
            m_close.code = 1006;
        Closed();
        return 0;

    default:
        return 0;
    }
}

int WsConnectionCallback(lws* wsi, int reason, void* user, void* in, size_t len)
{
    try
    {
        auto** slot = static_cast<WsConnection**>(user);
        WsConnection* connection = slot && *slot ? *slot : static_cast<WsConnection*>(lws_get_opaque_user_data(wsi));
        if (reason == LWS_CALLBACK_ESTABLISHED && !connection)
        {
            auto* server = static_cast<WsServer*>(lws_vhost_user(lws_get_vhost(wsi)));
            connection = server ? server->Accept(wsi) : nullptr;
            if (!connection)
                return -1;
            *slot = connection;
        }
        if (!connection)
            return lws_callback_http_dummy(wsi, static_cast<lws_callback_reasons>(reason), user, in, len);
        return connection->OnLwsEvent(wsi, reason, in, len);
    }
    catch (const std::exception& e)
    {
        lwsl_err("dapscope: connection callback failed: %s\n", e.what());
        return -1;
    }
}

} // namespace dapscope::net
