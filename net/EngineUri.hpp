#pragma once
// Engine address normalisation, done exactly as the RocketRide SDKs do it (PROTOCOL.md §1.2), so that
// `--upstream`, `replay --to` and `$ROCKETRIDE_URI` accept every form a user already gives their SDK.

#include "NetError.hpp"

#include <string>
#include <string_view>
#include <utility>

namespace dapscope::net
{

struct EngineUri
{
    bool tls = false; // wss
    std::string host; // without brackets for IPv6 literals
    int port = 5565;  // always set after normalisation
    std::string path; // "/task/service" unless configured otherwise

    std::string HostPort() const; // "host:port" ("[::1]:5565" for IPv6)
    std::string ToString() const; // "ws://host:port/path"
};

// Returns the normalised URI; throws NetError (what the input gets wrong) when it is not one.
EngineUri NormaliseEngineUri(std::string_view input, std::string_view path = "/task/service");

// Parse "host:port" / "[v6]:port" / "port" for --listen. Default host 127.0.0.1. Throws NetError.
std::pair<std::string, int> ParseListenAddress(std::string_view input);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

} // namespace dapscope::net
