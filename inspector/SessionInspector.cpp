// The per-session pipeline: decode -> correlate and link (on the original values) -> redact -> facts.
#include "SessionInspector.hpp"
#include "Correlator.hpp"
#include "JsonReader.hpp"
#include "MessageDecoder.hpp"
#include "MessageRedactor.hpp"
#include "TaskLinker.hpp"

#include <algorithm>
#include <deque>
#include <map>

namespace dapscope::inspector
{
namespace
{

// Arena kept for parsing: most DAP messages are far smaller, so parsing them allocates nothing.
constexpr size_t ReaderArenaBytes = 64 * 1024;

} // namespace

struct SessionInspector::State
{
    explicit State(const RedactionPolicy& policy) : reader(ReaderArenaBytes), redactor(policy) {}

    void ProcessRequest(MessageId id, const WireMessage& wire, DecodedMessage& decoded, InspectedMessage& out);
    std::string ProcessResponse(MessageId id, const WireMessage& wire, DecodedMessage& decoded, FeedResult& result);
    void ProcessEvent(const DecodedMessage& decoded, InspectedMessage& out) const;
    void RecordFacts(const DecodedMessage& decoded, std::string_view requestCommand);

    JsonReader reader;        // parses every message of the session into a reused arena
    MessageRedactor redactor; // redaction policy and the secrets learned so far
    Correlator correlator;    // pending requests, pairing and latency
    TaskLinker linker;        // tokens, tasks and open pipes
    SessionFacts facts;       // client identity and auth outcome

