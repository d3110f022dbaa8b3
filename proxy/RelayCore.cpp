#include "RelayCore.hpp"

#include "Interceptor.hpp"
#include "RuleBook.hpp"
#include "wire/Http.hpp"

namespace dapscope::proxy
{

namespace
{
const char* Name(Side side)
{
    return side == Side::Client ? "client" : "upstream";
}

std::string PeerIp(const std::string& peer)
{
    size_t colon = peer.rfind(':');
    return colon == std::string::npos ? peer : peer.substr(0, colon);
}

// Value of query argument `name` in a request target ("" when absent).
std::string QueryArgument(std::string_view target, std::string_view name)
{
    size_t query = target.find('?');
    while (query != std::string_view::npos)
    {
        size_t start = query + 1;
        size_t end = target.find('&', start);
        std::string_view pair = target.substr(start, end == std::string_view::npos ? end : end - start);
        if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=')
            return std::string(pair.substr(name.size() + 1));
        query = end;
    }
    return {};
}

const char* StatusText(int status)
{
    switch (status)
    {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 408:
        return "Request Timeout";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Error";
    }
}

// The target of a request head's start line ("GET /x?y HTTP/1.1" -> "/x?y").
std::string TargetOf(std::string_view head)
{
    size_t first = head.find(' ');
    size_t second = first == std::string_view::npos ? first : head.find(' ', first + 1);
    if (second == std::string_view::npos)
        return {};
    return std::string(head.substr(first + 1, second - first - 1));
}
} // namespace

RelayCore::RelayCore(uint64_t sessionId, const RelaySettings& settings, TapQueue& tap)
    : m_id(sessionId), m_settings(settings), m_tap(tap),
      m_requests(wire::HttpStream::Role::Request, settings.limits.maxHeadBytes)
{
}

RelayCore::~RelayCore() = default;

void RelayCore::Accepted(int64_t, std::string peer)
{
    m_peer = std::move(peer);
    SetDeadline(Deadline::Head, m_settings.limits.headTimeoutMs);
}

void RelayCore::Received(Side from, const SharedBytes& bytes, int64_t now)
{
    if (At(from).gone || bytes.empty())
        return;
    if (m_mode == Mode::Tunnel)
        ReceiveTunnel(from, bytes, now);
    else if (from == Side::Upstream)
        ReceiveHttpResponse(bytes, now);
    else
    {
        m_receivedAnything = true;
        if (m_awaitingUpgrade)
            m_held.push_back(bytes); // read before rx went off: kept until the upgrade's answer
        else
            ReceiveHttpRequest(bytes, now);
    }
    FinishIfDone(now);
}

void RelayCore::ReceiveHttpRequest(const SharedBytes& bytes, int64_t now)
{
    std::vector<wire::HttpEvent> events;
    m_requests.Feed(bytes.View(), events);
    for (wire::HttpEvent& event : events)
    {
        if (At(Side::Client).gone)
            return;
        switch (event.type)
        {
        case wire::HttpEvent::Type::Head:
        {
            wire::RequestRewrite rewrite;
            rewrite.host = m_settings.upstreamHost;
            rewrite.forwardedFor = PeerIp(m_peer);
            rewrite.forwardedProto = m_settings.clientTls ? "https" : "http";
            rewrite.dropHeaders = {"X-Dapscope-Token"};
            // A message the proxy changes cannot live in a compressed stream whose context the receiver shares.
            if (m_settings.rules)
                rewrite.dropHeaders.push_back("Sec-WebSocket-Extensions");
            rewrite.dropQueryArg = "dapscope_token";
            std::string head = wire::RewriteRequestHead(event.raw, event.head, rewrite);
            if (!m_opened && !AdmitFirstHead(event.head, now, head))
                return;
            // HTTP/1.0 upgrades are ignored (RFC 9110 §7.8), as the request stream ignores them.
            bool upgrade = event.head.versionMinor == 1 && event.head.Find("Upgrade") &&
                           event.head.HasToken("Connection", "upgrade");
            m_responses.ExpectResponseTo(event.head.method, upgrade);
            ++m_requestsOpen;
            TapHead(Direction::ClientToServer, head, false, now);
            Forward(Side::Upstream, SharedBytes(std::move(head)));
            if (m_upstream == UpstreamState::None)
            {
                m_upstream = UpstreamState::Connecting;
                m_commands.push_back({RelayCommand::Type::Connect});
                SetDeadline(Deadline::Upstream, m_settings.limits.upstreamTimeoutMs);
            }
            break;
        }
        case wire::HttpEvent::Type::Body:
            Forward(Side::Upstream, bytes.Slice(event.offset, event.length));
            TapBody(Direction::ClientToServer, bytes, event.data, event.length, now);
            break;
        case wire::HttpEvent::Type::End:
            TapEnd(Direction::ClientToServer, now);
            break;
        case wire::HttpEvent::Type::Upgrade:
            // Nothing more goes upstream until the engine has answered: a 101 makes the rest WebSocket frames.
            m_awaitingUpgrade = true;
            if (event.offset < bytes.size())
                m_held.push_back(bytes.Slice(event.offset, bytes.size() - event.offset));
            UpdateRx(Side::Client);
            if (m_upstream == UpstreamState::Open)
                SetDeadline(Deadline::Upstream, m_settings.limits.upstreamTimeoutMs);
            break;
        case wire::HttpEvent::Type::Tunnel:
            break; // responses only
        case wire::HttpEvent::Type::Error:
        {
            // Heads are judged whole, so a bad head never went upstream; a body that breaks midway partly did.
            std::string why = "bad request from the client: " + event.reason;
            if (m_error.empty())
                m_error = why;
            if (m_requests.MessageOpen())
                TapEnd(Direction::ClientToServer, now, why);
            if (event.status != 0 && m_requestsOpen == 0 && !m_responseStarted)
                Answer(event.status, "dapscope proxy: " + why + "\n", now);
            else
            {
                CloseAfterWrite(Side::Client);
                if (m_upstream != UpstreamState::None)
                    DropSide(Side::Upstream);
            }
            return;
        }
        }
    }
}

bool RelayCore::AdmitFirstHead(const wire::HttpHead& head, int64_t now, const std::string& rewritten)
{
    const std::string* user = head.Find("User-Agent");
    OpenRecord(now, TargetOf(rewritten), user ? *user : std::string());
    SetDeadline(Deadline::None, 0);
    if (m_settings.accessToken.empty())
        return true;
    const std::string* header = head.Find("X-Dapscope-Token");
    std::string presented = header ? *header : QueryArgument(head.target, "dapscope_token");
    if (presented == m_settings.accessToken)
        return true;
    // The refused request is recorded as it would have gone upstream: without the token it carried.
    m_error = "refused: the client did not present the proxy's access token";
    TapHead(Direction::ClientToServer, rewritten, false, now);
    TapEnd(Direction::ClientToServer, now);
    Answer(401,
           "dapscope proxy: this proxy needs its access token (X-Dapscope-Token header or dapscope_token query "
           "argument)\n",
           now);
    return false;
}

void RelayCore::ReceiveHttpResponse(const SharedBytes& bytes, int64_t now)
{
    std::vector<wire::HttpEvent> events;
    m_responses.Feed(bytes.View(), events);
    for (wire::HttpEvent& event : events)
    {
        if (At(Side::Client).gone)
            return;
        switch (event.type)
        {
        case wire::HttpEvent::Type::Head:
            m_lastStatus = event.head.status;
            if (m_lastStatus != 100 && m_deadline == Deadline::Upstream)
                SetDeadline(Deadline::None, 0);
            m_responseStarted = true;
            TapHead(Direction::ServerToClient, event.raw, false, now);
            Forward(Side::Client, SharedBytes(std::move(event.raw)));
            break;
        case wire::HttpEvent::Type::Body:
            Forward(Side::Client, bytes.Slice(event.offset, event.length));
            TapBody(Direction::ServerToClient, bytes, event.data, event.length, now);
            break;
        case wire::HttpEvent::Type::End:
            TapEnd(Direction::ServerToClient, now);
            m_responseStarted = false;
            if (m_lastStatus >= 200 && m_requestsOpen > 0)
                --m_requestsOpen;
            if (m_awaitingUpgrade && m_lastStatus >= 200)
                ResumeAfterRefusedUpgrade(now);
            if (m_responses.CloseAfterMessage() || (m_requests.CloseAfterMessage() && m_requestsOpen == 0) ||
                (m_stopping && HttpIdle()))
            {
                NoteEnd(m_stopping ? "proxy" : "upstream");
                CloseAfterWrite(Side::Client);
                CloseAfterWrite(Side::Upstream);
            }
            break;
        case wire::HttpEvent::Type::Tunnel:
            if (m_requestsOpen > 0)
                --m_requestsOpen;
            EnterTunnel(bytes.Slice(event.offset, bytes.size() - event.offset), now);
            return;
        case wire::HttpEvent::Type::Upgrade:
            break; // requests only
        case wire::HttpEvent::Type::Error:
        {
            std::string why = "upstream: the engine's answer is not valid HTTP: " + event.reason;
            if (m_error.empty())
                m_error = why;
            if (m_responses.MessageOpen())
                TapEnd(Direction::ServerToClient, now, why);
            // A 502 only for a request still waiting; bytes that answer nothing (a body after the answer to a
            // HEAD, say) end the connection as they would directly.
            if (!m_responseStarted && m_requestsOpen > 0)
                Answer(502, "dapscope proxy: " + why + "\n", now);
            else
                CloseAfterWrite(Side::Client);
            DropSide(Side::Upstream);
            return;
        }
        }
    }
}

void RelayCore::ResumeAfterRefusedUpgrade(int64_t now)
{
    m_awaitingUpgrade = false;
    m_requests.ResumeHttp();
    std::vector<SharedBytes> held;
    held.swap(m_held);
    for (const SharedBytes& bytes : held)
    {
        if (m_awaitingUpgrade)
            m_held.push_back(bytes);
        else
            ReceiveHttpRequest(bytes, now);
    }
    UpdateRx(Side::Client);
}

void RelayCore::EnterTunnel(const SharedBytes& rest, int64_t now)
{
    m_mode = Mode::Tunnel;
    if (m_settings.rules)
    {
        m_interceptor = std::make_unique<Interceptor>(m_settings.rules->Current(), rules::SessionInfo{.path = m_path},
                                                      m_settings.interception);
        m_rulesGeneration = m_settings.rules->Generation();
    }
    m_awaitingUpgrade = false;
    SetDeadline(Deadline::None, 0);
    if (!rest.empty())
        ReceiveTunnel(Side::Upstream, rest, now);
    std::vector<SharedBytes> held;
    held.swap(m_held);
    for (const SharedBytes& bytes : held)
        ReceiveTunnel(Side::Client, bytes, now);
    UpdateRx(Side::Client);
}

void RelayCore::ReceiveTunnel(Side from, const SharedBytes& bytes, int64_t now)
{
    Side to = Other(from);
    SideState& source = At(from);
    SideState& target = At(to);
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    size_t size = bytes.size();

    if (source.frames.Violation() != wire::HeaderViolation::None)
        return; // this side's frame boundaries are unknown: nothing of it goes anywhere any more
    if (target.gone || target.closeSent)
    {
        // No more data may go to `to`; only watch for this side's close frame (the reply to ours).
        source.frames.Feed(data, size);
    }
    else if (Intercepting(from))
        ReceiveIntercepted(from, bytes, now);
    else
    {
        bool boundaryBefore = source.frames.AtFrameBoundary();
        size_t taken = source.frames.Feed(data, size, target.pendingClose);
        size_t firstHeader = source.frames.FirstHeaderOffset();
        if (taken > 0)
        {
            SharedBytes forwarded = bytes.Slice(0, taken);
            Forward(to, forwarded);
            TapFrames(to, forwarded, firstHeader < taken ? firstHeader : wire::FrameTracker::npos, now);
        }
        if (source.frames.Violation() != wire::HeaderViolation::None)
        {
            // The bad header began in an earlier read and part of it went on: no boundary toward `to`.
            ProtocolViolation(from, taken > 0 || boundaryBefore, now);
            return;
        }
        if (target.pendingClose && source.frames.AtFrameBoundary())
        {
            target.pendingClose = false;
            WriteClose(to, target.pendingCode, target.pendingReason, now);
            if (taken < size)
                source.frames.Feed(data + taken, size - taken); // dropped, but a close frame in it still counts
        }
    }
    if (source.frames.CloseSeen() && !source.closeFrameSeen)
    {
        source.closeFrameSeen = true;
        if (m_closedBy.empty())
            m_closedBy = Name(from);
    }
    // The side that was sent a close (the proxy's, or the other side's, which has gone) has answered it: its part
    // of the close handshake is done.
    if (source.closeFrameSeen && (source.closeSent || target.gone))
        CloseAfterWrite(from);
}

bool RelayCore::Intercepting(Side from)
{
    SideState& source = At(from);
    if (!m_interceptor)
        return false;
    if (m_rulesGeneration != m_settings.rules->Generation())
    {
        m_interceptor->SetRules(m_settings.rules->Current());
        m_rulesGeneration = m_settings.rules->Generation();
    }
    const bool wanted = m_interceptor->Affects(from);
    if (wanted != source.intercepting &&
        (source.intercepting ? m_interceptor->Between(from)
                             : source.frames.AtFrameBoundary() && !source.frames.InFragmentedMessage()))
        source.intercepting = wanted;
    return source.intercepting;
}

void RelayCore::ReceiveIntercepted(Side from, const SharedBytes& bytes, int64_t now)
{
    SideState& source = At(from);
    // The interceptor sends whole frames only, so the stream toward the other side is always at a boundary.
    size_t taken = source.frames.Feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (taken > 0)
        m_interceptor->Received(from, bytes.Slice(0, taken), now);
    CarryOut(now);
    if (source.frames.Violation() != wire::HeaderViolation::None)
        ProtocolViolation(from, true, now);
}

void RelayCore::ProtocolViolation(Side from, bool atBoundary, int64_t now)
{
    // The bad header starts a frame: the stream toward the other side is at a boundary there, close it with 1002.
    // The side that broke the protocol gets its 1002 after the frame in flight toward it.
    const std::string what(wire::ToString(At(from).frames.Violation()));
    std::string reason = std::string("dapscope proxy: ") + Name(from) + " sent " + what;
    if (m_error.empty())
        m_error = std::string(Name(from)) + " broke the WebSocket protocol: " + what;
    if (atBoundary)
        WriteClose(Other(from), 1002, reason, now);
    else
        CloseAfterWrite(Other(from));
    ProxyClose(from, 1002, reason, now);
}

void RelayCore::CarryOut(int64_t now)
{
    std::vector<Emit> ready;
    ready.swap(m_interceptor->Ready());
    for (Emit& emit : ready)
    {
        SideState& target = At(emit.to);
        switch (emit.type)
        {
        case Emit::Type::Frames:
            if (target.gone || target.closeSent)
                break;
            Forward(emit.to, emit.bytes);
            TapFrames(emit.to, emit.bytes, 0, now, emit.generated, std::move(emit.mark));
            break;
        case Emit::Type::NotSent:
            TapNotSent(emit.to, emit.bytes, emit.opcode, std::move(*emit.mark), now);
            break;
        case Emit::Type::Close:
            ProxyClose(emit.to, emit.code, emit.reason, now);
            break;
        }
    }
    const int64_t due = m_interceptor->NextDueNs();
    if (due != m_releaseDueNs)
    {
        m_releaseDueNs = due;
        m_commands.push_back({RelayCommand::Type::SetReleaseTimer, Side::Client, false,
                              due ? std::max<int64_t>(1, (due - now) / 1000000) : 0});
    }
}

void RelayCore::Act(int64_t now)
{
    if (!m_interceptor)
        return;
    m_interceptor->Release(now);
    CarryOut(now);
    FinishIfDone(now);
}

void RelayCore::CloseSession(uint16_t code, std::string_view reason, int64_t now)
{
    ProxyClose(Side::Client, code, reason, now);
    ProxyClose(Side::Upstream, code, reason, now);
    FinishIfDone(now);
}

void RelayCore::Released(int64_t now)
{
    m_releaseDueNs = 0;
    Act(now);
}

void RelayCore::UpstreamConnected(int64_t now)
{
    if (m_upstream != UpstreamState::Connecting)
        return;
    m_upstream = UpstreamState::Open;
    if (!m_awaitingUpgrade)
        SetDeadline(Deadline::None, 0);
    TapRecord record;
    record.type = TapRecord::Type::UpstreamOpen;
    record.session = m_id;
    record.ns = now;
    m_tap.Push(std::move(record));
    UpdateRx(Side::Upstream);
    if (!At(Side::Upstream).queue.empty())
        m_commands.push_back({RelayCommand::Type::Flush, Side::Upstream});
}

void RelayCore::UpstreamFailed(int64_t now, std::string_view error)
{
    if (At(Side::Upstream).gone)
        return;
    SideState& upstream = At(Side::Upstream);
    upstream.gone = true;
    upstream.queue.clear();
    upstream.queued = 0;
    m_upstream = UpstreamState::Gone;
    SetDeadline(Deadline::None, 0);
    std::string why = "upstream: " + std::string(error);
    if (m_error.empty())
        m_error = why;
    NoteEnd("upstream");
    if (!At(Side::Client).gone)
    {
        if (!m_responseStarted && m_mode == Mode::Http)
            Answer(502,
                   "dapscope proxy: cannot reach the engine at " + m_settings.upstreamUri + ": " + std::string(error) +
                       "\n",
                   now);
        else
            CloseAfterWrite(Side::Client);
    }
    FinishIfDone(now);
}

void RelayCore::Closed(Side side, int64_t now)
{
    SideState& state = At(side);
    if (state.gone)
        return;
    state.gone = true;
    state.queue.clear();
    state.queued = 0;
    state.pendingClose = false;
    if (side == Side::Upstream)
        m_upstream = UpstreamState::Gone;
    Side other = Other(side);
    if (!At(other).gone && !(other == Side::Upstream && m_upstream == UpstreamState::None))
    {
        if (m_mode == Mode::Tunnel)
        {
            NoteEnd(Name(side));
            if (state.closeFrameSeen || At(other).closeSent)
            {
                // `other` has a close frame (forwarded or the proxy's). Its TCP connection closes once it has
                // answered: closing while it still sends would get it a reset, which throws away what it has not
                // read yet, our close frame included.
                if (At(other).closeFrameSeen)
                    CloseAfterWrite(other);
                else
                    SetDeadline(Deadline::Close, m_settings.limits.closeTimeoutMs);
            }
            else
            {
                if (m_error.empty())
                    m_error = std::string(Name(side)) + " vanished without a close frame";
                // Between frames the other side gets a close frame; inside one there is no place for it.
                if (side == Side::Upstream)
                    ProxyClose(other, 1011, "dapscope proxy: upstream connection lost", now);
                else
                    ProxyClose(other, 1001, "dapscope proxy: client connection lost", now);
            }
        }
        else if (side == Side::Client)
        {
            NoteEnd("client");
            std::vector<wire::HttpEvent> events;
            m_requests.Finish(events);
            for (const wire::HttpEvent& event : events)
                if (event.type == wire::HttpEvent::Type::End)
                    TapEnd(Direction::ClientToServer, now);
                else if (event.type == wire::HttpEvent::Type::Error)
                    TapEnd(Direction::ClientToServer, now, event.reason);
            CloseAfterWrite(Side::Upstream);
        }
        else
        {
            NoteEnd("upstream");
            std::vector<wire::HttpEvent> events;
            m_responses.Finish(events);
            for (const wire::HttpEvent& event : events)
                if (event.type == wire::HttpEvent::Type::End)
                {
                    TapEnd(Direction::ServerToClient, now);
                    m_responseStarted = false;
                    if (m_requestsOpen > 0)
                        --m_requestsOpen;
                }
                else if (event.type == wire::HttpEvent::Type::Error)
                    TapEnd(Direction::ServerToClient, now, "upstream: " + event.reason);
            if (m_requestsOpen > 0 && !m_responseStarted)
            {
                if (m_error.empty())
                    m_error = "upstream: the engine closed the connection without answering";
                Answer(502, "dapscope proxy: the engine closed the connection without answering\n", now);
            }
            else
                CloseAfterWrite(Side::Client);
        }
    }
    else if (m_upstream == UpstreamState::None && side == Side::Client)
        NoteEnd("client");
    FinishIfDone(now);
}

void RelayCore::Timeout(int64_t now)
{
    Deadline deadline = m_deadline;
    m_deadline = Deadline::None;
    switch (deadline)
    {
    case Deadline::None:
        break;
    case Deadline::Head:
        if (m_opened || At(Side::Client).gone)
            break;
        if (m_receivedAnything)
        {
            m_error = "the client sent no complete request head in time";
            Answer(408, "dapscope proxy: no complete request head in time\n", now);
        }
        else
            DropSide(Side::Client); // a connection that never said anything is not a session
        break;
    case Deadline::Upstream:
    {
        if (m_upstream != UpstreamState::Connecting && !m_awaitingUpgrade)
            break;
        std::string why = "upstream: no answer from " + m_settings.upstreamUri + " within " +
                          std::to_string(m_settings.limits.upstreamTimeoutMs / 1000) + " s";
        if (m_error.empty())
            m_error = why;
        NoteEnd("upstream");
        if (!m_responseStarted && !At(Side::Client).gone)
            Answer(504, "dapscope proxy: " + why + "\n", now);
        DropSide(Side::Upstream);
        break;
    }
    case Deadline::Close:
        for (Side side : {Side::Client, Side::Upstream})
            if (!At(side).gone && !(side == Side::Upstream && m_upstream == UpstreamState::None))
                DropSide(side);
        break;
    }
    FinishIfDone(now);
}

void RelayCore::Shutdown(int64_t now)
{
    m_stopping = true;
    NoteEnd("proxy");
    if (m_upstream == UpstreamState::Connecting && !m_responseStarted)
    {
        Answer(503, "dapscope proxy: shutting down\n", now);
        DropSide(Side::Upstream);
    }
    else if (m_mode == Mode::Tunnel)
    {
        ProxyClose(Side::Client, 1001, "dapscope proxy shutting down", now);
        ProxyClose(Side::Upstream, 1001, "dapscope proxy shutting down", now);
    }
    else if (HttpIdle())
    {
        CloseAfterWrite(Side::Client);
        if (m_upstream != UpstreamState::None)
            CloseAfterWrite(Side::Upstream);
    }
    FinishIfDone(now);
}

bool RelayCore::NextWrite(Side side, SharedBytes& out)
{
    SideState& state = At(side);
    if (state.gone || state.queue.empty() || (side == Side::Upstream && m_upstream != UpstreamState::Open))
        return false;
    out = std::move(state.queue.front());
    state.queue.pop_front();
    state.queued -= out.size();
    SideState& source = At(Other(side));
    if (source.paused && state.queued < m_settings.limits.lowWatermark)
    {
        source.paused = false;
        UpdateRx(Other(side));
    }
    return true;
}

bool RelayCore::CloseWhenWritten(Side side) const
{
    const SideState& state = At(side);
    return state.closeWhenWritten && state.queue.empty() && !state.pendingClose;
}

void RelayCore::Forward(Side to, const SharedBytes& bytes)
{
    SideState& target = At(to);
    if (target.gone || bytes.empty())
        return;
    bool wasEmpty = target.queue.empty();
    target.queue.push_back(bytes);
    target.queued += bytes.size();
    if (wasEmpty)
        m_commands.push_back({RelayCommand::Type::Flush, to});
    SideState& source = At(Other(to));
    if (!source.paused && target.queued > m_settings.limits.highWatermark)
    {
        source.paused = true;
        UpdateRx(Other(to));
    }
}

void RelayCore::TapHead(Direction dir, std::string head, bool generated, int64_t now)
{
    TapRecord record;
    record.type = TapRecord::Type::HttpHead;
    record.session = m_id;
    record.ns = now;
    record.dir = dir;
    record.wireBytes = head.size();
    record.head = std::move(head);
    record.generated = generated;
    m_tap.Push(std::move(record));
}

void RelayCore::TapBody(Direction dir, const SharedBytes& from, const std::vector<std::string_view>& data,
                        size_t wireBytes, int64_t now)
{
    TapRecord record;
    record.type = TapRecord::Type::HttpBody;
    record.session = m_id;
    record.ns = now;
    record.dir = dir;
    record.wireBytes = wireBytes; // the first record carries the chunk framing's bytes too
    if (data.empty())
    {
        m_tap.Push(std::move(record));
        return;
    }
    for (std::string_view piece : data)
    {
        TapRecord part = record;
        part.bytes = from.Slice(static_cast<size_t>(piece.data() - from.data()), piece.size());
        m_tap.Push(std::move(part));
        record.wireBytes = 0;
    }
}

void RelayCore::TapEnd(Direction dir, int64_t now, std::string error)
{
    TapRecord record;
    record.type = TapRecord::Type::HttpEnd;
    record.session = m_id;
    record.ns = now;
    record.dir = dir;
    record.error = std::move(error);
    m_tap.Push(std::move(record));
}

void RelayCore::TapFrames(Side to, const SharedBytes& bytes, size_t firstHeader, int64_t now, bool generated,
                          std::optional<capture::RuleMark> mark)
{
    TapRecord record;
    record.type = TapRecord::Type::WsBytes;
    record.session = m_id;
    record.ns = now;
    record.dir = Toward(to);
    record.bytes = bytes;
    record.wireBytes = bytes.size();
    record.offset = m_tapped[static_cast<size_t>(record.dir)];
    m_tapped[static_cast<size_t>(record.dir)] += bytes.size();
    record.firstHeader = firstHeader;
    record.generated = generated;
    record.mark = std::move(mark);
    m_tap.Push(std::move(record));
}

void RelayCore::TapNotSent(Side to, const SharedBytes& payload, capture::Opcode opcode, capture::RuleMark mark,
                           int64_t now)
{
    TapRecord record;
    record.type = TapRecord::Type::Chunk;
    record.session = m_id;
    record.ns = now;
    record.dir = Toward(to);
    record.bytes = payload;
    record.wireBytes = payload.size();
    record.opcode = opcode;
    record.first = record.final = true;
    record.mark = std::move(mark);
    m_tap.Push(std::move(record));
}

void RelayCore::Answer(int status, std::string_view body, int64_t now)
{
    if (!m_opened)
        OpenRecord(now, "", "");
    std::string response = wire::GeneratedResponse(status, StatusText(status), body);
    size_t headEnd = response.find("\r\n\r\n") + 4;
    TapHead(Direction::ServerToClient, response.substr(0, headEnd), true, now);
    SharedBytes whole(std::move(response));
    std::vector<std::string_view> data{whole.View().substr(headEnd)};
    TapBody(Direction::ServerToClient, whole, data, whole.size() - headEnd, now);
    TapEnd(Direction::ServerToClient, now);
    m_responseStarted = true;
    Forward(Side::Client, whole);
    CloseAfterWrite(Side::Client);
    if (m_upstream != UpstreamState::None && !At(Side::Upstream).gone)
        DropSide(Side::Upstream);
}

void RelayCore::ProxyClose(Side to, uint16_t code, std::string_view reason, int64_t now)
{
    SideState& target = At(to);
    if (target.gone || target.closeSent || target.pendingClose)
        return;
    const SideState& source = At(Other(to));
    if (target.closeFrameSeen || source.closeFrameSeen)
    {
        // The endpoints are closing already: a close of the proxy's own would be one too many. They get the
        // usual time to finish.
        SetDeadline(Deadline::Close, m_settings.limits.closeTimeoutMs);
        return;
    }
    if (source.intercepting || source.frames.AtFrameBoundary())
        WriteClose(to, code, reason, now);
    else if (source.gone)
        CloseAfterWrite(to); // the frame in flight will never end: closing the connection is all that is left
    else
    {
        target.pendingClose = true;
        target.pendingCode = code;
        target.pendingReason = std::string(reason);
    }
}

void RelayCore::WriteClose(Side to, uint16_t code, std::string_view reason, int64_t now)
{
    SideState& target = At(to);
    if (m_interceptor)
        m_interceptor->Discard(to); // nothing may follow a close
    SharedBytes frame(wire::MakeCloseFrame(code, reason, to == Side::Upstream));
    Forward(to, frame);
    TapFrames(to, frame, 0, now, true);
    target.closeSent = true;
    if (m_proxyCloseCode == 0)
    {
        m_proxyCloseCode = code;
        m_proxyCloseReason = std::string(reason);
    }
    NoteEnd("proxy");
    if (target.closeFrameSeen)
        CloseAfterWrite(to); // this close answers the one it sent
    else
        SetDeadline(Deadline::Close, m_settings.limits.closeTimeoutMs);
}

void RelayCore::CloseAfterWrite(Side side)
{
    SideState& state = At(side);
    if (state.gone || state.closeWhenWritten)
        return;
    state.closeWhenWritten = true;
    if (state.queue.empty()) // otherwise the Flush of what is queued comes first and closes after it
        m_commands.push_back({RelayCommand::Type::Flush, side});
}

void RelayCore::DropSide(Side side)
{
    SideState& state = At(side);
    if (state.gone)
        return;
    state.gone = true;
    state.queue.clear();
    state.queued = 0;
    if (side == Side::Upstream)
        m_upstream = UpstreamState::Gone;
    m_commands.push_back({RelayCommand::Type::Drop, side});
}

void RelayCore::UpdateRx(Side side)
{
    SideState& state = At(side);
    if (state.gone || (side == Side::Upstream && m_upstream != UpstreamState::Open))
        return;
    bool wanted = !state.paused && !(side == Side::Client && m_awaitingUpgrade);
    if (wanted == state.rxEnabled)
        return;
    state.rxEnabled = wanted;
    m_commands.push_back({RelayCommand::Type::SetRx, side, wanted});
}

void RelayCore::SetDeadline(Deadline deadline, int64_t ms)
{
    if (deadline == Deadline::None && m_deadline == Deadline::None)
        return;
    m_deadline = deadline;
    m_commands.push_back({RelayCommand::Type::SetTimer, Side::Client, false, deadline == Deadline::None ? 0 : ms});
}

void RelayCore::NoteEnd(const char* by)
{
    if (m_closedBy.empty())
        m_closedBy = by;
}

void RelayCore::OpenRecord(int64_t now, const std::string& path, const std::string& userAgent)
{
    m_opened = true;
    TapRecord record;
    record.type = TapRecord::Type::SessionOpen;
    record.session = m_id;
    record.ns = now;
    record.client = m_peer;
    record.path = path;
    record.upstream = m_settings.upstreamUri;
    record.userAgent = userAgent;
    record.protocol = "http"; // until a 101
    record.actsOnTraffic = m_settings.rules != nullptr;
    m_path = path;
    m_tap.Push(std::move(record));
}

bool RelayCore::HttpIdle() const
{
    return !m_requests.MessageOpen() && !m_responses.MessageOpen() && m_requestsOpen == 0 && !m_awaitingUpgrade;
}

void RelayCore::FinishIfDone(int64_t now)
{
    bool upstreamDone = m_upstream == UpstreamState::None || At(Side::Upstream).gone;
    if (m_finished || !At(Side::Client).gone || !upstreamDone)
        return;
    m_finished = true;
    SetDeadline(Deadline::None, 0);
    if (!m_opened && !m_receivedAnything)
        return; // nothing was said: not a session
    if (!m_opened)
    {
        OpenRecord(now, "", "");
        if (m_error.empty())
            m_error = "the client closed the connection before its request head was complete";
    }
    TapRecord record;
    record.type = TapRecord::Type::SessionClose;
    record.session = m_id;
    record.ns = now;
    record.closeCode = m_proxyCloseCode;
    record.closeReason = m_proxyCloseReason;
    record.closedBy = m_closedBy.empty() ? "client" : m_closedBy;
    record.error = m_error;
    m_tap.Push(std::move(record));
}

} // namespace dapscope::proxy
