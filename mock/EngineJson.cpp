#include "EngineJson.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace dapscope::mock
{

namespace
{

// [SECTION] Serialisation

// Decode one UTF-8 sequence at `pos`; returns the code point and advances, or nullopt (pos unchanged) if invalid.
std::optional<uint32_t> DecodeUtf8(std::string_view text, size_t& pos)
{
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(pos);
    if (lead < 0x80)
    {
        ++pos;
        return lead;
    }
    // Sequence length, payload bits of the lead byte and smallest code point (to reject overlong forms).
    struct Form
    {
        unsigned char mask;  // lead bits that identify the form
        unsigned char value; // their value
        size_t length;       // bytes in the sequence
        uint32_t minimum;    // smallest code point the form may encode
    };
    static constexpr Form kForms[] = {{0xE0, 0xC0, 2, 0x80}, {0xF0, 0xE0, 3, 0x800}, {0xF8, 0xF0, 4, 0x10000}};
    const Form* form = nullptr;
    for (const auto& candidate : kForms)
        if ((lead & candidate.mask) == candidate.value)
            form = &candidate;
    if (!form)
        return std::nullopt;
    const size_t length = form->length;
    const uint32_t minimum = form->minimum;
    uint32_t code = lead & static_cast<unsigned char>(~form->mask);
    if (pos + length > text.size())
        return std::nullopt;
    for (size_t i = 1; i < length; ++i)
    {
        if ((byte(pos + i) & 0xC0) != 0x80)
            return std::nullopt;
        code = (code << 6) | (byte(pos + i) & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid UTF-8.
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
        return std::nullopt;
    pos += length;
    return code;
}

void AppendUnicodeEscape(std::string& out, uint32_t unit)
{
    char buffer[16];
    std::snprintf(buffer, sizeof(buffer), "\\u%04x", static_cast<unsigned>(unit));
    out += buffer;
}

// The two-character escapes json.dumps uses; nullptr for everything else.
const char* ShortEscape(unsigned char c)
{
    switch (c)
    {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    default:
        return nullptr;
    }
}

void WriteString(std::string& out, std::string_view text, const JsonStyle& style)
{
    out += '"';
    size_t pos = 0;
    while (pos < text.size())
    {
        const unsigned char c = static_cast<unsigned char>(text[pos]);
        if (const char* escape = ShortEscape(c))
        {
            out += escape;
            ++pos;
            continue;
        }
        if (c < 0x20 || (style.ensureAscii && c == 0x7F))
        {
            AppendUnicodeEscape(out, c);
            ++pos;
            continue;
        }
        if (c < 0x80 || !style.ensureAscii)
        {
            out += static_cast<char>(c);
            ++pos;
            continue;
        }
        const size_t start = pos;
        const auto code = DecodeUtf8(text, pos);
        if (!code)
        {
            // Not UTF-8: escape the byte as if it were Latin-1 rather than emit garbage.
            AppendUnicodeEscape(out, static_cast<unsigned char>(text[start]));
            pos = start + 1;
            continue;
        }
        if (*code >= 0x10000)
        {
            const uint32_t v = *code - 0x10000;
            AppendUnicodeEscape(out, 0xD800 + (v >> 10));
            AppendUnicodeEscape(out, 0xDC00 + (v & 0x3FF));
        }
        else
        {
            AppendUnicodeEscape(out, *code);
        }
    }
    out += '"';
}

void WriteValue(std::string& out, const boost::json::value& value, const JsonStyle& style)
{
    const char* itemSeparator = style.pythonSpacing ? ", " : ",";
    const char* keySeparator = style.pythonSpacing ? ": " : ":";
    switch (value.kind())
    {
    case boost::json::kind::null:
        out += "null";
        break;
    case boost::json::kind::bool_:
        out += value.get_bool() ? "true" : "false";
        break;
    case boost::json::kind::int64:
        out += std::to_string(value.get_int64());
        break;
    case boost::json::kind::uint64:
        out += std::to_string(value.get_uint64());
        break;
    case boost::json::kind::double_:
        out += PyFloatRepr(value.get_double());
        break;
    case boost::json::kind::string:
        WriteString(out, value.get_string(), style);
        break;
    case boost::json::kind::array:
    {
        out += '[';
        bool first = true;
        for (const auto& item : value.get_array())
        {
            if (!first)
                out += itemSeparator;
            first = false;
            WriteValue(out, item, style);
        }
        out += ']';
        break;
    }
    case boost::json::kind::object:
    {
        const auto& object = value.get_object();
        std::vector<const boost::json::key_value_pair*> members;
        members.reserve(object.size());
        for (const auto& member : object)
            members.push_back(&member);
        if (style.sortKeys)
        {
            // UTF-8 byte order equals code point order, which is what Python's sort uses.
            std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) { return a->key() < b->key(); });
        }
        out += '{';
        bool first = true;
        for (const auto* member : members)
        {
            if (!first)
                out += itemSeparator;
            first = false;
            WriteString(out, member->key(), style);
            out += keySeparator;
            WriteValue(out, member->value(), style);
        }
        out += '}';
        break;
    }
    }
}

// [SECTION] Override paths

// Parse "$.a.b[0]['c']" into steps; returns an error message on failure. `rest` receives what follows the path.
std::optional<std::string> ParsePath(std::string_view text, std::vector<JsonPathStep>& steps, std::string_view& rest)
{
    if (text.empty() || text[0] != '$')
        return "JSONPATH must start with '$'";
    size_t pos = 1;
    while (pos < text.size() && text[pos] != '=')
    {
        if (text[pos] == '.')
        {
            const size_t start = ++pos;
            while (pos < text.size() && text[pos] != '.' && text[pos] != '[' && text[pos] != '=')
                ++pos;
            if (pos == start)
                return "empty member name in JSONPATH";
            steps.emplace_back(std::string(text.substr(start, pos - start)));
        }
        else if (text[pos] == '[')
        {
            ++pos;
            if (pos < text.size() && (text[pos] == '"' || text[pos] == '\''))
            {
                const char quote = text[pos++];
                const size_t end = text.find(quote, pos);
                if (end == std::string_view::npos || end + 1 >= text.size() || text[end + 1] != ']')
                    return "unterminated quoted member in JSONPATH";
                steps.emplace_back(std::string(text.substr(pos, end - pos)));
                pos = end + 2;
            }
            else
            {
                size_t index = 0;
                const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), index);
                if (ec != std::errc() || end == text.data() + text.size() || *end != ']')
                    return "array index in JSONPATH must be a non-negative integer";
                steps.emplace_back(index);
                pos = static_cast<size_t>(end - text.data()) + 1;
            }
        }
        else
        {
            return "unexpected character '" + std::string(1, text[pos]) + "' in JSONPATH";
        }
    }
    if (steps.empty())
        return "JSONPATH must select a field below '$'";
    rest = text.substr(pos);
    return std::nullopt;
}

