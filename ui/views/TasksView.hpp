#pragma once
// Tasks: the current session's messages grouped by task. For the selected task, its lifecycle (execute -> pipes ->
// events -> terminate, each step a link to its message) and, when the task was started with a
// pipelineTraceLevel, a per-pipe timeline of apaevt_flow enter/leave as nested component spans: which component
// saw the data, in which order, for how long.

#include "ui/TaskModel.hpp"
#include "ui/Timeline.hpp"
#include "ui/View.hpp"

#include <chrono>
#include <memory>
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
    explicit TasksView(AppContext& context);

    void Update() override;
    bool Busy() const override { return m_loadingList || m_loadingDetail; }
    const std::vector<TaskSummary>& Tasks() const { return m_tasks; }
    const TaskDetail* Detail() const { return m_detail.get(); }
    int DrawnFlowSpans() const { return m_drawnFlowSpans; }

  protected:
    void DrawContent() override;

  private:
    void LoadList();
    void LoadDetail(const std::string& task);
    void DrawList();
    void DrawLifecycle();
    void DrawFlow();
    void MessageLink(const TaskMessage& m, const char* label);

    std::vector<TaskSummary> m_tasks;     // tasks of the session
    int64_t m_listSession = -1;           // session m_tasks belongs to
    std::unique_ptr<TaskDetail> m_detail; // the selected task
    bool m_loadingList = false;           // jobs running
    bool m_loadingDetail = false;
    bool m_stale = false;                               // the store changed since the last load
    std::chrono::steady_clock::time_point m_lastLoad{}; // throttles reloads of a live session
    uint64_t m_generation = 0;                          // drops stale results
    TimelineNavigator m_nav;                            // flow timeline zoom / pan
    int m_drawnFlowSpans = 0;                           // last frame
    Lifetime m_lifetime;                                // guards job callbacks (last member)
};

} // namespace dapscope::ui
