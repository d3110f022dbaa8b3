#include "OtlpExporter.hpp"

#include "OtlpJson.hpp"

#include <curl/curl.h>

#include <cstdio>
#include <stdexcept>

namespace dapscope::otlp
{
namespace
{

size_t Discard(char*, size_t size, size_t count, void*)
{
    return size * count;
}

std::string TracesEndpoint(const std::string& url)
{
    const bool http = url.rfind("http://", 0) == 0, https = url.rfind("https://", 0) == 0;
    const size_t hostAt = http ? 7 : 8;
    if ((!http && !https) || url.size() <= hostAt || url[hostAt] == '/' || url[hostAt] == ':')
        throw std::invalid_argument("--otlp: expected http://HOST[:PORT][/PATH], got \"" + url + "\"");
    std::string base = url;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    return base + "/v1/traces";
}

} // namespace

OtlpExporter::OtlpExporter(ExporterOptions options) : m_options(std::move(options)), m_endpoint(TracesEndpoint(m_options.url))
{
    static const CURLcode once = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (once != CURLE_OK)
        throw std::runtime_error("--otlp: libcurl could not start");
    m_thread = std::thread([this] { Run(); });
}

OtlpExporter::~OtlpExporter()
{
    Stop();
}

void OtlpExporter::Stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
    if (m_curl)
        curl_easy_cleanup(m_curl);
    curl_slist_free_all(m_headers);
    m_curl = nullptr;
    m_headers = nullptr;
}

void OtlpExporter::Submit(std::vector<SessionSpans> spans)
{
    uint64_t dropped = 0;
    {
        std::lock_guard lock(m_mutex);
        for (SessionSpans& s : spans)
        {
            if (s.spans.empty())
                continue;
            if (m_stopping || m_queuedSpans + s.spans.size() > m_options.maxQueuedSpans)
            {
                dropped += s.spans.size();
                continue;
            }
            m_queuedSpans += s.spans.size();
            m_queue.push_back(std::move(s));
        }
    }
    m_wake.notify_one();
    if (dropped)
        Dropped(dropped, "the queue is full");
}

ExporterCounts OtlpExporter::Counts() const
{
    return {m_sent.load(), m_dropped.load(), m_failedPosts.load()};
}

void OtlpExporter::Dropped(uint64_t spans, const std::string& why)
{
    m_dropped += spans;
    if (m_options.onDropped)
        m_options.onDropped(spans);
    // One line at most every 10 s: a collector that is down for an hour must not flood the log.
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(m_mutex);
    if (now - m_lastLog >= std::chrono::seconds(10))
    {
        m_lastLog = now;
        std::fprintf(stderr, "dapscope: otlp: %llu spans dropped (%s); %llu in all so far\n",
                     static_cast<unsigned long long>(spans), why.c_str(),
                     static_cast<unsigned long long>(m_dropped.load()));
    }
}

std::vector<std::vector<SessionSpans>> SplitBatches(std::deque<SessionSpans>& queue, size_t maxSpans)
{
    std::vector<std::vector<SessionSpans>> batches(1);
    size_t inBatch = 0;
    while (!queue.empty())
    {
        SessionSpans& s = queue.front();
        while (!s.spans.empty())
        {
            if (inBatch == maxSpans)
            {
                batches.emplace_back();
                inBatch = 0;
            }
            const size_t take = std::min(maxSpans - inBatch, s.spans.size());
            SessionSpans part{s.session, {}};
            part.spans.assign(std::make_move_iterator(s.spans.begin()),
                              std::make_move_iterator(s.spans.begin() + static_cast<ptrdiff_t>(take)));
            s.spans.erase(s.spans.begin(), s.spans.begin() + static_cast<ptrdiff_t>(take));
            batches.back().push_back(std::move(part));
            inBatch += take;
        }
        queue.pop_front();
    }
    if (batches.back().empty())
        batches.pop_back();
    return batches;
}

void OtlpExporter::Run()
{
    std::unique_lock lock(m_mutex);
    auto backoff = std::chrono::milliseconds(250);
    for (;;)
    {
        m_wake.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
        if (!m_stopping && m_queuedSpans < m_options.maxBatchSpans)
            m_wake.wait_for(lock, m_options.linger, [&] { return m_stopping || m_queuedSpans >= m_options.maxBatchSpans; });
        if (m_queue.empty())
        {
            if (m_stopping)
                return;
            continue;
        }
        const auto deadline = std::chrono::steady_clock::now() + drain;
        std::deque<SessionSpans> taken;
        taken.swap(m_queue);
        m_queuedSpans = 0;
        lock.unlock();

        auto batches = SplitBatches(taken, m_options.maxBatchSpans);
        for (size_t i = 0; i < batches.size(); ++i)
        {
            size_t spans = 0;
            for (const auto& s : batches[i])
                spans += s.spans.size();
            const std::string body = ExportRequestJson(batches[i]);
            for (;;)
            {
                if (Post(body, spans))
                {
                    backoff = std::chrono::milliseconds(250);
                    break;
                }
                ++m_failedPosts;
                lock.lock();
                if (!m_stopping)
                    m_wake.wait_for(lock, backoff, [&] { return m_stopping; });
                const bool stopping = m_stopping;
                lock.unlock();
                backoff = std::min(backoff * 2, m_options.maxBackoff);
                const bool give_up = stopping && std::chrono::steady_clock::now() >= deadline;
                if (stopping && !give_up)
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                if (give_up)
                {
                    uint64_t left = spans;
                    for (size_t j = i + 1; j < batches.size(); ++j)
                        for (const auto& s : batches[j])
                            left += s.spans.size();
                    lock.lock();
                    left += m_queuedSpans; // and what queued up behind this batch
                    m_queue.clear();
                    m_queuedSpans = 0;
                    lock.unlock();
                    Dropped(left, "the collector did not take them before the exporter stopped");
                    return;
                }
            }
        }
        lock.lock();
    }
}

bool OtlpExporter::Post(const std::string& body, size_t spans)
{
    // One handle for the thread's life: its connection to the collector is kept alive between posts.
    if (!m_curl)
    {
        m_curl = curl_easy_init();
        if (!m_curl)
            return false;
        m_headers = curl_slist_append(nullptr, "Content-Type: application/json");
        curl_easy_setopt(m_curl, CURLOPT_URL, m_endpoint.c_str());
        curl_easy_setopt(m_curl, CURLOPT_HTTPHEADER, m_headers);
        curl_easy_setopt(m_curl, CURLOPT_TIMEOUT_MS, static_cast<long>(m_options.timeout.count()));
        curl_easy_setopt(m_curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(m_curl, CURLOPT_WRITEFUNCTION, Discard);
    }
    curl_easy_setopt(m_curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(m_curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    const CURLcode result = curl_easy_perform(m_curl);
    long status = 0;
    curl_easy_getinfo(m_curl, CURLINFO_RESPONSE_CODE, &status);

    if (result != CURLE_OK)
        return false; // unreachable, reset, timed out: try again later
    if (status >= 200 && status < 300)
    {
        m_sent += spans;
        if (m_options.onSent)
            m_options.onSent(spans);
        return true;
    }
    // OTLP/HTTP: 429, 502, 503 and 504 are worth retrying; any other refusal will not change.
    if (status == 429 || status == 502 || status == 503 || status == 504)
        return false;
    Dropped(spans, "the collector answered HTTP " + std::to_string(status));
    return true;
}

} // namespace dapscope::otlp
