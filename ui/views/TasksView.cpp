#include "TasksView.hpp"

#include "ui/Style.hpp"

#include <algorithm>
#include <cinttypes>
#include <functional>
#include <map>

namespace dapscope::ui
{

namespace
{
ImU32 ComponentColor(const std::string& component)
{
    const size_t hash = std::hash<std::string>()(component);
    float r, g, b;
    ImGui::ColorConvertHSVtoRGB(static_cast<float>(hash % 360) / 360.0f, 0.5f, 0.8f, r, g, b);
    return ImGui::ColorConvertFloat4ToU32(ImVec4(r, g, b, 1.0f));
}

bool IsStart(const std::string& command)
{
    return command == "execute" || command == "launch" || command == "attach" || command == "restart";
}

bool IsEnd(const std::string& command)
{
    return command == "terminate" || command == "disconnect";
}
} // namespace

// [SECTION] FlowTimelineItem

std::string FlowTimelineItem::HeaderLabel() const
{
    std::string label = "pipe " + std::to_string(m_flow.pipe);
    if (m_flow.run > 1)
        label += " (run " + std::to_string(m_flow.run) + ")";
    label += "   " + FormatSpan(static_cast<double>(m_flow.end - m_flow.begin));
    if (!m_flow.ended)
        label += "   still running";
    if (!m_flow.error.empty())
        label += "   error: " + m_flow.error;
    return label;
}

float FlowTimelineItem::DrawContents(const TimelineContext& ctx, float y)
{
    const float h = m_rowHeight;
    for (const FlowSpan& span : m_flow.spans)
    {
        if (span.end < ctx.VisibleBegin() || span.start > ctx.VisibleEnd())
            continue;
        const float top = y + static_cast<float>(span.depth) * h;
        float x0 = ctx.X(span.start), x1 = std::max(ctx.X(span.end), x0 + 3.0f);
        const ImVec2 a(std::max(x0, ctx.min.x - 1), top), b(std::min(x1, ctx.max.x + 1), top + h - 2);
        ctx.draw->AddRectFilled(a, b, ComponentColor(span.component), 2.0f);
        if (span.leaveId == 0)
            ctx.draw->AddRect(a, b, IM_COL32(255, 220, 120, 255), 2.0f);
        if (b.x - a.x > 20)
        {
            const std::string label = span.lane.empty() ? span.component : span.component + "  (" + span.lane + ")";
            ctx.draw->PushClipRect(a, b, true);
            ctx.draw->AddText(ImVec2(a.x + 3, top), IM_COL32(15, 15, 20, 255), label.c_str());
            ctx.draw->PopClipRect();
        }
        ++m_drawn;
        if (ctx.hovered && ctx.mouse.x >= a.x && ctx.mouse.x < b.x && ctx.mouse.y >= top && ctx.mouse.y < top + h)
        {
            ImGui::BeginTooltip();
            ImGui::Text("%s", span.component.c_str());
            if (!span.lane.empty())
                ImGui::TextDisabled("lane %s", span.lane.c_str());
            ImGui::Text("%s%s", FormatSpan(static_cast<double>(span.end - span.start)).c_str(),
                        span.leaveId ? "" : " so far (not left yet)");
            ImGui::TextDisabled("depth %d, entered with #%" PRId64 "%s", span.depth, span.enterId,
                                span.leaveId ? (", left with #" + std::to_string(span.leaveId)).c_str() : "");
            ImGui::EndTooltip();
            if (ctx.clicked)
                m_clicked = span.enterId;
        }
    }
    return static_cast<float>(m_flow.maxDepth + 1) * h + 6;
}

// [SECTION] TasksView

void TasksView::DrawContent()
{
    m_drawnFlowSpans = 0;
    if (!m_ctx.model || m_ctx.state.session == 0)
    {
        ImGui::TextDisabled("Select a session to see its tasks.");
        return;
    }
    m_model.Show(m_ctx.state.session);
    SyncNav();
    if (m_model.ListSession() != m_ctx.state.session)
    {
        ImGui::TextDisabled("Grouping messages by task...");
        return;
    }
    const auto& tasks = m_model.Tasks();
    const TaskDetail* detail = m_model.Detail();
    if (tasks.empty())
    {
        ImGui::TextDisabled("No task in this session (tasks start with execute / launch).");
        return;
    }
    // Left: the tasks, and the selected one's lifecycle under them. Right: its flow timeline (full height).
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const bool flow = detail && !detail->flows.empty();
    const float leftWidth = flow ? std::max(avail.x * 0.36f, std::min(avail.x, ImGui::GetFontSize() * 24)) : avail.x;
    ImGui::BeginChild("task-left", ImVec2(leftWidth, 0), false);
    const float listHeight = std::min(ImGui::GetContentRegionAvail().y * 0.4f,
                                      ImGui::GetFrameHeightWithSpacing() * (static_cast<float>(tasks.size()) + 1.5f));
    ImGui::BeginChild("task-list", ImVec2(0, listHeight), true);
    DrawList();
    ImGui::EndChild();
    ImGui::BeginChild("lifecycle", ImVec2(0, 0), false);
    if (!detail)
        ImGui::TextDisabled(m_model.LoadingDetail() ? "Loading the task..." : "Select a task.");
    else
        DrawLifecycle();
    ImGui::EndChild();
    ImGui::EndChild();
    if (flow)
    {
        ImGui::SameLine();
        ImGui::BeginChild("task-flow", ImVec2(0, 0), true);
        DrawFlow();
        ImGui::EndChild();
    }
}

void TasksView::DrawList()
{
    const auto& tasks = m_model.Tasks();
    const ImGuiTableFlags flags =
        ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable("tasks", 5, flags))
        return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Task", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("Msgs");
    ImGui::TableSetupColumn("Events");
    ImGui::TableSetupColumn("Fail");
    ImGui::TableSetupColumn("Duration");
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(tasks.size()));
    while (clipper.Step())
        for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row)
        {
            const storage::TaskSummary& t = tasks[static_cast<size_t>(row)];
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::PushID(row);
            if (ImGui::Selectable(t.task.c_str(), m_ctx.state.task == t.task, ImGuiSelectableFlags_SpanAllColumns))
                m_model.Select(t.task);
            ImGui::PopID();
            ImGui::TableNextColumn();
            ImGui::Text("%lld", static_cast<long long>(t.messages));
            ImGui::TableNextColumn();
            ImGui::Text("%lld", static_cast<long long>(t.events));
            ImGui::TableNextColumn();
            if (t.failures)
                ColoredText(colors::kFailed, std::to_string(t.failures).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(FormatDuration(t.last - t.first).c_str());
        }
    ImGui::EndTable();
}

