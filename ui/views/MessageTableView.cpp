#include "MessageTableView.hpp"

#include "cli/Format.hpp"
#include "inspector/Envelope.hpp"
#include "ui/Style.hpp"

#include <imgui_internal.h>

#include <algorithm>
#include <cinttypes>
#include <ctime>

namespace dapscope::ui
{

namespace
{
enum Column
{
    kId,
    kTime,
    kDir,
    kKind,
    kWhat,
    kSeq,
    kLatency,
    kSize,
    kWire,
    kStatus,
    kTask,
    kColumns
};

ImU32 RowTint(const storage::MessageSummary& m)
{
    const ImU32 color = MessageColor(m);
    if (color == colors::kFailed || color == colors::kPending || color == colors::kMalformed)
        return (color & 0x00FFFFFF) | (0x30u << IM_COL32_A_SHIFT);
    return 0;
}
} // namespace

MessageTableView::MessageTableView(AppContext& context)
    : View("Messages", ViewSlot::Main, context), m_filterBar(context), m_search(context)
{
    m_ctx.bus.Subscribe<SelectSession>(this,
                                       [this](const SelectSession& e)
                                       {
                                           m_filterBar.SetSession(e.session);
                                           if (m_ctx.index)
                                               m_ctx.index->Reset(e.session, m_filterBar.Current());
                                           // A live session starts at its tail, a finished one at its start.
                                           const storage::SessionSummary* s =
                                               m_ctx.model ? m_ctx.model->Session(e.session) : nullptr;
                                           m_atBottom = s && !s->endedNs;
                                           m_reveal.reset();
                                       });
    m_ctx.bus.Subscribe<SelectMessage>(this,
                                       [this](const SelectMessage& e)
                                       {
                                           if (e.reveal)
                                               m_reveal = e.message;
                                       });
    m_ctx.bus.Subscribe<FocusFilter>(this, [this](const FocusFilter&) { m_filterBar.Focus(); });
    m_ctx.bus.Subscribe<StoreOpened>(this, [this](const StoreOpened&) { m_filterBar.SetSession(0); });
}

bool MessageTableView::Busy() const
{
    return (m_ctx.index && m_ctx.index->Scanning()) || m_search.Loading();
}

void MessageTableView::DrawContent()
{
    m_drawnRows = 0;
    m_firstDrawnId = 0;
    m_drawn.clear();
    if (!m_ctx.model || !m_ctx.index)
    {
        ImGui::TextDisabled("No store open.");
        return;
    }
    const float toolbarWidth = ImGui::GetFontSize() * 27;
    m_drawnHits.clear();
    if (auto filter = m_filterBar.Draw(toolbarWidth))
    {
        if (m_filterBar.AllSessions())
            m_search.Run(*filter);
        else
        {
            m_ctx.index->Reset(m_ctx.state.session, *filter);
            if (m_ctx.state.message)
                m_reveal = m_ctx.state.message;
        }
    }
    DrawToolbar();
    if (m_filterBar.AllSessions())
    {
        DrawSearchResults();
        return;
    }
    if (m_ctx.state.session == 0)
    {
        ImGui::TextDisabled("Select a session above.");
        return;
    }
    HandleKeys();
    DrawTable();
}

void MessageTableView::DrawToolbar()
{
    // On the filter bar's second line, right of the search field.
    const MessageIndex& index = *m_ctx.index;
    const storage::SessionSummary* session = m_ctx.model->Session(m_ctx.state.session);
    ImGui::SameLine();
    if (m_filterBar.AllSessions())
    {
        const size_t hits = m_search.Hits().size();
        if (!m_search.Error().empty())
            ColoredText(colors::kFailed, m_search.Error().c_str());
        else if (m_search.Loading() && !hits)
            ImGui::TextUnformatted("searching all sessions...");
        else
            ImGui::Text("%zu%s in all sessions", hits, m_search.Complete() ? "" : "+");
        if (m_search.FirstPageTime() && ImGui::IsItemHovered())
            ImGui::SetTooltip("First results in %lld ms", static_cast<long long>(m_search.FirstPageTime()->count()));
    }
    else if (index.Scanning())
        ImGui::ProgressBar(index.Progress(), ImVec2(ImGui::GetFontSize() * 8, 0),
                           index.Filter().Empty() ? "loading" : "filtering");
    else if (!index.Error().empty())
        ColoredText(colors::kFailed, index.Error().c_str());
    else if (session && index.Filter().Empty())
        ImGui::Text("%zu messages", index.Size());
    else if (session)
        ImGui::Text("%zu of %lld", index.Size(), static_cast<long long>(session->messages));
    if (session && ImGui::IsItemHovered())
        ImGui::SetTooltip("Session %lld: %lld messages, %zu shown", static_cast<long long>(session->id),
                          static_cast<long long>(session->messages), index.Size());
    const float right = ImGui::GetFontSize() * 15;
    ImGui::SameLine(std::max(ImGui::GetCursorPosX() + 8, ImGui::GetWindowContentRegionMax().x - right));
    ImGui::Checkbox("Follow tail", &m_ctx.state.followTail);
    ImGui::SameLine();
    if (ImGui::SmallButton(m_ctx.state.relativeTime ? "Time: relative" : "Time: clock"))
        m_ctx.state.relativeTime = !m_ctx.state.relativeTime;
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Switch between time since the session started and wall-clock time");
}

namespace
{
// "2026-11-27 04:07:20.087117": a result's time, with its date since results span days.
std::string DateAndTime(int64_t ns)
{
    const std::time_t seconds = static_cast<std::time_t>(ns / 1000000000);
    std::tm local{};
    localtime_r(&seconds, &local);
    char date[16];
    std::strftime(date, sizeof date, "%Y-%m-%d ", &local);
    return date + FormatTime(ns, 0, false);
}
} // namespace

void MessageTableView::DrawSearchResults()
{
    const auto& hits = m_search.Hits();
    const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                  ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("search-results", 5, flags))
        return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Session");
    ImGui::TableSetupColumn("Time");
    ImGui::TableSetupColumn("Message");
    ImGui::TableSetupColumn("Status");
    ImGui::TableSetupColumn("Text", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(hits.size()));
    std::optional<size_t> open;
    while (clipper.Step())
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i)
        {
            const storage::SearchHit& hit = hits[static_cast<size_t>(i)];
            const storage::MessageSummary& m = hit.message;
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::PushID(i);
            std::string label = "#" + std::to_string(m.session);
            if (const storage::SessionSummary* s = m_ctx.model->Session(m.session); s && !s->clientName.empty())
                label += " " + s->clientName;
            const bool clicked =
                ImGui::Selectable(label.c_str(), m_ctx.state.message == m.id, ImGuiSelectableFlags_SpanAllColumns);
            const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
            m_drawnHits.push_back({m.session, m.id, ImVec2((min.x + max.x) / 2, (min.y + max.y) / 2)});
            if (clicked)
                open = static_cast<size_t>(i);
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("Message %lld of session %lld: click to open it in its session",
                                  static_cast<long long>(m.id), static_cast<long long>(m.session));
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(DateAndTime(m.tsNs).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(DirectionArrow(m.dir));
            ImGui::SameLine();
            ColoredText(MessageColor(m), MessageWhat(m).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(MessageStatus(m).c_str());
            ImGui::TableNextColumn();
            ImGui::PushFont(CurrentFonts().mono);
            ImGui::TextUnformatted(inspector::EscapeForTerminal(hit.excerpt, 160).c_str());
            ImGui::PopFont();
            ImGui::PopID();
        }
    // The next page when the list is scrolled to its end.
    if (!m_search.Complete() && !m_search.Loading() && ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 1)
        m_search.More();
    ImGui::EndTable();
    if (open)
        OpenHit(hits[*open]);
}

void MessageTableView::OpenHit(const storage::SearchHit& hit)
{
    // Back to one session, the filter kept: the message is among the session's matches.
    m_filterBar.SetAllSessions(false);
    m_ctx.bus.Post(SelectMessage{hit.message.id, true});
}

void MessageTableView::SelectPosition(size_t position)
{
    const auto& ids = m_ctx.index->Ids();
    if (ids.empty())
        return;
    position = std::min(position, ids.size() - 1);
    m_ctx.bus.Post(SelectMessage{ids[position], true});
}

void MessageTableView::HandleKeys()
{
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput || ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId | ImGuiPopupFlags_AnyPopupLevel))
        return;
    const auto& ids = m_ctx.index->Ids();
    if (ids.empty())
        return;
    int step = 0;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_DownArrow)))
        step = 1;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_UpArrow)))
        step = -1;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_PageDown)))
        step = static_cast<int>(m_visibleRows) - 1;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_PageUp)))
        step = -(static_cast<int>(m_visibleRows) - 1);
    if (!io.KeyCtrl && !io.KeyAlt)
        for (ImWchar c : io.InputQueueCharacters)
        {
            if (c == 'j')
                step += 1;
            if (c == 'k')
                step -= 1;
        }
    const bool home = ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Home));
    const bool end = ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_End));
    if (home)
        SelectPosition(0);
    else if (end)
        SelectPosition(ids.size() - 1);
    else if (step != 0)
    {
        auto current = m_ctx.index->Position(m_ctx.state.message);
        if (!current)
        {
            // Nothing selected in this index: start from the first row on screen.
            auto first = m_ctx.index->Position(m_firstDrawnId);
            SelectPosition(first.value_or(0));
            return;
        }
        const long long target = static_cast<long long>(*current) + step;
        SelectPosition(static_cast<size_t>(std::clamp<long long>(target, 0, static_cast<long long>(ids.size()) - 1)));
    }
}

