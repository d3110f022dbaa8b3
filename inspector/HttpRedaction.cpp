// MessageRedactor's HTTP half: heads are redacted line by line, so everything but a secret stays as sent.
#include "JsonReader.hpp"
#include "MessageRedactor.hpp"

#include <cctype>

namespace dapscope::inspector
{
namespace
{
std::string Lower(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Header, query-argument and JSON member names whose values are credentials.
bool IsSecretName(std::string_view name)
{
    std::string lower = Lower(name);
    if (lower.starts_with("sec-websocket-"))
        return false; // the handshake's nonce and its proof are no credentials
    if (lower == "auth" || lower == "authorization" || lower == "proxy-authorization" || lower == "cookie" ||
        lower == "set-cookie")
        return true;
    for (std::string_view word : {"key", "token", "secret", "password"})
        if (lower.find(word) != std::string::npos)
            return true;
    return false;
}

int HexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string PercentDecode(std::string_view text)
{
    std::string out;
    for (size_t i = 0; i < text.size(); ++i)
    {
        if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0)
        {
            out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
            i += 2;
        }
        else
            out.push_back(text[i] == '+' ? ' ' : text[i]);
    }
    return out;
}

void ReplaceSecretMembers(boost::json::value& value, std::vector<std::string>& found)
{
    if (auto* object = value.if_object())
    {
        for (auto& member : *object)
        {
            auto* text = member.value().if_string();
            if (text && IsSecretName(member.key()) && !MarkerFingerprint(*text))
            {
                found.emplace_back(*text);
                std::string marker = RedactionMarker(found.back());
                text->assign(marker.data(), marker.size());
            }
            else
                ReplaceSecretMembers(member.value(), found);
        }
    }
    else if (auto* array = value.if_array())
        for (auto& element : *array)
            ReplaceSecretMembers(element, found);
}
} // namespace

std::string MessageRedactor::RedactHttpHead(std::string_view head)
{
    if (!m_enabled)
        return std::string(head);
    std::string out;
    out.reserve(head.size());
    auto redact = [this](std::string_view secret)
    {
        m_secrets.Add(secret);
        return RedactionMarker(secret);
    };
    size_t start = 0;
    bool first = true;
    while (start < head.size())
    {
        size_t end = head.find('\n', start);
        end = end == std::string_view::npos ? head.size() : end + 1;
        std::string_view line = head.substr(start, end - start);
        start = end;
        size_t content = line.size();
        while (content > 0 && (line[content - 1] == '\n' || line[content - 1] == '\r'))
            --content;
        std::string_view eol = line.substr(content);
        std::string_view text = line.substr(0, content);
        if (first)
        {
            first = false;
            // Request line: query arguments with secret names ("GET /task?auth=KEY HTTP/1.1").
            size_t query = text.find('?');
            size_t space = text.rfind(' ');
            if (!text.starts_with("HTTP/") && query != std::string_view::npos && space > query)
            {
                out += text.substr(0, query + 1);
                std::string_view args = text.substr(query + 1, space - query - 1);
                size_t at = 0;
                while (at <= args.size())
                {
                    size_t amp = args.find('&', at);
                    std::string_view pair = args.substr(at, amp == std::string_view::npos ? amp : amp - at);
                    size_t equals = pair.find('=');
                    if (equals != std::string_view::npos && IsSecretName(PercentDecode(pair.substr(0, equals))) &&
                        !MarkerFingerprint(PercentDecode(pair.substr(equals + 1))))
                        out += std::string(pair.substr(0, equals + 1)) + redact(PercentDecode(pair.substr(equals + 1)));
                    else
                        out += pair;
                    if (amp == std::string_view::npos)
                        break;
                    out += '&';
                    at = amp + 1;
                }
                out += text.substr(space);
            }
            else
                out += text;
            out += eol;
            continue;
        }
        size_t colon = text.find(':');
        if (colon == std::string_view::npos || !IsSecretName(text.substr(0, colon)))
        {
            out += line;
            continue;
        }
        std::string_view value = text.substr(colon + 1);
        size_t lead = value.find_first_not_of(" \t");
        value = lead == std::string_view::npos ? std::string_view() : value.substr(lead);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
            value.remove_suffix(1);
        out += text.substr(0, colon + 1);
        out += ' ';
        if (!value.empty() && !MarkerFingerprint(value))
        {
            // Keep an authentication scheme visible ("Bearer [redacted:...]"): the key is what is secret.
            size_t space = value.find(' ');
            std::string_view scheme = space == std::string_view::npos ? std::string_view() : value.substr(0, space + 1);
            std::string lowerName = Lower(text.substr(0, colon));
            bool authorization = lowerName == "authorization" || lowerName == "proxy-authorization";
            if (authorization && !scheme.empty())
            {
                out += scheme;
                if (MarkerFingerprint(value.substr(scheme.size())))
                    out += value.substr(scheme.size()); // redacted already (an imported head)
                else
                {
                    m_secrets.Add(value);
                    out += redact(value.substr(scheme.size()));
                }
            }
            else
                out += redact(value);
        }
        else
            out += value;
        out += eol;
    }
    std::string scrubbed;
    if (m_secrets.Scrub(out, scrubbed))
        return scrubbed;
    return out;
}

std::optional<std::string> MessageRedactor::RedactHttpBody(std::string_view body, bool truncated)
{
    if (!m_enabled || body.empty())
        return std::nullopt;
    std::string text(body);
    bool changed = false;
    if (!truncated && (body.front() == '{' || body.front() == '['))
    {
        JsonReader reader;
        if (auto* document = reader.Parse(body))
        {
            std::vector<boost::json::value*> targets;
            for (const auto& rule : m_rules)
                SelectJsonPath(rule, *document, targets);
            Found found;
            for (auto* target : targets)
                ReplaceValue(*target, found);
            ReplaceSecretMembers(*document, found.strings);
            if (!found.strings.empty() || found.count > 0)
            {
                for (const std::string& secret : found.strings)
                    m_secrets.Add(secret);
                m_secrets.ScrubDocument(*document);
                text = boost::json::serialize(*document);
                changed = true;
            }
        }
    }
    std::string scrubbed;
    if (m_secrets.Scrub(text, scrubbed, truncated))
    {
        text = std::move(scrubbed);
        changed = true;
    }
    if (!changed)
        return std::nullopt;
    return text;
}

} // namespace dapscope::inspector
