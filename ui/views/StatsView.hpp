#pragma once
// Stats: per command count, failures, unanswered and p50 / p95 / p99 / max latency, event counts, and a latency
// histogram (logarithmic buckets) of the selected command, for the current session or the whole store. The data
// comes from its StatsModel.

#include "ui/StatsModel.hpp"
#include "ui/View.hpp"

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

  protected:
    void DrawContent() override;

  private:
    void DrawCommands();
    void DrawHistogram();
    void DrawEvents();

    StatsModel m_model;           // statistics and the histogram
    std::vector<size_t> m_order;  // command rows in display order
    uint64_t m_sortedVersion = 0; // m_model.StatsVersion() m_order was sorted for
};

} // namespace dapscope::ui
