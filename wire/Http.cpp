#include "Http.hpp"

#include <cstddef>

namespace dapscope::wire
{

namespace
{

// tchar of RFC 9110 §5.6.2: the characters of methods, field names and transfer codings.
bool IsTchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    switch (c)
    {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

bool IsToken(std::string_view text)
{
    if (text.empty())
        return false;
    for (unsigned char c : text)
        if (!IsTchar(c))
            return false;
    return true;
}

char Lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (Lower(a[i]) != Lower(b[i]))
            return false;
    return true;
}

std::string_view TrimOws(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

bool IsDigit(char c)
{
    return c >= '0' && c <= '9';
}

// "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3).
bool ParseVersion(std::string_view text, int& major, int& minor)
{
    if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || !IsDigit(text[5]) || text[6] != '.' || !IsDigit(text[7]))
        return false;
    major = text[5] - '0';
    minor = text[7] - '0';
    return true;
}

bool ParseStartLine(std::string_view line, HttpHead& head)
{
    if (head.request)
    {
        // method SP request-target SP HTTP-version
        const size_t first = line.find(' ');
        const size_t last = line.rfind(' ');
        if (first == std::string_view::npos || last == first)
            return false;
        const std::string_view method = line.substr(0, first);
        const std::string_view target = line.substr(first + 1, last - first - 1);
        if (!IsToken(method) || target.empty() || target.find(' ') != std::string_view::npos)
            return false;
        if (!ParseVersion(line.substr(last + 1), head.versionMajor, head.versionMinor))
            return false;
        head.method = method;
        head.target = target;
        return true;
    }
    // HTTP-version SP status-code [ SP reason-phrase ]; a missing reason is tolerated as most clients do.
    if (line.size() < 12 || line[8] != ' ' || !ParseVersion(line.substr(0, 8), head.versionMajor, head.versionMinor))
        return false;
    if (!IsDigit(line[9]) || !IsDigit(line[10]) || !IsDigit(line[11]))
        return false;
    if (line.size() > 12 && line[12] != ' ')
        return false;
    head.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    head.reason = line.size() > 12 ? line.substr(13) : std::string_view();
    return true;
}

int HexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// %XX sequences decoded, so that "dapscope%5Ftoken" is recognised as the name it stands for.
std::string PercentDecoded(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i)
    {
        if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0)
        {
            out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
            i += 2;
        }
        else
            out.push_back(text[i]);
    }
    return out;
}

// The target without every query argument named `name` (name compared after percent-decoding); the "?" goes
// when no argument is left. Returns `target` itself when nothing matched.
std::string WithoutQueryArg(std::string_view target, std::string_view name)
{
    const size_t question = target.find('?');
    if (name.empty() || question == std::string_view::npos)
        return std::string(target);
    size_t queryEnd = target.find('#', question);
    if (queryEnd == std::string_view::npos)
        queryEnd = target.size();
    const std::string_view query = target.substr(question + 1, queryEnd - question - 1);

    std::string kept;
    bool dropped = false;
    bool any = false;
    for (size_t pos = 0; pos <= query.size();)
    {
        size_t amp = query.find('&', pos);
        if (amp == std::string_view::npos)
            amp = query.size();
        const std::string_view arg = query.substr(pos, amp - pos);
        const std::string_view argName = arg.substr(0, arg.find('='));
        if (PercentDecoded(argName) == name)
            dropped = true;
        else
        {
            if (any)
                kept.push_back('&');
            kept.append(arg);
            any = true;
        }
        pos = amp + 1;
    }
    if (!dropped)
        return std::string(target);
    std::string out(target.substr(0, question));
    if (any)
    {
        out.push_back('?');
        out += kept;
    }
    out.append(target.substr(queryEnd));
    return out;
}

std::string RewriteStartLine(std::string_view line, std::string_view dropQueryArg)
{
    const size_t first = line.find(' ');
    const size_t last = line.rfind(' ');
    if (dropQueryArg.empty() || first == std::string_view::npos || last == first)
        return std::string(line);
    std::string out(line.substr(0, first + 1));
    out += WithoutQueryArg(line.substr(first + 1, last - first - 1), dropQueryArg);
    out.append(line.substr(last));
    return out;
}

// CR and LF (and the other controls but HT) removed: generated heads never carry what a caller passed in
// by mistake as a line break.
std::string HeaderSafe(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (char c : text)
        if (c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F))
            out.push_back(c);
    return out;
}

} // namespace

const std::string* HttpHead::Find(std::string_view name) const
{
    for (const HttpHeader& header : headers)
        if (EqualsIgnoreCase(header.name, name))
            return &header.value;
    return nullptr;
}

std::string HttpHead::Joined(std::string_view name) const
{
    std::string joined;
    bool first = true;
    for (const HttpHeader& header : headers)
    {
        if (!EqualsIgnoreCase(header.name, name))
            continue;
        if (!first)
            joined += ", ";
        joined += header.value;
        first = false;
    }
    return joined;
}

