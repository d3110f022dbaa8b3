#include "StatsView.hpp"

#include "ui/Style.hpp"
#include "ui/Timeline.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace dapscope::ui
{

namespace
{
enum Column
{
    kCommand,
    kCount,
    kFailures,
    kUnanswered,
    kP50,
    kP95,
    kP99,
    kMax,
    kColumns
};
} // namespace

void StatsView::DrawLive()
{
    if (!m_ctx.liveFigures)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (m_liveLine.empty() || now - m_liveAt >= std::chrono::seconds(1))
    {
        const metrics::LiveFigures f = m_ctx.liveFigures();
        const double seconds = std::chrono::duration<double>(now - m_liveAt).count();
        const bool rates = !m_liveLine.empty() && seconds > 0;
        char line[320];
        std::snprintf(line, sizeof line,
                      "live: %.0f requests (%.0f failed), %.0f pending, %.0f session(s) open, %.0f events, %.0f "
                      "task(s) running, %.0f elided",
                      f.requests, f.failures, f.pending, f.sessionsOpen, f.events, f.tasksRunning, f.elided);
        m_liveLine = line;
        if (rates)
        {
            std::snprintf(line, sizeof line, "  |  %.1f req/s, %.1f events/s, %s/s",
                          (f.requests - m_live.requests) / seconds, (f.events - m_live.events) / seconds,
                          FormatBytes(static_cast<int64_t>((f.bytes - m_live.bytes) / seconds)).c_str());
            m_liveLine += line;
        }
        m_live = f;
        m_liveAt = now;
    }
    m_ctx.WakeAt(m_liveAt + std::chrono::seconds(1));
    ImGui::TextUnformatted(m_liveLine.c_str());
}

void StatsView::DrawContent()
{
    DrawLive();
    if (!m_ctx.model || (m_ctx.state.session == 0 && !m_model.AllSessions()))
    {
        ImGui::TextDisabled("Select a session to see its statistics.");
        return;
    }
    m_model.Show();
    bool allSessions = m_model.AllSessions();
    if (ImGui::Checkbox("All sessions", &allSessions))
        m_model.SetAllSessions(allSessions);
    ImGui::SameLine();
    if (m_model.Loading())
        ImGui::TextDisabled("computing...");
    const storage::TraceStats* stats = m_model.Stats();
    if (!stats)
        return;
    ImGui::SameLine();
    ImGui::TextDisabled("%zu commands, %lld unanswered, %lld orphan responses, %lld malformed", stats->commands.size(),
                        static_cast<long long>(stats->unanswered), static_cast<long long>(stats->orphans),
                        static_cast<long long>(stats->malformed));
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    ImGui::BeginChild("commands", ImVec2(avail.x * 0.55f, 0), false);
    DrawCommands();
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("right", ImVec2(0, 0), false);
    DrawHistogram();
    DrawEvents();
    ImGui::EndChild();
}

void StatsView::DrawCommands()
{
    const auto& commands = m_model.Stats()->commands;
    const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_Sortable | ImGuiTableFlags_SizingFixedFit |
                                  ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable("command-stats", kColumns, flags))
        return;
    ImGui::TableSetupScrollFreeze(1, 1);
    ImGui::TableSetupColumn("Command", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 10, kCommand);
    ImGui::TableSetupColumn("Count", ImGuiTableColumnFlags_PreferSortDescending | ImGuiTableColumnFlags_DefaultSort, 0,
                            kCount);
    ImGui::TableSetupColumn("Failed", ImGuiTableColumnFlags_PreferSortDescending, 0, kFailures);
    ImGui::TableSetupColumn("Unans.", ImGuiTableColumnFlags_PreferSortDescending, 0, kUnanswered);
    ImGui::TableSetupColumn("p50", ImGuiTableColumnFlags_PreferSortDescending, 0, kP50);
    ImGui::TableSetupColumn("p95", ImGuiTableColumnFlags_PreferSortDescending, 0, kP95);
    ImGui::TableSetupColumn("p99", ImGuiTableColumnFlags_PreferSortDescending, 0, kP99);
    ImGui::TableSetupColumn("max", ImGuiTableColumnFlags_PreferSortDescending, 0, kMax);
    ImGui::TableHeadersRow();
    ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs();
    const bool newStats = m_sortedVersion != m_model.StatsVersion();
    if ((specs && specs->SpecsDirty) || newStats || m_order.size() != commands.size())
    {
        m_order.resize(commands.size());
        std::iota(m_order.begin(), m_order.end(), 0);
        if (specs && specs->SpecsCount > 0)
        {
            const auto& spec = specs->Specs[0];
            auto key = [&](const storage::CommandStats& c) -> double
            {
                switch (spec.ColumnUserID)
                {
                case kCount:
                    return static_cast<double>(c.count);
                case kFailures:
                    return static_cast<double>(c.failures);
                case kUnanswered:
                    return static_cast<double>(c.unanswered);
                case kP50:
                    return c.p50Ms;
                case kP95:
                    return c.p95Ms;
                case kP99:
                    return c.p99Ms;
                case kMax:
                    return c.maxMs;
                default:
                    return 0;
                }
            };
            const bool ascending = spec.SortDirection != ImGuiSortDirection_Descending;
            std::stable_sort(m_order.begin(), m_order.end(),
                             [&](size_t a, size_t b)
                             {
                                 if (spec.ColumnUserID == kCommand)
                                     return ascending ? commands[a].command < commands[b].command
                                                      : commands[b].command < commands[a].command;
                                 return ascending ? key(commands[a]) < key(commands[b])
                                                  : key(commands[b]) < key(commands[a]);
                             });
            specs->SpecsDirty = false;
        }
        m_sortedVersion = m_model.StatsVersion();
    }
    auto ms = [](double value)
    {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, value < 10 ? "%.3f ms" : "%.1f ms", value);
        return std::string(buffer);
    };
    for (size_t index : m_order)
    {
        const storage::CommandStats& c = commands[index];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::PushID(static_cast<int>(index));
        if (ImGui::Selectable(c.command.empty() ? "(none)" : c.command.c_str(), c.command == m_model.SelectedCommand(),
                              ImGuiSelectableFlags_SpanAllColumns))
            m_model.SelectCommand(c.command);
        ImGui::PopID();
        ImGui::TableNextColumn();
        ImGui::Text("%lld", static_cast<long long>(c.count));
        ImGui::TableNextColumn();
        if (c.failures)
            ColoredText(colors::kFailed, std::to_string(c.failures).c_str());
        ImGui::TableNextColumn();
        if (c.unanswered)
            ColoredText(colors::kPending, std::to_string(c.unanswered).c_str());
        for (double value : {c.p50Ms, c.p95Ms, c.p99Ms, c.maxMs})
        {
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(ms(value).c_str());
        }
    }
    ImGui::EndTable();
}

