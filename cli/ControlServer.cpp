#include "ControlServer.hpp"

#include "capture/Clock.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace dapscope::cli
{

namespace json = boost::json;

namespace
{
constexpr size_t kMaxRequestBytes = 16u << 20; // an edited message may be large, not without end
constexpr int64_t kDefaultInjectWaitMs = 10000;

sockaddr_un Address(const std::string& path)
{
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path)
        throw std::runtime_error("control socket path too long: " + path);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

json::object Failure(const std::string& why)
{
    return {{"ok", false}, {"error", why}};
}

bool WriteAll(int fd, std::string_view bytes)
{
    while (!bytes.empty())
    {
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

// One line from `fd` (without its newline); false at the end or on error.
bool ReadLine(int fd, std::string& buffer, std::string& line)
{
    for (;;)
    {
        if (size_t end = buffer.find('\n'); end != std::string::npos)
        {
            line = buffer.substr(0, end);
            buffer.erase(0, end + 1);
            return true;
        }
        if (buffer.size() > kMaxRequestBytes)
            return false;
        char chunk[65536];
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buffer.append(chunk, static_cast<size_t>(n));
    }
}

int64_t Integer(const json::object& o, std::string_view key, int64_t otherwise)
{
    const json::value* v = o.if_contains(key);
    return v && v->is_int64()    ? v->get_int64()
           : v && v->is_uint64() ? static_cast<int64_t>(v->get_uint64())
                                 : otherwise;
}

std::string Text(const json::object& o, std::string_view key)
{
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}
} // namespace

std::string ControlSocketPath(const std::string& db)
{
    return db + ".control";
}

ControlServer::ControlServer(Capture& capture, std::string path) : m_capture(capture), m_path(std::move(path))
{
    sockaddr_un address = Address(m_path);
    // A socket left by a proxy that is gone is replaced; one that answers belongs to a running proxy.
    if (int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); probe >= 0)
    {
        bool live = ::connect(probe, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        ::close(probe);
        if (live)
            throw std::runtime_error("another proxy answers on " + m_path);
        ::unlink(m_path.c_str());
    }
    m_listenFd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_listenFd < 0 || ::bind(m_listenFd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::chmod(m_path.c_str(), 0600) != 0 || ::listen(m_listenFd, 8) != 0 || ::pipe2(m_wakeFd, O_CLOEXEC) != 0)
    {
        std::string why = std::strerror(errno);
        if (m_listenFd >= 0)
            ::close(m_listenFd);
        throw std::runtime_error("cannot listen on " + m_path + ": " + why);
    }
    m_thread = std::thread([this] { Serve(); });
}

ControlServer::~ControlServer()
{
    if (m_wakeFd[1] >= 0)
        (void)!::write(m_wakeFd[1], "x", 1);
    if (m_thread.joinable())
        m_thread.join();
    for (int fd : {m_listenFd, m_wakeFd[0], m_wakeFd[1]})
        if (fd >= 0)
            ::close(fd);
    ::unlink(m_path.c_str());
}

void ControlServer::Serve()
{
    for (;;)
    {
        pollfd fds[2] = {{m_listenFd, POLLIN, 0}, {m_wakeFd[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR)
            return;
        if (fds[1].revents)
            return;
        if (!(fds[0].revents & POLLIN))
            continue;
        int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        // The socket's mode keeps other users out; the peer's credentials make sure of it.
        ucred peer{};
        socklen_t size = sizeof peer;
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0 && peer.uid == ::getuid())
            Converse(fd);
        ::close(fd);
    }
}

void ControlServer::Converse(int fd)
{
    std::string buffer, line;
    while (ReadLine(fd, buffer, line))
    {
        json::object answer;
        boost::system::error_code ec;
        json::value request = json::parse(line, ec);
        if (ec || !request.is_object())
            answer = Failure("a request is one JSON object per line");
        else
            answer = Handle(request.as_object());
        if (!WriteAll(fd, json::serialize(answer) + "\n"))
            return;
    }
}

uint64_t ControlServer::RelaySession(int64_t storeId)
{
    for (uint64_t id : m_capture.Relay().LiveWebSocketSessions())
        if (m_capture.Recorder().StoreSession(id) == storeId)
            return id;
    return 0;
}

json::object ControlServer::Handle(const json::object& request)
{
    proxy::Relay& relay = m_capture.Relay();
    const std::string op = Text(request, "op");
    try
    {
        if (op == "held")
        {
            json::array held;
            const int64_t now = capture::WallNs();
            for (const proxy::Relay::Held& h : relay.HeldMessages())
                held.push_back({{"id", h.message.id},
                                {"session", m_capture.Recorder().StoreSession(h.session)},
                                {"dir", h.message.to == proxy::Side::Upstream ? "c2s" : "s2c"},
                                {"rule", h.message.rule},
                                {"age_ms", (now - h.message.sinceNs) / 1000000},
                                {"releases_in_ms", std::max<int64_t>(0, (h.message.dueNs - now) / 1000000)},
                                {"message", h.message.payload}});
            return {{"ok", true}, {"held", std::move(held)}};
        }
        if (op == "release" || op == "drop")
        {
            std::optional<std::string> edited;
            if (const json::value* edit = request.if_contains("edit"))
            {
                if (!edit->is_string())
                    return Failure("edit must be the message's new text");
                boost::system::error_code ec;
                if (json::value v = json::parse(edit->get_string(), ec); ec || !v.is_object())
                    return Failure("the edited message is not a JSON object; it stays held");
                edited = std::string(edit->get_string());
            }
            const int64_t id = Integer(request, "id", 0);
            if (!relay.AnswerHeld(static_cast<uint64_t>(id), op == "drop", std::move(edited)))
                return Failure("no message is held under id " + std::to_string(id));
            return {{"ok", true}};
        }
        if (op == "break")
        {
            relay.AddBreakpoint(Text(request, "rule"));
            return {{"ok", true}};
        }
        if (op == "unbreak")
        {
            if (!relay.RemoveBreakpoint(Text(request, "name")))
                return Failure("no breakpoint named '" + Text(request, "name") + "'");
            return {{"ok", true}};
        }
        if (op == "breaks")
        {
            json::array names;
            for (const std::string& name : relay.Breakpoints())
                names.push_back(json::string(name));
            return {{"ok", true}, {"breakpoints", std::move(names)}};
        }
        if (op == "inject" || op == "close")
        {
            const int64_t storeId = Integer(request, "session", 0);
            const uint64_t session = RelaySession(storeId);
            if (!session)
                return Failure("session " + std::to_string(storeId) + " is not a live WebSocket session of this proxy");
            if (op == "close")
            {
                relay.CloseSession(session, static_cast<uint16_t>(Integer(request, "code", 1000)),
                                   Text(request, "reason"));
                return {{"ok", true}};
            }
            const json::value* body = request.if_contains("request");
            if (!body || !body->is_object() || !body->as_object().contains("command"))
                return Failure("request must be a JSON object with a command");
            auto seq = relay.Inject(session, body->as_object());
            if (!seq)
                return Failure("session " + std::to_string(storeId) + " ended");
            // Wait here, not on the relay's thread, for the engine's answer.
            const auto end = std::chrono::steady_clock::now() +
                             std::chrono::milliseconds(Integer(request, "wait_ms", kDefaultInjectWaitMs));
            while (std::chrono::steady_clock::now() < end)
            {
                if (auto response = relay.InjectedResponse(session, *seq))
                {
                    boost::system::error_code ec;
                    json::value parsed = json::parse(*response, ec);
                    return {{"ok", true}, {"seq", *seq}, {"response", ec ? json::value(*response) : parsed}};
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            return {{"ok", true}, {"seq", *seq}, {"response", nullptr}};
        }
        return Failure("unknown op '" + op + "' (held, release, drop, break, unbreak, breaks, inject, close)");
    }
    catch (const std::exception& e)
    {
        return Failure(e.what());
    }
}

json::object ControlCall(const std::string& path, const json::object& request)
{
    sockaddr_un address = Address(path);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    {
        std::string why = std::strerror(errno);
        if (fd >= 0)
            ::close(fd);
        throw std::runtime_error("no proxy answers on " + path + " (" + why +
                                 "); start one with `dapscope proxy --control` on the same --db");
    }
    std::string buffer, line;
    bool ok = WriteAll(fd, json::serialize(request) + "\n") && ReadLine(fd, buffer, line);
    ::close(fd);
    boost::system::error_code ec;
    json::value answer = ok ? json::parse(line, ec) : json::value();
    if (!ok || ec || !answer.is_object())
        throw std::runtime_error("the proxy on " + path + " did not answer");
    return answer.as_object();
}

} // namespace dapscope::cli
