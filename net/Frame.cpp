#include "Frame.hpp"

#include <libwebsockets.h>

namespace dapscope::net
{

size_t Frame::Headroom()
{
    return LWS_PRE;
}

Frame::Frame(FrameType type, std::string_view payload, bool first, bool final)
    : m_buffer(new unsigned char[LWS_PRE + payload.size() + 1]), m_size(payload.size()), m_type(type), m_first(first),
      m_final(final)
{
    if (!payload.empty())
        std::memcpy(m_buffer.get() + LWS_PRE, payload.data(), payload.size());
}

int Frame::WriteFlags() const
{
    switch (m_type)
    {
    case FrameType::Ping:
        return LWS_WRITE_PING;
    case FrameType::Pong:
        return LWS_WRITE_PONG;
    case FrameType::Text:
        return lws_write_ws_flags(LWS_WRITE_TEXT, m_first, m_final);
    case FrameType::Binary:
    default:
        return lws_write_ws_flags(LWS_WRITE_BINARY, m_first, m_final);
    }
}

} // namespace dapscope::net
