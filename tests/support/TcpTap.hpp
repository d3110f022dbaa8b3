#pragma once
// A TCP forwarder on loopback for tests: accepts on a port the kernel picks, connects each accepted connection
// onward to a target port, forwards both directions unchanged (a thread per direction, blocking sockets) and
// records every byte of each direction, so a test can compare what one side put on the wire with what reached
// the other. An end-of-stream is passed on as a half-close (shutdown SHUT_WR).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dapscope::test
{

class TcpTap
{
  public:
    explicit TcpTap(int targetPort); // throws std::runtime_error when it cannot listen
    ~TcpTap();                       // cuts every connection and joins the threads
    TcpTap(const TcpTap&) = delete;
    TcpTap& operator=(const TcpTap&) = delete;

    int Port() const { return m_port; }

    // What one accepted connection carried so far.
    struct Stream
    {
        std::string toTarget;   // bytes read from the accepting side and written to the target
        std::string fromTarget; // bytes read from the target and written back
        bool toTargetEnded = false;
        bool fromTargetEnded = false;
        bool connected = false; // the onward connection was made
    };
    // Every accepted connection, in accept order.
    std::vector<Stream> Streams();
    size_t Accepted();
    // Wait until connection `index` exists and both of its directions ended; false on timeout.
    bool WaitEnded(size_t index, std::chrono::milliseconds timeout);
    // Wait until connection `index` has carried at least this many bytes each way; false on timeout.
    bool WaitBytes(size_t index, size_t toTarget, size_t fromTarget, std::chrono::milliseconds timeout);

  private:
    struct Connection;
    void AcceptLoop();
    void Pump(Connection& connection, bool toTarget);

    int m_targetPort;
    int m_listenFd = -1;
    int m_port = 0;
    std::mutex m_mutex; // guards m_connections' streams and m_stopping
    std::condition_variable m_changed;
    bool m_stopping = false;
    std::vector<std::unique_ptr<Connection>> m_connections;
    std::thread m_acceptThread;
};

} // namespace dapscope::test
