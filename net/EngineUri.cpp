#include "EngineUri.hpp"

#include "NetError.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace dapscope::net
{

namespace
{
std::string Lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

[[noreturn]] void Fail(const std::string& message)
{
    throw NetError(message);
}

std::optional<int> ParsePort(std::string_view text)
{
    int port = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535)
        return std::nullopt;
    return port;
}

// Split "host[:port]" or "[v6][:port]" into its parts; port is "" when absent.
void SplitHostPort(std::string_view hostPort, std::string& host, std::string& port)
{
    if (hostPort.starts_with('['))
    {
        size_t close = hostPort.find(']');
        if (close == std::string_view::npos)
            Fail("unterminated IPv6 address");
        host = hostPort.substr(1, close - 1);
        std::string_view rest = hostPort.substr(close + 1);
        if (!rest.empty() && rest[0] != ':')
            Fail("unexpected text after IPv6 address");
        port = rest.empty() ? "" : std::string(rest.substr(1));
        return;
    }
    size_t colon = hostPort.rfind(':');
    if (colon != std::string_view::npos && hostPort.find(':') != colon)
        Fail("IPv6 addresses must be written in brackets, e.g. [::1]:5565");
    host = hostPort.substr(0, colon);
    port = colon == std::string_view::npos ? "" : std::string(hostPort.substr(colon + 1));
}
} // namespace

std::string EngineUri::HostPort() const
{
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string EngineUri::ToString() const
{
    return std::string(tls ? "wss://" : "ws://") + HostPort() + path;
}

EngineUri NormaliseEngineUri(std::string_view input, std::string_view path)
{
    std::string text(input);
    text.erase(0, text.find_first_not_of(" \t"));
    text.erase(text.find_last_not_of(" \t") + 1);
    if (text.empty())
        Fail("empty engine URI");

    // 1. No scheme: the SDKs prepend http://.
    std::string scheme = "http";
    std::string_view rest = text;
    if (size_t sep = text.find("://"); sep != std::string::npos)
    {
        scheme = Lower(text.substr(0, sep));
        rest = std::string_view(text).substr(sep + 3);
    }
    if (scheme != "http" && scheme != "https" && scheme != "ws" && scheme != "wss")
        Fail("unsupported scheme '" + scheme + "' (use http, https, ws or wss)");

    // 4. Path, query and fragment are dropped; userinfo too (as the TypeScript SDK does).
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (size_t at = authority.rfind('@'); at != std::string_view::npos)
        authority = authority.substr(at + 1);

    EngineUri uri;
    std::string port;
    SplitHostPort(authority, uri.host, port);
    if (uri.host.empty())
        Fail("no host in engine URI '" + text + "'");

    // 3. https/wss -> TLS.
    uri.tls = scheme == "https" || scheme == "wss";
    // 2. Default port 5565 unless the host is RocketRide's cloud, which uses the scheme's port.
    if (!port.empty())
    {
        auto parsed = ParsePort(port);
        if (!parsed)
            Fail("invalid port '" + port + "'");
        uri.port = *parsed;
    }
    else if (Lower(uri.host).find("rocketride.ai") != std::string::npos)
        uri.port = uri.tls ? 443 : 80;
    else
        uri.port = 5565;
    uri.path = path.empty() ? "/" : std::string(path);
    return uri;
}

std::pair<std::string, int> ParseListenAddress(std::string_view input)
{
    std::string host;
    std::string port;
    if (input.find(':') == std::string_view::npos && !input.empty() &&
        std::all_of(input.begin(), input.end(), [](unsigned char c) { return std::isdigit(c); }))
    {
        host = "127.0.0.1";
        port = input;
    }
    else
        SplitHostPort(input, host, port);
    if (host.empty())
        host = "127.0.0.1";
    auto parsed = port.empty() ? std::optional<int>(5566) : ParsePort(port);
    if (!parsed && port != "0")
        Fail("invalid port '" + port + "'");
    return std::make_pair(host, parsed.value_or(0));
}

bool IsLoopbackHost(std::string_view host)
{
    return host == "localhost" || host == "::1" || host.starts_with("127.");
}

} // namespace dapscope::net
