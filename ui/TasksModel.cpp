#include "TasksModel.hpp"

#include "inspector/Envelope.hpp"

namespace dapscope::ui
{

namespace
{
constexpr auto kLiveReload = std::chrono::seconds(1);
} // namespace

TasksModel::TasksModel(AppContext& context) : m_ctx(context), m_loader(context.tasks)
{
    m_ctx.bus.Subscribe<SelectSession>(this, [this](const SelectSession&) { Reset(); });
    m_ctx.bus.Subscribe<StoreOpened>(this, [this](const StoreOpened&) { Reset(); });
    m_ctx.bus.Subscribe<StoreChanged>(this, [this](const StoreChanged&) { m_stale = true; });
    m_ctx.bus.Subscribe<SelectTask>(this,
                                    [this](const SelectTask& e)
                                    {
                                        if (!m_detail || m_detail->task != e.task)
                                            LoadDetail(e.task);
                                    });
}

void TasksModel::Reset()
{
    m_loader.Reset();
    m_tasks.clear();
    m_listSession = -1;
    m_detail.reset();
    m_loadingList = m_loadingDetail = false;
    ++m_flowResets;
}

void TasksModel::Show(int64_t session)
{
    if (m_listSession != session && !m_loadingList)
        LoadList();
}

void TasksModel::Select(const std::string& task)
{
    LoadDetail(task);
}

void TasksModel::Update()
{
    if (!m_stale || m_loadingList || m_loadingDetail || m_listSession < 0)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (now - m_lastLoad < kLiveReload)
    {
        m_ctx.WakeAt(m_lastLoad + kLiveReload);
        return;
    }
    m_stale = false;
    LoadList();
    if (m_detail)
        LoadDetail(m_detail->task);
}

void TasksModel::LoadList()
{
    if (!m_ctx.model)
        return;
    m_loadingList = true;
    m_lastLoad = std::chrono::steady_clock::now();
    const int64_t session = m_ctx.state.session;
    m_loader.Run(
        "", m_ctx.model->Path(),
        [session](storage::TraceReader& reader, TaskContext&) { return reader.Tasks(session); },
        [this, session](std::vector<storage::TaskSummary>& tasks)
        {
            m_loadingList = false;
            m_tasks = std::move(tasks);
            m_listSession = session;
            // Show the first task by default (or the one asked for).
            const std::string wanted = !m_ctx.state.task.empty() ? m_ctx.state.task
                                       : !m_tasks.empty()        ? m_tasks.front().task
                                                                 : std::string();
            if (!m_detail && !wanted.empty() && !m_loadingDetail)
                LoadDetail(wanted);
        },
        [this](const std::string& error)
        {
            m_loadingList = false;
            m_ctx.Notify("Tasks: " + error);
        });
}

void TasksModel::LoadDetail(const std::string& task)
{
    if (!m_ctx.model || m_ctx.state.session == 0)
        return;
    m_ctx.state.task = task;
    m_loadingDetail = true;
    if (!m_detail || m_detail->task != task)
        ++m_flowResets;
    const int64_t session = m_ctx.state.session;
    m_loader.Run(
        "", m_ctx.model->Path(),
        [session, task](storage::TraceReader& reader, TaskContext& ctx)
        {
            auto detail = std::make_shared<TaskDetail>();
            detail->task = task;
            std::vector<FlowEvent> flow;
            reader.ForEachTaskMessage(
                session, task,
                [&](const storage::TaskMessage& m, std::string_view data)
                {
                    if (m.event == "apaevt_flow")
                        if (auto e = ParseFlowEvent(m.id, m.tsNs, inspector::SplitFrame(m.opcode, data).json))
                            flow.push_back(std::move(*e));
                    if (detail->messages.size() >= TaskDetail::kMaxMessages)
                        detail->truncated = true;
                    else
                        detail->messages.push_back(m);
                    return !ctx.Cancelled();
                });
            detail->flowEvents = static_cast<int64_t>(flow.size());
            detail->flows = BuildPipeFlows(flow);
            return detail;
        },
        [this, task](std::shared_ptr<TaskDetail>& detail)
        {
            m_loadingDetail = false;
            if (m_ctx.state.task != task)
                return; // another task was picked meanwhile
            m_detail = std::make_unique<TaskDetail>(std::move(*detail));
        },
        [this](const std::string& error)
        {
            m_loadingDetail = false;
            m_ctx.Notify("Tasks: " + error);
        });
}

} // namespace dapscope::ui
