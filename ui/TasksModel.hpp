#pragma once
// The data of the Tasks view: the current session's tasks (TraceReader::Tasks) and the selected task's messages and
// pipe flows (TraceReader::ForEachTaskMessage), loaded on the task runner and reloaded at most once a second while
// the store grows.

#include "AppContext.hpp"
#include "Loader.hpp"
#include "TaskFlow.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dapscope::ui
{

class TasksModel
{
  public:
    explicit TasksModel(AppContext& context);
    ~TasksModel() { m_ctx.bus.Unsubscribe(this); }

    TasksModel(const TasksModel&) = delete;
    TasksModel& operator=(const TasksModel&) = delete;

    // The view shows `session`: load its tasks unless they are loaded or loading.
    void Show(int64_t session);
    // Show this task of the current session (reloaded even when it is the one shown).
    void Select(const std::string& task);
    // Per frame: reload what a growing store changed.
    void Update();

    bool Busy() const { return m_loadingList || m_loadingDetail; }
    bool LoadingDetail() const { return m_loadingDetail; }
    // Session the task list belongs to (-1 = none loaded).
    int64_t ListSession() const { return m_listSession; }
    const std::vector<storage::TaskSummary>& Tasks() const { return m_tasks; }
    const TaskDetail* Detail() const { return m_detail.get(); }
    // Bumped when the flow shown changes to another task or goes away: the view fits its zoom again.
    uint64_t FlowResets() const { return m_flowResets; }

  private:
    void Reset();
    void LoadList();
    void LoadDetail(const std::string& task);

    AppContext& m_ctx;
    std::vector<storage::TaskSummary> m_tasks;          // tasks of the session
    int64_t m_listSession = -1;                         // session m_tasks belongs to
    std::unique_ptr<TaskDetail> m_detail;               // the selected task
    bool m_loadingList = false;                         // jobs running
    bool m_loadingDetail = false;                       //
    bool m_stale = false;                               // the store changed since the last load
    std::chrono::steady_clock::time_point m_lastLoad{}; // throttles reloads of a live session
    uint64_t m_flowResets = 0;                          // bumped when the flow shown changes
    Loader m_loader;                                    // runs the loads (last member)
};

} // namespace dapscope::ui
