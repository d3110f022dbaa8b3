#pragma once
// Frames as endpoints write them, for the wire tests: any header form, masked or not, RSV bits set.

#include "wire/Mask.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dapscope::wire
{

enum class Form
{
    Shortest,
    Force16, // 16-bit length even when 7 bits would do
    Force64, // 64-bit length even when 16 bits would do
};

inline std::string Frame(bool fin, uint8_t opcode, std::string_view payload, std::optional<MaskKey> mask = {},
                  Form form = Form::Shortest, uint8_t rsv = 0)
{
    std::string out;
    out.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | opcode));
    const uint8_t maskBit = mask ? 0x80 : 0;
    const uint64_t n = payload.size();
    if (form == Form::Force64 || n > 0xFFFF)
    {
        out.push_back(static_cast<char>(maskBit | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            out.push_back(static_cast<char>((n >> shift) & 0xFF));
    }
    else if (form == Form::Force16 || n > 125)
    {
        out.push_back(static_cast<char>(maskBit | 126));
        out.push_back(static_cast<char>(n >> 8));
        out.push_back(static_cast<char>(n & 0xFF));
    }
    else
        out.push_back(static_cast<char>(maskBit | n));
    const size_t start = out.size() + (mask ? 4 : 0);
    if (mask)
        out.append(reinterpret_cast<const char*>(mask->data()), 4);
    out.append(payload);
    if (mask)
        ApplyMask(reinterpret_cast<uint8_t*>(out.data()) + start, payload.size(), *mask, 0);
    return out;
}

} // namespace dapscope::wire
