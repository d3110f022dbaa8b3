#include "CompareModel.hpp"

#include <stdexcept>

namespace dapscope::ui
{

namespace
{
constexpr auto kLiveReload = std::chrono::seconds(2);

replay::Recording LoadSession(storage::TraceReader& reader, int64_t session)
{
    try
    {
        return replay::LoadRecording(reader, session);
    }
    catch (const replay::ReplayError& e)
    {
        throw std::runtime_error("session " + std::to_string(session) + ": " + e.what());
    }
}

// What a comparison job hands back.
struct Compared
{
    replay::DiffReport report;
    std::shared_ptr<const replay::Recording> a, b;
};
} // namespace

CompareModel::CompareModel(AppContext& context) : m_ctx(context), m_loader(context.tasks)
{
    m_ctx.bus.Subscribe<CompareSessions>(this,
                                         [this](const CompareSessions& e)
                                         {
                                             Compare(e.a, e.b);
                                             m_ctx.bus.Post(ShowTab{BottomTab::Compare});
                                         });
    m_ctx.bus.Subscribe<StoreOpened>(this,
                                     [this](const StoreOpened&)
                                     {
                                         Reset();
                                         m_a = m_b = 0;
                                     });
    m_ctx.bus.Subscribe<StoreChanged>(this,
                                      [this](const StoreChanged&)
                                      {
                                          if (m_a && PairIsLive())
                                              m_stale = true;
                                      });
}

void CompareModel::Reset()
{
    m_loader.Reset();
    m_report.reset();
    m_recordingA.reset();
    m_recordingB.reset();
    m_error.clear();
    m_loading = m_stale = false;
}

void CompareModel::Compare(int64_t a, int64_t b)
{
    Reset();
    m_a = a;
    m_b = b;
    Load();
}

bool CompareModel::PairIsLive() const
{
    if (!m_ctx.model)
        return false;
    for (int64_t id : {m_a, m_b})
        if (const storage::SessionSummary* s = m_ctx.model->Session(id); s && !s->endedNs)
            return true;
    return false;
}

void CompareModel::Update()
{
    if (!m_stale || m_loading)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (now - m_lastLoad < kLiveReload)
    {
        m_ctx.WakeAt(m_lastLoad + kLiveReload);
        return;
    }
    m_stale = false;
    Load();
}

void CompareModel::Load()
{
    if (!m_ctx.model || !m_a || !m_b)
        return;
    m_loading = true;
    m_lastLoad = std::chrono::steady_clock::now();
    const int64_t a = m_a, b = m_b;
    m_loader.Run(
        "Compare #" + std::to_string(a) + " with #" + std::to_string(b), m_ctx.model->Path(),
        [a, b](storage::TraceReader& reader, TaskContext&)
        {
            Compared compared;
            compared.a = std::make_shared<const replay::Recording>(LoadSession(reader, a));
            compared.b = std::make_shared<const replay::Recording>(LoadSession(reader, b));
            compared.report = replay::DiffSessions(*compared.a, *compared.b);
            compared.report.a = "session " + std::to_string(a);
            compared.report.b = "session " + std::to_string(b);
            return compared;
        },
        [this](Compared& compared)
        {
            m_loading = false;
            m_error.clear();
            m_report = std::make_unique<replay::DiffReport>(std::move(compared.report));
            m_recordingA = std::move(compared.a);
            m_recordingB = std::move(compared.b);
            ++m_reportVersion;
        },
        [this](const std::string& error)
        {
            m_loading = false;
            m_report.reset();
            m_recordingA.reset();
            m_recordingB.reset();
            m_error = error;
            ++m_reportVersion;
        });
}

} // namespace dapscope::ui
