#include "TimelineView.hpp"

#include "ui/Style.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <functional>

namespace dapscope::ui
{

namespace
{
constexpr float kMinSpanPx = 3.0f; // narrower spans are folded (Tracy's MinVisSize)

int64_t NowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A stable colour per label, muted, so that neighbouring commands are told apart.
ImU32 LabelColor(const std::string& label, float saturation = 0.45f, float value = 0.75f)
{
    const size_t hash = std::hash<std::string>()(label);
    float r, g, b;
    ImGui::ColorConvertHSVtoRGB(static_cast<float>(hash % 360) / 360.0f, saturation, value, r, g, b);
    return ImGui::ColorConvertFloat4ToU32(ImVec4(r, g, b, 1.0f));
}

ImU32 SpanColor(const TimelineSpan& span, const SessionTimeline& data)
{
    switch (span.status)
    {
    case SpanStatus::Failed:
    case SpanStatus::Unanswered:
        return IM_COL32(200, 70, 70, 255);
    case SpanStatus::Pending:
        return IM_COL32(210, 160, 50, 255);
    default:
        return LabelColor(data.Label(span.label));
    }
}

const char* StatusText(SpanStatus status)
{
    switch (status)
    {
    case SpanStatus::Failed:
        return "failed";
    case SpanStatus::Pending:
        return "pending (no response yet)";
    case SpanStatus::Unanswered:
        return "unanswered (the session ended first)";
    default:
        return "ok";
    }
}

std::string RowLabel(const SQLite::Statement& q)
{
    const int kind = q.getColumn(2).getInt();
    auto text = [&](int i) { return q.getColumn(i).isNull() ? std::string() : q.getColumn(i).getString(); };
    switch (static_cast<inspector::Kind>(kind))
    {
    case inspector::Kind::Request:
    case inspector::Kind::Response:
    {
        std::string sub = text(7);
        return sub.empty() ? text(6) : text(6) + " " + sub;
    }
    case inspector::Kind::Event:
        return text(8);
    case inspector::Kind::Control:
        return std::string(inspector::ToString(static_cast<inspector::Opcode>(q.getColumn(9).getInt())));
    case inspector::Kind::HttpRequest:
        return text(10) + " " + text(11);
    case inspector::Kind::HttpResponse:
        return "HTTP " + text(12);
    default:
        return "malformed";
    }
}
} // namespace

// [SECTION] SessionTimelineItem

std::string SessionTimelineItem::HeaderLabel() const
{
    return "Session " + std::to_string(m_data.Session()) + ": " + std::to_string(m_data.SpanCount()) + " requests in " +
           std::to_string(m_data.Lanes().size()) + " lane(s), " + std::to_string(m_data.Events().size()) + " events";
}

void SessionTimelineItem::DrawTicks(const TimelineContext& ctx, const std::vector<TimelineTick>& ticks, float y,
                                    const char* name)
{
    const float h = m_laneHeight;
    ctx.draw->AddText(ImVec2(ctx.min.x + 2, y), IM_COL32(150, 150, 150, 160), name);
    auto it = std::lower_bound(ticks.begin(), ticks.end(), ctx.VisibleBegin(),
                               [](const TimelineTick& t, int64_t ns) { return t.ts < ns; });
    const TimelineTick* hovered = nullptr;
    float hoveredDistance = 4.0f;
    while (it != ticks.end() && it->ts <= ctx.VisibleEnd())
    {
        const float x = ctx.X(it->ts);
        const std::string& label = m_data.Label(it->label);
        ImU32 color = it->kind == static_cast<uint8_t>(inspector::Kind::Event)       ? LabelColor(label, 0.55f, 0.95f)
                      : it->kind == static_cast<uint8_t>(inspector::Kind::Malformed) ? colors::kMalformed
                                                                                     : colors::kDim;
        if (it->id == m_selected)
            color = IM_COL32(255, 255, 255, 255);
        ctx.draw->AddLine(ImVec2(x, y + 2), ImVec2(x, y + h - 1), color, it->id == m_selected ? 3.0f : 1.5f);
        ++m_drawnTicks;
        if (ctx.hovered && ctx.mouse.y >= y && ctx.mouse.y < y + h && std::fabs(ctx.mouse.x - x) < hoveredDistance)
        {
            hoveredDistance = std::fabs(ctx.mouse.x - x);
            hovered = &*it;
        }
        // Several ticks on one pixel: draw one, jump to the next pixel (bounded work when zoomed out).
        auto next = it + 1;
        if (next != ticks.end() && ctx.X(next->ts) < x + 1)
            next = std::lower_bound(next, ticks.end(), ctx.Ns(x + 1),
                                    [](const TimelineTick& t, int64_t ns) { return t.ts < ns; });
        it = next;
    }
    if (hovered)
    {
        ImGui::BeginTooltip();
        ImGui::Text("%s", m_data.Label(hovered->label).c_str());
        ImGui::TextDisabled("#%" PRId64 "  at %s", hovered->id,
                            FormatSpan(static_cast<double>(hovered->ts - ctx.base)).c_str());
        ImGui::EndTooltip();
        if (ctx.clicked)
            Clicked(hovered->id);
    }
}

void SessionTimelineItem::DrawLane(const TimelineContext& ctx, const std::vector<TimelineSpan>& lane, float y)
{
    const float h = m_laneHeight - 2;
    auto endOf = [this](const TimelineSpan& s) { return s.end == SessionTimeline::kOpenEnd ? m_drawEnd : s.end; };
    // First span that ends inside or after the visible range (ends are sorted within a lane).
    auto it = std::lower_bound(lane.begin(), lane.end(), ctx.VisibleBegin(),
                               [](const TimelineSpan& s, int64_t ns) { return s.end < ns; });
    while (it != lane.end() && it->start <= ctx.VisibleEnd())
    {
        float x0 = ctx.X(it->start), x1 = ctx.X(endOf(*it));
        if (x1 - x0 >= kMinSpanPx)
        {
            const ImVec2 a(std::max(x0, ctx.min.x - 1), y), b(std::min(x1, ctx.max.x + 1), y + h);
            ctx.draw->AddRectFilled(a, b, SpanColor(*it, m_data), 2.0f);
            if (it->status == SpanStatus::Pending || it->status == SpanStatus::Unanswered)
                ctx.draw->AddRect(a, b, IM_COL32(255, 220, 120, 255), 2.0f);
            if (it->request == m_selected || (it->response && it->response == m_selected))
                ctx.draw->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), IM_COL32(255, 255, 255, 255),
                                  2.0f, 0, 2.0f);
            const std::string& label = m_data.Label(it->label);
            if (b.x - a.x > 24)
            {
                ctx.draw->PushClipRect(a, b, true);
                ctx.draw->AddText(ImVec2(a.x + 3, y), IM_COL32(15, 15, 20, 255), label.c_str());
                ctx.draw->PopClipRect();
            }
            ++m_drawnSpans;
            if (ctx.hovered && ctx.mouse.x >= x0 && ctx.mouse.x < x1 && ctx.mouse.y >= y && ctx.mouse.y < y + h)
            {
                ImGui::BeginTooltip();
                ImGui::Text("%s", label.c_str());
                ImGui::TextDisabled("request #%" PRId64 "%s", it->request,
                                    it->response ? (" \xE2\x86\x92 response #" + std::to_string(it->response)).c_str()
                                                 : "");
                if (it->end != SessionTimeline::kOpenEnd)
                    ImGui::Text("latency %s", FormatSpan(static_cast<double>(it->end - it->start)).c_str());
                ImGui::Text("%s, started at %s", StatusText(it->status),
                            FormatSpan(static_cast<double>(it->start - ctx.base)).c_str());
                ImGui::EndTooltip();
                if (ctx.clicked)
                    Clicked(it->request);
            }
            ++it;
            continue;
        }
        // Fold a run of narrow spans (Tracy): skip every span that ends before the fold's right edge + 3 px.
        const auto first = it;
        const float foldStart = x0;
        float foldEnd = std::max(x1, x0 + 1);
        while (true)
        {
            it = std::lower_bound(it, lane.end(), ctx.Ns(foldEnd + kMinSpanPx),
                                  [](const TimelineSpan& s, int64_t ns) { return s.end < ns; });
            if (it == lane.end() || it->start > ctx.VisibleEnd())
                break;
            const float nx0 = ctx.X(it->start), nx1 = ctx.X(endOf(*it));
            if (nx1 - nx0 >= kMinSpanPx || nx0 > foldEnd + kMinSpanPx)
                break;
            foldEnd = std::max(foldEnd, nx1);
            ++it;
        }
        const long count = it - first;
        const ImVec2 a(foldStart, y + 2), b(std::max(foldEnd, foldStart + kMinSpanPx), y + h - 2);
        ctx.draw->AddRectFilled(a, b, IM_COL32(130, 140, 160, 200), 1.0f);
        ++m_drawnFolds;
        if (ctx.hovered && ctx.mouse.x >= a.x && ctx.mouse.x < b.x && ctx.mouse.y >= y && ctx.mouse.y < y + h)
        {
            ImGui::SetTooltip("%ld request(s) too short to draw at this zoom\nclick to zoom in", count);
            if (ctx.clicked)
            {
                m_zoomBegin = first->start;
                m_zoomEnd = std::max(first->start + 1, endOf(*(it - 1)));
            }
        }
    }
}

