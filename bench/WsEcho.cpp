#include "WsEcho.hpp"

#include "wire/Mask.hpp"

#include <openssl/evp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace dapscope::bench
{

namespace
{
constexpr size_t kReadBuffer = 256 * 1024;   // one recv fills this much at most
constexpr size_t kDirectRead = 64 * 1024;    // a payload rest this large is received in place
constexpr uint64_t kMaxPayload = 1ull << 30; // larger frames are a protocol error here
constexpr size_t kMaxHead = 16 * 1024;

std::string ErrnoText(const char* what)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return std::string(what) + ": timed out";
    return std::string(what) + ": " + std::strerror(errno);
}

bool SendAll(int fd, const uint8_t* data, size_t size, std::string& error)
{
    while (size > 0)
    {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
        {
            error = ErrnoText("send");
            return false;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

// 2 to 14 header bytes for a frame with FIN set.
size_t WriteHeader(uint8_t* out, uint8_t opcode, uint64_t size, const uint8_t* maskKey)
{
    size_t n = 0;
    uint8_t maskBit = maskKey ? 0x80 : 0;
    out[n++] = static_cast<uint8_t>(0x80 | opcode);
    if (size < 126)
        out[n++] = static_cast<uint8_t>(maskBit | size);
    else if (size < 65536)
    {
        out[n++] = static_cast<uint8_t>(maskBit | 126);
        out[n++] = static_cast<uint8_t>(size >> 8);
        out[n++] = static_cast<uint8_t>(size);
    }
    else
    {
        out[n++] = static_cast<uint8_t>(maskBit | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out[n++] = static_cast<uint8_t>(size >> shift);
    }
    if (maskKey)
    {
        std::memcpy(out + n, maskKey, 4);
        n += 4;
    }
    return n;
}

// An unmasked frame (the engine's side): header and payload in one sendmsg.
bool SendUnmasked(int fd, uint8_t opcode, const uint8_t* payload, size_t size, std::string& error)
{
    uint8_t header[14];
    size_t headerSize = WriteHeader(header, opcode, size, nullptr);
    iovec parts[2] = {{header, headerSize}, {const_cast<uint8_t*>(payload), size}};
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = 2;
    size_t left = headerSize + size;
    while (left > 0)
    {
        ssize_t n = sendmsg(fd, &message, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
        {
            error = ErrnoText("send");
            return false;
        }
        left -= static_cast<size_t>(n);
        for (size_t done = static_cast<size_t>(n); done > 0;)
        {
            size_t step = std::min(done, message.msg_iov->iov_len);
            message.msg_iov->iov_base = static_cast<uint8_t*>(message.msg_iov->iov_base) + step;
            message.msg_iov->iov_len -= step;
            done -= step;
            if (message.msg_iov->iov_len == 0 && message.msg_iovlen > 1)
            {
                ++message.msg_iov;
                --message.msg_iovlen;
            }
        }
    }
    return true;
}

std::string Base64(const uint8_t* data, size_t size)
{
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<size_t>(n));
    return out;
}

// Value of header `name` (case-insensitive) in an HTTP head, trimmed; empty when absent.
std::string HeaderValue(const std::string& head, std::string_view name)
{
    size_t line = head.find("\r\n");
    while (line != std::string::npos && line + 2 < head.size())
    {
        size_t start = line + 2;
        size_t end = head.find("\r\n", start);
        if (end == std::string::npos)
            break;
        size_t colon = head.find(':', start);
        if (colon != std::string::npos && colon < end && colon - start == name.size() &&
            std::equal(name.begin(), name.end(), head.begin() + static_cast<std::ptrdiff_t>(start),
                       [](char a, char b) {
                           return std::tolower(static_cast<unsigned char>(a)) ==
                                  std::tolower(static_cast<unsigned char>(b));
                       }))
        {
            size_t valueStart = head.find_first_not_of(" \t", colon + 1);
            size_t valueEnd = head.find_last_not_of(" \t", end - 1);
            if (valueStart == std::string::npos || valueStart >= end)
                return {};
            return head.substr(valueStart, valueEnd + 1 - valueStart);
        }
        line = end;
    }
    return {};
}

void SetNoDelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

uint64_t NextRandom(uint64_t& state) // xorshift64*
{
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ull;
}
} // namespace

void Bytes::Resize(size_t size)
{
    if (size > m_capacity)
    {
        size_t capacity = std::max(size, m_capacity * 2);
        std::unique_ptr<uint8_t[]> data(new uint8_t[capacity]);
        if (m_size > 0)
            std::memcpy(data.get(), m_data.get(), m_size);
        m_data = std::move(data);
        m_capacity = capacity;
    }
    m_size = size;
}

MessageReader::MessageReader(int fd) : m_fd(fd), m_buffer(new uint8_t[kReadBuffer]) {}

bool MessageReader::Fill(size_t need)
{
    while (m_end - m_begin < need)
    {
        if (kReadBuffer - m_begin < need) // move what is left to the front
        {
            std::memmove(m_buffer.get(), m_buffer.get() + m_begin, m_end - m_begin);
            m_end -= m_begin;
            m_begin = 0;
        }
        ssize_t n = recv(m_fd, m_buffer.get() + m_end, kReadBuffer - m_end, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
        {
            m_error = "connection closed";
            return false;
        }
        if (n < 0)
        {
            m_error = ErrnoText("recv");
            return false;
        }
        m_end += static_cast<size_t>(n);
    }
    return true;
}

bool MessageReader::ReadInto(uint8_t* out, size_t size)
{
    size_t take = std::min(size, m_end - m_begin);
    std::memcpy(out, m_buffer.get() + m_begin, take);
    m_begin += take;
    out += take;
    size -= take;
    if (size == 0)
        return true;
    if (size < kDirectRead)
    {
        if (!Fill(size))
            return false;
        std::memcpy(out, m_buffer.get() + m_begin, size);
        m_begin += size;
        return true;
    }
    while (size > 0)
    {
        ssize_t n = recv(m_fd, out, size, MSG_WAITALL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
        {
            m_error = "connection closed in a frame";
            return false;
        }
        if (n < 0)
        {
            m_error = ErrnoText("recv");
            return false;
        }
        out += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

bool MessageReader::ReadHead(std::string& head, size_t limit)
{
    size_t searched = 0;
    while (true)
    {
        std::string_view buffered(reinterpret_cast<const char*>(m_buffer.get()) + m_begin, m_end - m_begin);
        size_t end = buffered.find("\r\n\r\n", searched > 3 ? searched - 3 : 0);
        if (end != std::string_view::npos)
        {
            head.assign(buffered.substr(0, end + 4));
            m_begin += end + 4;
            return true;
        }
        searched = buffered.size();
        if (searched >= std::min(limit, kReadBuffer))
        {
            m_error = "HTTP head too long";
            return false;
        }
        if (!Fill(searched + 1))
            return false;
    }
}

bool MessageReader::Read(Message& message, bool masked)
{
    while (true)
    {
        if (!Fill(2))
            return false;
        const uint8_t* h = m_buffer.get() + m_begin;
        bool fin = (h[0] & 0x80) != 0;
        uint8_t opcode = h[0] & 0x0f;
        bool isMasked = (h[1] & 0x80) != 0;
        uint64_t size = h[1] & 0x7f;
        size_t headerSize = 2 + (size == 126 ? 2 : size == 127 ? 8 : 0) + (isMasked ? 4 : 0);
        if ((h[0] & 0x70) != 0)
            m_error = "RSV bit set without an extension";
        else if (isMasked != masked)
            m_error = masked ? "unmasked frame from a client" : "masked frame from a server";
        else if ((opcode >= 3 && opcode <= 7) || opcode > 10)
            m_error = "reserved opcode " + std::to_string(opcode);
        else if (opcode >= 8 && (!fin || size > 125))
            m_error = "fragmented or long control frame";
        if (!m_error.empty())
            return false;
        if (!Fill(headerSize))
            return false;
        h = m_buffer.get() + m_begin;
        if (size == 126)
            size = (uint64_t{h[2]} << 8) | h[3];
        else if (size == 127)
        {
            size = 0;
            for (int i = 0; i < 8; ++i)
                size = (size << 8) | h[2 + i];
        }
        wire::MaskKey key{};
        if (isMasked)
            std::memcpy(key.data(), h + headerSize - 4, 4);
        m_begin += headerSize;
        if (size > kMaxPayload)
        {
            m_error = "frame larger than 1 GiB";
            return false;
        }

        // Where the payload goes: the message itself, or the end of a fragmented message being joined.
        Bytes* target = &message.payload;
        size_t offset = 0;
        if (opcode == Continuation)
        {
            if (!m_inMessage)
            {
                m_error = "continuation without a message";
                return false;
            }
            target = &m_partial;
            offset = m_partial.Size();
        }
        else if (opcode < 8 && (m_inMessage || !fin))
        {
            if (m_inMessage)
            {
                m_error = "new message inside a fragmented one";
                return false;
            }
            target = &m_partial;
            m_partialOpcode = opcode;
            m_inMessage = true;
        }
        target->Resize(offset + size);
        if (!ReadInto(target->Data() + offset, size))
            return false;
        if (isMasked)
            wire::ApplyMask(target->Data() + offset, size, key, 0);

        if (target == &message.payload)
        {
            message.opcode = opcode;
            return true;
        }
        if (fin) // the last fragment
        {
            message.opcode = m_partialOpcode;
            std::swap(message.payload, m_partial);
            m_partial.Resize(0);
            m_inMessage = false;
            return true;
        }
    }
}

std::string AcceptKey(std::string_view key)
{
    std::string input = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha1(), nullptr);
    return Base64(digest, size);
}

EchoEngine::EchoEngine()
{
    m_listen = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (m_listen < 0 || bind(m_listen, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(m_listen, 64) != 0 || getsockname(m_listen, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        throw std::runtime_error(ErrnoText("echo engine: listen"));
    m_port = ntohs(address.sin_port);
    m_acceptor = std::thread([this] { Accept(); });
}

EchoEngine::~EchoEngine()
{
    m_stopping = true;
    shutdown(m_listen, SHUT_RDWR); // wakes accept()
    m_acceptor.join();
    close(m_listen);
    std::lock_guard lock(m_mutex);
    for (int fd : m_fds)
        shutdown(fd, SHUT_RDWR); // wakes each connection's recv()
    for (std::thread& thread : m_threads)
        thread.join();
    for (int fd : m_fds)
        close(fd);
}

void EchoEngine::Accept()
{
    while (!m_stopping)
    {
        int fd = accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
        {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return;
        }
        std::lock_guard lock(m_mutex);
        if (m_stopping)
        {
            close(fd);
            return;
        }
        SetNoDelay(fd);
        m_fds.push_back(fd);
        m_threads.emplace_back([this, fd] { Serve(fd); });
    }
}

void EchoEngine::Serve(int fd)
{
    MessageReader reader(fd);
    std::string head;
    std::string error;
    if (!reader.ReadHead(head, kMaxHead))
        return; // a port probe, or a peer gone
    std::string key = HeaderValue(head, "Sec-WebSocket-Key");
    if (key.empty())
    {
        static const std::string refused = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        SendAll(fd, reinterpret_cast<const uint8_t*>(refused.data()), refused.size(), error);
        shutdown(fd, SHUT_WR);
        return;
    }
    std::string answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: " +
                         AcceptKey(key) + "\r\n\r\n";
    if (!SendAll(fd, reinterpret_cast<const uint8_t*>(answer.data()), answer.size(), error))
        return;
    Message message;
    while (reader.Read(message, true))
    {
        const uint8_t* data = message.payload.Data();
        size_t size = message.payload.Size();
        bool sent = true;
        if (message.opcode == Text || message.opcode == Binary)
            sent = SendUnmasked(fd, message.opcode, data, size, error);
        else if (message.opcode == Ping)
            sent = SendUnmasked(fd, Pong, data, size, error);
        else if (message.opcode == Close)
        {
            SendUnmasked(fd, Close, data, std::min<size_t>(size, 2), error); // the status code back
            shutdown(fd, SHUT_WR);
            return;
        }
        if (!sent)
            return;
    }
}

Client::Client(int fd) : m_fd(fd), m_reader(fd)
{
    wire::MaskKey seed = wire::RandomMaskKey();
    std::memcpy(&m_prng, seed.data(), seed.size());
    m_prng = (m_prng << 1) | 1; // never zero
}

Client::~Client()
{
    if (m_fd >= 0)
        close(m_fd);
}

std::unique_ptr<Client> Client::Connect(int port, const std::string& path, std::chrono::seconds timeout)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
    {
        throw std::runtime_error(ErrnoText("socket"));
    }
    std::unique_ptr<Client> client(new Client(fd));
    timeval limit{static_cast<time_t>(timeout.count()), 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    SetNoDelay(fd);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    {
        throw std::runtime_error(ErrnoText("connect"));
    }

    uint8_t nonce[16];
    for (size_t i = 0; i < sizeof nonce; i += 4)
    {
        wire::MaskKey part = wire::RandomMaskKey();
        std::memcpy(nonce + i, part.data(), part.size());
    }
    std::string key = Base64(nonce, sizeof nonce);
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                          "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (std::string error; !SendAll(fd, reinterpret_cast<const uint8_t*>(request.data()), request.size(), error))
        throw std::runtime_error(error);
    std::string head;
    if (!client->m_reader.ReadHead(head, kMaxHead))
    {
        throw std::runtime_error("handshake: " + client->m_reader.Error());
    }
    if (head.compare(0, 12, "HTTP/1.1 101") != 0)
    {
        throw std::runtime_error("handshake answered " + head.substr(0, head.find("\r\n")));
    }
    if (HeaderValue(head, "Sec-WebSocket-Accept") != AcceptKey(key))
    {
        throw std::runtime_error("handshake: wrong Sec-WebSocket-Accept");
    }
    if (!HeaderValue(head, "Sec-WebSocket-Extensions").empty())
    {
        throw std::runtime_error("handshake: an extension was negotiated that was never offered");
    }
    return client;
}

bool Client::Send(uint8_t opcode, const uint8_t* payload, size_t size)
{
    uint64_t random = NextRandom(m_prng);
    wire::MaskKey key;
    std::memcpy(key.data(), &random, key.size());
    m_frame.Resize(14 + size);
    size_t headerSize = WriteHeader(m_frame.Data(), opcode, size, key.data());
    std::memcpy(m_frame.Data() + headerSize, payload, size);
    wire::ApplyMask(m_frame.Data() + headerSize, size, key, 0);
    if (!SendAll(m_fd, m_frame.Data(), headerSize + size, m_sendError))
        return false;
    if (opcode == Text || opcode == Binary)
    {
        m_payloadSent += size;
        ++m_messagesSent;
    }
    return true;
}

bool Client::Receive(Message& message)
{
    while (m_reader.Read(message, false))
    {
        if (message.opcode == Text || message.opcode == Binary)
        {
            m_payloadReceived += message.payload.Size();
            ++m_messagesReceived;
            return true;
        }
        if (message.opcode == Opcode::Close)
        {
            uint16_t code = message.payload.Size() >= 2
                                ? static_cast<uint16_t>((message.payload.Data()[0] << 8) | message.payload.Data()[1])
                                : 1005;
            m_receiveError = "closed by the peer with " + std::to_string(code);
            return false;
        }
    }
    m_receiveError = m_reader.Error();
    return false;
}

void Client::Abort()
{
    if (m_fd >= 0)
        shutdown(m_fd, SHUT_RDWR);
}

void Client::Close()
{
    if (m_fd < 0)
        return;
    const uint8_t normal[2] = {0x03, 0xe8}; // 1000
    if (Send(Opcode::Close, normal, sizeof normal))
    {
        Message message;
        while (m_reader.Read(message, false) && message.opcode != Opcode::Close)
        {
        }
    }
    close(m_fd);
    m_fd = -1;
}

} // namespace dapscope::bench
