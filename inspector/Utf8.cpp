#include "Utf8.hpp"

#include <cstdint>
#include <cstring>

namespace dapscope::inspector
{

std::optional<Utf8Char> DecodeUtf8At(std::string_view text, size_t pos)
{
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80)
        return Utf8Char{lead, 1};
    // 0x80..0xC1 are continuation bytes or overlong 2-byte leads; 0xF5.. would exceed U+10FFFF.
    if (lead < 0xC2 || lead > 0xF4)
        return std::nullopt;
    const size_t length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (text.size() - pos < length)
        return std::nullopt;
    char32_t cp = lead & (0x7F >> length);
    for (size_t i = 1; i < length; ++i)
    {
        const auto b = static_cast<unsigned char>(text[pos + i]);
        if ((b & 0xC0) != 0x80)
            return std::nullopt;
        cp = (cp << 6) | (b & 0x3F);
    }
    const bool valid = length == 2 || (length == 3 && cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) ||
                       (length == 4 && cp >= 0x10000 && cp <= 0x10FFFF);
    if (!valid)
        return std::nullopt;
    return Utf8Char{cp, length};
}

size_t FindInvalidUtf8(std::string_view text)
{
    size_t pos = 0;
    while (pos < text.size())
    {
        // Fast path: JSON is mostly ASCII, so skip 8 ASCII bytes at a time.
        if (text.size() - pos >= 8)
        {
            uint64_t word;
            std::memcpy(&word, text.data() + pos, sizeof word);
            if ((word & 0x8080808080808080ULL) == 0)
            {
                pos += 8;
                continue;
            }
        }
        const auto ch = DecodeUtf8At(text, pos);
        if (!ch)
            return pos;
        pos += ch->length;
    }
    return std::string_view::npos;
}

} // namespace dapscope::inspector
