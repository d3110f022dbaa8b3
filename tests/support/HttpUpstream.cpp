#include "HttpUpstream.hpp"

#include "wire/HttpStream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace dapscope::test
{

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

bool SendAll(int fd, std::string_view bytes)
{
    while (!bytes.empty())
    {
        ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

std::string Lower(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string Trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return std::string(text);
}

std::string StatusLine(int status, std::string_view reason)
{
    return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
}
} // namespace

std::string HttpResponseBytes(int status, std::string_view reason, std::string_view body,
                              const std::vector<std::string>& headers)
{
    std::string out = StatusLine(status, reason);
    for (const std::string& header : headers)
        out += header + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    out += body;
    return out;
}

std::string ChunkedResponseBytes(int status, std::string_view reason, const std::vector<std::string>& chunks,
                                 const std::vector<std::string>& headers)
{
    static const char* kHex = "0123456789abcdef";
    std::string out = StatusLine(status, reason);
    for (const std::string& header : headers)
        out += header + "\r\n";
    out += "Transfer-Encoding: chunked\r\n\r\n";
    for (const std::string& chunk : chunks)
    {
        if (chunk.empty())
            continue;
        std::string size;
        for (size_t n = chunk.size(); n > 0; n >>= 4)
            size.insert(size.begin(), kHex[n & 15]);
        out += size + "\r\n" + chunk + "\r\n";
    }
    out += "0\r\n\r\n";
    return out;
}

// ---- HttpUpstream ----

struct HttpUpstream::Connection
{
    int fd = -1;
    std::string received; // every byte read
    std::thread thread;
};

HttpUpstream::HttpUpstream(Handler handler, HttpUpstreamOptions options)
    : m_handler(std::move(handler)), m_options(options)
{
    if (!m_handler)
        m_handler = [](const ReceivedRequest&) { return HttpReply{HttpResponseBytes(200, "OK", "ok"), false}; };
    m_listenFd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Loopback(0);
    socklen_t len = sizeof addr;
    if (m_listenFd < 0 || bind(m_listenFd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(m_listenFd, 64) != 0 || getsockname(m_listenFd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    {
        if (m_listenFd >= 0)
            close(m_listenFd);
        throw std::runtime_error("HttpUpstream: cannot listen on loopback");
    }
    m_port = ntohs(addr.sin_port);
    m_acceptThread = std::thread([this] { AcceptLoop(); });
}

HttpUpstream::~HttpUpstream()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_acceptThread.join();
    close(m_listenFd);
    for (auto& connection : m_connections)
        shutdown(connection->fd, SHUT_RDWR); // wakes its thread
    for (auto& connection : m_connections)
    {
        connection->thread.join();
        close(connection->fd);
    }
}

void HttpUpstream::AcceptLoop()
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
        int fd = accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::lock_guard lock(m_mutex);
        auto connection = std::make_unique<Connection>();
        connection->fd = fd;
        Connection& c = *connection;
        size_t index = m_connections.size();
        m_connections.push_back(std::move(connection));
        c.thread = std::thread([this, &c, index] { Serve(c, index); });
        m_changed.notify_all();
    }
}

void HttpUpstream::Serve(Connection& connection, size_t index)
{
    wire::HttpStream stream(wire::HttpStream::Role::Request);
    std::vector<wire::HttpEvent> events;
    ReceivedRequest current;
    std::optional<HttpReply> early; // the answer onHead gave to the current request
    std::string chunk(64 * 1024, '\0');
    bool open = true;
    while (open)
    {
        ssize_t n = recv(connection.fd, chunk.data(), chunk.size(), 0);
        if (n <= 0)
        {
            stream.Finish(events);
            for (const wire::HttpEvent& event : events)
                if (event.type == wire::HttpEvent::Type::Error)
                {
                    std::lock_guard lock(m_mutex);
                    m_errors.push_back("connection " + std::to_string(index) + ": " + event.reason);
                }
            break;
        }
        {
            std::lock_guard lock(m_mutex);
            connection.received.append(chunk.data(), static_cast<size_t>(n));
            m_changed.notify_all();
        }
        std::string_view input(chunk.data(), static_cast<size_t>(n));
        while (open && !input.empty())
        {
            stream.Feed(input, events);
            std::string_view rest;
            for (const wire::HttpEvent& event : events)
            {
                switch (event.type)
                {
                case wire::HttpEvent::Type::Head:
                {
                    current = ReceivedRequest{};
                    current.connection = index;
                    current.rawHead = event.raw;
                    current.head = event.head;
                    const std::string* expect = event.head.Find("Expect");
                    if (m_options.onHead)
                        early = m_options.onHead(current);
                    if (early)
                        open = SendAll(connection.fd, early->bytes) && !early->close;
                    else if (m_options.answerExpect && expect && Lower(*expect) == "100-continue" &&
                             event.head.versionMinor >= 1)
                        open = SendAll(connection.fd, "HTTP/1.1 100 Continue\r\n\r\n");
                    break;
                }
                case wire::HttpEvent::Type::Body:
                    current.rawBody.append(input.substr(event.offset, event.length));
                    for (std::string_view data : event.data)
                        current.body.append(data);
                    break;
                case wire::HttpEvent::Type::End:
                {
                    {
                        std::lock_guard lock(m_mutex);
                        m_requests.push_back(current);
                        m_changed.notify_all();
                    }
                    if (early)
                    {
                        early.reset();
                        break;
                    }
                    HttpReply reply = m_handler(current);
                    if (!SendAll(connection.fd, reply.bytes) || reply.close)
                        open = false;
                    break;
                }
                case wire::HttpEvent::Type::Upgrade:
                    // The handler's answer was not a 101 (this upstream never switches): HTTP goes on.
                    stream.ResumeHttp();
                    rest = input.substr(event.offset);
                    break;
                case wire::HttpEvent::Type::Tunnel:
                    break;
                case wire::HttpEvent::Type::Error:
                {
                    std::lock_guard lock(m_mutex);
                    m_errors.push_back("connection " + std::to_string(index) + ": " + event.reason);
                    open = false;
                    break;
                }
                }
            }
            input = rest;
        }
    }
    shutdown(connection.fd, SHUT_RDWR);
}

std::vector<ReceivedRequest> HttpUpstream::Requests()
{
    std::lock_guard lock(m_mutex);
    return m_requests;
}

bool HttpUpstream::WaitForRequests(size_t count, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout, [&] { return m_requests.size() >= count; });
}

size_t HttpUpstream::Accepted()
{
    std::lock_guard lock(m_mutex);
    return m_connections.size();
}

std::string HttpUpstream::Received(size_t index)
{
    std::lock_guard lock(m_mutex);
    return index < m_connections.size() ? m_connections[index]->received : std::string();
}

size_t HttpUpstream::BytesReceived()
{
    std::lock_guard lock(m_mutex);
    size_t total = 0;
    for (auto& connection : m_connections)
        total += connection->received.size();
    return total;
}

std::vector<std::string> HttpUpstream::Errors()
{
    std::lock_guard lock(m_mutex);
    return m_errors;
}

// ---- RawHttpConnection ----

std::optional<std::string> ReadResponse::Header(std::string_view name) const
{
    for (const auto& [key, value] : headers)
        if (key == name)
            return value;
    return std::nullopt;
}

RawHttpConnection::RawHttpConnection(int port)
{
    m_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Loopback(port);
    if (m_fd >= 0 && connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    {
        close(m_fd);
        m_fd = -1;
    }
}

RawHttpConnection::~RawHttpConnection()
{
    if (m_fd >= 0)
        close(m_fd);
}

bool RawHttpConnection::Send(std::string_view bytes)
{
    return m_fd >= 0 && SendAll(m_fd, bytes);
}

bool RawHttpConnection::Fill(std::chrono::steady_clock::time_point deadline)
{
    while (!m_eof)
    {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0)
            return false;
        pollfd pfd{m_fd, POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(std::min<long>(left, 100))) <= 0)
            continue;
        char chunk[64 * 1024];
        ssize_t n = recv(m_fd, chunk, sizeof chunk, 0);
        if (n <= 0)
        {
            m_eof = true;
            return false;
        }
        m_buffer.append(chunk, static_cast<size_t>(n));
        return true;
    }
    return false;
}

