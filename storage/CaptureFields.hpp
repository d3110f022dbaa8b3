#pragma once
// What dapscope's own exports say of a session and of each message beyond the bytes: the one definition of
// those fields, written by export (HAR `_dapscope`, JSONL lines) and read back by import, so that export,
// import and export again give the same messages — sizes as received, flags, exact times, wire sizes, HTTP
// heads. Foreign files (Chrome, mitmproxy) have none of them; every field is optional on reading.
// Pure (Boost.JSON): part of the fuzzed file-format library.

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace dapscope::storage
{

// A field present with the wrong type or an impossible value; what() names the field.
class CaptureFieldError : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

struct MessageCapture
{
    std::optional<int64_t> tsNs;      // first byte, ns since the epoch
    std::optional<int64_t> durNs;     // last byte - first byte
    std::optional<uint64_t> size;     // the message as received (decompressed, before redaction)
    std::optional<uint64_t> wireSize; // bytes on the wire
    bool truncated = false;           // the bytes are a prefix (--max-capture-bytes, cut off)
    bool elided = false;              // the capture fell behind and dropped bytes
    bool redacted = false;            // secrets were replaced by markers before storing
    bool generated = false;           // the proxy wrote it itself
    std::string kind;                 // "http_request" / "http_response" for HTTP messages, else ""
    std::string headers;              // HTTP: the head as stored (redacted)
    std::string rule;                 // what a rule did to it: the rule ("" none or the proxy's renumbering),
    std::string action;               // what it did ("" nothing),
    std::string outcome;              // forwarded, rewritten, replaced, dropped or synthesized
};

struct SessionCapture
{
    std::string protocol;                   // "websocket" / "http" ("" unknown)
    std::optional<std::string> extensions;  // negotiated Sec-WebSocket-Extensions
    std::optional<std::string> subprotocol; // negotiated Sec-WebSocket-Protocol
    std::string handshake;                  // the upgrade request and 101 heads (redacted)
    bool rules = false;                     // relayed with rules or the control endpoint on
};

void WriteMessageCapture(const MessageCapture& fields, boost::json::object& out);
// Throws CaptureFieldError.
MessageCapture ReadMessageCapture(const boost::json::object& in);

void WriteSessionCapture(const SessionCapture& fields, boost::json::object& out);
// Throws CaptureFieldError.
SessionCapture ReadSessionCapture(const boost::json::object& in);

} // namespace dapscope::storage