void MessageTableView::DrawTable()
{
    MessageIndex& index = *m_ctx.index;
    if (m_indexGeneration != index.Generation())
        m_indexGeneration = index.Generation();
    const auto& ids = index.Ids();
    const storage::SessionSummary* session = m_ctx.model->Session(m_ctx.state.session);
    const int64_t origin = session ? session->startedNs : 0;

    const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                  ImGuiTableFlags_Resizable | ImGuiTableFlags_Reorderable | ImGuiTableFlags_Hideable |
                                  ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("messages", kColumns, flags))
        return;
    const float unit = ImGui::GetFontSize();
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("#", ImGuiTableColumnFlags_NoHide, unit * 3.5f);
    ImGui::TableSetupColumn("Time", 0, unit * 6.5f);
    ImGui::TableSetupColumn("Dir", 0, unit * 1.6f);
    ImGui::TableSetupColumn("Kind", 0, unit * 4.8f);
    ImGui::TableSetupColumn("Command / event", 0, unit * 12);
    ImGui::TableSetupColumn("Seq", 0, unit * 4);
    ImGui::TableSetupColumn("Latency", 0, unit * 4.5f);
    ImGui::TableSetupColumn("Size", 0, unit * 4.5f);
    ImGui::TableSetupColumn("Wire", 0, unit * 4.5f);
    ImGui::TableSetupColumn("Status", 0, unit * 7);
    ImGui::TableSetupColumn("Task", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();

    // The row to bring into view: a selection made elsewhere, once the index has it.
    std::optional<size_t> revealRow;
    if (m_reveal)
    {
        if (auto position = index.Position(*m_reveal))
        {
            revealRow = position;
            m_reveal.reset();
        }
        else if (!index.Scanning())
            m_reveal.reset(); // filtered out: nothing to scroll to
    }
    if (m_scrollToPosition && m_rowHeight > 0)
    {
        ImGui::SetScrollY(static_cast<float>(*m_scrollToPosition) * m_rowHeight);
        m_scrollToPosition.reset();
    }

    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(ids.size()));
    if (revealRow)
        clipper.ForceDisplayRangeByIndices(static_cast<int>(*revealRow), static_cast<int>(*revealRow) + 1);
    while (clipper.Step())
    {
        if (clipper.ItemsHeight > 0)
            m_rowHeight = clipper.ItemsHeight;
        const int start = clipper.DisplayStart, end = clipper.DisplayEnd;
        if (end <= start)
            continue;
        m_ctx.model->Prefetch(std::span<const int64_t>(ids.data() + start, static_cast<size_t>(end - start)));
        for (int row = start; row < end; ++row)
        {
            const int64_t id = ids[static_cast<size_t>(row)];
            DrawRow(id, origin);
            ++m_drawnRows;
            // First row on screen (the clipper also submits row 0 to measure, and forced rows).
            if (m_firstDrawnId == 0 && ImGui::GetItemRectMax().y > ImGui::GetCurrentWindow()->InnerClipRect.Min.y &&
                ImGui::GetItemRectMin().y < ImGui::GetCurrentWindow()->InnerClipRect.Max.y)
                m_firstDrawnId = id;
            if (revealRow && static_cast<size_t>(row) == *revealRow)
            {
                // Scroll as little as possible: only when the row is outside the visible part.
                const float top = ImGui::GetItemRectMin().y, bottom = ImGui::GetItemRectMax().y;
                const ImRect clip = ImGui::GetCurrentWindow()->InnerClipRect;
                if (top < clip.Min.y + m_rowHeight)
                    ImGui::SetScrollHereY(0.1f);
                else if (bottom > clip.Max.y)
                    ImGui::SetScrollHereY(0.9f);
            }
        }
    }
    if (m_rowHeight > 0)
        m_visibleRows = std::max(1.0f, ImGui::GetWindowHeight() / m_rowHeight - 1);
    // Follow the tail (ExampleAppLog): only while already at the bottom, and not while revealing a row.
    if (m_ctx.state.followTail && m_atBottom && !revealRow)
        ImGui::SetScrollHereY(1.0f);
    if (revealRow)
        m_atBottom = false; // the scroll to the revealed row applies next frame
    else if (ImGui::GetScrollMaxY() > 0)
        m_atBottom = ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 1.0f;
    ImGui::EndTable();
}

