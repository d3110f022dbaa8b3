#include "FilterBar.hpp"

#include "ui/MessageIndex.hpp"
#include "ui/Style.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <array>
#include <cmath>

namespace dapscope::ui
{

namespace
{
const char* const kDirections[] = {"Any direction", "\xE2\x86\x92 c2s", "\xE2\x86\x90 s2c"};
const char* const kDirectionsAscii[] = {"Any direction", "-> c2s", "<- s2c"};
// In inspector::Kind order, after "Any kind".
const char* const kKinds[] = {"Any kind",  "request", "response",     "event",
                              "malformed", "control", "HTTP request", "HTTP response"};
constexpr auto kTextDebounce = std::chrono::milliseconds(300);
} // namespace

FilterBar::FilterBar(AppContext& context) : m_ctx(context), m_loader(context.tasks) {}

void FilterBar::SetSession(int64_t session)
{
    if (session == m_session)
        return;
    m_session = session;
    m_loader.Reset();            // suggestions still loading are for the previous session
    m_suggestionsLoaded = false; // loaded when a suggesting field is first used (a scan of the session)
    m_commands.clear();
    m_events.clear();
    m_tasks.clear();
}

void FilterBar::Set(const storage::MessageFilter& filter)
{
    m_dir = filter.dir ? static_cast<int>(*filter.dir) + 1 : 0;
    m_kind = filter.kind ? static_cast<int>(*filter.kind) + 1 : 0;
    m_command = filter.command;
    m_event = filter.event;
    m_task = filter.task;
    m_failedOnly = filter.failedOnly;
    m_minLatencyMs = filter.minLatencyNs ? static_cast<float>(*filter.minLatencyNs) / 1e6f : 0;
    m_text = filter.text;
    m_applyNow = true;
}

void FilterBar::SetAllSessions(bool all)
{
    m_allSessions = all;
    m_applyNow = true;
}

void FilterBar::LoadSuggestions()
{
    m_suggestionsLoaded = true;
    const int64_t session = m_session;
    m_loader.Run(
        "", m_ctx.model->Path(),
        [session](storage::TraceReader& reader, TaskContext&)
        {
            return std::array<std::vector<std::string>, 3>{reader.DistinctNames(session, storage::NameColumn::Command),
                                                           reader.DistinctNames(session, storage::NameColumn::Event),
                                                           reader.DistinctNames(session, storage::NameColumn::Task)};
        },
        [this](std::array<std::vector<std::string>, 3>& names)
        {
            m_commands = std::move(names[0]);
            m_events = std::move(names[1]);
            m_tasks = std::move(names[2]);
        });
}

storage::MessageFilter FilterBar::Build() const
{
    storage::MessageFilter f;
    if (m_dir > 0)
        f.dir = static_cast<inspector::Direction>(m_dir - 1);
    if (m_kind > 0)
        f.kind = static_cast<inspector::Kind>(m_kind - 1);
    f.command = m_command;
    f.event = m_event;
    f.task = m_task;
    f.failedOnly = m_failedOnly;
    if (m_minLatencyMs > 0)
        f.minLatencyNs = static_cast<int64_t>(std::llround(static_cast<double>(m_minLatencyMs) * 1e6));
    f.text = m_text;
    return f;
}

bool FilterBar::SuggestInput(const char* id, const char* hint, std::string& value,
                             const std::vector<std::string>& options, float width)
{
    bool changed = false;
    ImGui::PushID(id);
    ImGui::SetNextItemWidth(width);
    changed |= ImGui::InputTextWithHint("##value", hint, &value);
    const bool active = ImGui::IsItemActive();
    const bool activated = ImGui::IsItemActivated();
    if (activated && !m_suggestionsLoaded && m_session != 0 && m_ctx.model)
        LoadSuggestions();
    if (active && !options.empty() && !ImGui::IsPopupOpen("suggest"))
        ImGui::OpenPopup("suggest");
    ImGui::SetNextWindowPos(ImVec2(ImGui::GetItemRectMin().x, ImGui::GetItemRectMax().y));
    ImGui::SetNextWindowSizeConstraints(ImVec2(width, 0), ImVec2(width * 2, 300));
    if (ImGui::BeginPopup("suggest", ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav))
    {
        int shown = 0;
        for (const std::string& option : options)
        {
            if (!value.empty() && option.find(value) == std::string::npos)
                continue;
            ++shown;
            if (ImGui::Selectable(option.c_str(), option == value))
            {
                value = option;
                changed = true;
                ImGui::CloseCurrentPopup();
            }
        }
        if (shown == 0)
            ImGui::TextDisabled("no match");
        if (!active && !ImGui::IsWindowFocused())
            ImGui::CloseCurrentPopup();
        ImGui::EndPopup();
    }
    ImGui::PopID();
    return changed;
}

std::optional<storage::MessageFilter> FilterBar::Draw(float reserveRight)
{
    const bool unicode = DirectionArrow(inspector::Direction::ClientToServer)[0] != '-';
    const float unit = ImGui::GetFontSize();
    bool changedNow = false; // apply at once (combos, checkboxes)

    ImGui::SetNextItemWidth(unit * 8);
    changedNow |= ImGui::Combo("##dir", &m_dir, unicode ? kDirections : kDirectionsAscii, 3);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("c2s: SDK to engine, s2c: engine to SDK");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(unit * 6);
    changedNow |= ImGui::Combo("##kind", &m_kind, kKinds, IM_ARRAYSIZE(kKinds));
    ImGui::SameLine();
    changedNow |= SuggestInput("command", "command", m_command, m_commands, unit * 7);
    ImGui::SameLine();
    changedNow |= SuggestInput("event", "event", m_event, m_events, unit * 6.5f);
    ImGui::SameLine();
    changedNow |= SuggestInput("task", "task", m_task, m_tasks, unit * 6.5f);
    ImGui::SameLine();
    changedNow |= ImGui::Checkbox("Failed only", &m_failedOnly);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Failed responses (HTTP: status 400 and above), malformed messages, unanswered requests, orphan responses");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(unit * 5.5f);
    if (ImGui::InputFloat("##latency", &m_minLatencyMs, 0, 0,
                          m_minLatencyMs > 0 ? "\xE2\x89\xA5 %.1f ms" : "latency ms"))
    {
        m_minLatencyMs = std::max(0.0f, m_minLatencyMs);
        m_pending = true;
        m_editedAt = std::chrono::steady_clock::now();
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Requests and responses whose latency is at least this many milliseconds");
    ImGui::SameLine();
    if (ImGui::Button("Clear"))
    {
        Set(storage::MessageFilter{});
        changedNow = true;
    }
    // Second line: the scope and the free-text search, leaving `reserveRight` pixels for the caller.
    changedNow |= ImGui::Checkbox("All sessions", &m_allSessions);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Search every session of the store; click a result to open it in its session");
    ImGui::SameLine();
    if (m_focusText)
    {
        ImGui::SetKeyboardFocusHere();
        m_focusText = false;
    }
    ImGui::SetNextItemWidth(std::max(unit * 8, ImGui::GetContentRegionAvail().x - reserveRight));
    if (ImGui::InputTextWithHint("##text", "search the JSON of messages  ( / or Ctrl+F )", &m_text))
    {
        m_pending = true;
        m_editedAt = std::chrono::steady_clock::now();
    }
    if (m_pending)
        m_ctx.WakeAt(m_editedAt + kTextDebounce);

    const auto now = std::chrono::steady_clock::now();
    if (changedNow || m_applyNow || (m_pending && now - m_editedAt >= kTextDebounce))
    {
        m_pending = false;
        m_applyNow = false;
        storage::MessageFilter next = Build();
        const bool same = next.dir == m_filter.dir && next.kind == m_filter.kind && next.command == m_filter.command &&
                          next.event == m_filter.event && next.task == m_filter.task &&
                          next.failedOnly == m_filter.failedOnly && next.minLatencyNs == m_filter.minLatencyNs &&
                          next.text == m_filter.text && m_allSessions == m_appliedAllSessions;
        if (!same)
        {
            m_filter = next;
            m_appliedAllSessions = m_allSessions;
            return m_filter;
        }
    }
    return std::nullopt;
}

} // namespace dapscope::ui
