#pragma once
// A WebSocket frame waiting to be written, with the LWS_PRE headroom lws needs in front of the payload,
// and a FIFO of them that counts its bytes (the relay's watermarks are based on that count).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string_view>

namespace dapscope::net
{

enum class FrameType : uint8_t
{
    Text,
    Binary,
    Ping,
    Pong,
};

class Frame
{
  public:
    Frame() = default;
    Frame(FrameType type, std::string_view payload, bool first = true, bool final = true);

    // The buffer, to share the payload with a reader that outlives the frame (the capture tap).
    const std::shared_ptr<unsigned char[]>& Buffer() const { return m_buffer; }

    FrameType Type() const { return m_type; }
    bool First() const { return m_first; }
    bool Final() const { return m_final; }
    size_t Size() const { return m_size; }
    // The payload, writable: lws masks client frames in place (so never write a shared buffer as a client).
    unsigned char* Payload() { return m_buffer.get() + Headroom(); }
    std::string_view View() const { return {reinterpret_cast<const char*>(m_buffer.get() + Headroom()), m_size}; }
    // lws_write() protocol flags for this frame (TEXT/BINARY/CONTINUATION, NO_FIN, PING, PONG).
    int WriteFlags() const;

    static size_t Headroom();

  private:
    std::shared_ptr<unsigned char[]> m_buffer; // Headroom() bytes for lws, then the payload
    size_t m_size = 0;                         // payload bytes
    FrameType m_type = FrameType::Binary;
    bool m_first = true; // first frame of its message
    bool m_final = true; // last frame of its message (FIN)
};

class FrameQueue
{
  public:
    void Push(Frame frame)
    {
        m_bytes += frame.Size();
        m_frames.push_back(std::move(frame));
    }
    Frame Pop()
    {
        Frame frame = std::move(m_frames.front());
        m_frames.pop_front();
        m_bytes -= frame.Size();
        return frame;
    }
    bool Empty() const { return m_frames.empty(); }
    size_t Bytes() const { return m_bytes; }
    size_t Count() const { return m_frames.size(); }
    void Clear()
    {
        m_frames.clear();
        m_bytes = 0;
    }

  private:
    std::deque<Frame> m_frames;
    size_t m_bytes = 0; // payload bytes queued
};

} // namespace dapscope::net
