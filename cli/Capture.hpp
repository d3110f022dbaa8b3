#pragma once
// The whole capture pipeline in one object: relay (lws thread) -> TapQueue -> Recorder (writer thread) -> store.
// Used by `dapscope proxy`, `dapscope demo` and the GUI's embedded proxy.

#include "capture/TapQueue.hpp"
#include "net/EventLoop.hpp"
#include "proxy/Relay.hpp"
#include "storage/Recorder.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace dapscope::cli
{

struct CaptureOptions
{
    std::string storePath;
    proxy::RelayOptions relay;
    inspector::RedactionPolicy redaction;
    size_t captureBufferBytes = 64u << 20;       // TapQueue budget before payloads are elided
    uint64_t maxCaptureBytes = 64u << 20;        // bytes of one message kept in the store
    unsigned upstreamTimeoutSecs = 10;           // connect + upgrade answer limit for the upstream (then 504)
    std::function<void(const std::string&)> log; // per-session lines (the recorder's decode thread)
    storage::BatchObserver observer;             // each batch of store operations (recorder's decode thread)
};

class Capture
{
  public:
    // Opens the store and starts listening. Throws storage::StoreError or std::runtime_error.
    explicit Capture(CaptureOptions options);
    ~Capture(); // Stop(0)

    int Port() const { return m_relay->Port(); }
    size_t OpenSessions() const { return m_relay->OpenSessions(); }
    void ReloadRules() { m_relay->ReloadRules(); }
    proxy::Relay& Relay() { return *m_relay; }
    storage::Recorder& Recorder() { return *m_recorder; }
    capture::TapQueue& Queue() { return m_queue; }

    // Close sessions with 1001 (waiting up to `drain` for them), stop the relay and flush the store.
    // Returns the number of sessions that had to be dropped. Idempotent.
    size_t Stop(std::chrono::milliseconds drain);

  private:
    capture::TapQueue m_queue;
    std::unique_ptr<storage::Recorder> m_recorder;
    std::unique_ptr<net::EventLoop> m_loop;
    std::unique_ptr<proxy::Relay> m_relay;
    bool m_stopped = false;
};

} // namespace dapscope::cli
