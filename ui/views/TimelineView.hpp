#pragma once
// Timeline: the current session over time (Tracy's timeline, Chrome's waterfall). Requests are spans from request
// to response, one lane per concurrently open request; events are ticks; silences over 15 s are shaded. The wheel
// zooms around the mouse, dragging pans, hovering explains, clicking selects the message in the table.
// Drawing culls each lane with lower_bound and folds runs of spans narrower than 3 px into one mark. The data comes
// from its TimelineModel.

#include "ui/SessionTimeline.hpp"
#include "ui/Timeline.hpp"
#include "ui/TimelineModel.hpp"
#include "ui/View.hpp"

namespace dapscope::ui
{

// The session's rows of the timeline (one TimelineItem).
class SessionTimelineItem : public TimelineItem
{
  public:
    SessionTimelineItem(const SessionTimeline& data, int64_t drawEnd, int64_t selected, float laneHeight)
        : m_data(data), m_drawEnd(drawEnd), m_selected(selected), m_laneHeight(laneHeight)
    {
    }

    std::string HeaderLabel() const override;
    int64_t RangeBegin() const override { return m_data.First(); }
    int64_t RangeEnd() const override { return m_drawEnd; }

    // Results of the last Draw.
    int64_t ClickedId() const { return m_clicked; }
    bool ZoomRequested() const { return m_zoomEnd > m_zoomBegin; }
    int64_t ZoomBegin() const { return m_zoomBegin; }
    int64_t ZoomEnd() const { return m_zoomEnd; }
    int DrawnSpans() const { return m_drawnSpans; }
    int DrawnFolds() const { return m_drawnFolds; }
    int DrawnTicks() const { return m_drawnTicks; }

  protected:
    float DrawContents(const TimelineContext& ctx, float y) override;

  private:
    void DrawTicks(const TimelineContext& ctx, const std::vector<TimelineTick>& ticks, float y, const char* name);
    void DrawLane(const TimelineContext& ctx, const std::vector<TimelineSpan>& lane, float y);
    void Clicked(int64_t id) { m_clicked = id; }

    const SessionTimeline& m_data; // what to draw
    int64_t m_drawEnd;             // where open spans end (now for a live session, else its end)
    int64_t m_selected;            // selected message id (outlined)
    float m_laneHeight;            // pixels per lane
    int64_t m_clicked = 0;         // message clicked this frame
    int64_t m_zoomBegin = 0;       // a fold was clicked: zoom to it
    int64_t m_zoomEnd = 0;
    int m_drawnSpans = 0; // counters for tests and the benchmark
    int m_drawnFolds = 0;
    int m_drawnTicks = 0;
};

class TimelineView : public View
{
  public:
    explicit TimelineView(AppContext& context) : View("Timeline", ViewSlot::Bottom, context), m_model(context) {}

    void Update() override { m_model.Update(); }
    bool Busy() const override { return m_model.Loading(); }
    const TimelineModel& Model() const { return m_model; }
    const SessionTimeline* Data() const { return m_model.Data(); }
    int DrawnSpans() const { return m_drawnSpans; }
    int DrawnTicks() const { return m_drawnTicks; }

  protected:
    void DrawContent() override;

  private:
    TimelineModel m_model;      // the session's timeline
    TimelineNavigator m_nav;    // zoom and pan
    uint64_t m_modelResets = 0; // m_model.Resets() when m_nav was last invalidated
    int m_drawnSpans = 0;       // last frame
    int m_drawnTicks = 0;       // last frame
};

} // namespace dapscope::ui
