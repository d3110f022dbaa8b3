#pragma once
// The two legs of a relayed connection.

#include "capture/TapRecord.hpp"

#include <cstdint>

namespace dapscope::proxy
{

enum class Side : uint8_t
{
    Client = 0,   // the SDK; the proxy is its server
    Upstream = 1, // the engine; the proxy is its client
};

inline Side Other(Side side)
{
    return side == Side::Client ? Side::Upstream : Side::Client;
}

// Direction of bytes written to `to`.
inline capture::Direction Toward(Side to)
{
    return to == Side::Upstream ? capture::Direction::ClientToServer : capture::Direction::ServerToClient;
}

} // namespace dapscope::proxy