void StatsView::DrawHistogram()
{
    const std::string& command = m_model.SelectedCommand();
    ImGui::Text("Latency of %s", command.empty() ? "(select a command)" : command.c_str());
    const LatencyHistogram* histogram = m_model.Histogram();
    if (!histogram || histogram->total == 0)
    {
        ImGui::TextDisabled(m_model.LoadingHistogram() ? "loading..." : "no answered request");
        return;
    }
    const LatencyHistogram& h = *histogram;
    ImGui::SameLine();
    ImGui::TextDisabled("%lld requests, %s .. %s", static_cast<long long>(h.total),
                        FormatSpan(static_cast<double>(h.minNs)).c_str(),
                        FormatSpan(static_cast<double>(h.maxNs)).c_str());
    const int first = LatencyHistogram::Bucket(h.minNs);
    const int last = static_cast<int>(h.counts.size()) - 1;
    const int buckets = std::max(1, last - first + 1);
    const float height = std::max(80.0f, ImGui::GetContentRegionAvail().y * 0.55f);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float width = ImGui::GetContentRegionAvail().x;
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const float axis = ImGui::GetTextLineHeight() + 4;
    const float plotHeight = height - axis;
    const int64_t peak = *std::max_element(h.counts.begin() + first, h.counts.end());
    const float barWidth = width / static_cast<float>(buckets);
    draw->AddRectFilled(origin, ImVec2(origin.x + width, origin.y + plotHeight), IM_COL32(25, 27, 32, 255));
    for (int i = first; i <= last; ++i)
    {
        const int64_t count = h.counts[static_cast<size_t>(i)];
        const float x0 = origin.x + static_cast<float>(i - first) * barWidth;
        const float barHeight = peak ? plotHeight * static_cast<float>(count) / static_cast<float>(peak) : 0;
        const ImVec2 a(x0 + 1, origin.y + plotHeight - barHeight), b(x0 + barWidth - 1, origin.y + plotHeight);
        if (count)
            draw->AddRectFilled(a, b, colors::kAccent);
        if ((i - first) % 2 == 0 || buckets < 12)
            draw->AddText(ImVec2(x0 + 2, origin.y + plotHeight + 2), colors::kDim,
                          FormatSpan(LatencyHistogram::Edge(i)).c_str());
        const ImGuiIO& io = ImGui::GetIO();
        if (ImGui::IsWindowHovered() && io.MousePos.x >= x0 && io.MousePos.x < x0 + barWidth &&
            io.MousePos.y >= origin.y && io.MousePos.y < origin.y + plotHeight)
        {
            draw->AddRect(ImVec2(x0, origin.y), ImVec2(x0 + barWidth, origin.y + plotHeight), colors::kDim);
            ImGui::SetTooltip("%s .. %s: %lld request(s)", FormatSpan(LatencyHistogram::Edge(i)).c_str(),
                              FormatSpan(LatencyHistogram::Edge(i + 1)).c_str(), static_cast<long long>(count));
        }
    }
    ImGui::Dummy(ImVec2(width, height));
}

void StatsView::DrawEvents()
{
    ImGui::Spacing();
    ImGui::Text("Events");
    if (!ImGui::BeginTable("event-stats", 2,
                           ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit))
        return;
    ImGui::TableSetupColumn("Event", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("Count");
    for (const auto& e : m_model.Stats()->events)
    {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ColoredText(colors::kEvent, e.event.c_str());
        ImGui::TableNextColumn();
        ImGui::Text("%lld", static_cast<long long>(e.count));
    }
    ImGui::EndTable();
}

} // namespace dapscope::ui
