#include "ExportEncoding.hpp"

#include "inspector/Utf8.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace dapscope::storage
{

namespace
{
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Value of each base64 character, -1 for characters outside the alphabet.
constexpr std::array<int8_t, 256> kDecode = []
{
    std::array<int8_t, 256> table{};
    table.fill(-1);
    for (int i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
    return table;
}();

// Reads fixed-width decimal fields of an ISO 8601 time.
struct Cursor
{
    std::string_view text;
    size_t pos = 0;

    bool Eat(char c)
    {
        if (pos < text.size() && text[pos] == c)
        {
            ++pos;
            return true;
        }
        return false;
    }
    bool Digit() const { return pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; }
    std::optional<int> Number(int digits)
    {
        int value = 0;
        for (int i = 0; i < digits; ++i, ++pos)
        {
            if (!Digit())
                return std::nullopt;
            value = value * 10 + (text[pos] - '0');
        }
        return value;
    }
};
} // namespace

std::string Base64Encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3)
    {
        uint32_t n = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
        out += kAlphabet[n >> 18];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (size_t rest = bytes.size() - i)
    {
        uint32_t n = uint32_t(uint8_t(bytes[i])) << 16 | (rest == 2 ? uint32_t(uint8_t(bytes[i + 1])) << 8 : 0);
        out += kAlphabet[n >> 18];
        out += kAlphabet[(n >> 12) & 63];
        out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> Base64Decode(std::string_view text)
{
    if (text.size() % 4 == 0 && text.ends_with("=="))
        text.remove_suffix(2);
    else if (text.size() % 4 == 0 && text.ends_with('='))
        text.remove_suffix(1);
    if (text.size() % 4 == 1)
        return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    uint32_t bits = 0;
    int count = 0;
    for (unsigned char c : text)
    {
        int value = kDecode[c];
        if (value < 0)
            return std::nullopt;
        bits = bits << 6 | uint32_t(value);
        if (++count == 4)
        {
            out += char(bits >> 16);
            out += char(bits >> 8);
            out += char(bits);
            bits = 0;
            count = 0;
        }
    }
    // A partial group: 2 characters give one byte, 3 give two; the unused low bits must be zero (canonical form).
    if (count == 2)
    {
        if (bits & 0xF)
            return std::nullopt;
        out += char(bits >> 4);
    }
    else if (count == 3)
    {
        if (bits & 0x3)
            return std::nullopt;
        out += char(bits >> 10);
        out += char(bits >> 2);
    }
    return out;
}

bool IsUtf8Text(std::string_view bytes)
{
    return inspector::FindInvalidUtf8(bytes) == std::string_view::npos;
}

std::string EpochSeconds(int64_t ns)
{
    char text[32];
    std::snprintf(text, sizeof text, "%lld.%06lld", static_cast<long long>(ns / 1000000000),
                  static_cast<long long>(ns % 1000000000 / 1000));
    return text;
}

std::optional<int64_t> NsFromEpochSeconds(double seconds)
{
    if (!(seconds >= 0 && seconds * 1e9 < static_cast<double>(kMaxTimeNs)))
        return std::nullopt;
    // Split first: the fraction of a double near 2e9 is exact, while seconds * 1e6 would add rounding error.
    double whole = std::floor(seconds);
    auto micros = static_cast<int64_t>(std::llround((seconds - whole) * 1e6));
    return static_cast<int64_t>(whole) * 1000000000 + micros * 1000;
}

std::optional<int64_t> ParseIsoTime(std::string_view text)
{
    Cursor in{text};
    auto year = in.Number(4);
    bool dash1 = in.Eat('-');
    auto month = in.Number(2);
    bool dash2 = in.Eat('-');
    auto day = in.Number(2);
    bool t = in.Eat('T') || in.Eat(' ');
    auto hour = in.Number(2);
    bool colon1 = in.Eat(':');
    auto minute = in.Number(2);
    bool colon2 = in.Eat(':');
    auto second = in.Number(2);
    if (!year || !month || !day || !hour || !minute || !second || !dash1 || !dash2 || !t || !colon1 || !colon2 ||
        *hour > 23 || *minute > 59 || *second > 60)
        return std::nullopt;
    std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(unsigned(*month)),
                                     std::chrono::day(unsigned(*day))};
    if (!date.ok())
        return std::nullopt;

    int64_t fractionNs = 0;
    if (in.Eat('.'))
    {
        if (!in.Digit())
            return std::nullopt;
        for (int64_t scale = 100000000; in.Digit(); scale /= 10)
            fractionNs += (in.text[in.pos++] - '0') * scale; // digits beyond the ns are ignored (scale 0)
    }
    int64_t offsetSeconds = 0;
    if (!in.Eat('Z'))
    {
        int sign = in.Eat('+') ? 1 : in.Eat('-') ? -1 : 0;
        auto offsetHours = sign ? in.Number(2) : std::nullopt;
        in.Eat(':');
        auto offsetMinutes = offsetHours ? in.Number(2) : std::nullopt;
        if (!offsetMinutes)
            return std::nullopt;
        offsetSeconds = sign * (*offsetHours * 3600 + *offsetMinutes * 60);
    }
    if (in.pos != text.size())
        return std::nullopt;

    int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
    int64_t seconds = days * 86400 + *hour * 3600 + *minute * 60 + *second - offsetSeconds;
    if (seconds < 0 || seconds > kMaxTimeNs / 1000000000 - 1)
        return std::nullopt;
    return seconds * 1000000000 + fractionNs;
}

std::string FormatIsoTime(int64_t ns)
{
    std::time_t seconds = static_cast<std::time_t>(ns / 1000000000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + n, sizeof text - n, ".%06lldZ", static_cast<long long>((ns % 1000000000) / 1000));
    return text;
}

const std::string* HeadFields::Find(std::string_view name) const
{
    auto same = [name](const std::string& other)
    {
        return other.size() == name.size() && std::equal(other.begin(), other.end(), name.begin(),
                                                         [](char a, char b) {
                                                             return std::tolower(static_cast<unsigned char>(a)) ==
                                                                    std::tolower(static_cast<unsigned char>(b));
                                                         });
    };
    for (const auto& [key, value] : headers)
        if (same(key))
            return &value;
    return nullptr;
}

HeadFields ReadHead(std::string_view head)
{
    HeadFields fields;
    bool first = true;
    for (size_t start = 0; start < head.size();)
    {
        size_t end = head.find('\n', start);
        std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
        start = end == std::string_view::npos ? head.size() : end + 1;
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        if (first)
        {
            fields.startLine = line;
            first = false;
            continue;
        }
        if (line.empty())
            break; // the end of the head
        size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        std::string_view value = line.substr(colon + 1);
        size_t lead = value.find_first_not_of(" \t");
        value = lead == std::string_view::npos ? std::string_view() : value.substr(lead);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
            value.remove_suffix(1);
        fields.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    return fields;
}

std::vector<std::string_view> SplitHeads(std::string_view text)
{
    std::vector<std::string_view> heads;
    while (!text.empty())
    {
        size_t crlf = text.find("\r\n\r\n"), lf = text.find("\n\n");
        size_t end = crlf < lf ? crlf + 4 : lf == std::string_view::npos ? text.size() : lf + 2;
        heads.push_back(text.substr(0, end));
        text.remove_prefix(end);
    }
    return heads;
}

} // namespace dapscope::storage
