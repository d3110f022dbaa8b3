#pragma once
// The data of the Timeline view: the current session's SessionTimeline, loaded through TraceReader on the task
// runner (the whole session when the view first shows it, then only the messages that arrive while it is live),
// and the time of the selected message.

#include "AppContext.hpp"
#include "Loader.hpp"
#include "SessionTimeline.hpp"

#include <cstdint>
#include <memory>

namespace dapscope::ui
{

class TimelineModel
{
  public:
    explicit TimelineModel(AppContext& context);
    ~TimelineModel() { m_ctx.bus.Unsubscribe(this); }

    TimelineModel(const TimelineModel&) = delete;
    TimelineModel& operator=(const TimelineModel&) = delete;

    // The view shows `session`: load its timeline unless it is loaded or loading.
    void Show(int64_t session);
    // Per frame: load what the store gained.
    void Update();

    const SessionTimeline* Data() const { return m_data.get(); }
    bool Loading() const { return m_loading; }
    float LoadProgress() const { return m_loadProgress; } // of a full load
    // Time of the selected message when it is one of this session's (0 = none).
    int64_t SelectedTs() const { return m_selectedTs; }
    // True once after a selection that asked to be revealed.
    bool TakeReveal() { return std::exchange(m_reveal, false); }
    // Bumped when the timeline was dropped (another session or store): the view fits its zoom again.
    uint64_t Resets() const { return m_resets; }

  private:
    void Reset();
    void Load(bool full);
    void Select(const SelectMessage& e);

    AppContext& m_ctx;
    std::unique_ptr<SessionTimeline> m_data; // the current session's timeline
    bool m_loading = false;                  // a load job runs
    bool m_moreArrived = false;              // the store grew during the load
    bool m_sessionEnded = false;             // the session had ended when loaded
    float m_loadProgress = 0;                // of a full load
    int64_t m_selectedTs = 0;                // time of the selected message (0 = none in this session)
    bool m_reveal = false;                   // scroll the selection into view next frame
    uint64_t m_resets = 0;                   // bumped by Reset
    Loader m_loader;                         // runs the loads (last member)
};

} // namespace dapscope::ui
