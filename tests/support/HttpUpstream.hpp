#pragma once
// Plain HTTP on loopback for relay tests, with blocking sockets and a thread per connection:
// - HttpUpstream, a scriptable stand-in for the engine's HTTP routes: frames requests with dapscope's own
//   parser (wire::HttpStream), records each one exactly as received, and answers what the test's handler says;
// - RawHttpConnection, a client that writes bytes as given and reads responses with a small framing of its own
//   (independent of wire/), for comparing exactly what came back.

#include "wire/Http.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dapscope::test
{

// One request as the upstream received it.
struct ReceivedRequest
{
    size_t connection = 0; // which connection (accept order, from 0)
    std::string rawHead;   // start line to the empty line, as received
    std::string rawBody;   // body bytes as received (chunk framing included)
    wire::HttpHead head;
    std::string body; // de-chunked
};

// What the upstream writes back: `bytes` as they are (a whole response, or several, e.g. 100 then 200).
struct HttpReply
{
    std::string bytes;
    bool close = false; // close the connection once written
};

// A response with Content-Length; each header is a "Name: value" line without CRLF.
std::string HttpResponseBytes(int status, std::string_view reason, std::string_view body,
                              const std::vector<std::string>& headers = {});
// A chunked response: one chunk per element (empty elements are skipped: a 0-size chunk ends the body).
std::string ChunkedResponseBytes(int status, std::string_view reason, const std::vector<std::string>& chunks,
                                 const std::vector<std::string>& headers = {});

struct HttpUpstreamOptions
{
    bool answerExpect = true; // write "100 Continue" as soon as a head with Expect: 100-continue arrives
    // Called when a head arrives (the request has no body yet): a reply is written at once, and the handler is
    // not called for that request once it is complete (like a server refusing before it reads the body).
    std::function<std::optional<HttpReply>(const ReceivedRequest&)> onHead;
};

class HttpUpstream
{
  public:
    using Handler = std::function<HttpReply(const ReceivedRequest&)>;

    // Listens on a port the kernel picks. Without a handler every request gets 200 "ok".
    explicit HttpUpstream(Handler handler = {}, HttpUpstreamOptions options = {});
    ~HttpUpstream(); // closes every connection and joins the threads
    HttpUpstream(const HttpUpstream&) = delete;
    HttpUpstream& operator=(const HttpUpstream&) = delete;

    int Port() const { return m_port; }

    // Complete requests received so far, in arrival order.
    std::vector<ReceivedRequest> Requests();
    bool WaitForRequests(size_t count, std::chrono::milliseconds timeout);
    // Connections accepted so far.
    size_t Accepted();
    // Every byte read on connection `index` ("" when there is no such connection).
    std::string Received(size_t index);
    // Bytes read on all connections together.
    size_t BytesReceived();
    // Framing errors the parser reported (one line each).
    std::vector<std::string> Errors();

  private:
    struct Connection;
    void AcceptLoop();
    void Serve(Connection& connection, size_t index);

    Handler m_handler;
    HttpUpstreamOptions m_options;
    int m_listenFd = -1;
    int m_port = 0;
    std::mutex m_mutex; // guards everything below
    std::condition_variable m_changed;
    bool m_stopping = false;
    std::vector<std::unique_ptr<Connection>> m_connections;
    std::vector<ReceivedRequest> m_requests;
    std::vector<std::string> m_errors;
    std::thread m_acceptThread;
};

// A response as RawHttpConnection read it.
struct ReadResponse
{
    std::string raw; // every byte of it, head and body as they came
    std::string head;
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers; // names lower-cased
    std::string body;                                         // de-chunked

    // Value of the first header of that name (lower-case), or nullopt.
    std::optional<std::string> Header(std::string_view name) const;
};

class RawHttpConnection
{
  public:
    explicit RawHttpConnection(int port);
    ~RawHttpConnection();
    RawHttpConnection(const RawHttpConnection&) = delete;
    RawHttpConnection& operator=(const RawHttpConnection&) = delete;

    bool Connected() const { return m_fd >= 0; }
    bool Send(std::string_view bytes);
    // The next response (a 1xx is one response), framed by its head: no body for 1xx/204/304 or when it
    // answers HEAD, else chunked, Content-Length, or up to the connection's end. nullopt when it is not complete
    // within `timeout`.
    std::optional<ReadResponse> Read(std::chrono::milliseconds timeout, bool answersHead = false);
    // Read until at least `bytes` bytes wait in Pending(); false on timeout or end of stream.
    bool WaitPending(size_t bytes, std::chrono::milliseconds timeout);
    // The peer closed the connection within `timeout`, sending nothing more.
    bool WaitClosed(std::chrono::milliseconds timeout);
    // Bytes read and not yet returned as a response.
    const std::string& Pending() const { return m_buffer; }

  private:
    // Read more bytes into m_buffer until the deadline; false on timeout or end of stream.
    bool Fill(std::chrono::steady_clock::time_point deadline);

    int m_fd = -1;
    std::string m_buffer;
    bool m_eof = false;
};

} // namespace dapscope::test