float SessionTimelineItem::DrawContents(const TimelineContext& ctx, float y)
{
    const float top = y;
    DrawTicks(ctx, m_data.Events(), y, "events");
    y += m_laneHeight;
    if (!m_data.Others().empty())
    {
        DrawTicks(ctx, m_data.Others(), y, "control / malformed / orphan / interim");
        y += m_laneHeight;
    }
    y += 4;
    const ImVec2 clipMin = ImGui::GetWindowDrawList()->GetClipRectMin();
    const ImVec2 clipMax = ImGui::GetWindowDrawList()->GetClipRectMax();
    for (const auto& lane : m_data.Lanes())
    {
        // Lanes outside the visible part of the scrolled child are skipped entirely.
        if (y + m_laneHeight >= clipMin.y && y <= clipMax.y)
            DrawLane(ctx, lane, y);
        y += m_laneHeight;
    }
    return y - top;
}

// [SECTION] TimelineView

TimelineView::TimelineView(AppContext& context) : View("Timeline", ViewSlot::Bottom, context)
{
    auto reset = [this]
    {
        ++m_generation;
        m_data.reset();
        m_loading = false;
        m_moreArrived = false;
        m_selectedTs = 0;
        m_nav.Invalidate();
    };
    m_ctx.bus.Subscribe<SelectSession>(this, [reset](const SelectSession&) { reset(); });
    m_ctx.bus.Subscribe<StoreOpened>(this, [reset](const StoreOpened&) { reset(); });
    m_ctx.bus.Subscribe<StoreChanged>(this, [this](const StoreChanged&) { m_moreArrived = true; });
    m_ctx.bus.Subscribe<SelectMessage>(this,
                                       [this](const SelectMessage& e)
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
                                               m_centerOnSelection = e.reveal;
                                           }
                                       });
}

