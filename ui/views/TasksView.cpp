#include "TasksView.hpp"

#include "inspector/Envelope.hpp"
#include "ui/Style.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <cinttypes>
#include <functional>
#include <map>

namespace dapscope::ui
{

namespace
{
constexpr auto kLiveReload = std::chrono::seconds(1);

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

std::string Text(const SQLite::Column& c)
{
    return c.isNull() ? std::string() : c.getString();
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

TasksView::TasksView(AppContext& context) : View("Tasks", ViewSlot::Bottom, context)
{
    auto reset = [this]
    {
        ++m_generation;
        m_tasks.clear();
        m_listSession = -1;
        m_detail.reset();
        m_loadingList = m_loadingDetail = false;
        m_nav.Invalidate();
    };
    m_ctx.bus.Subscribe<SelectSession>(this, [reset](const SelectSession&) { reset(); });
    m_ctx.bus.Subscribe<StoreOpened>(this, [reset](const StoreOpened&) { reset(); });
    m_ctx.bus.Subscribe<StoreChanged>(this, [this](const StoreChanged&) { m_stale = true; });
    m_ctx.bus.Subscribe<SelectTask>(this,
                                    [this](const SelectTask& e)
                                    {
                                        if (!m_detail || m_detail->task != e.task)
                                            LoadDetail(e.task);
                                    });
}

void TasksView::Update()
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

void TasksView::LoadList()
{
    if (!m_ctx.model)
        return;
    m_loadingList = true;
    m_lastLoad = std::chrono::steady_clock::now();
    const uint64_t generation = m_generation;
    const std::weak_ptr<const char> alive = m_lifetime.Token();
    const std::string path = m_ctx.model->Path();
    const int64_t session = m_ctx.state.session;
    m_ctx.tasks.Run(
        "",
        [=, this](TaskContext& ctx)
        {
            SQLite::Statement q(ctx.Reader(path).Db(),
                                "SELECT task, count(*), min(ts_ns), max(ts_ns), sum(kind = 0), sum(kind = 2), "
                                "sum(kind = 1 AND success = 0) FROM messages WHERE session_id = ? AND task IS NOT NULL "
                                "AND task != '' GROUP BY task ORDER BY min(id) LIMIT 5000");
            q.bind(1, session);
            std::vector<TaskSummary> tasks;
            while (q.executeStep())
            {
                TaskSummary t;
                t.task = q.getColumn(0).getString();
                t.messages = q.getColumn(1).getInt64();
                t.first = q.getColumn(2).getInt64();
                t.last = q.getColumn(3).getInt64();
                t.requests = q.getColumn(4).getInt64();
                t.events = q.getColumn(5).getInt64();
                t.failures = q.getColumn(6).getInt64();
                tasks.push_back(std::move(t));
            }
            ctx.DoLater(
                [=, this, tasks = std::move(tasks)]() mutable
                {
                    if (alive.expired() || generation != m_generation)
                        return;
                    m_loadingList = false;
                    m_tasks = std::move(tasks);
                    m_listSession = session;
                    // Show the first task by default (or the one asked for).
                    const std::string wanted = !m_ctx.state.task.empty() ? m_ctx.state.task
                                               : !m_tasks.empty()        ? m_tasks.front().task
                                                                         : std::string();
                    if (!m_detail && !wanted.empty() && !m_loadingDetail)
                        LoadDetail(wanted);
                });
        },
        [this, alive, generation](const std::string& error)
        {
            if (alive.expired() || generation != m_generation)
                return;
            m_loadingList = false;
            m_ctx.Notify("Tasks: " + error);
        });
}

void TasksView::LoadDetail(const std::string& task)
{
    if (!m_ctx.model || m_ctx.state.session == 0)
        return;
    m_ctx.state.task = task;
    m_loadingDetail = true;
    const bool sameTask = m_detail && m_detail->task == task;
    if (!sameTask)
        m_nav.Invalidate();
    const uint64_t generation = m_generation;
    const std::weak_ptr<const char> alive = m_lifetime.Token();
    const std::string path = m_ctx.model->Path();
    const int64_t session = m_ctx.state.session;
    m_ctx.tasks.Run(
        "",
        [=, this](TaskContext& ctx)
        {
            auto detail = std::make_shared<TaskDetail>();
            detail->task = task;
            SQLite::Statement q(ctx.Reader(path).Db(),
                                "SELECT id, ts_ns, kind, command, subcommand, event, pipe_id, state, latency_ns, "
                                "success, coalesce(pair_id, 0), opcode, CASE WHEN event = 'apaevt_flow' THEN data END "
                                "FROM messages WHERE session_id = ? AND task = ? ORDER BY id");
            q.bind(1, session);
            q.bind(2, task);
            std::vector<FlowEvent> flow;
            while (q.executeStep() && !ctx.Cancelled())
            {
                if (!q.getColumn(12).isNull())
                {
                    const SQLite::Column data = q.getColumn(12);
                    const std::string_view bytes(static_cast<const char*>(data.getBlob()),
                                                 static_cast<size_t>(data.getBytes()));
                    const auto opcode = static_cast<inspector::Opcode>(q.getColumn(11).getInt());
                    if (auto e = ParseFlowEvent(q.getColumn(0).getInt64(), q.getColumn(1).getInt64(),
                                                inspector::SplitFrame(opcode, bytes).json))
                        flow.push_back(std::move(*e));
                }
                if (detail->messages.size() >= TaskDetail::kMaxMessages)
                {
                    detail->truncated = true;
                    continue;
                }
                TaskMessage m;
                m.id = q.getColumn(0).getInt64();
                m.tsNs = q.getColumn(1).getInt64();
                m.kind = static_cast<inspector::Kind>(q.getColumn(2).getInt());
                m.command = Text(q.getColumn(3));
                m.subcommand = Text(q.getColumn(4));
                m.event = Text(q.getColumn(5));
                if (!q.getColumn(6).isNull())
                    m.pipe = q.getColumn(6).getInt64();
                m.state = static_cast<inspector::ExchangeState>(q.getColumn(7).getInt());
                if (!q.getColumn(8).isNull())
                    m.latencyNs = q.getColumn(8).getInt64();
                if (!q.getColumn(9).isNull())
                    m.success = q.getColumn(9).getInt() != 0;
                m.pairId = q.getColumn(10).getInt64();
                detail->messages.push_back(std::move(m));
            }
            detail->flowEvents = static_cast<int64_t>(flow.size());
            detail->flows = BuildPipeFlows(flow);
            ctx.DoLater(
                [=, this]
                {
                    if (alive.expired() || generation != m_generation)
                        return;
                    m_loadingDetail = false;
                    if (m_ctx.state.task != task)
                        return; // another task was picked meanwhile
                    m_detail = std::make_unique<TaskDetail>(std::move(*detail));
                });
        },
        [this, alive, generation](const std::string& error)
        {
            if (alive.expired() || generation != m_generation)
                return;
            m_loadingDetail = false;
            m_ctx.Notify("Tasks: " + error);
        });
}

void TasksView::DrawContent()
{
    m_drawnFlowSpans = 0;
    if (!m_ctx.model || m_ctx.state.session == 0)
    {
        ImGui::TextDisabled("Select a session to see its tasks.");
        return;
    }
    if (m_listSession != m_ctx.state.session && !m_loadingList)
        LoadList();
    if (m_listSession != m_ctx.state.session)
    {
        ImGui::TextDisabled("Grouping messages by task...");
        return;
    }
    if (m_tasks.empty())
    {
        ImGui::TextDisabled("No task in this session (tasks start with execute / launch).");
        return;
    }
    // Left: the tasks, and the selected one's lifecycle under them. Right: its flow timeline (full height).
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const bool flow = m_detail && !m_detail->flows.empty();
    const float leftWidth = flow ? std::max(avail.x * 0.36f, std::min(avail.x, ImGui::GetFontSize() * 24)) : avail.x;
    ImGui::BeginChild("task-left", ImVec2(leftWidth, 0), false);
    const float listHeight = std::min(ImGui::GetContentRegionAvail().y * 0.4f,
                                      ImGui::GetFrameHeightWithSpacing() * (static_cast<float>(m_tasks.size()) + 1.5f));
    ImGui::BeginChild("task-list", ImVec2(0, listHeight), true);
    DrawList();
    ImGui::EndChild();
    ImGui::BeginChild("lifecycle", ImVec2(0, 0), false);
    if (!m_detail)
        ImGui::TextDisabled(m_loadingDetail ? "Loading the task..." : "Select a task.");
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
    clipper.Begin(static_cast<int>(m_tasks.size()));
    while (clipper.Step())
        for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row)
        {
            const TaskSummary& t = m_tasks[static_cast<size_t>(row)];
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::PushID(row);
            if (ImGui::Selectable(t.task.c_str(), m_ctx.state.task == t.task, ImGuiSelectableFlags_SpanAllColumns))
                LoadDetail(t.task);
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

void TasksView::MessageLink(const TaskMessage& m, const char* label)
{
    ImGui::PushID(static_cast<int>(m.id));
    if (LinkText(label))
        m_ctx.bus.Post(SelectMessage{m.id, true});
    ImGui::PopID();
}

void TasksView::DrawLifecycle()
{
    const TaskDetail& d = *m_detail;
    std::map<int64_t, const TaskMessage*> byId;
    for (const TaskMessage& m : d.messages)
        byId[m.id] = &m;
    auto outcome = [&](const TaskMessage& request) -> std::pair<std::string, ImU32>
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
    auto requestLine = [&](const TaskMessage& m)
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
    std::vector<const TaskMessage*> starts, ends, others;
    std::map<int64_t, std::vector<const TaskMessage*>> pipes;
    std::map<std::string, std::vector<const TaskMessage*>> events;
    for (const TaskMessage& m : d.messages)
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
        for (const TaskMessage* m : starts)
            requestLine(*m);
        ImGui::TreePop();
    }
    ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    if (ImGui::TreeNode("pipes", "Pipes (%zu)", pipes.size()))
    {
        for (const auto& [pipe, requests] : pipes)
        {
            int writes = 0, failed = 0;
            for (const TaskMessage* m : requests)
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
                for (const TaskMessage* m : requests)
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
        for (const TaskMessage* m : others)
            requestLine(*m);
        ImGui::TreePop();
    }
    ImGui::SetNextItemOpen(true, ImGuiCond_Once);
    if (ImGui::TreeNode("end", "End (%zu)", ends.size()))
    {
        for (const TaskMessage* m : ends)
            requestLine(*m);
        if (ends.empty())
            ImGui::TextDisabled("not terminated in this session");
        ImGui::TreePop();
    }
}

void TasksView::DrawFlow()
{
    const TaskDetail& d = *m_detail;
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
