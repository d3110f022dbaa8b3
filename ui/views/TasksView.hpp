#pragma once
// Tasks: the current session's messages grouped by task. For the selected task, its lifecycle (execute -> pipes ->
// events -> terminate, each step a link to its message) and, when the task was started with a
// pipelineTraceLevel, a per-pipe timeline of apaevt_flow enter/leave as nested component spans: which component
// saw the data, in which order, for how long. The data comes from its TasksModel.

#include "ui/TasksModel.hpp"
#include "ui/Timeline.hpp"
#include "ui/View.hpp"

#include <vector>

namespace dapscope::ui
{

// One pipe run of a task's flow: a row per stack depth (one TimelineItem).
class FlowTimelineItem : public TimelineItem
{
  public:
    FlowTimelineItem(const PipeFlow& flow, float rowHeight) : m_flow(flow), m_rowHeight(rowHeight) {}

    std::string HeaderLabel() const override;
    int64_t RangeBegin() const override { return m_flow.begin; }
    int64_t RangeEnd() const override { return m_flow.end; }
    int64_t ClickedId() const { return m_clicked; }
    int DrawnSpans() const { return m_drawn; }

  protected:
    float DrawContents(const TimelineContext& ctx, float y) override;

  private:
    const PipeFlow& m_flow; // what to draw
    float m_rowHeight;      // pixels per depth
    int64_t m_clicked = 0;  // message clicked this frame
    int m_drawn = 0;        // spans drawn this frame
};

class TasksView : public View
{
  public:
    explicit TasksView(AppContext& context) : View("Tasks", ViewSlot::Bottom, context), m_model(context) {}

    void Update() override { m_model.Update(); }
    bool Busy() const override { return m_model.Busy(); }
    const TasksModel& Model() const { return m_model; }
    const std::vector<storage::TaskSummary>& Tasks() const { return m_model.Tasks(); }
    const TaskDetail* Detail() const { return m_model.Detail(); }
    int DrawnFlowSpans() const { return m_drawnFlowSpans; }

  protected:
    void DrawContent() override;

  private:
    void DrawList();
    void DrawLifecycle();
    void DrawFlow();
    // Fit the flow timeline again when the model shows another task.
    void SyncNav();
    void MessageLink(const storage::TaskMessage& m, const char* label);

    TasksModel m_model;        // the session's tasks and the selected one
    TimelineNavigator m_nav;   // flow timeline zoom / pan
    uint64_t m_flowResets = 0; // m_model.FlowResets() when m_nav was last invalidated
    int m_drawnFlowSpans = 0;  // last frame
};

} // namespace dapscope::ui
