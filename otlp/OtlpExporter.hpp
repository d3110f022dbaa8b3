#pragma once
// Posts spans to an OTLP/HTTP collector (JSON, URL/v1/traces) from a thread of its own. Submit never waits: spans
// go into a bounded queue and, when it is full, are dropped and counted, so a slow or absent collector never
// slows the recorder (and through it, never the relay). Failed posts are retried with a growing pause; a
// collector that comes back gets what waited in the queue.

#include "Spans.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct curl_slist;

namespace dapscope::otlp
{

struct ExporterOptions
{
    std::string url;                 // the collector's base URL (http://host:4318); /v1/traces is added
    size_t maxQueuedSpans = 20000;   // beyond this, new spans are dropped (about 1 KiB each)
    size_t maxBatchSpans = 1000;     // spans per post
    std::chrono::milliseconds linger{500};       // how long a partial batch waits for more
    std::chrono::milliseconds maxBackoff{5000};  // the longest pause between retries
    std::chrono::milliseconds timeout{5000};     // of one post
    // Called from the exporter's thread (metrics): spans delivered, spans dropped.
    std::function<void(uint64_t)> onSent;
    std::function<void(uint64_t)> onDropped;
};

struct ExporterCounts
{
    uint64_t sent = 0;    // spans the collector accepted
    uint64_t dropped = 0; // spans lost: queue full, or refused by the collector (4xx)
    uint64_t failedPosts = 0;
};

class OtlpExporter
{
  public:
    // Throws std::invalid_argument when the URL is not http(s)://host[:port][/path].
    explicit OtlpExporter(ExporterOptions options);
    ~OtlpExporter(); // Stop()

    // Gives what is queued up to `drain` (counted from when the current batch was taken) to go out, then stops the
    // thread; later spans are dropped.
    void Stop();
    OtlpExporter(const OtlpExporter&) = delete;
    OtlpExporter& operator=(const OtlpExporter&) = delete;

    void Submit(std::vector<SessionSpans> spans);
    ExporterCounts Counts() const;
    const std::string& Endpoint() const { return m_endpoint; }

    static constexpr std::chrono::seconds drain{2};

  private:
    void Run();
    // Posts one request; true when the collector took it (or refused it for good: then it counts as dropped).
    bool Post(const std::string& body, size_t spans);
    void Dropped(uint64_t spans, const std::string& why);

    ExporterOptions m_options;
    std::string m_endpoint;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<SessionSpans> m_queue;
    size_t m_queuedSpans = 0;
    bool m_stopping = false;
    std::atomic<uint64_t> m_sent{0}, m_dropped{0}, m_failedPosts{0};
    std::chrono::steady_clock::time_point m_lastLog{};
    void* m_curl = nullptr;          // the exporter thread's CURL handle (CURL is void in curl.h)
    curl_slist* m_headers = nullptr; // the Content-Type header
    std::thread m_thread;
};

// Splits a batch of sessions' spans into posts of at most `maxSpans` spans.
std::vector<std::vector<SessionSpans>> SplitBatches(std::deque<SessionSpans>& queue, size_t maxSpans);

} // namespace dapscope::otlp