void MessageTableView::DrawRow(int64_t id, int64_t origin)
{
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushID(static_cast<int>(id ^ (id >> 32)));
    const storage::MessageSummary* m = m_ctx.model->Row(id);
    char label[32];
    std::snprintf(label, sizeof label, "%" PRId64, id);
    const bool selected = id == m_ctx.state.message;
    if (ImGui::Selectable(label, selected,
                          ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap |
                              ImGuiSelectableFlags_AllowDoubleClick))
    {
        m_ctx.bus.Post(SelectMessage{id, false});
        if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
            m_ctx.bus.Post(OpenDetail{});
    }
    if (m && ImGui::BeginPopupContextItem("row"))
    {
        RowContextMenu(*m);
        ImGui::EndPopup();
    }
    ImGui::PopID();
    if (!m)
    {
        ImGui::TableNextColumn();
        ImGui::TextDisabled("...");
        return;
    }
    if (ImU32 tint = RowTint(*m))
        ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, tint);
    const ImU32 color = MessageColor(*m);

    ImGui::TableNextColumn();
    ImGui::TextUnformatted(FormatTime(m->tsNs, origin, m_ctx.state.relativeTime).c_str());
    ImGui::TableNextColumn();
    ColoredText(m->dir == inspector::Direction::ClientToServer ? colors::kRequest : colors::kEvent,
                DirectionArrow(m->dir));
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(KindName(m->kind));
    ImGui::TableNextColumn();
    const std::string what = MessageWhat(*m);
    ColoredText(color, what.c_str());
    if (IsHttp(m->kind) && !m->headers.empty() && ImGui::IsItemHovered())
        ImGui::SetTooltip("%s", m->headers.c_str());
    const bool generated = (m->flags & 8) != 0;
    const std::string mark = cli::RuleMarkText(*m); // what a rule (or a person) did to it
    if (!mark.empty())
    {
        ImGui::SameLine();
        ColoredText(colors::kGenerated, mark.c_str());
    }
    else if (generated)
    {
        ImGui::SameLine();
        ColoredText(colors::kGenerated, "[dapscope]");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Written by the proxy itself, not by the engine");
    }
    ImGui::TableNextColumn();
    if (m->seq && m->requestSeq)
        ImGui::Text("%" PRId64 " \xE2\x86\x92 %" PRId64, *m->seq, *m->requestSeq);
    else if (m->seq)
        ImGui::Text("%" PRId64, *m->seq);
    else if (m->requestSeq)
        ImGui::Text("\xE2\x86\x92 %" PRId64, *m->requestSeq);
    ImGui::TableNextColumn();
    if (m->latencyNs)
        ImGui::TextUnformatted(FormatDuration(*m->latencyNs).c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(FormatBytes(m->size).c_str());
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(IsHttp(m->kind) ? "Body size (de-chunked)" : "Message size as received (decompressed)");
    ImGui::TableNextColumn();
    const std::string wire = m->wireSize ? FormatBytes(*m->wireSize) : std::string();
    ImGui::TextDisabled("%s", wire.c_str());
    if (m->wireSize && ImGui::IsItemHovered())
        ImGui::SetTooltip(IsHttp(m->kind) ? "Bytes on the wire, head included"
                                          : "Bytes on the wire, frame headers included, compressed where compressed");
    ImGui::TableNextColumn();
    const std::string status = MessageStatus(*m);
    ColoredText(status == "ok" || status == "answered" ? colors::kDim : color, status.c_str());
    if (!m->error.empty() && ImGui::IsItemHovered())
        ImGui::SetTooltip("%s%s%s", m->error.c_str(), m->trace.empty() ? "" : "\nat ", m->trace.c_str());
    ImGui::TableNextColumn();
    if (!m->task.empty())
        ImGui::TextUnformatted(m->task.c_str());
    m_drawn.push_back({id, KindName(m->kind),
                       what + (!mark.empty() ? " " + mark
                               : generated   ? " [dapscope]"
                                             : ""),
                       status, wire, m->latencyNs ? FormatDuration(*m->latencyNs) : std::string(), color});
}

