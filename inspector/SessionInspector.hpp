#pragma once
// The inspector's front door: one SessionInspector per captured session, fed complete messages in wire order.
// It decodes, redacts, correlates and links; it never throws past this API, whatever the bytes.

#include "Envelope.hpp"
#include "Redactor.hpp"
#include "Types.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::inspector
{

// What an HTTP message adds to its row (plain HTTP on the proxy port, or an upgrade the engine refused).
struct HttpFields
{
    std::string method; // requests
    std::string target; // requests: path and query, secrets redacted
    int status = 0;     // responses
    std::string head;   // the whole head, secrets redacted
    bool redacted = false; // the head had credentials replaced
};

// One HTTP message as captured: its head as it went over the wire and its body, de-chunked.
struct HttpWireMessage
{
    Direction dir = Direction::ClientToServer; // c2s: a request
    int64_t firstByteNs = 0;
    int64_t lastByteNs = 0;
    std::string_view head;  // start line to the empty line
    std::string_view body;  // captured body bytes (a prefix when truncated)
    bool truncated = false; // body is a prefix of the message's body
};

// One message after inspection: what the store keeps next to (or instead of) the raw bytes.
struct InspectedMessage
{
    MessageId id = 0;                          // the caller's id passed to Feed
    Envelope envelope;                         // decoded fields; string values already redacted
    std::optional<std::string> redactedBytes;  // set when secrets were replaced: store these instead of the wire bytes
    std::string task;                          // task display id ("5d41402a.webhook_1") when known, else ""
    std::optional<int64_t> pipeId;             // rrext_process pipe this message belongs to, when known
    ExchangeState state = ExchangeState::None; // where the message stands in its request/response exchange
    std::optional<MessageId> pairId;           // the request of a response, or the response of a request
    std::optional<int64_t> latencyNs;          // response first byte - request last byte (on both sides)
    std::optional<HttpFields> http;            // HTTP messages only
};

// A change to a message fed earlier (a request gets answered, a pending request ends unanswered, a task becomes known).
struct MessageUpdate
{
    MessageId id = 0;                          // the message that changed
    ExchangeState state = ExchangeState::None; // its new state
    std::optional<MessageId> pairId;           // its response, when it got one
    std::optional<int64_t> latencyNs;          // of the exchange, when answered
    std::string task;                          // "" = unchanged
    std::optional<int64_t> pipeId;             // its pipe, once known (the rrext_process open request)
};

struct FeedResult
{
    InspectedMessage message;           // the message just fed
    std::vector<MessageUpdate> updates; // changes to messages fed earlier
};

enum class AuthOutcome : uint8_t
{
    None,      // no auth seen
    Pending,   // auth sent, no answer yet
    Succeeded, // last auth answered success:true
    Failed,    // last auth answered success:false
};

// Facts about the session learned from its messages.
struct SessionFacts
{
    std::string clientName;               // auth arguments.clientName
    std::string clientVersion;            // auth arguments.clientVersion
    AuthOutcome auth = AuthOutcome::None; // outcome of the last auth request
    std::string authMessage;              // failure message of the last auth (redacted)
};

class SessionInspector
{
  public:
    explicit SessionInspector(RedactionPolicy policy = {});
    ~SessionInspector();
    SessionInspector(SessionInspector&&) noexcept;
    SessionInspector& operator=(SessionInspector&&) noexcept;

    // Feed the next message of the session (ids are the caller's, increasing). Never throws.
    FeedResult Feed(MessageId id, const WireMessage& message);

    // An HTTP request's head arrived (its message id is `id`): it waits for an answer from now on, even before
    // its body ends (an engine may answer early, e.g. 100 Continue or 401).
    void HttpRequestBegins(MessageId id, int64_t firstByteNs);
    // Feed the next complete HTTP message of the session. Responses pair with requests in order (HTTP/1.1
    // answers in request order); 1xx interim responses pair with nothing. A request fed without
    // HttpRequestBegins joins the queue now. Never throws.
    FeedResult FeedHttp(MessageId id, const HttpWireMessage& message);
    // A request target with credentials in its query redacted ("/task?auth=[redacted:1a2b3c4d]").
    std::string RedactTarget(std::string_view target);
    // A head with its credentials redacted (the heads of a WebSocket upgrade, kept with the session); the
    // secrets in it are learned for the rest of the session.
    std::string RedactHead(std::string_view head);

    // The session ended: every pending request becomes Unanswered.
    std::vector<MessageUpdate> Finish();

    // Replace every secret learned so far in this session (e.g. the API key seen in auth) inside bytes
    // that are not decoded as JSON, such as streamed payload chunks. Returns true if anything changed.
    bool ScrubKnownSecrets(std::string& bytes) const;

    const SessionFacts& Facts() const;

  private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace dapscope::inspector
