#pragma once
// An in-process stand-in for the engine in relay tests: echoes every message back (same opcode), remembers
// what it saw, and can be told to close a connection with a given code.

#include "net/EventLoop.hpp"
#include "net/WsServer.hpp"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::test
{

class EchoUpstream
{
  public:
    explicit EchoUpstream(net::WsServerOptions options = {});
    int Port() const { return m_server->Port(); }

    // Handshakes seen so far: path and headers of each accepted connection, in order.
    struct Handshake
    {
        std::string path;
        std::map<std::string, std::string> headers;
    };
    std::vector<Handshake> Handshakes();
    // Close info of the first connection that closed, waiting up to `timeout`.
    std::optional<net::WsCloseInfo> WaitForClose(std::chrono::milliseconds timeout);
    // Close every open connection with this code and reason.
    void CloseAll(uint16_t code, const std::string& reason);
    // Send a message on every open connection.
    void Broadcast(net::FrameType type, const std::string& data, size_t fragmentSize = 0);
    size_t Messages(); // messages received so far
    net::EventLoop& Loop() { return m_loop; }

  private:
    net::EventLoop m_loop{"echo-upstream"};
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::vector<Handshake> m_handshakes;
    std::vector<net::WsCloseInfo> m_closes;
    size_t m_messages = 0;
    std::unique_ptr<net::WsServer> m_server;
};

} // namespace dapscope::test
