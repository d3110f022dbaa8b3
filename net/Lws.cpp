#include "Lws.hpp"

#include <libwebsockets.h>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace dapscope::net
{

namespace
{
void EmitLwsLog(int level, const char* line)
{
    (void)level;
    std::fprintf(stderr, "lws: %s", line);
}

// Percent-encode what lws decoded, so the forwarded request line is a valid URI again.
std::string Reencode(std::string_view text, bool keepSlashes)
{
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text)
    {
        bool plain = std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '=' || c == ':' ||
                     c == '@' || c == '!' || c == '$' || c == '\'' || c == '(' || c == ')' || c == '*' || c == ',' ||
                     c == ';' || c == '+' || (keepSlashes && c == '/');
        if (plain)
            out += static_cast<char>(c);
        else
        {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}
} // namespace

void InitLwsLogging()
{
    static std::once_flag once;
    std::call_once(once,
                   []
                   {
                       int levels = LLL_ERR;
                       if (const char* env = std::getenv("DAPSCOPE_LWS_LOG"))
                           levels = std::atoi(env);
                       lws_set_log_level(levels, EmitLwsLog);
                   });
}

unsigned RaiseFdLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 1024;
    if (limit.rlim_cur < limit.rlim_max)
    {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    // lws allocates a table of this size per thread: keep it reasonable even when the hard limit is huge.
    return static_cast<unsigned>(std::min<rlim_t>(limit.rlim_cur, 65536));
}

std::string CopyHeader(lws* wsi, int token)
{
    auto id = static_cast<lws_token_indexes>(token);
    int len = lws_hdr_total_length(wsi, id);
    if (len <= 0)
        return {};
    std::string value(static_cast<size_t>(len) + 1, '\0');
    int n = lws_hdr_copy(wsi, value.data(), len + 1, id);
    value.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return value;
}

std::string CopyCustomHeader(lws* wsi, const char* nameWithColon)
{
    int nameLen = static_cast<int>(std::strlen(nameWithColon));
    int len = lws_hdr_custom_length(wsi, nameWithColon, nameLen);
    if (len <= 0)
        return {};
    std::string value(static_cast<size_t>(len) + 1, '\0');
    int n = lws_hdr_custom_copy(wsi, value.data(), len + 1, nameWithColon, nameLen);
    value.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return value;
}

std::string CopyRequestUri(lws* wsi, const std::string& dropArg)
{
    std::string uri = Reencode(CopyHeader(wsi, WSI_TOKEN_GET_URI), true);
    if (uri.empty())
        uri = "/";
    char arg[4096];
    bool first = true;
    for (int i = 0; lws_hdr_copy_fragment(wsi, arg, sizeof arg, WSI_TOKEN_HTTP_URI_ARGS, i) >= 0; ++i)
    {
        std::string_view text(arg);
        if (!dropArg.empty() && text.substr(0, text.find('=')) == dropArg)
            continue;
        uri += first ? '?' : '&';
        uri += Reencode(text, true);
        first = false;
    }
    return uri;
}

std::string QueryArgument(lws* wsi, const std::string& name)
{
    char buffer[1024];
    std::string prefix = name + "=";
    const char* value = lws_get_urlarg_by_name(wsi, prefix.c_str(), buffer, sizeof buffer);
    return value ? std::string(value) : std::string();
}

std::string PeerAddress(lws* wsi)
{
    char ip[128] = "";
    lws_get_peer_simple(wsi, ip, sizeof ip);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int port = 0;
    if (getpeername(lws_get_socket_fd(wsi), reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    {
        if (addr.ss_family == AF_INET)
            port = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
        else if (addr.ss_family == AF_INET6)
            port = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    }
    return std::string(ip) + ":" + std::to_string(port);
}

uint16_t WireSafeCloseCode(uint16_t code)
{
    switch (code)
    {
    case 1005: // no status received
        return 1000;
    case 1006: // abnormal closure (no close frame)
    case 1015: // TLS failure
        return 1011;
    default:
        return code < 1000 ? 1002 : code;
    }
}

void ParseClosePayload(const void* in, size_t len, uint16_t& code, std::string& reason)
{
    auto* bytes = static_cast<const unsigned char*>(in);
    if (!in || len < 2)
    {
        code = 1005;
        reason.clear();
        return;
    }
    code = static_cast<uint16_t>((bytes[0] << 8) | bytes[1]);
    reason.assign(reinterpret_cast<const char*>(bytes + 2), len - 2);
}

} // namespace dapscope::net
