#include "KnownSecrets.hpp"
#include "Redactor.hpp"
#include "Utf8.hpp"

#include <algorithm>
#include <cstdio>
#include <string.h> // memmem

namespace dapscope::inspector
{
namespace
{

// `s` as a JSON string body: compact like JS JSON.stringify / engine (raw UTF-8), or with Python's default
// ensure_ascii (everything outside space..~ as \uXXXX). nullopt when `s` cannot be spelled that way.
std::optional<std::string> JsonEscape(std::string_view s, bool asciiOnly)
{
    std::string out;
    for (size_t pos = 0; pos < s.size();)
    {
        const auto ch = DecodeUtf8At(s, pos);
        if (!ch && asciiOnly)
            return std::nullopt;
        const size_t length = ch ? ch->length : 1;
        const char32_t cp = ch ? ch->codePoint : 0xFFFD;
        char buf[16];
        switch (cp)
        {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (cp < 0x20 || (asciiOnly && cp >= 0x7F && cp < 0x10000))
            {
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
                out += buf;
            }
            else if (asciiOnly && cp >= 0x10000)
            {
                const char32_t v = cp - 0x10000;
                std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                              static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
                out += buf;
            }
            else
            {
                out.append(s.substr(pos, length));
            }
        }
        pos += length;
    }
    return out;
}

// The value of a hex digit (the parser has already validated the escape).
char32_t HexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

// glibc's memmem is several times faster than std::string_view::find for needles like API keys.
size_t Find(std::string_view haystack, std::string_view needle, size_t from)
{
    if (haystack.size() - from < needle.size())
        return std::string_view::npos; // also keeps null pointers out
    const void* hit = ::memmem(haystack.data() + from, haystack.size() - from, needle.data(), needle.size());
    return hit ? static_cast<const char*>(hit) - haystack.data() : std::string_view::npos;
}

// Replace every occurrence of every pattern, in order. Returns false when nothing matched.
template <typename Pattern> bool ReplaceAll(std::string_view in, const std::vector<Pattern>& patterns, std::string& out)
{
    std::string_view current = in;
    std::string buffer;
    bool changed = false;
    for (const auto& pattern : patterns)
    {
        size_t pos = Find(current, pattern.text, 0);
        if (pos == std::string_view::npos)
            continue;
        std::string next;
        next.reserve(current.size());
        size_t last = 0;
        while (pos != std::string_view::npos)
        {
            next.append(current.substr(last, pos - last));
            next += pattern.marker;
            last = pos + pattern.text.size();
            pos = Find(current, pattern.text, last);
        }
        next.append(current.substr(last));
        buffer.swap(next);
        current = buffer;
        changed = true;
    }
    if (changed)
        out = std::move(buffer);
    return changed;
}

} // namespace

void KnownSecrets::Add(std::string_view secret)
{
    if (secret.size() < MinScrubLength)
        return;
    if (std::any_of(m_secrets.begin(), m_secrets.end(), [&](const Pattern& p) { return p.text == secret; }))
        return;
    const std::string marker = RedactionMarker(secret);
    m_secrets.push_back({std::string(secret), marker});
    std::vector<std::string> spellings{std::string(secret)};
    for (bool asciiOnly : {false, true})
        if (auto escaped = JsonEscape(secret, asciiOnly))
            spellings.push_back(std::move(*escaped));
    std::sort(spellings.begin(), spellings.end());
    spellings.erase(std::unique(spellings.begin(), spellings.end()), spellings.end());
    for (auto& spelling : spellings)
        m_patterns.push_back({std::move(spelling), marker});
    // Longest first, so a secret that contains another one is replaced whole.
    std::stable_sort(m_patterns.begin(), m_patterns.end(),
                     [](const Pattern& a, const Pattern& b) { return a.text.size() > b.text.size(); });
    for (unsigned char c : secret)
    {
        if (c < 0x80)
            m_asciiChars.set(c);
        else
            m_nonAscii = true;
    }
}

bool KnownSecrets::Scrub(std::string_view in, std::string& out, bool cut) const
{
    if (m_patterns.empty())
        return false;
    std::string replaced;
    bool changed = ReplaceAll(in, m_patterns, replaced);
    if (!cut)
    {
        if (changed)
            out = std::move(replaced);
        return changed;
    }
    // A prefix cut inside a secret still leaks its beginning: replace a trailing partial spelling too.
    std::string_view current = changed ? std::string_view(replaced) : in;
    for (const auto& pattern : m_patterns)
    {
        for (size_t length = std::min(pattern.text.size() - 1, current.size()); length >= MinScrubLength; --length)
        {
            if (!current.ends_with(std::string_view(pattern.text).substr(0, length)))
                continue;
            std::string next(current.substr(0, current.size() - length));
            next += pattern.marker;
            replaced = std::move(next);
            current = replaced;
            changed = true;
            break;
        }
    }
    if (changed)
        out = std::move(replaced);
    return changed;
}

bool KnownSecrets::MayHideInEscapes(std::string_view json) const
{
    if (m_secrets.empty())
        return false;
    for (size_t pos = json.find('\\'); pos != std::string_view::npos && pos + 1 < json.size();
         pos = json.find('\\', pos + 2))
    {
        char32_t decoded = 0;
        switch (json[pos + 1])
        {
        case 'u':
            if (json.size() - pos < 6)
                return false;
            for (char c : json.substr(pos + 2, 4))
                decoded = decoded * 16 + HexDigit(c);
            break;
        case 'n':
            decoded = '\n';
            break;
        case 'r':
            decoded = '\r';
            break;
        case 't':
            decoded = '\t';
            break;
        case 'b':
            decoded = '\b';
            break;
        case 'f':
            decoded = '\f';
            break;
        default:
            decoded = static_cast<unsigned char>(json[pos + 1]); // \" \\ \/
            break;
        }
        if (decoded >= 0x80 ? m_nonAscii : m_asciiChars.test(decoded))
            return true;
    }
    return false;
}

bool KnownSecrets::Contains(const boost::json::value& value) const
{
    const auto holdsSecret = [this](std::string_view text)
    {
        return std::any_of(m_secrets.begin(), m_secrets.end(),
                           [&](const Pattern& p) { return text.find(p.text) != std::string_view::npos; });
    };
    if (const auto* string = value.if_string())
        return holdsSecret(*string);
    if (const auto* array = value.if_array())
        return std::any_of(array->begin(), array->end(), [this](const auto& v) { return Contains(v); });
    if (const auto* object = value.if_object())
        return std::any_of(object->begin(), object->end(),
                           [&](const auto& m) { return holdsSecret(m.key()) || Contains(m.value()); });
    return false;
}

void KnownSecrets::ScrubDocument(boost::json::value& value) const
{
    std::string scrubbed;
    if (auto* string = value.if_string())
    {
        if (ReplaceAll(*string, m_secrets, scrubbed))
            *string = scrubbed;
    }
    else if (auto* array = value.if_array())
    {
        for (auto& element : *array)
            ScrubDocument(element);
    }
    else if (auto* object = value.if_object())
    {
        bool keyChanged = false;
        for (auto& member : *object)
        {
            ScrubDocument(member.value());
            keyChanged = keyChanged || ReplaceAll(member.key(), m_secrets, scrubbed);
        }
        if (!keyChanged)
            return;
        // Keys are immutable in place: rebuild the object with scrubbed keys.
        boost::json::object rebuilt(object->storage());
        for (auto& member : *object)
        {
            const bool changed = ReplaceAll(member.key(), m_secrets, scrubbed);
            rebuilt[changed ? std::string_view(scrubbed) : std::string_view(member.key())] = std::move(member.value());
        }
        *object = std::move(rebuilt);
    }
}

} // namespace dapscope::inspector
