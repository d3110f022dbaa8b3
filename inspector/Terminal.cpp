// Safe printing of untrusted wire data: EscapeForTerminal and PayloadPreview (declared in Envelope.hpp).
#include "Envelope.hpp"
#include "Utf8.hpp"

#include <algorithm>
#include <cstdio>

namespace dapscope::inspector
{
namespace
{

// Characters that would let wire data move the cursor, change colours or reorder text on screen.
bool IsUnsafeCodePoint(char32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)                // C0, DEL, C1 (incl. CSI 0x9B)
           || cp == 0x2028 || cp == 0x2029                                      // line / paragraph separators
           || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069); // bidi overrides
}

// A byte as \xNN (ASCII controls, DEL, bytes that are not valid UTF-8).
std::string EscapeByte(unsigned char byte)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02X", byte);
    return buf;
}

// The escaped form of one unsafe code point: C escapes for common controls, \xNN for ASCII, \uNNNN above.
std::string EscapeCodePoint(char32_t cp)
{
    switch (cp)
    {
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        break;
    }
    if (cp < 0x80)
        return EscapeByte(static_cast<unsigned char>(cp));
    char buf[16];
    std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(cp));
    return buf;
}

} // namespace

std::string EscapeForTerminal(std::string_view text, size_t maxChars)
{
    constexpr std::string_view ellipsis = "…";
    std::string out;
    out.reserve(std::min(text.size(), maxChars) + ellipsis.size());
    size_t chars = 0;    // characters (code points) in `out`
    size_t keepSize = 0; // size of `out` while it still leaves room for the ellipsis
    for (size_t pos = 0; pos < text.size();)
    {
        std::string escaped;
        std::string_view piece;
        if (const auto ch = DecodeUtf8At(text, pos))
        {
            if (ch->codePoint == '\\')
                escaped = "\\\\"; // keep escapes unambiguous
            else if (IsUnsafeCodePoint(ch->codePoint))
                escaped = EscapeCodePoint(ch->codePoint);
            else
                piece = text.substr(pos, ch->length);
            pos += ch->length;
        }
        else
        {
            escaped = EscapeByte(static_cast<unsigned char>(text[pos]));
            ++pos;
        }
        if (piece.empty())
            piece = escaped;
        const size_t pieceChars = escaped.empty() ? 1 : escaped.size();
        if (chars + pieceChars > maxChars)
        {
            if (maxChars == 0)
                return {};
            out.resize(keepSize);
            out += ellipsis;
            return out;
        }
        out += piece;
        chars += pieceChars;
        if (chars < maxChars)
            keepSize = out.size();
    }
    return out;
}

std::string PayloadPreview(std::string_view payload, size_t maxChars)
{
    if (payload.empty())
        return {};
    // Only the bytes that can reach the preview are inspected: a character takes at most 4 bytes.
    const size_t window = maxChars < payload.size() / 4 ? maxChars * 4 + 4 : payload.size();
    const std::string_view head = payload.substr(0, window);
    for (size_t pos = 0; pos < head.size();)
    {
        const auto ch = DecodeUtf8At(head, pos);
        if (!ch)
        {
            if (head.size() < payload.size() && head.size() - pos < 4)
                break; // a character cut by the window
            return "<" + std::to_string(payload.size()) + " bytes binary>";
        }
        const char32_t cp = ch->codePoint;
        if ((cp < 0x20 && cp != '\n' && cp != '\r' && cp != '\t') || cp == 0x7F)
            return "<" + std::to_string(payload.size()) + " bytes binary>";
        pos += ch->length;
    }
    return EscapeForTerminal(head, maxChars);
}

} // namespace dapscope::inspector
