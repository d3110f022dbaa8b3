#pragma once
// The relay benchmark's WebSocket client and echo engine: plain blocking sockets and a minimal RFC 6455 framing
// that moves payloads in bulk (large payloads are received straight into the message, a frame goes out in one
// send), so that neither end is the bottleneck of what is measured between them. No extension is offered or
// accepted.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dapscope::bench
{

enum Opcode : uint8_t
{
    Continuation = 0,
    Text = 1,
    Binary = 2,
    Close = 8,
    Ping = 9,
    Pong = 10,
};

// Bytes that grow without being zero-filled: a 1 MiB payload is received straight into them.
class Bytes
{
  public:
    uint8_t* Data() { return m_data.get(); }
    const uint8_t* Data() const { return m_data.get(); }
    size_t Size() const { return m_size; }
    std::string_view View() const { return {reinterpret_cast<const char*>(m_data.get()), m_size}; }
    // Keeps the first min(size, Size()) bytes; new bytes are uninitialized.
    void Resize(size_t size);

  private:
    std::unique_ptr<uint8_t[]> m_data;
    size_t m_size = 0;
    size_t m_capacity = 0;
};

struct Message
{
    uint8_t opcode = 0;
    Bytes payload;
};

// Reads an HTTP head and then whole messages from a blocking socket. Headers come from a large buffer filled
// in bulk; the part of a large payload not yet buffered is received in place.
class MessageReader
{
  public:
    explicit MessageReader(int fd);
    // Up to and including the blank line; bytes after it stay buffered.
    bool ReadHead(std::string& head, size_t limit);
    // The next message, unmasked, fragments joined; a control frame is returned as a message of its own (also in
    // the middle of a fragmented one). `masked`: whether the peer must mask (it is a client). false on end of
    // stream, timeout, socket error or protocol error, with Error() saying which.
    bool Read(Message& message, bool masked);
    const std::string& Error() const { return m_error; }

  private:
    bool Fill(size_t need);
    bool ReadInto(uint8_t* out, size_t size);

    int m_fd;
    std::unique_ptr<uint8_t[]> m_buffer;
    size_t m_begin = 0;
    size_t m_end = 0;
    Bytes m_partial; // a fragmented message being joined
    uint8_t m_partialOpcode = 0;
    bool m_inMessage = false;
    std::string m_error;
};

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2: base64 of SHA-1 of key + GUID).
std::string AcceptKey(std::string_view key);

// An echo engine on 127.0.0.1 (any path): one thread per connection echoes every text or binary message back
// as one unmasked frame of the same type, answers pings and returns the close frame.
class EchoEngine
{
  public:
    EchoEngine();
    ~EchoEngine();
    EchoEngine(const EchoEngine&) = delete;
    EchoEngine& operator=(const EchoEngine&) = delete;
    int Port() const { return m_port; }

  private:
    void Accept();
    void Serve(int fd);

    int m_listen = -1;
    int m_port = 0;
    std::atomic<bool> m_stopping{false};
    std::thread m_acceptor;
    std::mutex m_mutex;
    std::vector<int> m_fds; // closed at the end only, so no fd number is reused while a thread may use it
    std::vector<std::thread> m_threads;
};

// A client connection to ws://127.0.0.1:port/path. Send and Receive may run on two threads at once (one each).
class Client
{
  public:
    // Connects and completes the opening handshake; throws std::runtime_error (why) on failure. Every read and
    // write fails after `timeout` without progress.
    static std::unique_ptr<Client> Connect(int port, const std::string& path, std::chrono::seconds timeout);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // One masked frame with FIN set, written with one send.
    bool Send(uint8_t opcode, const uint8_t* payload, size_t size);
    bool Send(uint8_t opcode, std::string_view payload)
    {
        return Send(opcode, reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
    }
    // The next text or binary message (pings and pongs are skipped); false on close, timeout or error.
    bool Receive(Message& message);
    // Close handshake (1000), then the socket is closed.
    void Close();
    // Makes a Send or Receive blocked on another thread fail at once.
    void Abort();

    const std::string& SendError() const { return m_sendError; }
    const std::string& ReceiveError() const { return m_receiveError; }
    // Payload bytes of text and binary messages, each way.
    uint64_t PayloadSent() const { return m_payloadSent; }
    uint64_t PayloadReceived() const { return m_payloadReceived; }
    uint64_t MessagesSent() const { return m_messagesSent; }
    uint64_t MessagesReceived() const { return m_messagesReceived; }

  private:
    explicit Client(int fd);

    int m_fd;
    MessageReader m_reader;
    Bytes m_frame;   // header + masked payload of the frame being sent
    uint64_t m_prng; // mask keys
    std::string m_sendError;
    std::string m_receiveError;
    uint64_t m_payloadSent = 0;
    uint64_t m_payloadReceived = 0;
    uint64_t m_messagesSent = 0;
    uint64_t m_messagesReceived = 0;
};

} // namespace dapscope::bench