void TimelineView::Update()
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

void TimelineView::Load(bool full)
{
    const storage::SessionSummary* session = m_ctx.model->Session(m_ctx.state.session);
    if (!session)
        return;
    m_loading = true;
    m_sessionEnded = session->endedNs.has_value();
    const uint64_t generation = full ? ++m_generation : m_generation;
    const std::weak_ptr<const char> alive = m_lifetime.Token();
    const std::string path = m_ctx.model->Path();
    const int64_t sessionId = session->id, started = session->startedNs, expected = session->messages;
    const int64_t after = full || !m_data ? 0 : m_data->LastId();
    auto timeline = full || !m_data ? std::make_shared<SessionTimeline>(sessionId, started) : nullptr;
    m_loadProgress = 0;
    m_ctx.tasks.Run(
        full ? "Timeline of session " + std::to_string(sessionId) : "",
        [=, this](TaskContext& ctx)
        {
            SQLite::Statement q(
                ctx.Reader(path).Db(),
                "SELECT id, ts_ns, kind, state, coalesce(pair_id, 0), "
                "coalesce(CASE WHEN kind = 6 THEN status < 400 ELSE success END, -1), command, " // 6: http_response
                "subcommand, event, opcode, method, path, status FROM messages "
                "WHERE session_id = ? AND id > ? ORDER BY id");
            q.bind(1, sessionId);
            q.bind(2, after);
            std::vector<TimelineRow> rows; // incremental load: handed to the UI thread
            int64_t n = 0;
            while (q.executeStep())
            {
                TimelineRow row;
                row.id = q.getColumn(0).getInt64();
                row.tsNs = q.getColumn(1).getInt64();
                row.kind = q.getColumn(2).getInt();
                row.state = q.getColumn(3).getInt();
                row.pairId = q.getColumn(4).getInt64();
                row.success = q.getColumn(5).getInt();
                row.label = RowLabel(q);
                if (timeline)
                    timeline->Add(row);
                else
                    rows.push_back(std::move(row));
                if ((++n & 0xFFFF) == 0)
                {
                    if (ctx.Cancelled())
                        return;
                    ctx.SetProgress(static_cast<uint64_t>(n), static_cast<uint64_t>(std::max(n, expected)));
                    const float progress = expected ? static_cast<float>(n) / static_cast<float>(expected) : 0;
                    ctx.DoLater(
                        [=, this]
                        {
                            if (!alive.expired() && generation == m_generation)
                                m_loadProgress = progress;
                        });
                }
            }
            ctx.DoLater(
                [=, this, rows = std::move(rows)]
                {
                    if (alive.expired() || generation != m_generation)
                        return;
                    m_loading = false;
                    if (timeline)
                        m_data = std::make_unique<SessionTimeline>(std::move(*timeline));
                    else if (m_data)
                        for (const TimelineRow& row : rows)
                            m_data->Add(row);
                });
        },
        [this, alive, generation](const std::string& error)
        {
            if (alive.expired() || generation != m_generation)
                return;
            m_loading = false;
            m_ctx.Notify("Timeline: " + error);
        });
}

