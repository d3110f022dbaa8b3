#include "TimelineView.hpp"

#include "ui/Style.hpp"

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

void TimelineView::DrawContent()
{
    m_drawnSpans = m_drawnTicks = 0;
    if (!m_ctx.model || m_ctx.state.session == 0)
    {
        ImGui::TextDisabled("Select a session to see its timeline.");
        return;
    }
    m_model.Show(m_ctx.state.session);
    if (m_modelResets != m_model.Resets())
    {
        m_modelResets = m_model.Resets();
        m_nav.Invalidate();
    }
    const SessionTimeline* data = m_model.Data();
    if (!data)
    {
        ImGui::TextDisabled("Loading the timeline...");
        ImGui::ProgressBar(m_model.LoadProgress(), ImVec2(ImGui::GetFontSize() * 16, 0));
        return;
    }
    const storage::SessionSummary* session = m_ctx.model->Session(data->Session());
    const bool live = session && !session->endedNs;
    const int64_t drawEnd = live ? std::max(NowNs(), data->Last())
                                 : std::max(session && session->endedNs ? *session->endedNs : 0, data->Last());

    if (ImGui::SmallButton("Fit"))
        m_nav.Invalidate();
    ImGui::SameLine();
    ImGui::TextDisabled("wheel: zoom   drag: pan   click: select   ctrl+wheel: scroll lanes");
    if (!data->Gaps().empty())
    {
        ImGui::SameLine();
        ColoredText(colors::kPending, (std::to_string(data->Gaps().size()) + " keep-alive gap(s) > 15 s").c_str());
    }
    if (m_model.Loading())
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
        m_nav.Fit(data->First(), data->First(), drawEnd, avail.x);
    const int64_t selectedTs = m_model.SelectedTs();
    if (selectedTs && m_model.TakeReveal() && !m_nav.Shows(selectedTs, avail.x))
        m_nav.CenterOn(selectedTs, avail.x);
    // The wheel zooms; Ctrl+wheel scrolls the lanes.
    if (ImGui::IsWindowHovered() && ImGui::GetIO().KeyCtrl && ImGui::GetIO().MouseWheel != 0)
        ImGui::SetScrollY(ImGui::GetScrollY() - ImGui::GetIO().MouseWheel * laneHeight * 3);
    TimelineContext ctx =
        m_nav.Begin(ImGui::GetWindowDrawList(), ImVec2(origin.x, windowMin.y), ImVec2(origin.x + avail.x, windowMax.y));

    // Gaps: shaded columns across every row, labelled.
    for (const TimelineGap& gap : data->Gaps())
    {
        const float x0 = ctx.X(gap.from), x1 = ctx.X(gap.to);
        if (x1 < ctx.min.x || x0 > ctx.max.x)
            continue;
        ctx.draw->AddRectFilled(ImVec2(x0, windowMin.y), ImVec2(x1, windowMax.y), colors::kGap);
        const std::string label = "no traffic for " + FormatSpan(static_cast<double>(gap.to - gap.from));
        ctx.draw->AddText(ImVec2(std::max(x0, ctx.min.x) + 4, windowMin.y + rulerHeight + 2), colors::kPending,
                          label.c_str());
    }
    SessionTimelineItem item(*data, drawEnd, m_ctx.state.message, laneHeight);
    const float height = item.Draw(ctx, origin.y + rulerHeight + 2);
    // The ruler stays at the top of the scrolled child.
    DrawRuler(ctx, windowMin.y, rulerHeight);
    if (selectedTs)
    {
        const float x = ctx.X(selectedTs);
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
