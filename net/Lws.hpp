#pragma once
// Small helpers around libwebsockets shared by the relay, the mock engine and the clients.

#include <cstdint>
#include <string>

struct lws;

namespace dapscope::net
{

// Route lws logs to stderr with a "lws:" prefix. Errors only, unless DAPSCOPE_LWS_LOG=<lws level bits>.
void InitLwsLogging();

// Raise RLIMIT_NOFILE to its hard limit (hundreds of sessions need two sockets each); returns the new soft limit.
unsigned RaiseFdLimit();

// Copy a request header known to lws (WSI_TOKEN_*) or "" if absent. Valid until ESTABLISHED only.
std::string CopyHeader(lws* wsi, int token);

// Copy a header lws has no token for, by lower-case name with the colon, e.g. "x-dapscope-token:".
std::string CopyCustomHeader(lws* wsi, const char* nameWithColon);

// The request path with its query string, as the client sent it (e.g. "/task/service?x=1"), without the
// query argument named `dropArg` if given (e.g. "dapscope_token").
std::string CopyRequestUri(lws* wsi, const std::string& dropArg = {});

// Value of the query argument `name` ("" if absent).
std::string QueryArgument(lws* wsi, const std::string& name);

// "ip:port" of the peer.
std::string PeerAddress(lws* wsi);

// Close codes that may never appear on the wire (1005, 1006, 1015) become 1000 or 1011.
uint16_t WireSafeCloseCode(uint16_t code);

// Parse the payload of a close frame (2-byte big-endian code + reason). Empty payload = 1005 (no status).
void ParseClosePayload(const void* in, size_t len, uint16_t& code, std::string& reason);

} // namespace dapscope::net
