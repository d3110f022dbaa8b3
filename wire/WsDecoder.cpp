#include "WsDecoder.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <vector>
#include <optional>

namespace dapscope::wire
{

namespace
{

constexpr size_t kPartBytes = 64 * 1024; // decoded bytes per part at most; also the inflate output buffer
constexpr size_t kWindowBytes = 32 * 1024;
constexpr uint8_t kDeflateTail[4] = {0x00, 0x00, 0xFF, 0xFF}; // RFC 7692 §7.2.2

// --- Sec-WebSocket-Extensions (RFC 6455 §9.1) ---

bool IsTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
    {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = static_cast<char>(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

class ExtensionLexer
{
  public:
    explicit ExtensionLexer(std::string_view text) : m_text(text) {}

    bool AtEnd() const { return m_pos >= m_text.size(); }

    void SkipOws()
    {
        while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t'))
            ++m_pos;
    }

    bool Take(char c)
    {
        if (m_pos < m_text.size() && m_text[m_pos] == c)
        {
            ++m_pos;
            return true;
        }
        return false;
    }

    std::string_view Token()
    {
        const size_t start = m_pos;
        while (m_pos < m_text.size() && IsTokenChar(m_text[m_pos]))
            ++m_pos;
        return m_text.substr(start, m_pos - start);
    }

    // A token or a quoted-string (unescaped); nullopt when neither is there.
    std::optional<std::string> Value()
    {
        if (!Take('"'))
        {
            const std::string_view token = Token();
            if (token.empty())
                return std::nullopt;
            return std::string(token);
        }
        std::string value;
        while (m_pos < m_text.size())
        {
            const char c = m_text[m_pos++];
            if (c == '"')
                return value;
            if (c == '\\' && m_pos < m_text.size())
                value.push_back(m_text[m_pos++]);
            else
                value.push_back(c);
        }
        return std::nullopt; // unterminated
    }

    // Past the comma that ends the current list element (commas inside quoted-strings do not count).
    void SkipElement()
    {
        bool quoted = false;
        while (m_pos < m_text.size())
        {
            const char c = m_text[m_pos++];
            if (quoted && c == '\\')
                ++m_pos;
            else if (c == '"')
                quoted = !quoted;
            else if (!quoted && c == ',')
                return;
        }
    }

  private:
    std::string_view m_text;
    size_t m_pos = 0;
};

std::optional<int> WindowBits(const std::optional<std::string>& value)
{
    if (!value || value->empty() || value->size() > 2)
        return std::nullopt;
    int bits = 0;
    for (char c : *value)
    {
        if (c < '0' || c > '9')
            return std::nullopt;
        bits = bits * 10 + (c - '0');
    }
    if (bits < 8 || bits > 15)
        return std::nullopt;
    return bits;
}

void ApplyDeflateParam(DeflateParams& params, std::string_view name, const std::optional<std::string>& value)
{
    if (EqualsIgnoreCase(name, "server_no_context_takeover"))
        params.serverNoContextTakeover = true;
    else if (EqualsIgnoreCase(name, "client_no_context_takeover"))
        params.clientNoContextTakeover = true;
    else if (EqualsIgnoreCase(name, "server_max_window_bits"))
        params.serverMaxWindowBits = WindowBits(value).value_or(params.serverMaxWindowBits);
    else if (EqualsIgnoreCase(name, "client_max_window_bits"))
        params.clientMaxWindowBits = value ? WindowBits(value).value_or(params.clientMaxWindowBits) : 15;
}

} // namespace

DeflateParams ParseAgreedDeflate(std::string_view extensions)
{
    ExtensionLexer lexer(extensions);
    while (!lexer.AtEnd())
    {
        lexer.SkipOws();
        const std::string_view name = lexer.Token();
        if (EqualsIgnoreCase(name, "permessage-deflate"))
        {
            // The engine agreed to deflate even if a parameter below is malformed: messages with RSV1 set are
            // compressed whatever the parameters say, so decoding stays on.
            DeflateParams params;
            params.enabled = true;
            for (;;)
            {
                lexer.SkipOws();
                if (!lexer.Take(';'))
                    break;
                lexer.SkipOws();
                const std::string_view param = lexer.Token();
                if (param.empty())
                    break;
                lexer.SkipOws();
                std::optional<std::string> value;
                if (lexer.Take('='))
                {
                    lexer.SkipOws();
                    value = lexer.Value();
                    if (!value)
                        break;
                }
                ApplyDeflateParam(params, param, value);
            }
            return params;
        }
        lexer.SkipElement();
    }
    return {};
}

// ---------------------------------------------------------------------------------------------------------

struct WsDecoder::State
{
    enum class Mode : uint8_t
    {
        Header,  // at or inside a frame header
        Payload, // inside the payload of `frame`
        Resync,  // after Skip: passing over bytes until a Feed names where a header starts
        Dead,    // after a header violation: frame boundaries are unknowable for good
    };
    // How the open data message's payload becomes bytes.
    enum class Decode : uint8_t
    {
        Plain,   // unmasked as it is (uncompressed, or compressed bytes that cannot be inflated)
        Inflate, // unmasked and inflated
        Drop,    // not at all: inflating it failed part-way
    };

    State(bool fromClient, DeflateParams agreed)
        : params(agreed),
          noContextTakeover(fromClient ? agreed.clientNoContextTakeover : agreed.serverNoContextTakeover)
    {
    }

    ~State()
    {
        if (zReady)
            inflateEnd(&z);
    }

    State(const State&) = delete;
    State& operator=(const State&) = delete;

    void Feed(const uint8_t* data, size_t size, size_t firstHeaderOffset, const Sink& sink);
    void Skip(uint64_t wireBytes, const Sink& sink);
    void Finish(const Sink& sink);

    void StartFrame(const Sink& sink);
    size_t TakePayload(const uint8_t* data, size_t size, const Sink& sink);
    void EndFrame(const Sink& sink);
    // Delivers the control frame read so far as one part.
    void EmitControl(bool lost, std::string_view problem, const Sink& sink);
    void Die(HeaderViolation violation, uint64_t wireBytes, const Sink& sink);
    // Delivers what is held of an interrupted control frame and data message, with these problems.
    void Interrupt(std::string_view frameProblem, std::string_view messageProblem, bool lost, const Sink& sink);

    void StartMessage(WsOpcode opcode, bool compressed);
    void AddProblem(std::string_view problem);
    void DataBytes(const uint8_t* data, size_t size, const Sink& sink);
    void Inflate(const uint8_t* data, size_t size, bool tail, const Sink& sink);
    void FinishInflate(const Sink& sink);
    bool RestartKeepingWindow();
    void BreakContext(std::string_view problem);
    void EmitData(bool final, const Sink& sink);
    void EndMessage(const Sink& sink);
    void AbortMessage(std::string_view problem, bool lost, const Sink& sink);
    void EmitLoose(uint64_t wireBytes, bool lost, std::string_view problem, const Sink& sink);

    const DeflateParams params;
    const bool noContextTakeover; // of this direction: the inflater is reset before each message

    Mode mode = Mode::Header;
    uint64_t frames = 0;

    // The frame being read.
    uint8_t header[14] = {};
    size_t headerHave = 0; // bytes of a header split across Feed calls; not yet accounted to any part
    FrameHeader frame;
    uint64_t payloadLeft = 0;
    uint64_t payloadDone = 0; // payload bytes read so far: the mask offset
    bool frameControl = false;

    // A control frame (at most 125 bytes, so it is delivered whole).
    uint8_t control[125] = {};
    size_t controlSize = 0;
    uint64_t controlWire = 0;
    std::string controlProblem;

    // The open data message.
    bool msgOpen = false;
    WsOpcode msgOpcode = WsOpcode::Text;
    bool msgCompressed = false;
    bool msgLost = false;
    bool msgDelivered = false; // a part of it went out
    Decode msgDecode = Decode::Plain;
    std::string msgProblem;
    uint64_t pendingWire = 0;    // wire bytes of the message not yet accounted to a part
    uint64_t pendingSkipped = 0; // payload bytes skipped in it since the last part
    // Decoded bytes of the part being filled: it grows to what the messages need, up to kPartBytes, so the
    // many connections that only carry small messages do not hold 64 KiB each.
    std::vector<uint8_t> out;
    void Reserve(size_t bytes)
    {
        if (out.size() < bytes)
            out.resize(std::min(kPartBytes, std::max(bytes, out.size() * 2)));
    }
    size_t outSize = 0;

    // permessage-deflate: one raw inflate stream for the whole direction (context takeover).
    z_stream z{};
    bool zReady = false;
    // Compressed bytes inflated since the stream was last known to stand at a block boundary.
    uint64_t zFedSinceBoundary = 0;
    // Why later compressed messages cannot be inflated ("" = they can).
    std::string zBroken;
    std::unique_ptr<uint8_t[]> scratch;    // unmasked compressed bytes
    std::unique_ptr<uint8_t[]> dictionary; // the window across a BFINAL restart

    std::string deadProblem;
};

void WsDecoder::State::Feed(const uint8_t* data, size_t size, size_t firstHeaderOffset, const Sink& sink)
{
    size_t pos = 0;
    if (mode == Mode::Dead)
    {
        if (size > 0)
            EmitLoose(size, false, deadProblem, sink);
        return;
    }
    if (mode == Mode::Resync)
    {
        const size_t ignored = firstHeaderOffset < size ? firstHeaderOffset : size;
        if (ignored > 0)
            EmitLoose(ignored, true, "capture fell behind: bytes before the next frame header were not decoded", sink);
        if (ignored == size)
            return;
        pos = ignored;
        mode = Mode::Header;
        headerHave = 0;
    }
    while (pos < size)
    {
        if (mode == Mode::Payload)
        {
            pos += TakePayload(data + pos, size - pos, sink);
            continue;
        }

        const size_t heldBefore = headerHave;
        size_t headerSize = headerHave == 0 ? ParseFrameHeader(data + pos, size - pos, frame) : 0;
        size_t taken = headerSize;
        if (headerSize == 0)
        {
            const size_t copy = std::min(sizeof(header) - headerHave, size - pos);
            std::memcpy(header + headerHave, data + pos, copy);
            headerSize = ParseFrameHeader(header, headerHave + copy, frame);
            if (headerSize == 0)
            {
                headerHave += copy;
                return; // the rest of the header comes in a later Feed
            }
            taken = headerSize - headerHave;
            headerHave = 0;
        }
        if (const HeaderViolation v = Violation(frame); v != HeaderViolation::None)
        {
            Die(v, heldBefore + (size - pos), sink);
            return;
        }
        pos += taken;
        StartFrame(sink);
    }
}

void WsDecoder::State::StartFrame(const Sink& sink)
{
    mode = Mode::Payload;
    payloadLeft = frame.payloadLength;
    payloadDone = 0;
    const bool rsv1 = (frame.rsv & 4) != 0;
    frameControl = IsControl(frame.opcode);
    if (frameControl)
    {
        controlSize = 0;
        controlWire = frame.size;
        controlProblem.clear();
        if (rsv1)
            controlProblem = "RSV1 set on a control frame";
    }
    else
    {
        if (frame.opcode == static_cast<uint8_t>(WsOpcode::Continuation))
        {
            if (!msgOpen)
            {
                StartMessage(WsOpcode::Continuation, false);
                AddProblem("continuation frame with no message open");
            }
            if (rsv1)
                AddProblem("RSV1 set on a continuation frame");
        }
        else
        {
            if (msgOpen)
                AbortMessage("a new message began before this one's final frame", false, sink);
            StartMessage(static_cast<WsOpcode>(frame.opcode), rsv1);
        }
        pendingWire += frame.size;
    }
    if (payloadLeft == 0)
        EndFrame(sink);
}

size_t WsDecoder::State::TakePayload(const uint8_t* data, size_t size, const Sink& sink)
{
    const size_t take = static_cast<size_t>(std::min<uint64_t>(payloadLeft, size));
    if (frameControl)
    {
        // Violation() keeps control payloads within 125 bytes.
        std::memcpy(control + controlSize, data, take);
        if (frame.masked)
            ApplyMask(control + controlSize, take, frame.mask, payloadDone);
        controlSize += take;
        controlWire += take;
    }
    else
    {
        pendingWire += take;
        DataBytes(data, take, sink);
    }
    payloadDone += take;
    payloadLeft -= take;
    if (payloadLeft == 0)
        EndFrame(sink);
    return take;
}

void WsDecoder::State::EndFrame(const Sink& sink)
{
    ++frames;
    mode = Mode::Header;
    if (frameControl)
        EmitControl(false, controlProblem, sink);
    else if (frame.fin)
        EndMessage(sink);
}

void WsDecoder::State::EmitControl(bool lost, std::string_view problem, const Sink& sink)
{
    DecodedPart part;
    part.opcode = static_cast<WsOpcode>(frame.opcode);
    part.first = true;
    part.final = true;
    part.bytes = std::string_view(reinterpret_cast<const char*>(control), controlSize);
    part.wireBytes = controlWire;
    part.lost = lost;
    part.problem = problem;
    controlSize = 0;
    controlWire = 0;
    frameControl = false;
    sink(part);
}

void WsDecoder::State::Die(HeaderViolation violation, uint64_t wireBytes, const Sink& sink)
{
    const std::string what(ToString(violation));
    deadProblem = "undecodable: frame boundaries lost at a header violation (" + what + ")";
    mode = Mode::Dead;
    headerHave = 0;
    payloadLeft = 0;
    if (msgOpen)
        AbortMessage("the stream broke at a header violation (" + what + ") before this message ended", false, sink);
    EmitLoose(wireBytes, false, deadProblem, sink);
}

void WsDecoder::State::Interrupt(std::string_view frameProblem, std::string_view messageProblem, bool lost,
                                 const Sink& sink)
{
    const uint64_t heldHeader = mode == Mode::Header ? headerHave : 0;
    headerHave = 0;
    if (mode == Mode::Payload && frameControl)
        EmitControl(lost, frameProblem, sink);
    payloadLeft = 0;
    if (msgOpen)
    {
        pendingWire += heldHeader; // a header split by the interruption is counted with the open message
        AbortMessage(messageProblem, lost, sink);
    }
    else if (heldHeader > 0)
        EmitLoose(heldHeader, lost, frameProblem, sink);
}

void WsDecoder::State::Skip(uint64_t wireBytes, const Sink& sink)
{
    if (wireBytes == 0 || mode == Mode::Dead)
        return;
    if (mode == Mode::Payload && !frameControl && wireBytes <= payloadLeft)
    {
        // The gap lies inside the data frame being read: its end, and so the next header, is still known.
        msgLost = true;
        if (msgDecode == Decode::Inflate)
        {
            AddProblem("capture fell behind inside this compressed message: the rest could not be inflated");
            BreakContext("undecodable: the compression context was lost when capture fell behind");
            msgDecode = Decode::Drop;
        }
        else if (msgDecode == Decode::Plain && !msgCompressed)
            pendingSkipped += wireBytes;
        payloadDone += wireBytes;
        payloadLeft -= wireBytes;
        if (payloadLeft == 0)
            EndFrame(sink);
        return;
    }
    if (mode != Mode::Resync)
    {
        const std::string problem = "capture fell behind: " + std::to_string(wireBytes) + " wire bytes not captured";
        Interrupt(problem, problem, true, sink);
    }
    // The missing bytes may hold compressed messages the window depends on.
    if (params.enabled && !noContextTakeover)
        BreakContext("undecodable: the compression context was lost when capture fell behind");
    mode = Mode::Resync;
}

void WsDecoder::State::Finish(const Sink& sink)
{
    if (mode == Mode::Dead || mode == Mode::Resync)
        return;
    Interrupt("connection ended mid-frame", "connection ended mid-message", false, sink);
    mode = Mode::Header;
}

void WsDecoder::State::StartMessage(WsOpcode opcode, bool compressed)
{
    msgOpen = true;
    msgOpcode = opcode;
    msgCompressed = compressed;
    msgLost = false;
    msgDelivered = false;
    msgDecode = Decode::Plain;
    msgProblem.clear();
    outSize = 0;
    zFedSinceBoundary = 0; // the previous message ended at a block boundary, or zBroken is set
    if (!compressed)
        return; // RSV1=0: not compressed, and the inflater's window stays as it is
    if (!params.enabled)
    {
        AddProblem("compressed (RSV1) but permessage-deflate was not agreed");
        return;
    }
    if (!zBroken.empty())
    {
        AddProblem(zBroken);
        return;
    }
    if (!zReady)
    {
        // -15 inflates every window size a peer may have agreed to (8..15).
        if (inflateInit2(&z, -15) != Z_OK)
        {
            AddProblem("undecodable: the inflater could not be set up");
            return;
        }
        zReady = true;
    }
    else if (noContextTakeover && inflateReset(&z) != Z_OK)
    {
        AddProblem("undecodable: the inflater could not be reset");
        return;
    }
    msgDecode = Decode::Inflate;
}

void WsDecoder::State::AddProblem(std::string_view problem)
{
    if (msgProblem.empty())
        msgProblem = problem;
    else if (msgProblem.find(problem) == std::string::npos)
        msgProblem.append("; ").append(problem);
}

void WsDecoder::State::DataBytes(const uint8_t* data, size_t size, const Sink& sink)
{
    size_t done = 0;
    while (done < size && msgDecode != Decode::Drop)
    {
        if (msgDecode == Decode::Plain)
        {
            if (outSize == kPartBytes)
                EmitData(false, sink);
            const size_t n = std::min(size - done, kPartBytes - outSize);
            Reserve(outSize + n);
            std::memcpy(out.data() + outSize, data + done, n);
            if (frame.masked)
                ApplyMask(out.data() + outSize, n, frame.mask, payloadDone + done);
            outSize += n;
            done += n;
            continue;
        }
        const size_t n = std::min(size - done, kPartBytes);
        const uint8_t* in = data + done;
        if (frame.masked)
        {
            if (!scratch)
                scratch.reset(new uint8_t[kPartBytes]);
            std::memcpy(scratch.get(), in, n);
            ApplyMask(scratch.get(), n, frame.mask, payloadDone + done);
            in = scratch.get();
        }
        Inflate(in, n, false, sink);
        done += n;
    }
}

void WsDecoder::State::Inflate(const uint8_t* data, size_t size, bool tail, const Sink& sink)
{
    z.next_in = const_cast<Bytef*>(data); // zlib does not write through next_in
    z.avail_in = static_cast<uInt>(size); // size <= kPartBytes
    for (;;)
    {
        if (outSize == kPartBytes)
            EmitData(false, sink);
        Reserve(kPartBytes);
        z.next_out = out.data() + outSize;
        z.avail_out = static_cast<uInt>(kPartBytes - outSize);
        const uInt inBefore = z.avail_in;
        const uInt outBefore = z.avail_out;
        const int rc = inflate(&z, Z_SYNC_FLUSH);
        zFedSinceBoundary += inBefore - z.avail_in;
        outSize = kPartBytes - z.avail_out;
        if (rc == Z_STREAM_END)
        {
            // A block with BFINAL set. The sender may go on with more blocks, in this message (RFC 7692
            // §7.2.3.4 sends one more byte) or the next, and they may refer back to the window.
            if (!RestartKeepingWindow())
            {
                AddProblem("inflate failed: the window could not be kept after a final block");
                msgDecode = Decode::Drop;
                BreakContext("undecodable: the compressed stream broke earlier");
                return;
            }
            zFedSinceBoundary = 0;
            if (tail)
                return; // the rest of the tail we appended is not the sender's
            continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) // Z_BUF_ERROR only says no progress was possible
        {
            AddProblem(std::string("inflate failed: ") + (z.msg != nullptr ? z.msg : "zlib error"));
            msgDecode = Decode::Drop;
            BreakContext("undecodable: the compressed stream broke earlier");
            return;
        }
        if (z.avail_out != 0 && (z.avail_in == 0 || (z.avail_in == inBefore && z.avail_out == outBefore)))
            return; // all input taken and all output out (or, never seen, no progress possible)
    }
}

void WsDecoder::State::FinishInflate(const Sink& sink)
{
    // Nothing inflated since a block boundary (an empty payload, or one that ended with a BFINAL block):
    // the message is complete, and feeding the tail alone would leave zlib inside a stored block's header.
    if (zFedSinceBoundary == 0)
        return;
    Inflate(kDeflateTail, sizeof(kDeflateTail), true, sink);
    if (msgDecode != Decode::Inflate)
        return;
    // After the tail, inflate must stand right after an end-of-block code (zlib.h: data_type).
    if (zFedSinceBoundary != 0 && (z.data_type & 128) == 0)
    {
        AddProblem("the compressed message did not end at a deflate block boundary");
        BreakContext("undecodable: the compressed stream broke earlier");
    }
}

bool WsDecoder::State::RestartKeepingWindow()
{
    if (!dictionary)
        dictionary.reset(new uint8_t[kWindowBytes]);
    uInt windowSize = 0;
    if (inflateGetDictionary(&z, dictionary.get(), &windowSize) != Z_OK)
        return false;
    Bytef* nextIn = z.next_in;
    const uInt availIn = z.avail_in;
    if (inflateReset(&z) != Z_OK)
        return false;
    if (windowSize > 0 && inflateSetDictionary(&z, dictionary.get(), windowSize) != Z_OK)
        return false;
    z.next_in = nextIn;
    z.avail_in = availIn;
    return true;
}

void WsDecoder::State::BreakContext(std::string_view problem)
{
    // Without context takeover the next message starts from an empty window, so nothing carries over.
    if (!noContextTakeover && zBroken.empty())
        zBroken = problem;
}

void WsDecoder::State::EmitData(bool final, const Sink& sink)
{
    DecodedPart part;
    part.opcode = msgOpcode;
    part.first = !msgDelivered;
    part.final = final;
    part.bytes = std::string_view(reinterpret_cast<const char*>(out.data()), outSize);
    part.wireBytes = pendingWire;
    part.compressed = msgCompressed;
    part.lost = msgLost;
    part.skipped = pendingSkipped;
    if (final)
        part.problem = msgProblem;
    msgDelivered = true;
    outSize = 0;
    pendingWire = 0;
    pendingSkipped = 0;
    sink(part);
}

void WsDecoder::State::EndMessage(const Sink& sink)
{
    if (msgDecode == Decode::Inflate)
        FinishInflate(sink);
    msgOpen = false;
    EmitData(true, sink);
}

void WsDecoder::State::AbortMessage(std::string_view problem, bool lost, const Sink& sink)
{
    AddProblem(problem);
    msgLost = msgLost || lost;
    // The inflater stopped inside this message: what a later message refers back to is unknowable.
    if (msgDecode == Decode::Inflate)
        BreakContext("undecodable: the compressed stream broke earlier");
    msgOpen = false;
    EmitData(true, sink);
}

void WsDecoder::State::EmitLoose(uint64_t wireBytes, bool lost, std::string_view problem, const Sink& sink)
{
    DecodedPart part;
    part.opcode = WsOpcode::Continuation;
    part.first = true;
    part.final = true;
    part.wireBytes = wireBytes;
    part.lost = lost;
    part.problem = problem;
    sink(part);
}

// ---------------------------------------------------------------------------------------------------------

WsDecoder::WsDecoder(bool fromClient, DeflateParams params) : m_state(std::make_unique<State>(fromClient, params)) {}

WsDecoder::~WsDecoder() = default;
WsDecoder::WsDecoder(WsDecoder&&) noexcept = default;
WsDecoder& WsDecoder::operator=(WsDecoder&&) noexcept = default;

void WsDecoder::Feed(std::string_view wire, size_t firstHeaderOffset, const Sink& sink)
{
    if (m_state)
        m_state->Feed(reinterpret_cast<const uint8_t*>(wire.data()), wire.size(), firstHeaderOffset, sink);
}

void WsDecoder::Skip(uint64_t wireBytes, const Sink& sink)
{
    if (m_state)
        m_state->Skip(wireBytes, sink);
}

void WsDecoder::Finish(const Sink& sink)
{
    if (m_state)
        m_state->Finish(sink);
}

uint64_t WsDecoder::Frames() const
{
    return m_state ? m_state->frames : 0;
}

} // namespace dapscope::wire
