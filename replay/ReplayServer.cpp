#include "ReplayServer.hpp"

#include "capture/Clock.hpp"

namespace dapscope::replay
{

ReplayServer::ReplayServer(net::EventLoop& loop, net::WsServerOptions listen, const Recording& recording, double timing)
    : m_loop(loop), m_script(recording), m_timing(timing)
{
    net::WsHandlers handlers;
    handlers.onOpen = [this](net::WsConnection& connection)
    {
        Client& client = m_clients[&connection];
        client.session = std::make_unique<ServeSession>(m_script, m_timing);
        client.session->OnOpen(capture::MonoNs());
        Pump(connection);
    };
    handlers.onMessage = [this](net::WsConnection& connection, net::WsMessage&& message)
    {
        auto it = m_clients.find(&connection);
        if (it == m_clients.end() || message.type == net::FrameType::Pong)
            return;
        it->second.session->OnMessage(capture::MonoNs(), message.type == net::FrameType::Binary, message.data);
        Pump(connection);
    };
    handlers.onClose = [this](net::WsConnection& connection, const net::WsCloseInfo&)
    {
        auto it = m_clients.find(&connection);
        if (it == m_clients.end())
            return;
        if (it->second.timer)
            m_loop.Cancel(it->second.timer);
        m_clients.erase(it);
    };
    m_server = std::make_unique<net::WsServer>(loop, std::move(listen), std::move(handlers));
}

ReplayServer::~ReplayServer()
{
    m_loop.Call(
        [this]
        {
            m_server.reset(); // closes every connection (their onClose runs) before the sessions go
            for (auto& [connection, client] : m_clients)
                if (client.timer)
                    m_loop.Cancel(client.timer);
            m_clients.clear();
        });
}

size_t ReplayServer::Connections()
{
    return m_loop.Call([this] { return m_clients.size(); });
}

void ReplayServer::Pump(net::WsConnection& connection)
{
    auto it = m_clients.find(&connection);
    if (it == m_clients.end())
        return;
    Client& client = it->second;
    const int64_t nowNs = capture::MonoNs();
    for (ServedMessage& message : client.session->TakeDue(nowNs))
        connection.Send(message.binary ? net::FrameType::Binary : net::FrameType::Text, message.bytes);

    const auto due = client.session->NextDueNs();
    if (!due || (client.timer && client.timerDueNs <= *due))
        return;
    if (client.timer)
        m_loop.Cancel(client.timer);
    client.timerDueNs = *due;
    const int64_t delayMs = std::max<int64_t>(0, (*due - nowNs + 999'999) / 1'000'000);
    client.timer = m_loop.After(delayMs,
                                [this, weak = std::weak_ptr<net::WsConnection>(connection.shared_from_this()),
                                 alive = std::weak_ptr<int>(m_alive)]
                                {
                                    auto strong = alive.expired() ? nullptr : weak.lock();
                                    if (!strong)
                                        return;
                                    auto found = m_clients.find(strong.get());
                                    if (found == m_clients.end())
                                        return;
                                    found->second.timer = 0;
                                    Pump(*strong);
                                });
}

} // namespace dapscope::replay
