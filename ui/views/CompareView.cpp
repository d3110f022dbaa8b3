#include "CompareView.hpp"

#include "ui/Style.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace dapscope::ui
{

namespace
{
using replay::DiffRow;
using replay::DiffStatus;

const char* StatusText(DiffStatus status)
{
    switch (status)
    {
    case DiffStatus::Matched:
        return "matched";
    case DiffStatus::Differs:
        return "differs";
    case DiffStatus::OnlyInA:
        return "only in A";
    default:
        return "only in B";
    }
}

ImU32 StatusColor(DiffStatus status)
{
    switch (status)
    {
    case DiffStatus::Matched:
        return colors::kResponse;
    case DiffStatus::Differs:
        return colors::kPending;
    default:
        return colors::kFailed;
    }
}

std::string Success(const std::optional<bool>& success)
{
    return success ? (*success ? "ok" : "FAILED") : "-";
}

std::string Latency(const std::optional<int64_t>& ns)
{
    return ns ? FormatDuration(*ns) : "-";
}

const char* kArrow = " \xE2\x86\x92 "; // " → "

// "12.0 ms → 30.5 ms  (x2.54)": latency in A and in B, and B's over A's.
std::string LatencyPair(const DiffRow& row)
{
    std::string latency = Latency(row.latencyANs) + kArrow + Latency(row.latencyBNs);
    if (row.latencyANs && row.latencyBNs && *row.latencyANs > 0)
    {
        char ratio[32];
        std::snprintf(ratio, sizeof ratio, "  (x%.2f)",
                      static_cast<double>(*row.latencyBNs) / static_cast<double>(*row.latencyANs));
        latency += ratio;
    }
    return latency;
}

std::string Request(const DiffRow& row)
{
    return row.subcommand.empty() ? row.command : row.command + " (" + row.subcommand + ")";
}

// A# / B#: the position, a link to the message when it has one.
void PositionCell(const std::optional<size_t>& position, const std::optional<int64_t>& id, AppContext& ctx)
{
    if (!position)
    {
        ImGui::TextDisabled("-");
        return;
    }
    const std::string label = std::to_string(*position);
    if (!id)
    {
        ImGui::TextUnformatted(label.c_str());
        return;
    }
    if (LinkText(label.c_str()))
        ctx.bus.Post(SelectMessage{*id, true});
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Message %lld: click to select it", static_cast<long long>(*id));
}
} // namespace

void CompareView::DrawContent()
{
    m_drawnRows = m_drawnPaths = m_drawnEvents = 0;
    if (!m_ctx.model)
        return;
    if (!m_model.A() || !m_model.B())
    {
        ImGui::TextDisabled("Nothing to compare yet. In the session list, Ctrl+click a second session to compare it");
        ImGui::TextDisabled("with the selected one, or right-click a session: \"Compare with selected session\", or,");
        ImGui::TextDisabled(
            "on a replay, \"Compare with original\". `dapscope diff A B` compares on the command line.");
        return;
    }
    const replay::DiffReport* report = m_model.Report();
    if (!report)
    {
        if (!m_model.Error().empty())
            ColoredText(colors::kFailed, ("Cannot compare: " + m_model.Error()).c_str());
        else
            ImGui::TextDisabled("Comparing session %lld with session %lld...", static_cast<long long>(m_model.A()),
                                static_cast<long long>(m_model.B()));
        return;
    }
    if (m_seenVersion != m_model.ReportVersion())
    {
        // A new report: keep the selected row if it is still there, else show the first difference.
        m_seenVersion = m_model.ReportVersion();
        if (!m_selected || *m_selected >= report->rows.size())
        {
            m_selected.reset();
            for (size_t i = 0; i < report->rows.size(); ++i)
                if (report->rows[i].status != DiffStatus::Matched)
                {
                    m_selected = i;
                    break;
                }
        }
    }
    DrawHeader(*report);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    ImGui::BeginChild("rows", ImVec2(avail.x * 0.5f, 0), false);
    DrawRows(*report);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("right", ImVec2(0, 0), false);
    DrawSelected(*report);
    DrawEvents(*report);
    ImGui::EndChild();
}

void CompareView::DrawHeader(const replay::DiffReport& report)
{
    auto name = [this](int64_t id)
    {
        std::string text = "#" + std::to_string(id);
        if (const storage::SessionSummary* s = m_ctx.model->Session(id); s && !s->clientName.empty())
            text += " " + s->clientName + (s->clientVersion.empty() ? "" : " " + s->clientVersion);
        return text;
    };
    ImGui::Text("A: %s", name(m_model.A()).c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("vs");
    ImGui::SameLine();
    ImGui::Text("B: %s", name(m_model.B()).c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("Swap"))
        m_ctx.bus.Post(CompareSessions{m_model.B(), m_model.A()});
    ImGui::SameLine();
    ImGui::Checkbox("Only differences", &m_onlyDifferences);
    // The summary line, as `dapscope diff` ends its report.
    const bool equivalent = report.outcome == replay::Outcome::Equivalent;
    ColoredText(equivalent ? colors::kResponse : colors::kPending, equivalent ? "equivalent:" : "different:");
    ImGui::SameLine();
    int64_t eventsA = 0, eventsB = 0;
    size_t eventNamesDiffering = 0;
    for (const replay::EventCount& e : report.events)
    {
        eventsA += e.then;
        eventsB += e.now;
        eventNamesDiffering += e.then != e.now ? 1 : 0;
    }
    ImGui::TextDisabled("%zu requests: %zu matched, %zu differ, %zu only in A, %zu only in B; events %lld in A, "
                        "%lld in B, %zu name(s) differ in count%s",
                        report.rows.size(), report.Count(DiffStatus::Matched), report.Count(DiffStatus::Differs),
                        report.Count(DiffStatus::OnlyInA), report.Count(DiffStatus::OnlyInB),
                        static_cast<long long>(eventsA), static_cast<long long>(eventsB), eventNamesDiffering,
                        m_model.Loading() ? "  (comparing again...)" : "");
}

void CompareView::DrawRows(const replay::DiffReport& report)
{
    const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV |
                                  ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable("compare-rows", 6, flags))
        return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("A#");
    ImGui::TableSetupColumn("B#");
    ImGui::TableSetupColumn("Request", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 13);
    ImGui::TableSetupColumn("Result");
    ImGui::TableSetupColumn("Success A\xE2\x86\x92"
                            "B");
    ImGui::TableSetupColumn("Latency A\xE2\x86\x92"
                            "B");
    ImGui::TableHeadersRow();
    for (size_t i = 0; i < report.rows.size(); ++i)
    {
        const DiffRow& row = report.rows[i];
        if (m_onlyDifferences && row.status == DiffStatus::Matched)
            continue;
        ++m_drawnRows;
        ImGui::TableNextRow();
        ImGui::PushID(static_cast<int>(i));
        ImGui::TableNextColumn();
        if (ImGui::Selectable("##row", m_selected == i,
                              ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap))
            m_selected = i;
        ImGui::SameLine(0, 0);
        PositionCell(row.a, row.idA, m_ctx);
        ImGui::TableNextColumn();
        PositionCell(row.b, row.idB, m_ctx);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(Request(row).c_str());
        ImGui::TableNextColumn();
        ColoredText(StatusColor(row.status), StatusText(row.status));
        if (!row.differences.empty())
        {
            ImGui::SameLine();
            ImGui::TextDisabled("(%zu)", row.differences.size());
        }
        if (!row.note.empty() && ImGui::IsItemHovered())
            ImGui::SetTooltip("%s", row.note.c_str());
        ImGui::TableNextColumn();
        const bool successDiffers = row.successA != row.successB;
        const std::string success = Success(row.successA) + kArrow + Success(row.successB);
        if (successDiffers)
            ColoredText(StatusColor(row.status), success.c_str());
        else
            ImGui::TextUnformatted(success.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(LatencyPair(row).c_str());
        ImGui::PopID();
    }
    ImGui::EndTable();
}

void CompareView::DrawSelected(const replay::DiffReport& report)
{
    if (!m_selected || *m_selected >= report.rows.size())
    {
        ImGui::TextDisabled("Select a row to see what differs.");
        return;
    }
    const DiffRow& row = report.rows[*m_selected];
    ImGui::Text("%s", Request(row).c_str());
    ImGui::SameLine();
    ColoredText(StatusColor(row.status), StatusText(row.status));
    ImGui::SameLine();
    ImGui::TextDisabled("latency %s", LatencyPair(row).c_str());
    if (!row.note.empty())
        ImGui::TextWrapped("%s", row.note.c_str());
    ShowTrees(row);
    if (!row.differences.empty())
    {
        const float height =
            std::min(ImGui::GetContentRegionAvail().y * 0.3f,
                     ImGui::GetTextLineHeightWithSpacing() * static_cast<float>(row.differences.size() + 2));
        const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                      ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingStretchProp;
        if (ImGui::BeginTable("differences", 3, flags, ImVec2(0, height)))
        {
            ImGui::TableSetupScrollFreeze(0, 1);
            ImGui::TableSetupColumn("Path", 0, 1.2f);
            ImGui::TableSetupColumn("A", 0, 1.0f);
            ImGui::TableSetupColumn("B", 0, 1.0f);
            ImGui::TableHeadersRow();
            ImGui::PushFont(CurrentFonts().mono);
            for (const replay::Difference& d : row.differences)
            {
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ColoredText(colors::kPending, d.path.c_str());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(d.then.c_str());
                if (ImGui::IsItemHovered())
                    ImGui::SetTooltip("%s", d.then.c_str());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(d.now.c_str());
                if (ImGui::IsItemHovered())
                    ImGui::SetTooltip("%s", d.now.c_str());
                ++m_drawnPaths;
            }
            ImGui::PopFont();
            ImGui::EndTable();
        }
    }
    else
        ImGui::TextDisabled(row.status == DiffStatus::Matched ? "Answered alike." : "No differing path.");

    // The exchange of A and of B as JSON trees, the differing paths highlighted.
    const float line = ImGui::GetFrameHeightWithSpacing();
    const float events = line * (m_eventsOpen ? 7.0f : 1.2f);
    const float height = std::max(ImGui::GetContentRegionAvail().y - events, line * 4);
    if (ImGui::BeginTable("trees", 2, ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY, ImVec2(0, height)))
    {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("A");
        ImGui::TableSetupColumn("B");
        ImGui::TableHeadersRow();
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        if (row.idA)
            m_treeA.Draw();
        else
            ImGui::TextDisabled("only in B");
        ImGui::TableNextColumn();
        if (row.idB)
            m_treeB.Draw();
        else
            ImGui::TextDisabled("only in A");
        ImGui::EndTable();
    }
}

void CompareView::ShowTrees(const DiffRow& row)
{
    if (m_treeRow == m_selected && m_treeVersion == m_model.ReportVersion())
        return;
    m_treeRow = m_selected;
    m_treeVersion = m_model.ReportVersion();
    std::vector<std::string> paths;
    for (const replay::Difference& d : row.differences)
        paths.push_back(d.path);
    const replay::Recording* a = m_model.RecordingA();
    const replay::Recording* b = m_model.RecordingB();
    m_treeA.Set(a && row.idA ? ExchangeDocument(*a, *row.idA) : boost::json::value(), paths);
    m_treeB.Set(b && row.idB ? ExchangeDocument(*b, *row.idB) : boost::json::value(), paths);
}

void CompareView::DrawEvents(const replay::DiffReport& report)
{
    const bool differ = std::any_of(report.events.begin(), report.events.end(),
                                    [](const replay::EventCount& e) { return e.then != e.now; }) ||
                        std::any_of(report.tasks.begin(), report.tasks.end(),
                                    [](const replay::TaskEvents& t) { return !t.CountsAlike(); });
    if (report.events.empty())
    {
        ImGui::TextDisabled("Events: none in either session");
        return;
    }
    ImGui::SetNextItemOpen(differ, ImGuiCond_Appearing);
    m_eventsOpen =
        ImGui::CollapsingHeader(differ ? "Events per task: counts differ###events" : "Events per task: alike###events");
    if (!m_eventsOpen)
        return;
    const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("compare-events", 4, flags))
        return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Event", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("A");
    ImGui::TableSetupColumn("B");
    ImGui::TableSetupColumn("In B");
    ImGui::TableHeadersRow();
    // Per task pair (DiffReport::tasks): a line naming A's and B's task, then its events per name.
    auto countRow = [this](const replay::EventCount& e)
    {
        ++m_drawnEvents;
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::Indent();
        ColoredText(colors::kEvent, e.event.c_str());
        ImGui::Unindent();
        ImGui::TableNextColumn();
        ImGui::Text("%lld", static_cast<long long>(e.then));
        ImGui::TableNextColumn();
        ImGui::Text("%lld", static_cast<long long>(e.now));
        ImGui::TableNextColumn();
        if (e.now < e.then)
            ColoredText(colors::kFailed, (std::to_string(e.then - e.now) + " missing").c_str());
        else if (e.now > e.then)
            ColoredText(colors::kPending, (std::to_string(e.now - e.then) + " extra").c_str());
        else
            ImGui::TextDisabled("same");
    };
    for (const replay::TaskEvents& task : report.tasks)
    {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        const std::string a = task.taskA.empty() ? (task.taskB.empty() ? "no task" : "-") : task.taskA;
        const std::string b = task.taskB.empty() ? (task.taskA.empty() ? "no task" : "-") : task.taskB;
        ImGui::Text("task %s / %s", a.c_str(), b.c_str());
        if (task.firstDifference)
        {
            ImGui::TableNextColumn();
            ImGui::TableNextColumn();
            ImGui::TableNextColumn();
            ColoredText(colors::kPending, "body differs");
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("First differing body: %s %s\nA: %s\nB: %s", task.firstDifferingEvent.c_str(),
                                  task.firstDifference->path.c_str(), task.firstDifference->then.c_str(),
                                  task.firstDifference->now.c_str());
        }
        for (const replay::EventCount& e : task.events)
            countRow(e);
    }
    ImGui::EndTable();
}

} // namespace dapscope::ui