bool HttpHead::HasToken(std::string_view name, std::string_view token) const
{
    for (const HttpHeader& header : headers)
    {
        if (!EqualsIgnoreCase(header.name, name))
            continue;
        std::string_view list = header.value;
        for (size_t pos = 0; pos <= list.size();)
        {
            size_t comma = list.find(',', pos);
            if (comma == std::string_view::npos)
                comma = list.size();
            if (EqualsIgnoreCase(TrimOws(list.substr(pos, comma - pos)), token))
                return true;
            pos = comma + 1;
        }
    }
    return false;
}

bool HttpHead::IsWebSocketUpgrade() const
{
    return request && versionMajor == 1 && versionMinor == 1 && method == "GET" && HasToken("Upgrade", "websocket") &&
           HasToken("Connection", "upgrade");
}

std::optional<HttpHead> ParseHead(std::string_view raw, bool request)
{
    if (raw.size() < 4 || raw.substr(raw.size() - 4) != "\r\n\r\n")
        return std::nullopt;
    HttpHead head;
    head.request = request;
    bool startLine = true;
    for (size_t pos = 0;;)
    {
        const size_t eol = raw.find("\r\n", pos);
        const std::string_view line = raw.substr(pos, eol - pos);
        pos = eol + 2;
        if (line.find_first_of("\r\n") != std::string_view::npos)
            return std::nullopt;
        if (startLine)
        {
            if (!ParseStartLine(line, head))
                return std::nullopt;
            startLine = false;
            continue;
        }
        if (line.empty())
        {
            if (pos != raw.size())
                return std::nullopt;
            return head;
        }
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos || !IsToken(line.substr(0, colon)))
            return std::nullopt;
        head.headers.push_back({std::string(line.substr(0, colon)), std::string(TrimOws(line.substr(colon + 1)))});
    }
}

std::string RewriteRequestHead(std::string_view raw, const HttpHead& head, const RequestRewrite& rewrite)
{
    const size_t firstLf = raw.find('\n');
    const std::string_view eol =
        (firstLf != std::string_view::npos && firstLf > 0 && raw[firstLf - 1] == '\r') ? "\r\n" : "\n";

    std::string chain;
    for (const HttpHeader& header : head.headers)
        if (EqualsIgnoreCase(header.name, "X-Forwarded-For") && !header.value.empty())
            chain += (chain.empty() ? "" : ", ") + header.value;
    if (!rewrite.forwardedFor.empty())
        chain += (chain.empty() ? "" : ", ") + rewrite.forwardedFor;

    std::string out;
    out.reserve(raw.size() + rewrite.host.size() + chain.size() + 64);
    bool startLine = true;
    bool hostSeen = false;
    size_t pos = 0;
    while (pos < raw.size())
    {
        const size_t lf = raw.find('\n', pos);
        const size_t next = lf == std::string_view::npos ? raw.size() : lf + 1;
        std::string_view line = raw.substr(pos, next - pos);
        const std::string_view whole = line;
        if (!line.empty() && line.back() == '\n')
            line.remove_suffix(1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        const std::string_view ending = whole.substr(line.size());
        pos = next;

        if (startLine)
        {
            out += RewriteStartLine(line, rewrite.dropQueryArg);
            out += ending;
            startLine = false;
            continue;
        }
        if (line.empty())
        {
            // The end of the head: the proxy's own lines go just before it.
            if (!hostSeen && !rewrite.host.empty())
                out.append("Host: ").append(rewrite.host).append(eol);
            if (!chain.empty())
                out.append("X-Forwarded-For: ").append(chain).append(eol);
            if (!rewrite.forwardedProto.empty())
                out.append("X-Forwarded-Proto: ").append(rewrite.forwardedProto).append(eol);
            out += ending;
            out.append(raw.substr(pos));
            return out;
        }

        const size_t colon = line.find(':');
        const std::string_view name = TrimOws(line.substr(0, colon == std::string_view::npos ? 0 : colon));
        bool drop = EqualsIgnoreCase(name, "X-Forwarded-For") || EqualsIgnoreCase(name, "X-Forwarded-Proto");
        for (const std::string& dropped : rewrite.dropHeaders)
            drop = drop || EqualsIgnoreCase(name, dropped);
        if (drop)
            continue;
        if (EqualsIgnoreCase(name, "Host") && !rewrite.host.empty())
        {
            // Only the value changes: the name's case and the whitespace around the value stay as sent.
            hostSeen = true;
            size_t valueBegin = colon + 1;
            while (valueBegin < line.size() && (line[valueBegin] == ' ' || line[valueBegin] == '\t'))
                ++valueBegin;
            size_t valueEnd = line.size();
            while (valueEnd > valueBegin && (line[valueEnd - 1] == ' ' || line[valueEnd - 1] == '\t'))
                --valueEnd;
            out.append(line.substr(0, valueBegin)).append(rewrite.host).append(line.substr(valueEnd));
            out += ending;
            continue;
        }
        out += whole;
    }
    return out; // no empty line: not a head, returned with the changes made so far
}

std::string GeneratedResponse(int status, std::string_view reason, std::string_view body,
                              const std::vector<std::string>& extraHeaders)
{
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + HeaderSafe(reason) + "\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += "Connection: close\r\n";
    for (const std::string& header : extraHeaders)
        if (std::string line = HeaderSafe(header); !line.empty())
            out += line + "\r\n";
    out += "\r\n";
    out.append(body);
    return out;
}

} // namespace dapscope::wire