// Empty container of the kind the next step needs.
boost::json::value ContainerFor(const JsonPathStep& next)
{
    if (std::holds_alternative<size_t>(next))
        return boost::json::array();
    return boost::json::object();
}

bool SetPath(boost::json::value& root, const std::vector<JsonPathStep>& path, const boost::json::value& leaf)
{
    boost::json::value* current = &root;
    for (size_t i = 0; i < path.size(); ++i)
    {
        const bool last = i + 1 == path.size();
        boost::json::value* child = nullptr;
        if (const auto* key = std::get_if<std::string>(&path[i]))
        {
            auto* object = current->if_object();
            if (!object)
                return false;
            if (last)
            {
                (*object)[*key] = leaf;
                return true;
            }
            auto it = object->find(*key);
            if (it == object->end())
                it = object->emplace(*key, ContainerFor(path[i + 1])).first;
            child = &it->value();
        }
        else
        {
            const size_t index = std::get<size_t>(path[i]);
            auto* array = current->if_array();
            if (!array || index > array->size())
                return false;
            if (index == array->size())
                array->push_back(last ? leaf : ContainerFor(path[i + 1]));
            else if (last)
                (*array)[index] = leaf;
            if (last)
                return true;
            child = &(*array)[index];
        }
        current = child;
    }
    return true;
}

} // namespace

std::string SerializeJson(const boost::json::value& value, JsonStyle style)
{
    std::string out;
    WriteValue(out, value, style);
    return out;
}

