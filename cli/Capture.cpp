#include "Capture.hpp"

namespace dapscope::cli
{

Capture::Capture(CaptureOptions options) : m_queue(options.captureBufferBytes)
{
    storage::IngestOptions ingest;
    ingest.redaction = options.redaction;
    ingest.log = options.log;
    ingest.maxCaptureBytes = options.maxCaptureBytes;
    m_recorder =
        std::make_unique<storage::Recorder>(options.storePath, m_queue, std::move(ingest), std::move(options.observer));
    // The relay keeps its own deadline (a 504 names it); lws's connect timeout is only a backstop behind it.
    m_loop =
        std::make_unique<net::EventLoop>("dapscope-relay", options.upstreamTimeoutSecs + 5, proxy::kRelayReadBytes);
    options.relay.limits.upstreamTimeoutMs = static_cast<int64_t>(options.upstreamTimeoutSecs) * 1000;
    m_relay = std::make_unique<proxy::Relay>(*m_loop, options.relay, m_queue);
}

Capture::~Capture()
{
    Stop(std::chrono::milliseconds(0));
}

size_t Capture::Stop(std::chrono::milliseconds drain)
{
    if (m_stopped)
        return 0;
    m_stopped = true;
    size_t dropped = m_relay->Shutdown(drain);
    m_relay.reset();
    m_loop.reset(); // destroys the context: the last close callbacks reach the queue
    m_recorder->Stop();
    return dropped;
}

} // namespace dapscope::cli