    struct PendingHttp
    {
        MessageId id;
        int64_t firstByteNs;
        std::optional<int64_t> lastByteNs; // once the request is complete (fed)
    };
    struct EarlyAnswer
    {
        MessageId response;
        int64_t latencyNs;
    };
    std::deque<PendingHttp> httpRequests;               // HTTP requests not answered yet, in order
    std::map<MessageId, EarlyAnswer> answeredBeforeEnd; // requests answered before they were complete
};

void SessionInspector::State::ProcessRequest(MessageId id, const WireMessage& wire, DecodedMessage& decoded,
                                             InspectedMessage& out)
{
    const Envelope& env = decoded.envelope;
    RequestLink link = linker.OnRequest(env, *decoded.root);
    out.task = link.task;
    out.pipeId = link.pipeId;
    out.state =
        correlator.AddRequest(wire.dir, *env.seq, {id, env.command, wire.lastByteNs, std::move(link), env.subcommand});
}

std::string SessionInspector::State::ProcessResponse(MessageId id, const WireMessage& wire, DecodedMessage& decoded,
                                                     FeedResult& result)
{
    const Envelope& env = decoded.envelope;
    InspectedMessage& out = result.message;
    auto pairing = correlator.MatchResponse(wire.dir, *env.requestSeq, env.command, wire.firstByteNs);
    if (!pairing)
    {
        out.state = ExchangeState::Orphan;
        return {};
    }
    const PendingRequest& request = pairing->request;
    ResponseLink link = linker.OnResponse(env, *decoded.root, request.command, request.link);
    out.state = pairing->state;
    out.pairId = request.id;
    if (decoded.envelope.subcommand.empty())
        decoded.envelope.subcommand = request.subcommand; // responses carry no arguments
    out.latencyNs = pairing->latencyNs;
    out.task = std::move(link.response.task);
    out.pipeId = link.response.pipeId;

    MessageUpdate& update = result.updates.emplace_back();
    update.id = request.id;
    update.state = pairing->state;
    update.pairId = id;
    update.latencyNs = pairing->latencyNs;
    update.task = std::move(link.requestTask);
    update.pipeId = link.requestPipeId;
    return std::move(pairing->request.command);
}

void SessionInspector::State::ProcessEvent(const DecodedMessage& decoded, InspectedMessage& out) const
{
    MessageLink link = linker.OnEvent(decoded.envelope, *decoded.root);
    out.task = std::move(link.task);
    out.pipeId = link.pipeId;
}

void SessionInspector::State::RecordFacts(const DecodedMessage& decoded, std::string_view requestCommand)
{
    // Read after redaction, so a user rule on these fields is honoured.
    const Envelope& env = decoded.envelope;
    if (env.kind == Kind::Request && env.command == "auth")
    {
        const auto* arguments = ObjectMember(decoded.root, "arguments");
        if (const auto name = StringMember(arguments, "clientName"); !name.empty())
            facts.clientName = name;
        if (const auto version = StringMember(arguments, "clientVersion"); !version.empty())
            facts.clientVersion = version;
        facts.auth = AuthOutcome::Pending;
    }
    else if (env.kind == Kind::Response && requestCommand == "auth")
    {
        const bool succeeded = env.success.value_or(true); // the SDKs treat a missing success as success
        facts.auth = succeeded ? AuthOutcome::Succeeded : AuthOutcome::Failed;
        facts.authMessage = succeeded ? std::string() : env.message;
    }
}

SessionInspector::SessionInspector(RedactionPolicy policy) : m_state(std::make_unique<State>(policy)) {}
SessionInspector::~SessionInspector() = default;
SessionInspector::SessionInspector(SessionInspector&&) noexcept = default;
SessionInspector& SessionInspector::operator=(SessionInspector&&) noexcept = default;

FeedResult SessionInspector::Feed(MessageId id, const WireMessage& message)
{
    FeedResult result;
    try
    {
        State& state = *m_state;
        if (!message.problem.empty())
        {
            // The transport could not decode it (a corrupt compressed message, bytes lost): keep what there is,
            // with every known secret scrubbed, and trust none of it.
            result.message.id = id;
            result.message.envelope.kind = Kind::Malformed;
            result.message.envelope.malformedReason = std::string(message.problem);
            std::string bytes(message.bytes);
            if (state.redactor.ScrubKnownSecrets(bytes))
                result.message.redactedBytes = std::move(bytes);
            return result;
        }
        DecodedMessage decoded;
        DecodeMessage(state.reader, message.opcode, message.bytes, message.size, message.truncated, decoded);
        std::string requestCommand;
        switch (message.aside ? Kind::Malformed : decoded.envelope.kind)
        {
        case Kind::Request:
            state.ProcessRequest(id, message, decoded, result.message);
            break;
        case Kind::Response:
            requestCommand = state.ProcessResponse(id, message, decoded, result);
            break;
        case Kind::Event:
            state.ProcessEvent(decoded, result.message);
            break;
        default:
            break;
        }
        result.message.redactedBytes = state.redactor.Redact(decoded, message.bytes, message.truncated, requestCommand);
        state.RecordFacts(decoded, requestCommand);
        result.message.id = id;
        result.message.envelope = std::move(decoded.envelope);
    }
    catch (...) // e.g. allocation failure: keep the message, but trust none of it
    {
        result = FeedResult{};
        result.message.id = id;
        result.message.envelope.malformedReason = "internal error";
        if (m_state->redactor.Enabled())
            result.message.redactedBytes.emplace(); // store no bytes at all
    }
    return result;
}

namespace
{
// "GET /x HTTP/1.1" -> method and target; "HTTP/1.1 404 Not Found" -> status.
void ParseStartLine(std::string_view head, HttpFields& fields)
{
    std::string_view line = head.substr(0, head.find_first_of("\r\n"));
    size_t first = line.find(' ');
    if (first == std::string_view::npos)
        return;
    size_t second = line.find(' ', first + 1);
    std::string_view middle = line.substr(first + 1, second == std::string_view::npos ? second : second - first - 1);
    if (line.starts_with("HTTP/"))
    {
        int status = 0;
        for (char c : middle.substr(0, 3))
            status = c >= '0' && c <= '9' ? status * 10 + (c - '0') : -1000;
        fields.status = status > 0 ? status : 0;
    }
    else
    {
        fields.method = std::string(line.substr(0, first));
        fields.target = std::string(middle);
    }
}
} // namespace

void SessionInspector::HttpRequestBegins(MessageId id, int64_t firstByteNs)
{
    try
    {
        m_state->httpRequests.push_back({id, firstByteNs, std::nullopt});
    }
    catch (...)
    {
    }
}

FeedResult SessionInspector::FeedHttp(MessageId id, const HttpWireMessage& message)
{
    FeedResult result;
    InspectedMessage& out = result.message;
    out.id = id;
    try
    {
        State& state = *m_state;
        HttpFields fields;
        fields.head = state.redactor.RedactHttpHead(message.head);
        fields.redacted = fields.head != message.head;
        ParseStartLine(fields.head, fields);
        out.redactedBytes = state.redactor.RedactHttpBody(message.body, message.truncated);
        bool request = message.dir == Direction::ClientToServer;
        out.envelope.kind = request ? Kind::HttpRequest : Kind::HttpResponse;
        if (request)
        {
            auto early = state.answeredBeforeEnd.find(id);
            if (early != state.answeredBeforeEnd.end())
            {
                out.state = ExchangeState::Answered;
                out.pairId = early->second.response;
                out.latencyNs = early->second.latencyNs;
                state.answeredBeforeEnd.erase(early);
            }
            else
            {
                out.state = ExchangeState::Pending;
                auto queued = std::find_if(state.httpRequests.begin(), state.httpRequests.end(),
                                           [id](const State::PendingHttp& p) { return p.id == id; });
                if (queued == state.httpRequests.end())
                    state.httpRequests.push_back({id, message.firstByteNs, message.lastByteNs});
                else
                    queued->lastByteNs = message.lastByteNs;
            }
        }
        else if (fields.status >= 200 || fields.status == 101 || fields.status == 0)
        {
            if (state.httpRequests.empty())
                out.state = ExchangeState::Orphan;
            else
            {
                State::PendingHttp answered = state.httpRequests.front();
                state.httpRequests.pop_front();
                out.state = ExchangeState::Answered;
                out.pairId = answered.id;
                // From the request's last byte; an answer that came before the request was complete counts
                // from its first.
                out.latencyNs = message.firstByteNs - answered.lastByteNs.value_or(answered.firstByteNs);
                if (!answered.lastByteNs)
                    state.answeredBeforeEnd[answered.id] = {id, *out.latencyNs}; // its row is not written yet
                else
                {
                    MessageUpdate& update = result.updates.emplace_back();
                    update.id = answered.id;
                    update.state = ExchangeState::Answered;
                    update.pairId = id;
                    update.latencyNs = out.latencyNs;
                }
            }
        }
        out.http = std::move(fields);
    }
    catch (...)
    {
        result = FeedResult{};
        result.message.id = id;
        result.message.envelope.kind = Kind::Malformed;
        result.message.envelope.malformedReason = "internal error";
        if (m_state->redactor.Enabled())
            result.message.redactedBytes.emplace();
    }
    return result;
}

std::string SessionInspector::RedactTarget(std::string_view target)
{
    // The head redaction's request-line rule, on a request line made for the purpose.
    std::string line = RedactHead("GET " + std::string(target) + " HTTP/1.1\r\n");
    size_t first = line.find(' ');
    size_t last = line.rfind(' ');
    if (first == std::string::npos || last <= first)
        return m_state->redactor.Enabled() ? std::string() : std::string(target);
    return line.substr(first + 1, last - first - 1);
}

std::string SessionInspector::RedactHead(std::string_view head)
{
    try
    {
        return m_state->redactor.RedactHttpHead(head);
    }
    catch (...)
    {
        return m_state->redactor.Enabled() ? std::string() : std::string(head);
    }
}

std::vector<MessageUpdate> SessionInspector::Finish()
{
    std::vector<MessageUpdate> updates;
    try
    {
        for (const State::PendingHttp& request : m_state->httpRequests)
        {
            if (!request.lastByteNs)
                continue; // never complete, so never written: nothing to update
            MessageUpdate& update = updates.emplace_back();
            update.id = request.id;
            update.state = ExchangeState::Unanswered;
        }
        m_state->httpRequests.clear();
        for (const MessageId id : m_state->correlator.TakePending())
        {
            MessageUpdate& update = updates.emplace_back();
            update.id = id;
            update.state = ExchangeState::Unanswered;
        }
    }
    catch (...)
    {
    }
    return updates;
}

bool SessionInspector::ScrubKnownSecrets(std::string& bytes) const
{
    try
    {
        return m_state->redactor.ScrubKnownSecrets(bytes);
    }
    catch (...)
    {
        return false;
    }
}

const SessionFacts& SessionInspector::Facts() const
{
    return m_state->facts;
}

} // namespace dapscope::inspector