std::string PyFloatRepr(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "Infinity" : "-Infinity";
    if (value == 0)
        return std::signbit(value) ? "-0.0" : "0.0";
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
    const std::string_view sci(buffer, static_cast<size_t>(result.ptr - buffer));
    // sci is "[-]d[.ddd]e(+|-)xx": collect the significant digits and the decimal exponent.
    const bool negative = sci[0] == '-';
    const size_t ePos = sci.find('e');
    std::string digits;
    for (char c : sci.substr(negative ? 1 : 0, ePos - (negative ? 1 : 0)))
        if (c != '.')
            digits += c;
    int exponent = 0;
    std::from_chars(sci.data() + ePos + (sci[ePos + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exponent);
    std::string out = negative ? "-" : "";
    const int decimalPoint = exponent + 1; // digits before the decimal point
    if (decimalPoint > -4 && decimalPoint <= 16)
    {
        const int count = static_cast<int>(digits.size());
        if (decimalPoint <= 0)
            out += "0." + std::string(static_cast<size_t>(-decimalPoint), '0') + digits;
        else if (decimalPoint >= count)
            out += digits + std::string(static_cast<size_t>(decimalPoint - count), '0') + ".0";
        else
            out += digits.substr(0, static_cast<size_t>(decimalPoint)) + "." +
                   digits.substr(static_cast<size_t>(decimalPoint));
        return out;
    }
    out += digits.substr(0, 1);
    if (digits.size() > 1)
        out += "." + digits.substr(1);
    char exponentText[16];
    std::snprintf(exponentText, sizeof(exponentText), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + exponentText;
}

std::string SanitizeUtf8(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size());
    size_t pos = 0;
    while (pos < bytes.size())
    {
        const size_t start = pos;
        if (DecodeUtf8(bytes, pos))
        {
            out.append(bytes.substr(start, pos - start));
        }
        else
        {
            out += "\xEF\xBF\xBD";
            pos = start + 1;
        }
    }
    return out;
}

std::optional<boost::json::value> ParseJson(std::string_view text)
{
    boost::json::parse_options options;
    options.max_depth = 256;
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec, {}, options);
    if (ec)
        return std::nullopt;
    return value;
}

struct Sha256Stream::Context
{
    EVP_MD_CTX* ctx = nullptr; // owned digest context
    bool started = false;      // EVP_DigestInit_ex ran since the last FinalHex
    ~Context() { EVP_MD_CTX_free(ctx); }
};

Sha256Stream::Sha256Stream() : m_context(std::make_unique<Context>())
{
    m_context->ctx = EVP_MD_CTX_new();
}

Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

void Sha256Stream::Update(std::string_view bytes)
{
    if (!m_context || !m_context->ctx)
        return;
    if (!m_context->started)
    {
        EVP_DigestInit_ex(m_context->ctx, EVP_sha256(), nullptr);
        m_context->started = true;
    }
    EVP_DigestUpdate(m_context->ctx, bytes.data(), bytes.size());
}

std::string Sha256Stream::FinalHex()
{
    if (!m_context || !m_context->ctx)
        return {};
    if (!m_context->started)
        Update({});
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(m_context->ctx, digest, &length);
    m_context->started = false;
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i)
    {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xF];
    }
    return out;
}

std::string Sha256Hex(std::string_view bytes)
{
    Sha256Stream stream;
    stream.Update(bytes);
    return stream.FinalHex();
}

std::string HashUuid(std::string_view seed, char version)
{
    std::string hex = Sha256Hex(seed).substr(0, 32);
    hex[12] = version;
    hex[16] = "89ab"[std::string_view("0123456789abcdef").find(hex[16]) % 4];
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20, 12);
}

std::string TaskToken(const boost::json::value& projectId, const boost::json::value& source, std::string_view userId)
{
    boost::json::object content{{"userId", userId}, {"project_id", projectId}, {"source", source}};
    return "tk_" + Sha256Hex(SerializeJson(content, {true, true, true})).substr(0, 32);
}

std::string PublicToken(const boost::json::value& projectId, const boost::json::value& source)
{
    boost::json::object content{{"project_id", projectId}, {"source", source}};
    return "pk_" + Sha256Hex(SerializeJson(content, {true, true, true})).substr(0, 32);
}

std::string DisplayId(std::string_view token, std::string_view source)
{
    if (token.starts_with("tk_") || token.starts_with("pk_"))
        token.remove_prefix(3);
    return std::string(token.substr(0, 8)) + "." + std::string(source);
}

std::variant<ResponseOverride, std::string> ParseOverride(std::string_view spec)
{
    const std::string quoted = "override '" + std::string(spec) + "': ";
    const size_t colon = spec.find(':');
    if (colon == std::string_view::npos || colon == 0)
        return quoted + "expected COMMAND:JSONPATH=JSON";
    ResponseOverride rule;
    rule.command = std::string(spec.substr(0, colon));
    if (rule.command.find_first_of(" \t=$") != std::string::npos)
        return quoted + "invalid command name";
    std::string_view rest;
    if (auto error = ParsePath(spec.substr(colon + 1), rule.path, rest))
        return quoted + *error;
    if (rest.empty() || rest[0] != '=')
        return quoted + "expected '=' after JSONPATH";
    auto value = ParseJson(rest.substr(1));
    if (!value)
        return quoted + "value is not valid JSON (quote strings: \"text\")";
    rule.value = std::move(*value);
    return rule;
}

void ApplyOverride(boost::json::object& message, const ResponseOverride& rule)
{
    // Work on a copy so a path that fails halfway leaves the message untouched.
    boost::json::value copy = message;
    if (SetPath(copy, rule.path, rule.value))
        message = std::move(copy.get_object());
}

} // namespace dapscope::mock
