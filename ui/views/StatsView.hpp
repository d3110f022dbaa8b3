#pragma once
// Stats: per command count, failures, unanswered and p50 / p95 / p99 / max latency, event counts, and a latency
// histogram (logarithmic buckets) of the selected command, for the current session or the whole store. The data
// comes from its StatsModel. While dapscope-ui captures (--listen), a line above shows the embedded proxy's live
// traffic figures (metrics::LiveFigures, refreshed every second).

#include "ui/StatsModel.hpp"
#include "ui/View.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace dapscope::ui
{

class StatsView : public View
{
  public:
    explicit StatsView(AppContext& context) : View("Stats", ViewSlot::Bottom, context), m_model(context) {}

    void Update() override { m_model.Update(); }
    bool Busy() const override { return m_model.Busy(); }
    const StatsModel& Model() const { return m_model; }
    const storage::TraceStats* Stats() const { return m_model.Stats(); }
    const LatencyHistogram* Histogram() const { return m_model.Histogram(); }
    const std::string& SelectedCommand() const { return m_model.SelectedCommand(); }
    // The live figures as last drawn ("" when not capturing).
    const std::string& LiveLine() const { return m_liveLine; }

  protected:
    void DrawContent() override;

  private:
    void DrawCommands();
    void DrawHistogram();
    void DrawEvents();
    void DrawLive();

    StatsModel m_model;           // statistics and the histogram
    std::vector<size_t> m_order;  // command rows in display order
    uint64_t m_sortedVersion = 0; // m_model.StatsVersion() m_order was sorted for
    metrics::LiveFigures m_live;  // the figures of the last refresh, and when it was
    std::chrono::steady_clock::time_point m_liveAt{};
    std::string m_liveLine;
};

} // namespace dapscope::ui
