#include "Upstream.hpp"

namespace dapscope::test
{

EchoUpstream::EchoUpstream(net::WsServerOptions options)
{
    net::WsHandlers handlers;
    handlers.onOpen = [this](net::WsConnection& connection)
    {
        std::lock_guard lock(m_mutex);
        m_handshakes.push_back({connection.Path(), connection.Headers()});
        m_changed.notify_all();
    };
    handlers.onMessage = [this](net::WsConnection& connection, net::WsMessage&& message)
    {
        if (message.type == net::FrameType::Pong)
            return;
        {
            std::lock_guard lock(m_mutex);
            ++m_messages;
        }
        connection.Send(message.type, message.data);
    };
    handlers.onClose = [this](net::WsConnection&, const net::WsCloseInfo& info)
    {
        std::lock_guard lock(m_mutex);
        m_closes.push_back(info);
        m_changed.notify_all();
    };
    m_server = std::make_unique<net::WsServer>(m_loop, std::move(options), std::move(handlers));
}

std::vector<EchoUpstream::Handshake> EchoUpstream::Handshakes()
{
    std::lock_guard lock(m_mutex);
    return m_handshakes;
}

std::optional<net::WsCloseInfo> EchoUpstream::WaitForClose(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_mutex);
    if (!m_changed.wait_for(lock, timeout, [&] { return !m_closes.empty(); }))
        return std::nullopt;
    return m_closes.front();
}

void EchoUpstream::CloseAll(uint16_t code, const std::string& reason)
{
    m_loop.Call(
        [&]
        {
            for (auto& connection : m_server->Connections())
                connection->Close(code, reason);
        });
}

void EchoUpstream::Broadcast(net::FrameType type, const std::string& data, size_t fragmentSize)
{
    m_loop.Call(
        [&]
        {
            for (auto& connection : m_server->Connections())
                connection->Send(type, data, fragmentSize);
        });
}

size_t EchoUpstream::Messages()
{
    std::lock_guard lock(m_mutex);
    return m_messages;
}

} // namespace dapscope::test
