#include "TcpTap.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace dapscope::test
{

struct TcpTap::Connection
{
    int acceptedFd = -1;
    int targetFd = -1;
    Stream stream;
    std::thread toTarget;
    std::thread fromTarget;
};

namespace
{
sockaddr_in Loopback(int port)
{
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

bool SendAll(int fd, const char* data, size_t size)
{
    while (size > 0)
    {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}
} // namespace

TcpTap::TcpTap(int targetPort) : m_targetPort(targetPort)
{
    m_listenFd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Loopback(0);
    socklen_t len = sizeof addr;
    if (m_listenFd < 0 || bind(m_listenFd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(m_listenFd, 64) != 0 || getsockname(m_listenFd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    {
        if (m_listenFd >= 0)
            close(m_listenFd);
        throw std::runtime_error("TcpTap: cannot listen on loopback");
    }
    m_port = ntohs(addr.sin_port);
    m_acceptThread = std::thread([this] { AcceptLoop(); });
}

TcpTap::~TcpTap()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_acceptThread.join();
    close(m_listenFd);
    // Shutting a socket down wakes the thread blocked reading it; then nothing touches the connections.
    for (auto& connection : m_connections)
    {
        shutdown(connection->acceptedFd, SHUT_RDWR);
        shutdown(connection->targetFd, SHUT_RDWR);
    }
    for (auto& connection : m_connections)
    {
        connection->toTarget.join();
        connection->fromTarget.join();
        close(connection->acceptedFd);
        close(connection->targetFd);
    }
}

void TcpTap::AcceptLoop()
{
    while (true)
    {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping)
                return;
        }
        pollfd pfd{m_listenFd, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        int accepted = accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (accepted < 0)
            continue;
        auto connection = std::make_unique<Connection>();
        connection->acceptedFd = accepted;
        connection->targetFd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in target = Loopback(m_targetPort);
        int one = 1;
        setsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(connection->targetFd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        bool connected = connect(connection->targetFd, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0;
        std::lock_guard lock(m_mutex);
        connection->stream.connected = connected;
        if (!connected)
        {
            // Like a refused connect seen through the tap: the accepted side is closed at once.
            connection->stream.toTargetEnded = connection->stream.fromTargetEnded = true;
            shutdown(accepted, SHUT_RDWR);
            connection->toTarget = std::thread([] {});
            connection->fromTarget = std::thread([] {});
        }
        else
        {
            Connection& c = *connection;
            c.toTarget = std::thread([this, &c] { Pump(c, true); });
            c.fromTarget = std::thread([this, &c] { Pump(c, false); });
        }
        m_connections.push_back(std::move(connection));
        m_changed.notify_all();
    }
}

void TcpTap::Pump(Connection& connection, bool toTarget)
{
    int from = toTarget ? connection.acceptedFd : connection.targetFd;
    int to = toTarget ? connection.targetFd : connection.acceptedFd;
    std::string chunk(64 * 1024, '\0');
    while (true)
    {
        ssize_t n = recv(from, chunk.data(), chunk.size(), 0);
        if (n == 0)
        {
            shutdown(to, SHUT_WR); // pass the end of stream on
            break;
        }
        if (n < 0)
        {
            // A reset (or the tap stopping): cut both sides.
            shutdown(to, SHUT_RDWR);
            shutdown(from, SHUT_RDWR);
            break;
        }
        {
            std::lock_guard lock(m_mutex);
            (toTarget ? connection.stream.toTarget : connection.stream.fromTarget)
                .append(chunk.data(), static_cast<size_t>(n));
            m_changed.notify_all();
        }
        if (!SendAll(to, chunk.data(), static_cast<size_t>(n)))
        {
            shutdown(to, SHUT_RDWR);
            shutdown(from, SHUT_RDWR);
            break;
        }
    }
    std::lock_guard lock(m_mutex);
    (toTarget ? connection.stream.toTargetEnded : connection.stream.fromTargetEnded) = true;
    m_changed.notify_all();
}

std::vector<TcpTap::Stream> TcpTap::Streams()
{
    std::lock_guard lock(m_mutex);
    std::vector<Stream> out;
    for (auto& connection : m_connections)
        out.push_back(connection->stream);
    return out;
}

size_t TcpTap::Accepted()
{
    std::lock_guard lock(m_mutex);
    return m_connections.size();
}

bool TcpTap::WaitEnded(size_t index, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout,
                              [&]
                              {
                                  return index < m_connections.size() && m_connections[index]->stream.toTargetEnded &&
                                         m_connections[index]->stream.fromTargetEnded;
                              });
}

bool TcpTap::WaitBytes(size_t index, size_t toTarget, size_t fromTarget, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout,
                              [&]
                              {
                                  return index < m_connections.size() &&
                                         m_connections[index]->stream.toTarget.size() >= toTarget &&
                                         m_connections[index]->stream.fromTarget.size() >= fromTarget;
                              });
}

} // namespace dapscope::test