void TasksView::MessageLink(const storage::TaskMessage& m, const char* label)
{
    ImGui::PushID(static_cast<int>(m.id));
    if (LinkText(label))
        m_ctx.bus.Post(SelectMessage{m.id, true});
    ImGui::PopID();
}

void TasksView::DrawLifecycle()
{
    const TaskDetail& d = *m_model.Detail();
    std::map<int64_t, const storage::TaskMessage*> byId;
    for (const storage::TaskMessage& m : d.messages)
        byId[m.id] = &m;
    auto outcome = [&](const storage::TaskMessage& request) -> std::pair<std::string, ImU32>
    {
        auto it = byId.find(request.pairId);
        if (request.state == inspector::ExchangeState::Pending)
            return {"pending", colors::kPending};
        if (request.state == inspector::ExchangeState::Unanswered)
            return {"unanswered", colors::kFailed};
        const bool failed = it != byId.end() && it->second->success && !*it->second->success;
        std::string text = failed ? "FAILED" : "ok";
        if (request.latencyNs)
            text += "  " + FormatDuration(*request.latencyNs);
        return {text, failed ? colors::kFailed : colors::kDim};
    };
    auto requestLine = [&](const storage::TaskMessage& m)
    {
        char label[160];
        std::snprintf(label, sizeof label, "%s%s%s #%" PRId64, m.command.c_str(), m.subcommand.empty() ? "" : " ",
                      m.subcommand.c_str(), m.id);
        MessageLink(m, label);
        ImGui::SameLine();
        auto [text, color] = outcome(m);
        ColoredText(color, text.c_str());
    };

    ImGui::Text("Task %s", d.task.c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("%zu messages%s, %lld flow events", d.messages.size(), d.truncated ? "+" : "",
                        static_cast<long long>(d.flowEvents));
    std::vector<const storage::TaskMessage*> starts, ends, others;
    std::map<int64_t, std::vector<const storage::TaskMessage*>> pipes;
    std::map<std::string, std::vector<const storage::TaskMessage*>> events;
    for (const storage::TaskMessage& m : d.messages)
    {
        if (m.kind == inspector::Kind::Event)
            events[m.event].push_back(&m);
        else if (m.kind != inspector::Kind::Request)
            continue;
        else if (IsStart(m.command))
            starts.push_back(&m);
        else if (IsEnd(m.command))
            ends.push_back(&m);
        else if (m.command == "rrext_process" && m.pipe)
            pipes[*m.pipe].push_back(&m);
        else
            others.push_back(&m);
    }
    ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    if (ImGui::TreeNode("start", "Start (%zu)", starts.size()))
    {
        for (const storage::TaskMessage* m : starts)
            requestLine(*m);
        ImGui::TreePop();
    }
    ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    if (ImGui::TreeNode("pipes", "Pipes (%zu)", pipes.size()))
    {
        for (const auto& [pipe, requests] : pipes)
        {
            int writes = 0, failed = 0;
            for (const storage::TaskMessage* m : requests)
            {
                writes += m->subcommand == "write";
                auto [text, color] = outcome(*m);
                failed += color == colors::kFailed;
            }
            const int64_t span =
                requests.back()->tsNs - requests.front()->tsNs + requests.back()->latencyNs.value_or(0);
            ImGui::PushID(static_cast<int>(pipe));
            const bool open =
                ImGui::TreeNode("pipe", "pipe %lld: %zu requests (%d writes), %s%s", static_cast<long long>(pipe),
                                requests.size(), writes, FormatDuration(span).c_str(), failed ? ", FAILED" : "");
            if (open)
            {
                for (const storage::TaskMessage* m : requests)
                    requestLine(*m);
                ImGui::TreePop();
            }
            ImGui::PopID();
        }
        ImGui::TreePop();
    }
    ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    size_t eventCount = 0;
    for (const auto& [name, list] : events)
        eventCount += list.size();
    if (ImGui::TreeNode("events", "Events (%zu)", eventCount))
    {
        for (const auto& [name, list] : events)
        {
            if (ImGui::TreeNode(name.c_str(), "%s x%zu", name.c_str(), list.size()))
            {
                for (size_t i = 0; i < std::min<size_t>(list.size(), 500); ++i)
                {
                    char label[64];
                    std::snprintf(label, sizeof label, "#%" PRId64, list[i]->id);
                    MessageLink(*list[i], label);
                }
                ImGui::TreePop();
            }
        }
        ImGui::TreePop();
    }
    if (!others.empty() && ImGui::TreeNode("others", "Other requests (%zu)", others.size()))
    {
        for (const storage::TaskMessage* m : others)
            requestLine(*m);
        ImGui::TreePop();
    }
    ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    if (ImGui::TreeNode("end", "End (%zu)", ends.size()))
    {
        for (const storage::TaskMessage* m : ends)
            requestLine(*m);
        if (ends.empty())
            ImGui::TextDisabled("not terminated in this session");
        ImGui::TreePop();
    }
}

void TasksView::SyncNav()
{
    if (m_flowResets == m_model.FlowResets())
        return;
    m_flowResets = m_model.FlowResets();
    m_nav.Invalidate();
}

void TasksView::DrawFlow()
{
    SyncNav(); // a task picked in the list this frame
    const TaskDetail& d = *m_model.Detail();
    ImGui::Text("Flow: %zu pipe run(s)", d.flows.size());
    ImGui::SameLine();
    ImGui::TextDisabled("(apaevt_flow: components entered and left; wheel: zoom, drag: pan)");
    ImGui::SameLine();
    if (ImGui::SmallButton("Fit"))
        m_nav.Invalidate();
    const float rowHeight = ImGui::GetTextLineHeight() + 4;
    const float rulerHeight = ImGui::GetTextLineHeight() + 6;
    ImGui::BeginChild("flow", ImVec2(0, 0), false, ImGuiWindowFlags_NoScrollWithMouse);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImVec2 windowMin = ImGui::GetWindowPos();
    int64_t begin = d.flows.front().begin, end = d.flows.front().end;
    for (const PipeFlow& flow : d.flows)
    {
        begin = std::min(begin, flow.begin);
        end = std::max(end, flow.end);
    }
    if (!m_nav.Fitted())
        m_nav.Fit(begin, begin, end, avail.x);
    if (ImGui::IsWindowHovered() && ImGui::GetIO().KeyCtrl && ImGui::GetIO().MouseWheel != 0)
        ImGui::SetScrollY(ImGui::GetScrollY() - ImGui::GetIO().MouseWheel * rowHeight * 3);
    TimelineContext ctx = m_nav.Begin(ImGui::GetWindowDrawList(), ImVec2(origin.x, windowMin.y),
                                      ImVec2(origin.x + avail.x, windowMin.y + ImGui::GetWindowHeight()));
    float y = origin.y + rulerHeight + 2;
    int64_t clicked = 0;
    for (const PipeFlow& flow : d.flows)
    {
        FlowTimelineItem item(flow, rowHeight);
        y += item.Draw(ctx, y);
        m_drawnFlowSpans += item.DrawnSpans();
        if (item.ClickedId())
            clicked = item.ClickedId();
    }
    DrawRuler(ctx, windowMin.y, rulerHeight);
    ImGui::Dummy(ImVec2(avail.x, y - origin.y));
    ImGui::EndChild();
    if (clicked)
        m_ctx.bus.Post(SelectMessage{clicked, true});
}

} // namespace dapscope::ui
