#include "RelayCore.hpp"

#include "net/Lws.hpp"

#include <algorithm>

namespace dapscope::proxy
{

namespace
{
Direction DirectionFrom(Side from)
{
    return from == Side::Client ? Direction::ClientToServer : Direction::ServerToClient;
}

const char* Name(Side side)
{
    return side == Side::Client ? "client" : "upstream";
}

// Close reasons are limited to 123 bytes on the wire; cut on a UTF-8 boundary.
std::string ClampReason(std::string_view reason)
{
    size_t n = std::min<size_t>(reason.size(), 123);
    while (n > 0 && n < reason.size() && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80)
        --n;
    return std::string(reason.substr(0, n));
}
} // namespace

RelayCore::RelayCore(uint64_t sessionId, RelayLimits limits, TapQueue& tap)
    : m_id(sessionId), m_limits(limits), m_tap(tap)
{
}

void RelayCore::Open(int64_t now, std::string client, std::string path, std::string upstream, std::string userAgent)
{
    At(Side::Client).phase = Phase::Open;
    At(Side::Client).rxEnabled = true; // lws starts reading; UpdateRx turns it off until the upstream is up
    UpdateRx(Side::Client);
    TapRecord record;
    record.type = TapRecord::Type::SessionOpen;
    record.session = m_id;
    record.ns = now;
    record.client = std::move(client);
    record.path = std::move(path);
    record.upstream = std::move(upstream);
    record.userAgent = std::move(userAgent);
    m_tap.Push(std::move(record));
}

void RelayCore::UpstreamOpened(int64_t now)
{
    SideState& upstream = At(Side::Upstream);
    if (upstream.phase != Phase::Connecting)
        return;
    upstream.phase = Phase::Open;
    upstream.rxEnabled = true;
    UpdateRx(Side::Upstream);
    UpdateRx(Side::Client);
    if (!upstream.queue.Empty() || upstream.closePending)
        m_commands.push_back({RelayCommand::Type::RequestWritable, Side::Upstream});
    TapRecord record;
    record.type = TapRecord::Type::UpstreamOpen;
    record.session = m_id;
    record.ns = now;
    m_tap.Push(std::move(record));
}

void RelayCore::UpstreamFailed(int64_t now, std::string_view error)
{
    std::string reason = "dapscope: upstream " + std::string(error.empty() ? "connection failed" : error);
    Fail("upstream: " + std::string(error.empty() ? "connection failed" : error));
    NoteClose(1011, ClampReason(reason), "proxy");
    CloseAfterDrain(Side::Client, 1011, reason);
    Gone(Side::Upstream, now);
}

void RelayCore::Receive(Side from, std::string_view bytes, bool binary, bool final, int64_t now)
{
    SideState& source = At(from);
    bool first = !source.inMessage;
    if (first)
    {
        source.messageOpcode = binary ? Opcode::Binary : Opcode::Text;
        source.messageCaptured = 0;
    }
    source.inMessage = !final;
    Tap(from, source.messageOpcode, bytes, first, final, now);

    Side to = Other(from);
    SideState& destination = At(to);
    if (destination.phase == Phase::Gone || destination.closePending)
        return; // nobody to deliver to; the source is being closed too
    destination.queue.Push(net::Frame(
        source.messageOpcode == Opcode::Binary ? net::FrameType::Binary : net::FrameType::Text, bytes, first, final));
    if (destination.phase == Phase::Open)
        m_commands.push_back({RelayCommand::Type::RequestWritable, to});
    if (destination.queue.Bytes() > m_limits.highWatermark && !source.overHigh)
    {
        source.overHigh = true;
        UpdateRx(from);
    }
}

void RelayCore::ReceivePong(Side from, std::string_view bytes, int64_t now)
{
    Tap(from, Opcode::Pong, bytes, true, true, now);
    Side to = Other(from);
    SideState& destination = At(to);
    if (destination.phase == Phase::Gone || destination.closePending)
        return;
    destination.queue.Push(net::Frame(net::FrameType::Pong, bytes.substr(0, 125)));
    if (destination.phase == Phase::Open)
        m_commands.push_back({RelayCommand::Type::RequestWritable, to});
}

void RelayCore::PeerClosing(Side from, std::string_view payload, int64_t now)
{
    uint16_t code = 0;
    std::string reason;
    net::ParseClosePayload(payload.data(), payload.size(), code, reason);
    Tap(from, Opcode::Close, payload, true, true, now);
    At(from).peerClosed = true;
    NoteClose(code, reason, Name(from));
    CloseAfterDrain(Other(from), net::WireSafeCloseCode(code), reason);
}

void RelayCore::Gone(Side side, int64_t now)
{
    SideState& state = At(side);
    if (state.phase == Phase::Gone)
        return;
    bool expected = state.peerClosed || state.closeSent;
    state.phase = Phase::Gone;
    state.queue.Clear();
    state.rxEnabled = false;
    if (!expected)
    {
        bool upstream = side == Side::Upstream;
        Fail(upstream ? "upstream vanished without a close frame" : "client vanished without a close frame");
        NoteClose(1006, "", Name(side));
        CloseAfterDrain(Other(side), upstream ? 1011 : 1001,
                        upstream ? "dapscope: upstream connection lost" : "dapscope: client went away");
    }
    // Whoever was paused because this side read slowly may read again (its data now goes nowhere).
    At(Other(side)).overHigh = false;
    UpdateRx(Other(side));
    if (!Finished())
        return;
    TapRecord record;
    record.type = TapRecord::Type::SessionClose;
    record.session = m_id;
    record.ns = now;
    record.closeCode = m_closeCode;
    record.closeReason = m_closeReason;
    record.closedBy = m_closedBy;
    record.error = m_error;
    m_tap.Push(std::move(record));
}

void RelayCore::Shutdown(uint16_t code, std::string_view reason)
{
    NoteClose(code, reason, "proxy");
    CloseAfterDrain(Side::Client, code, reason);
    CloseAfterDrain(Side::Upstream, code, reason);
}

WriteStep RelayCore::Writable(Side side)
{
    WriteStep step;
    SideState& state = At(side);
    if (state.phase != Phase::Open)
        return step;
    if (!state.queue.Empty())
    {
        step.kind = WriteStep::Kind::Write;
        step.frame = state.queue.Pop();
        Side source = Other(side);
        if (At(source).overHigh && state.queue.Bytes() < m_limits.lowWatermark)
        {
            At(source).overHigh = false;
            UpdateRx(source);
        }
        if (!state.queue.Empty() || state.closePending)
            m_commands.push_back({RelayCommand::Type::RequestWritable, side});
        return step;
    }
    if (state.closePending && !state.closeSent)
    {
        state.closeSent = true;
        step.kind = WriteStep::Kind::Close;
        step.code = state.closeCode;
        step.reason = state.closeReason;
    }
    return step;
}

void RelayCore::Tap(Side from, Opcode opcode, std::string_view bytes, bool first, bool final, int64_t now,
                    const net::Frame* shared)
{
    SideState& source = At(from);
    TapRecord record;
    record.type = TapRecord::Type::Chunk;
    record.session = m_id;
    record.ns = now;
    record.dir = DirectionFrom(from);
    record.opcode = opcode;
    record.first = first;
    record.final = final;
    record.wireBytes = bytes.size();
    bool control = opcode == Opcode::Pong || opcode == Opcode::Close;
    uint64_t room =
        control ? bytes.size() : m_limits.maxCaptureBytes - std::min(m_limits.maxCaptureBytes, source.messageCaptured);
    size_t keep = static_cast<size_t>(std::min<uint64_t>(room, bytes.size()));
    if (shared)
        record.bytes = CapturedBytes(shared->Buffer(), reinterpret_cast<const char*>(shared->View().data()), keep);
    else
        record.bytes = CapturedBytes(std::string(bytes.substr(0, keep)));
    if (!control)
        source.messageCaptured += keep;
    m_tap.Push(std::move(record));
}

void RelayCore::CloseAfterDrain(Side side, uint16_t code, std::string_view reason)
{
    SideState& state = At(side);
    if (state.phase == Phase::Gone || state.closePending)
        return;
    state.closePending = true;
    state.closeCode = code;
    state.closeReason = ClampReason(reason);
    if (state.phase == Phase::Open)
        m_commands.push_back({RelayCommand::Type::RequestWritable, side});
}

void RelayCore::UpdateRx(Side side)
{
    SideState& state = At(side);
    if (state.phase != Phase::Open)
        return;
    bool waitingForUpstream = side == Side::Client && At(Side::Upstream).phase == Phase::Connecting;
    bool want = !state.overHigh && !waitingForUpstream;
    if (want != state.rxEnabled)
    {
        state.rxEnabled = want;
        m_commands.push_back({RelayCommand::Type::SetRx, side, want});
    }
}

void RelayCore::NoteClose(uint16_t code, std::string_view reason, const char* by)
{
    if (!m_closedBy.empty())
        return;
    m_closeCode = code;
    m_closeReason = std::string(reason);
    m_closedBy = by;
}

void RelayCore::Fail(std::string error)
{
    if (m_error.empty())
        m_error = std::move(error);
}

} // namespace dapscope::proxy
