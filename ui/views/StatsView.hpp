#pragma once
// Stats: per command count, failures, unanswered and p50 / p95 / p99 / max latency (storage::TraceReader::Stats),
// event counts, and a latency histogram (logarithmic buckets) of the selected command. Computed on background
// jobs, for the current session or the whole store.

#include "ui/View.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace dapscope::ui
{

// Latencies grouped in logarithmic buckets (4 per decade, from 1 µs).
struct LatencyHistogram
{
    static constexpr int kBucketsPerDecade = 4;
    static constexpr double kFirstEdgeNs = 1e3;

    std::vector<int64_t> counts; // per bucket
    int64_t total = 0;           // values added
    int64_t minNs = 0, maxNs = 0;

    void Add(int64_t ns);
    // Lower edge of bucket i (ns).
    static double Edge(int i);
    static int Bucket(int64_t ns);
};

class StatsView : public View
{
  public:
    explicit StatsView(AppContext& context);

    void Update() override;
    bool Busy() const override { return m_loading || m_loadingHistogram; }
    const storage::TraceStats* Stats() const { return m_stats.get(); }
    const LatencyHistogram* Histogram() const { return m_histogram.get(); }
    const std::string& SelectedCommand() const { return m_command; }

  protected:
    void DrawContent() override;

  private:
    void Load();
    void LoadHistogram(const std::string& command);
    void DrawCommands();
    void DrawHistogram();
    void DrawEvents();

    std::unique_ptr<storage::TraceStats> m_stats;  // per command / event
    std::unique_ptr<LatencyHistogram> m_histogram; // of m_command
    std::string m_command;                         // selected command
    int64_t m_statsSession = -1;                   // session the stats are for (0 = all)
    bool m_allSessions = false;                    // scope: whole store
    bool m_loading = false;                        // jobs running
    bool m_loadingHistogram = false;
    bool m_stale = false;                               // the store changed
    std::chrono::steady_clock::time_point m_lastLoad{}; // throttles reloads while capturing
    uint64_t m_generation = 0;                          // drops stale results
    std::vector<size_t> m_order;                        // command rows in display order
    bool m_sortDirty = true;                            // re-sort m_order
    Lifetime m_lifetime;                                // guards job callbacks (last member)
};

} // namespace dapscope::ui
