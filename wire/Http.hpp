#pragma once
// HTTP/1.1 message heads (RFC 9110/9112): parsed fields, the relay's rewrite of a request head (everything
// byte-exact but Host, X-Forwarded-*, and dapscope's own token), and the short responses the proxy itself
// generates (400, 401, 502, 504, ...).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::wire
{

struct HttpHeader
{
    std::string name;  // as sent (case kept)
    std::string value; // without surrounding OWS
};

struct HttpHead
{
    bool request = true;
    std::string method; // requests
    std::string target; // requests: origin-form path and query, as sent
    int status = 0;     // responses
    std::string reason; // responses
    int versionMajor = 1;
    int versionMinor = 1;
    std::vector<HttpHeader> headers; // in order, repeated names kept

    // First value of `name` (case-insensitive), or nullptr.
    const std::string* Find(std::string_view name) const;
    // Every value of `name` joined with ", " ("" when absent).
    std::string Joined(std::string_view name) const;
    // `token` is in the comma-separated list of some `name` value (case-insensitive), e.g. Connection: upgrade.
    bool HasToken(std::string_view name, std::string_view token) const;
    // A WebSocket upgrade request (HTTP/1.1, Upgrade: websocket, Connection: upgrade).
    bool IsWebSocketUpgrade() const;
};

// Parse a complete, already validated head (start line to the empty line). nullopt if it does not parse:
// lines must end with CRLF, field names be tokens right before their colon (so no obs-fold), the version be
// HTTP/d.d, and nothing may follow the empty line. A status line without a reason phrase is accepted.
std::optional<HttpHead> ParseHead(std::string_view raw, bool request);

struct RequestRewrite
{
    std::string host;                     // new Host value (the upstream's host[:port]); "" keeps Host as sent
    std::string forwardedFor;             // client IP appended to any X-Forwarded-For chain the client sent
    std::string forwardedProto;           // "http" / "https": replaces any X-Forwarded-Proto the client sent
    std::vector<std::string> dropHeaders; // removed in every occurrence, case-insensitive (e.g. "X-Dapscope-Token")
    std::string dropQueryArg;             // removed from the target's query (e.g. "dapscope_token"), every
                                          // occurrence, names compared after %XX decoding
};

// The head to send upstream: the client's bytes with only the changes above. Header order, case, spacing
// and line endings of every other line are kept (on the Host line, the name and the whitespace around the
// value too). X-Forwarded-For (the non-empty values of `head`'s X-Forwarded-For lines, then forwardedFor) and
// -Proto are written as one line each, at the end of the head, with the head's own line ending; a head
// without Host gets "Host: <host>" there first. `head` is ParseHead(raw).
std::string RewriteRequestHead(std::string_view raw, const HttpHead& head, const RequestRewrite& rewrite);

// A complete response the proxy sends itself: status line, Content-Type text/plain, Content-Length,
// Connection: close, any `extraHeaders` ("Name: value" lines without CRLF), and `body`. Control characters
// (CR and LF included) are removed from `reason` and `extraHeaders`, so neither can split the head.
std::string GeneratedResponse(int status, std::string_view reason, std::string_view body,
                              const std::vector<std::string>& extraHeaders = {});

} // namespace dapscope::wire
