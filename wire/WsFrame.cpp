#include "WsFrame.hpp"

#include <algorithm>
#include <cstring>

namespace dapscope::wire
{

namespace
{

bool IsReservedOpcode(uint8_t opcode)
{
    return (opcode >= 3 && opcode <= 7) || opcode >= 0xB;
}

// The violation the first `have` bytes of a header (fewer than a whole header) already prove, or None when
// they cannot tell yet. Agrees with Violation() on the whole header, so the answer does not depend on where
// reads split the header.
HeaderViolation EarlyViolation(const uint8_t* header, size_t have)
{
    const uint8_t opcode = header[0] & 0x0F;
    const bool control = IsControl(opcode);
    if (IsReservedOpcode(opcode))
        return HeaderViolation::ReservedOpcode;
    if (control && (header[0] & 0x80) == 0)
        return HeaderViolation::FragmentedControl;
    if (have < 3 || (header[1] & 0x7F) != 127)
        return HeaderViolation::None; // a 16-bit length is only decided by the whole header
    if ((header[2] & 0x80) != 0)
        return control ? HeaderViolation::LongControl : HeaderViolation::LengthTopBit;
    return HeaderViolation::None;
}

} // namespace

size_t ParseFrameHeader(const uint8_t* data, size_t size, FrameHeader& out)
{
    if (size < 2)
        return 0;
    const uint8_t length7 = data[1] & 0x7F;
    const bool masked = (data[1] & 0x80) != 0;
    const size_t lengthBytes = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
    const size_t need = 2 + lengthBytes + (masked ? 4 : 0);
    if (size < need)
        return 0;
    out.fin = (data[0] & 0x80) != 0;
    out.rsv = static_cast<uint8_t>((data[0] >> 4) & 0x7);
    out.opcode = data[0] & 0x0F;
    out.masked = masked;
    uint64_t length = length7;
    if (lengthBytes != 0)
    {
        length = 0;
        for (size_t i = 0; i < lengthBytes; ++i)
            length = (length << 8) | data[2 + i];
    }
    out.payloadLength = length;
    out.mask = {};
    if (masked)
        std::memcpy(out.mask.data(), data + 2 + lengthBytes, 4);
    out.size = static_cast<uint8_t>(need);
    return need;
}

HeaderViolation Violation(const FrameHeader& header)
{
    const uint8_t opcode = header.opcode & 0x0F;
    if (IsReservedOpcode(opcode))
        return HeaderViolation::ReservedOpcode;
    if (IsControl(opcode))
    {
        if (!header.fin)
            return HeaderViolation::FragmentedControl;
        if (header.payloadLength > 125)
            return HeaderViolation::LongControl;
    }
    if ((header.payloadLength >> 63) != 0)
        return HeaderViolation::LengthTopBit;
    return HeaderViolation::None;
}

std::string_view ToString(HeaderViolation violation)
{
    switch (violation)
    {
    case HeaderViolation::None:
        return "no violation";
    case HeaderViolation::ReservedOpcode:
        return "reserved opcode";
    case HeaderViolation::FragmentedControl:
        return "control frame without FIN";
    case HeaderViolation::LongControl:
        return "control frame longer than 125 bytes";
    case HeaderViolation::LengthTopBit:
        return "64-bit length with its top bit set";
    }
    return "unknown violation";
}

size_t FrameTracker::Feed(const uint8_t* data, size_t size, bool stopAtBoundary)
{
    m_firstHeader = npos;
    if (m_violation != HeaderViolation::None)
        return 0;
    if (stopAtBoundary && AtFrameBoundary())
        return 0;
    size_t pos = 0;
    while (pos < size)
    {
        if (m_payloadLeft > 0)
        {
            const uint64_t take = std::min<uint64_t>(m_payloadLeft, size - pos);
            pos += static_cast<size_t>(take);
            m_payloadLeft -= take;
            if (m_payloadLeft > 0)
                break;
            EndFrame();
            if (stopAtBoundary)
                return pos;
            continue;
        }

        const bool began = m_headerHave == 0;
        if (began && m_firstHeader == npos)
            m_firstHeader = pos;
        FrameHeader header;
        size_t headerSize = began ? ParseFrameHeader(data + pos, size - pos, header) : 0;
        if (headerSize != 0)
        {
            // Common case: the whole header is in this read; nothing is copied.
            if (const HeaderViolation v = wire::Violation(header); v != HeaderViolation::None)
                return Fail(v, pos);
            pos += headerSize;
        }
        else
        {
            const size_t copy = std::min(sizeof(m_header) - m_headerHave, size - pos);
            std::memcpy(m_header + m_headerHave, data + pos, copy);
            const size_t have = m_headerHave + copy;
            headerSize = ParseFrameHeader(m_header, have, header);
            const HeaderViolation v = headerSize != 0 ? wire::Violation(header) : EarlyViolation(m_header, have);
            if (v != HeaderViolation::None)
                return Fail(v, began ? pos : 0);
            if (headerSize == 0)
            {
                m_headerHave = static_cast<uint8_t>(have);
                pos += copy; // == size: the rest of the header comes in a later Feed
                continue;
            }
            pos += headerSize - m_headerHave; // bytes copied past the header are not taken yet
            m_headerHave = 0;
        }

        m_opcode = header.opcode;
        m_fin = header.fin;
        m_payloadLeft = header.payloadLength;
        if (m_payloadLeft == 0)
        {
            EndFrame();
            if (stopAtBoundary)
                return pos;
        }
    }
    return pos;
}

void FrameTracker::EndFrame()
{
    ++m_frames;
    if (IsControl(m_opcode))
        m_closeSeen = m_closeSeen || m_opcode == static_cast<uint8_t>(WsOpcode::Close);
    else
        m_fragmented = !m_fin; // a frame with FIN ends its message, even one that never started properly
}

size_t FrameTracker::Fail(HeaderViolation violation, size_t headerStart)
{
    m_violation = violation;
    m_headerHave = 0;
    return headerStart;
}

bool FrameTracker::AtFrameBoundary() const
{
    return m_headerHave == 0 && m_payloadLeft == 0;
}

bool FrameTracker::InFragmentedMessage() const
{
    return m_fragmented;
}

bool FrameTracker::CloseSeen() const
{
    return m_closeSeen;
}

HeaderViolation FrameTracker::Violation() const
{
    return m_violation;
}

size_t FrameTracker::FirstHeaderOffset() const
{
    return m_firstHeader;
}

uint64_t FrameTracker::Frames() const
{
    return m_frames;
}

std::string MakeFrame(WsOpcode opcode, std::string_view payload, bool masked)
{
    std::string frame;
    frame.reserve(14 + payload.size());
    frame.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(opcode)));
    const uint8_t maskBit = masked ? 0x80 : 0;
    if (payload.size() < 126)
        frame.push_back(static_cast<char>(maskBit | payload.size()));
    else if (payload.size() <= 0xFFFF)
    {
        frame.push_back(static_cast<char>(maskBit | 126));
        for (int shift = 8; shift >= 0; shift -= 8)
            frame.push_back(static_cast<char>((payload.size() >> shift) & 0xFF));
    }
    else
    {
        frame.push_back(static_cast<char>(maskBit | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.push_back(static_cast<char>((static_cast<uint64_t>(payload.size()) >> shift) & 0xFF));
    }
    MaskKey key{};
    if (masked)
    {
        key = RandomMaskKey();
        frame.append(reinterpret_cast<const char*>(key.data()), key.size());
    }
    const size_t payloadStart = frame.size();
    frame.append(payload);
    if (masked)
        ApplyMask(reinterpret_cast<uint8_t*>(frame.data()) + payloadStart, frame.size() - payloadStart, key, 0);
    return frame;
}

std::string MakeCloseFrame(uint16_t code, std::string_view reason, bool masked)
{
    size_t cut = std::min<size_t>(reason.size(), 123);
    // Back off to the start of the UTF-8 sequence the cut would fall in (continuation bytes are 10xxxxxx).
    if (cut < reason.size())
        while (cut > 0 && (static_cast<uint8_t>(reason[cut]) & 0xC0) == 0x80)
            --cut;
    std::string payload;
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    payload.append(reason.substr(0, cut));
    return MakeFrame(WsOpcode::Close, payload, masked);
}

} // namespace dapscope::wire
