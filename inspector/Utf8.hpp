#pragma once
// Strict UTF-8 decoding (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).

#include <cstddef>
#include <optional>
#include <string_view>

namespace dapscope::inspector
{

struct Utf8Char
{
    char32_t codePoint = 0; // the decoded scalar value
    size_t length = 0;      // bytes it occupies (1..4)
};

// The character starting at `pos`, or nullopt when the bytes there are not valid UTF-8 (including a sequence
// cut off by the end of `text`).
std::optional<Utf8Char> DecodeUtf8At(std::string_view text, size_t pos);

// Offset of the first byte that is not valid UTF-8, or npos when all of `text` is valid.
size_t FindInvalidUtf8(std::string_view text);

} // namespace dapscope::inspector
