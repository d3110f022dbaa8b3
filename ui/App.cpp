#include "App.hpp"

#include "Style.hpp"
#include "views/CompareView.hpp"
#include "views/ExportDialog.hpp"
#include "views/InterceptView.hpp"
#include "views/MessageDetailView.hpp"
#include "views/MessageTableView.hpp"
#include "views/OpenStoreDialog.hpp"
#include "views/SessionListView.hpp"
#include "views/StatsView.hpp"
#include "views/TasksView.hpp"
#include "views/TimelineView.hpp"

#include <algorithm>

namespace dapscope::ui
{

App::App(AppOptions options, std::function<void()> wake)
    : m_options(std::move(options)), m_wake(wake), m_settings(m_options.configFolder),
      m_tasks(wake), m_context{m_bus, m_state, m_tasks, m_settings}
{
    m_bus.Subscribe<SelectSession>(this, [this](const SelectSession& e) { OnSelectSession(e.session); });
    m_bus.Subscribe<SelectMessage>(this, [this](const SelectMessage& e) { OnSelectMessage(e.message); });
    m_bus.Subscribe<OpenDetail>(this, [this](const OpenDetail&) { m_state.showDetail = true; });
    m_bus.Subscribe<ShowTab>(this, [this](const ShowTab& e) { m_requestTab = e.tab; });
    LoadLayout();
    if (m_options.tab)
        m_requestTab = m_options.tab;
    m_context.liveFigures = m_options.liveFigures;
    m_context.control = m_options.control;
    m_open = std::make_unique<OpenStoreDialog>(m_context, [this](const std::string& path) { return OpenStore(path); });
    m_export = std::make_unique<ExportDialog>(m_context);
    RegisterViews();
    if (!m_options.storePath.empty())
    {
        try
        {
            OpenStore(m_options.storePath);
            SelectInitial();
        }
        catch (const std::exception& e)
        {
            m_storeError = e.what();
        }
    }
}

App::~App()
{
    m_tasks.CancelAll();
    m_bus.Unsubscribe(this);
}

// The one list of views (ImHex's ContentRegistry::Views::add). The App lays them out by their Slot.
void App::RegisterViews()
{
    m_views.push_back(std::make_unique<SessionListView>(m_context));
    m_views.push_back(std::make_unique<MessageTableView>(m_context));
    m_views.push_back(std::make_unique<MessageDetailView>(m_context));
    m_views.push_back(std::make_unique<TimelineView>(m_context));
    m_views.push_back(std::make_unique<TasksView>(m_context));
    m_views.push_back(std::make_unique<StatsView>(m_context));
    m_views.push_back(std::make_unique<CompareView>(m_context));
    m_views.push_back(std::make_unique<InterceptView>(m_context));
}

void App::OpenStore(const std::string& path)
{
    auto model = std::make_unique<TraceModel>(path);
    m_tasks.CancelAll();
    m_index.reset();
    m_model = std::move(model);
    m_index = std::make_unique<MessageIndex>(m_tasks, m_model->Path());
    m_context.model = m_model.get();
    m_context.index = m_index.get();
    m_storeError.clear();
    m_state.session = 0;
    m_state.message = 0;
    m_state.task.clear();
    m_settings.AddRecentStore(path);
    m_bus.Post(StoreOpened{path});
}

void App::SelectInitial()
{
    const auto& sessions = m_model->Sessions();
    int64_t session = m_options.session;
    if (m_options.select)
    {
        if (auto message = m_model->Message(m_options.select))
            session = message->session;
    }
    if (session == 0 && !sessions.empty())
        session = sessions.back().id;
    if (session)
        m_bus.Post(SelectSession{session});
    if (m_options.select)
        m_bus.Post(SelectMessage{m_options.select, true});
    if (m_options.compare && session)
        m_bus.Post(CompareSessions{session, m_options.compare});
}

void App::OnSelectSession(int64_t session)
{
    m_state.session = session;
    m_state.message = 0;
    m_state.task.clear();
    const storage::SessionSummary* s = m_model ? m_model->Session(session) : nullptr;
    m_currentLive = s && !s->endedNs;
    if (m_model)
        m_model->InvalidateRows();
}

void App::OnSelectMessage(int64_t message)
{
    if (!m_model)
        return;
    m_state.message = message;
    // A message of another session (a link, --select): switch session first. Views subscribed to SelectMessage
    // run after this handler and see the new session.
    const storage::MessageSummary* row = m_model->Row(message);
    std::optional<storage::MessageSummary> loaded;
    if (!row && (loaded = m_model->Message(message)))
        row = &*loaded;
    if (row && row->session != m_state.session)
    {
        m_bus.Post(SelectSession{row->session});
        m_state.message = message;
    }
}

void App::FollowStore(std::chrono::steady_clock::time_point now)
{
    if (!m_model)
        return;
    const uint64_t sessionsVersion = m_model->SessionsVersion();
    const int64_t newestBefore = m_model->Sessions().empty() ? 0 : m_model->Sessions().back().id;
    bool changed = false;
    try
    {
        changed = m_model->PollChanges(now);
    }
    catch (const std::exception& e)
    {
        m_context.Notify(std::string("store: ") + e.what());
        return;
    }
    if (!changed)
        return;
    const storage::SessionSummary* current = m_model->Session(m_state.session);
    const bool live = current && !current->endedNs;
    if (live || m_currentLive)
        m_model->InvalidateRows(); // pending requests got answered, tasks got linked
    m_currentLive = live;
    m_index->Poke();
    const bool sessionsChanged = sessionsVersion != m_model->SessionsVersion();
    m_bus.Post(StoreChanged{sessionsChanged});
    const int64_t newest = m_model->Sessions().empty() ? 0 : m_model->Sessions().back().id;
    if ((m_state.autoSelectNewSessions || m_state.session == 0) && newest > newestBefore)
        m_bus.Post(SelectSession{newest});
}

bool App::Update(std::chrono::steady_clock::time_point now)
{
    bool changed = m_tasks.RunPending() > 0;
    const uint64_t before = m_model ? m_model->SessionsVersion() : 0;
    const int64_t beforeMessages = m_index ? static_cast<int64_t>(m_index->Size()) : 0;
    FollowStore(now);
    changed |= (m_model && before != m_model->SessionsVersion()) ||
               (m_index && beforeMessages != static_cast<int64_t>(m_index->Size()));
    for (auto& view : m_views)
        view->Update();
    if (!m_state.status.empty() && now >= m_state.statusUntil)
    {
        m_state.status.clear();
        changed = true;
    }
    if (m_state.wakeAt != std::chrono::steady_clock::time_point{} && now >= m_state.wakeAt)
    {
        m_state.wakeAt = {};
        changed = true;
    }
    if (!m_state.status.empty())
    {
        if (m_state.wakeAt == std::chrono::steady_clock::time_point{} || m_state.statusUntil < m_state.wakeAt)
            m_state.wakeAt = m_state.statusUntil;
    }
    return changed;
}

bool App::Busy() const
{
    if (m_tasks.Busy() > 0)
        return true;
    return std::any_of(m_views.begin(), m_views.end(), [](const auto& v) { return v->Busy(); });
}

void App::LoadLayout()
{
    m_topFraction = std::clamp(m_settings.GetFloat("layout.sessions", m_topFraction), 0.08f, 0.7f);
    m_sideFraction = std::clamp(m_settings.GetFloat("layout.detail", m_sideFraction), 0.15f, 0.7f);
    m_bottomFraction = std::clamp(m_settings.GetFloat("layout.bottom", m_bottomFraction), 0.1f, 0.8f);
    m_state.relativeTime = m_settings.GetBool("view.relativeTime", m_state.relativeTime);
    m_state.followTail = m_settings.GetBool("view.followTail", m_state.followTail);
    m_state.showDetail = m_settings.GetBool("view.detail", m_state.showDetail);
    const std::string tab = m_settings.GetString("view.tab", "timeline");
    m_state.bottomTab = tab == "tasks"       ? BottomTab::Tasks
                        : tab == "stats"     ? BottomTab::Stats
                        : tab == "intercept" ? BottomTab::Intercept
                                             : BottomTab::Timeline;
    m_requestTab = m_state.bottomTab;
}

void App::StoreLayout()
{
    m_settings.Set("layout.sessions", m_topFraction);
    m_settings.Set("layout.detail", m_sideFraction);
    m_settings.Set("layout.bottom", m_bottomFraction);
    m_settings.Set("view.relativeTime", m_state.relativeTime);
    m_settings.Set("view.followTail", m_state.followTail);
    m_settings.Set("view.detail", m_state.showDetail);
    m_settings.Set("view.tab", std::string(m_state.bottomTab == BottomTab::Tasks       ? "tasks"
                                           : m_state.bottomTab == BottomTab::Stats     ? "stats"
                                           : m_state.bottomTab == BottomTab::Intercept ? "intercept"
                                                                                       : "timeline"));
}

void App::SaveSettings()
{
    StoreLayout();
    m_settings.Save();
}

} // namespace dapscope::ui