namespace
{
// How many bytes of `buffer` (from `start`) a chunked body takes, with its de-chunked data; nullopt while
// incomplete. Throws on a framing error.
std::optional<size_t> ChunkedLength(const std::string& buffer, size_t start, std::string& data)
{
    size_t pos = start;
    while (true)
    {
        size_t lineEnd = buffer.find("\r\n", pos);
        if (lineEnd == std::string::npos)
            return std::nullopt;
        std::string line = buffer.substr(pos, lineEnd - pos);
        line = line.substr(0, line.find(';'));
        size_t size = std::stoul(Trim(line), nullptr, 16);
        pos = lineEnd + 2;
        if (size == 0)
        {
            // Trailer section up to the empty line.
            while (true)
            {
                size_t end = buffer.find("\r\n", pos);
                if (end == std::string::npos)
                    return std::nullopt;
                bool empty = end == pos;
                pos = end + 2;
                if (empty)
                    return pos - start;
            }
        }
        if (buffer.size() < pos + size + 2)
            return std::nullopt;
        data.append(buffer, pos, size);
        if (buffer.compare(pos + size, 2, "\r\n") != 0)
            throw std::runtime_error("chunk data not followed by CRLF");
        pos += size + 2;
    }
}
} // namespace

std::optional<ReadResponse> RawHttpConnection::Read(std::chrono::milliseconds timeout, bool answersHead)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool lastLook = false; // the stream ended: frame what there is once more, then give up
    while (true)
    {
        size_t headEnd = m_buffer.find("\r\n\r\n");
        if (headEnd != std::string::npos)
        {
            ReadResponse response;
            response.head = m_buffer.substr(0, headEnd + 4);
            size_t lineEnd = response.head.find("\r\n");
            std::string statusLine = response.head.substr(0, lineEnd);
            if (statusLine.rfind("HTTP/", 0) != 0 || statusLine.size() < 12)
                return std::nullopt;
            response.status = std::atoi(statusLine.c_str() + 9);
            for (size_t pos = lineEnd + 2; pos < headEnd;)
            {
                size_t end = response.head.find("\r\n", pos);
                std::string line = response.head.substr(pos, end - pos);
                size_t colon = line.find(':');
                if (colon != std::string::npos)
                    response.headers.emplace_back(Lower(line.substr(0, colon)), Trim(line.substr(colon + 1)));
                pos = end + 2;
            }
            size_t bodyStart = headEnd + 4;
            std::optional<size_t> bodyLength;
            auto te = response.Header("transfer-encoding");
            auto cl = response.Header("content-length");
            if (response.status < 200 || response.status == 204 || response.status == 304 || answersHead)
                bodyLength = 0;
            else if (te && Lower(*te).find("chunked") != std::string::npos)
                bodyLength = ChunkedLength(m_buffer, bodyStart, response.body);
            else if (cl)
            {
                size_t length = std::stoul(*cl);
                if (m_buffer.size() >= bodyStart + length)
                {
                    bodyLength = length;
                    response.body = m_buffer.substr(bodyStart, length);
                }
            }
            else if (m_eof)
            {
                bodyLength = m_buffer.size() - bodyStart;
                response.body = m_buffer.substr(bodyStart);
            }
            if (bodyLength)
            {
                response.raw = m_buffer.substr(0, bodyStart + *bodyLength);
                m_buffer.erase(0, bodyStart + *bodyLength);
                return response;
            }
            response.body.clear();
        }
        if (!Fill(deadline))
        {
            if (!m_eof || lastLook)
                return std::nullopt;
            lastLook = true;
        }
    }
}

bool RawHttpConnection::WaitPending(size_t bytes, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (m_buffer.size() < bytes)
        if (!Fill(deadline))
            return false;
    return true;
}

bool RawHttpConnection::WaitClosed(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t before = m_buffer.size();
    while (Fill(deadline))
    {
    }
    return m_eof && m_buffer.size() == before;
}

} // namespace dapscope::test