void TimelineView::DrawContent()
{
    m_drawnSpans = m_drawnTicks = 0;
    if (!m_ctx.model || m_ctx.state.session == 0)
    {
        ImGui::TextDisabled("Select a session to see its timeline.");
        return;
    }
    if ((!m_data || m_data->Session() != m_ctx.state.session) && !m_loading)
        Load(true);
    if (!m_data)
    {
        ImGui::TextDisabled("Loading the timeline...");
        ImGui::ProgressBar(m_loadProgress, ImVec2(ImGui::GetFontSize() * 16, 0));
        return;
    }
    const storage::SessionSummary* session = m_ctx.model->Session(m_data->Session());
    const bool live = session && !session->endedNs;
    const int64_t drawEnd = live ? std::max(NowNs(), m_data->Last())
                                 : std::max(session && session->endedNs ? *session->endedNs : 0, m_data->Last());

    if (ImGui::SmallButton("Fit"))
        m_nav.Invalidate();
    ImGui::SameLine();
    ImGui::TextDisabled("wheel: zoom   drag: pan   click: select   ctrl+wheel: scroll lanes");
    if (!m_data->Gaps().empty())
    {
        ImGui::SameLine();
        ColoredText(colors::kPending, (std::to_string(m_data->Gaps().size()) + " keep-alive gap(s) > 15 s").c_str());
    }
    if (m_loading)
    {
        ImGui::SameLine();
        ImGui::TextDisabled("(updating)");
    }

    const float laneHeight = ImGui::GetTextLineHeight() + 4;
    const float rulerHeight = ImGui::GetTextLineHeight() + 6;
    ImGui::BeginChild("tracks", ImVec2(0, 0), false, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoScrollWithMouse);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImVec2 windowMin = ImGui::GetWindowPos();
    const ImVec2 windowMax(windowMin.x + ImGui::GetWindowWidth(), windowMin.y + ImGui::GetWindowHeight());
    if (!m_nav.Fitted() || (!m_nav.UserMoved() && live))
        m_nav.Fit(m_data->First(), m_data->First(), drawEnd, avail.x);
    if (m_centerOnSelection && m_selectedTs)
    {
        if (!m_nav.Shows(m_selectedTs, avail.x))
            m_nav.CenterOn(m_selectedTs, avail.x);
        m_centerOnSelection = false;
    }
    // The wheel zooms; Ctrl+wheel scrolls the lanes.
    if (ImGui::IsWindowHovered() && ImGui::GetIO().KeyCtrl && ImGui::GetIO().MouseWheel != 0)
        ImGui::SetScrollY(ImGui::GetScrollY() - ImGui::GetIO().MouseWheel * laneHeight * 3);
    TimelineContext ctx =
        m_nav.Begin(ImGui::GetWindowDrawList(), ImVec2(origin.x, windowMin.y), ImVec2(origin.x + avail.x, windowMax.y));

    // Gaps: shaded columns across every row, labelled.
    for (const TimelineGap& gap : m_data->Gaps())
    {
        const float x0 = ctx.X(gap.from), x1 = ctx.X(gap.to);
        if (x1 < ctx.min.x || x0 > ctx.max.x)
            continue;
        ctx.draw->AddRectFilled(ImVec2(x0, windowMin.y), ImVec2(x1, windowMax.y), colors::kGap);
        const std::string label = "no traffic for " + FormatSpan(static_cast<double>(gap.to - gap.from));
        ctx.draw->AddText(ImVec2(std::max(x0, ctx.min.x) + 4, windowMin.y + rulerHeight + 2), colors::kPending,
                          label.c_str());
    }
    SessionTimelineItem item(*m_data, drawEnd, m_ctx.state.message, laneHeight);
    const float height = item.Draw(ctx, origin.y + rulerHeight + 2);
    // The ruler stays at the top of the scrolled child.
    DrawRuler(ctx, windowMin.y, rulerHeight);
    if (m_selectedTs)
    {
        const float x = ctx.X(m_selectedTs);
        ctx.draw->AddLine(ImVec2(x, windowMin.y), ImVec2(x, windowMax.y), IM_COL32(255, 255, 255, 90));
    }
    if (live)
    {
        const float x = ctx.X(drawEnd);
        ctx.draw->AddLine(ImVec2(x, windowMin.y), ImVec2(x, windowMax.y), IM_COL32(120, 205, 140, 160), 2.0f);
        m_ctx.WakeAt(std::chrono::steady_clock::now() + std::chrono::milliseconds(250)); // the "now" line moves
    }
    ImGui::Dummy(ImVec2(avail.x, rulerHeight + 2 + height));
    m_drawnSpans = item.DrawnSpans() + item.DrawnFolds();
    m_drawnTicks = item.DrawnTicks();
    if (item.ClickedId())
        m_ctx.bus.Post(SelectMessage{item.ClickedId(), true});
    if (item.ZoomRequested())
        m_nav.ZoomTo(item.ZoomBegin(), item.ZoomEnd(), avail.x);
    ImGui::EndChild();
}

} // namespace dapscope::ui
