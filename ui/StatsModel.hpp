#pragma once
// The data of the Stats view: per-command statistics of the current session or of the whole store
// (TraceReader::Stats) and the latency histogram of the selected command (TraceReader::RequestLatencies), loaded on
// the task runner and reloaded at most every 2 s while the store grows.

#include "AppContext.hpp"
#include "Loader.hpp"

#include <chrono>
#include <cstdint>
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

class StatsModel
{
  public:
    explicit StatsModel(AppContext& context);
    ~StatsModel() { m_ctx.bus.Unsubscribe(this); }

    StatsModel(const StatsModel&) = delete;
    StatsModel& operator=(const StatsModel&) = delete;

    // The view is shown: load the statistics of the current scope unless they are loaded or loading.
    void Show();
    // Per frame: reload when the store grew.
    void Update();
    // Scope: the current session, or every session of the store (reloads).
    void SetAllSessions(bool all);
    bool AllSessions() const { return m_allSessions; }
    // Select a command: load its latency histogram.
    void SelectCommand(const std::string& command);

    bool Busy() const { return m_loading || m_loadingHistogram; }
    bool Loading() const { return m_loading; }
    bool LoadingHistogram() const { return m_loadingHistogram; }
    const storage::TraceStats* Stats() const { return m_stats.get(); }
    const LatencyHistogram* Histogram() const { return m_histogram.get(); }
    const std::string& SelectedCommand() const { return m_command; }
    // Bumped when new statistics arrived (the view sorts them again).
    uint64_t StatsVersion() const { return m_statsVersion; }

  private:
    void Reset();
    void Load();
    void LoadHistogram(const std::string& command);
    int64_t Scope() const { return m_allSessions ? 0 : m_ctx.state.session; }

    AppContext& m_ctx;
    std::unique_ptr<storage::TraceStats> m_stats;       // per command / event
    std::unique_ptr<LatencyHistogram> m_histogram;      // of m_command
    std::string m_command;                              // selected command
    int64_t m_statsSession = -1;                        // session the stats are for (0 = all)
    bool m_allSessions = false;                         // scope: whole store
    bool m_loading = false;                             // jobs running
    bool m_loadingHistogram = false;                    //
    bool m_stale = false;                               // the store changed
    std::chrono::steady_clock::time_point m_lastLoad{}; // throttles reloads while capturing
    uint64_t m_statsVersion = 0;                        // bumped when m_stats is replaced
    Loader m_loader;                                    // runs the loads (last member)
};

} // namespace dapscope::ui
