#pragma once
// Message framing of one direction of an HTTP/1.1 connection (Debian's http-parser, plus the checks it skips:
// RELAY-NOTES §2.3 and §5). Fed the bytes as they are read, it says which bytes are a message head (kept
// until complete, so it can be rewritten), which are body bytes to pass on untouched, where each message ends,
// and where the connection stops being HTTP (after a 101). Used by the relay on its loop thread: it never
// copies body bytes, it only points into the fed buffer.
//
// Events of one message come in the order Head, Body*, End; messages follow one another (keep-alive,
// pipelining). Upgrade and Tunnel come right after an End, and Error ends everything: each of the three is the
// last event of its Feed. Body events of one Feed have increasing, non-overlapping ranges. Empty lines (CRLF)
// before a head are dropped, reported by no event (RFC 9112 §2.2). A head is judged as a whole before it is
// reported, so a rejected head gives a lone Error and nothing of it is to be forwarded; an Error inside a
// body comes after that body's earlier Body events, and the body bytes of the failing Feed are not reported.

#include "Http.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::wire
{

struct HttpEvent
{
    enum class Type : uint8_t
    {
        Head,    // a complete head: `raw` (start line .. empty line, possibly gathered over several feeds), `head`
        Body,    // body bytes in the fed buffer [offset, offset+length): forward them as they are (chunk framing
                 // included); `data` = the de-chunked body bytes among them (views into the fed buffer)
        End,     // the message is complete
        Upgrade, // Request role, after the End of a request that asked for an upgrade: the stream stops at
                 // `offset` (those bytes are not consumed) until the answer is known. Not a 101: call
                 // ResumeHttp() and feed the bytes from `offset` again. A 101: they are tunnel bytes.
        Tunnel,  // Response role, after the End of a 101: the fed bytes from `offset` on are not HTTP
        Error,   // the stream is invalid: answer `status` (requests: 400/431/501, or 0 from Finish: nobody to
                 // answer; responses: 502) and close
    };
    Type type = Type::Body;
    std::string raw;                    // Head
    HttpHead head;                      // Head
    size_t offset = 0;                  // Body, Upgrade, Tunnel
    size_t length = 0;                  // Body
    std::vector<std::string_view> data; // Body
    int status = 0;                     // Error
    std::string reason;                 // Error: a short English phrase for the client and the log (what
                                        // was wrong, e.g. "obs-fold (a field line continued)"; not a
                                        // standard reason phrase for a status line)
};

class HttpStream
{
  public:
    enum class Role : uint8_t
    {
        Request,  // client -> server
        Response, // server -> client
    };

    // `maxHeadBytes` bounds a head (empty lines before it included): beyond it, Error 431 (requests) / 502.
    // It also bounds each chunk-size line and trailer section (Error 400 / 502). http-parser's own process-wide
    // limit on a head (80 KiB) applies too.
    explicit HttpStream(Role role, size_t maxHeadBytes = 64 * 1024);
    ~HttpStream();
    HttpStream(HttpStream&&) noexcept;
    HttpStream& operator=(HttpStream&&) noexcept;

    // Response role: the next response answers a request with this method, which asked for an upgrade or not
    // (HEAD and 1xx/204/304 have no body; 101 is only valid after an upgrade request). Call once per request,
    // in request order, before the request goes upstream: a response that answers no request is an Error.
    // A Request-role stream asks for an upgrade (Upgrade event) only for an HTTP/1.1 request with an Upgrade
    // field and the "upgrade" Connection token (RFC 9110 §7.8: Upgrade in HTTP/1.0 is ignored); pass the same.
    // Ignored in the Request role.
    void ExpectResponseTo(std::string_view method, bool upgradeRequested);

    // Feed the next bytes; the events they complete are appended to `events` (cleared first). After Upgrade
    // (until ResumeHttp), Tunnel or Error, Feed takes nothing and returns no events; so it does after the End
    // of a message that closes the connection (RFC 9112 §9.6: nothing more is processed) and after Finish.
    void Feed(std::string_view bytes, std::vector<HttpEvent>& events);
    // The connection was closed by the sender: ends a body read until close (End), or reports a message cut
    // short, even inside its head (Error). No event when no message was open.
    void Finish(std::vector<HttpEvent>& events);

    // After Upgrade: the answer was not a 101, the connection goes on as HTTP.
    void ResumeHttp();

    // A head has been reported and its message is not complete. Stays true after an Error inside a body, so
    // the relay knows the head already went out.
    bool MessageOpen() const;
    // The last message (a 1xx other than 101 aside) ends the connection: Connection: close, an HTTP/1.0
    // request (a proxy keeps no persistent connection with a 1.0 client, RFC 9112 §9.3), an HTTP/1.0
    // response without keep-alive, or a response read until close. Known from its Head on.
    bool CloseAfterMessage() const;

  private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace dapscope::wire
