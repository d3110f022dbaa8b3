#include "TimelineModel.hpp"

#include "storage/Problems.hpp"

#include <algorithm>

namespace dapscope::ui
{

namespace
{
// "command subcommand", the event, the control opcode, "POST /task", "HTTP 404".
std::string RowLabel(const storage::TimelineMessage& m)
{
    switch (m.kind)
    {
    case inspector::Kind::Request:
    case inspector::Kind::Response:
        return m.subcommand.empty() ? m.command : m.command + " " + m.subcommand;
    case inspector::Kind::Event:
        return m.event;
    case inspector::Kind::Control:
        return std::string(inspector::ToString(m.opcode));
    case inspector::Kind::HttpRequest:
        return m.method + " " + m.path;
    case inspector::Kind::HttpResponse:
        return "HTTP " + (m.status ? std::to_string(*m.status) : std::string());
    default:
        return "malformed";
    }
}

TimelineRow RowOf(const storage::TimelineMessage& m)
{
    TimelineRow row;
    row.id = m.id;
    row.tsNs = m.tsNs;
    row.kind = static_cast<int>(m.kind);
    row.state = static_cast<int>(m.state);
    row.pairId = m.pairId;
    // An HTTP response's outcome is its status, a DAP response's its success flag.
    const bool http = m.kind == inspector::Kind::HttpResponse;
    const std::optional<bool> success = http ? std::nullopt : m.success;
    const std::optional<int> status = http ? m.status : std::nullopt;
    row.success = !success && !status ? -1 : storage::IsFailedResponse(success, status) ? 0 : 1;
    row.label = RowLabel(m);
    return row;
}

// What a load hands back: a whole timeline, or the rows that follow the loaded one.
struct Loaded
{
    std::shared_ptr<SessionTimeline> timeline;
    std::vector<TimelineRow> rows;
};
} // namespace

TimelineModel::TimelineModel(AppContext& context) : m_ctx(context), m_loader(context.tasks)
{
    m_ctx.bus.Subscribe<SelectSession>(this, [this](const SelectSession&) { Reset(); });
    m_ctx.bus.Subscribe<StoreOpened>(this, [this](const StoreOpened&) { Reset(); });
    m_ctx.bus.Subscribe<StoreChanged>(this, [this](const StoreChanged&) { m_moreArrived = true; });
    m_ctx.bus.Subscribe<SelectMessage>(this, [this](const SelectMessage& e) { Select(e); });
}

void TimelineModel::Reset()
{
    m_loader.Reset();
    m_data.reset();
    m_loading = false;
    m_moreArrived = false;
    m_selectedTs = 0;
    ++m_resets;
}

void TimelineModel::Select(const SelectMessage& e)
{
    m_selectedTs = 0;
    if (!m_ctx.model)
        return;
    const storage::MessageSummary* row = m_ctx.model->Row(e.message);
    std::optional<storage::MessageSummary> loaded;
    if (!row && (loaded = m_ctx.model->Message(e.message)))
        row = &*loaded;
    if (row && row->session == m_ctx.state.session)
    {
        m_selectedTs = row->tsNs;
        m_reveal = e.reveal;
    }
}

void TimelineModel::Show(int64_t session)
{
    if ((!m_data || m_data->Session() != session) && !m_loading)
        Load(true);
}

void TimelineModel::Update()
{
    if (!m_moreArrived || m_loading || !m_data || !m_ctx.model)
        return;
    const storage::SessionSummary* session = m_ctx.model->Session(m_data->Session());
    if (!session)
        return;
    m_moreArrived = false;
    // The session ended since we loaded: requests turned unanswered, reload all; else only the new rows.
    Load(session->endedNs.has_value() && !m_sessionEnded);
}

void TimelineModel::Load(bool full)
{
    const storage::SessionSummary* session = m_ctx.model->Session(m_ctx.state.session);
    if (!session)
        return;
    m_loading = true;
    m_sessionEnded = session->endedNs.has_value();
    if (full)
        m_loader.Reset(); // an incremental load still running would add its rows to the old timeline
    const int64_t sessionId = session->id, started = session->startedNs, expected = session->messages;
    const int64_t after = full || !m_data ? 0 : m_data->LastId();
    auto timeline = full || !m_data ? std::make_shared<SessionTimeline>(sessionId, started) : nullptr;
    m_loadProgress = 0;
    const auto wanted = m_loader.Wanted();
    m_loader.Run(
        full ? "Timeline of session " + std::to_string(sessionId) : "", m_ctx.model->Path(),
        [=, this](storage::TraceReader& reader, TaskContext& ctx)
        {
            Loaded loaded{timeline, {}}; // an incremental load hands its rows to the UI thread
            int64_t n = 0;
            reader.ForEachTimelineMessage(
                sessionId, after,
                [&](const storage::TimelineMessage& m)
                {
                    if (timeline)
                        timeline->Add(RowOf(m));
                    else
                        loaded.rows.push_back(RowOf(m));
                    if ((++n & 0xFFFF) != 0)
                        return true;
                    if (ctx.Cancelled())
                        return false;
                    ctx.SetProgress(static_cast<uint64_t>(n), static_cast<uint64_t>(std::max(n, expected)));
                    const float progress = expected ? static_cast<float>(n) / static_cast<float>(expected) : 0;
                    ctx.DoLater(
                        [this, wanted, progress]
                        {
                            if (wanted())
                                m_loadProgress = progress;
                        });
                    return true;
                });
            return loaded;
        },
        [this](Loaded& loaded)
        {
            m_loading = false;
            if (loaded.timeline)
                m_data = std::make_unique<SessionTimeline>(std::move(*loaded.timeline));
            else if (m_data)
                for (const TimelineRow& row : loaded.rows)
                    m_data->Add(row);
        },
        [this](const std::string& error)
        {
            m_loading = false;
            m_ctx.Notify("Timeline: " + error);
        });
}

} // namespace dapscope::ui