void MessageTableView::RowContextMenu(const storage::MessageSummary& m)
{
    if (ImGui::MenuItem("Open detail", "Enter"))
    {
        m_ctx.bus.Post(SelectMessage{m.id, false});
        m_ctx.bus.Post(OpenDetail{});
    }
    const bool request = m.kind == inspector::Kind::Request || m.kind == inspector::Kind::HttpRequest;
    if (m.pairId && ImGui::MenuItem(request ? "Go to response" : "Go to request"))
        m_ctx.bus.Post(SelectMessage{*m.pairId, true});
    ImGui::Separator();
    storage::MessageFilter filter = m_filterBar.Current();
    if (!m.command.empty() && ImGui::MenuItem(("Filter: command = " + m.command).c_str()))
    {
        filter.command = m.command;
        m_filterBar.Set(filter);
    }
    if (!m.event.empty() && ImGui::MenuItem(("Filter: event = " + m.event).c_str()))
    {
        filter.event = m.event;
        m_filterBar.Set(filter);
    }
    if (!m.task.empty())
    {
        if (ImGui::MenuItem(("Filter: task = " + m.task).c_str()))
        {
            filter.task = m.task;
            m_filterBar.Set(filter);
        }
        if (ImGui::MenuItem("Show task"))
        {
            m_ctx.bus.Post(SelectTask{m.task});
            m_ctx.bus.Post(ShowTab{BottomTab::Tasks});
        }
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Copy message id"))
        ImGui::SetClipboardText(std::to_string(m.id).c_str());
}

} // namespace dapscope::ui
