#include "MockEngineServer.hpp"

#include <algorithm>

namespace dapscope::mock
{

MockEngineServer::MockEngineServer(net::EventLoop& loop, net::WsServerOptions listen, EngineOptions options)
    : m_loop(loop), m_options(std::move(options))
{
    net::WsHandlers handlers;
    handlers.onOpen = [this](net::WsConnection& connection)
    {
        auto engine = std::make_unique<EngineConnection>(m_options, m_state);
        std::weak_ptr<net::WsConnection> weak = connection.shared_from_this();
        // Events caused by other connections: deliver them once the current callback has returned.
        engine->SetWakeHandler(
            [this, weak, alive = std::weak_ptr<int>(m_alive)]
            {
                m_loop.Post(
                    [this, weak, alive]
                    {
                        auto strong = alive.expired() ? nullptr : weak.lock();
                        auto it = strong ? m_engines.find(strong.get()) : m_engines.end();
                        if (it != m_engines.end())
                            Execute(strong, it->second->TakePending());
                    });
            });
        m_engines[&connection] = std::move(engine);
    };
    handlers.onMessage = [this](net::WsConnection& connection, net::WsMessage&& message)
    {
        auto it = m_engines.find(&connection);
        if (it == m_engines.end() || message.type == net::FrameType::Pong)
            return;
        Execute(connection.shared_from_this(),
                it->second->OnMessage(message.type == net::FrameType::Binary, message.data));
    };
    handlers.onClose = [this](net::WsConnection& connection, const net::WsCloseInfo&)
    {
        auto it = m_engines.find(&connection);
        if (it == m_engines.end())
            return;
        it->second->OnClose();
        m_engines.erase(it);
    };
    m_server = std::make_unique<net::WsServer>(loop, std::move(listen), std::move(handlers));
}

MockEngineServer::~MockEngineServer()
{
    m_server.reset(); // closes every connection (their onClose runs) before the engines go
}

size_t MockEngineServer::Connections()
{
    return m_loop.Call([this] { return m_engines.size(); });
}

void MockEngineServer::Execute(const std::shared_ptr<net::WsConnection>& connection, Reaction reaction)
{
    // Messages of a reaction keep their order: each goes no earlier than the one before it.
    int64_t at = 0;
    for (Outgoing& out : reaction.messages)
    {
        at = std::max(at, out.delayMs);
        auto type = out.binary ? net::FrameType::Binary : net::FrameType::Text;
        if (at == 0)
            connection->Send(type, out.bytes);
        else
            m_loop.After(at,
                         [weak = std::weak_ptr<net::WsConnection>(connection), type, bytes = std::move(out.bytes)]
                         {
                             if (auto strong = weak.lock())
                                 strong->Send(type, bytes);
                         });
    }
    if (!reaction.close)
        return;
    auto code = static_cast<uint16_t>(reaction.closeCode);
    if (at == 0)
        connection->Close(code, reaction.closeReason);
    else
        m_loop.After(at,
                     [weak = std::weak_ptr<net::WsConnection>(connection), code, reason = reaction.closeReason]
                     {
                         if (auto strong = weak.lock())
                             strong->Close(code, reason);
                     });
}

} // namespace dapscope::mock
