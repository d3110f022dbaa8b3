#include "SessionListView.hpp"

#include "ui/Style.hpp"

#include <algorithm>
#include <numeric>

namespace dapscope::ui
{

namespace
{
enum Column
{
    kId,
    kProtocol,
    kStarted,
    kClient,
    kAddress,
    kPath,
    kUpstream,
    kMessages,
    kBytes,
    kDuration,
    kClose,
    kError,
    kSource,
    kColumns
};

int64_t DurationNs(const storage::SessionSummary& s)
{
    return s.endedNs ? *s.endedNs - s.startedNs : -1;
}
} // namespace

SessionListView::SessionListView(AppContext& context) : View("Sessions", ViewSlot::Top, context)
{
    m_ctx.bus.Subscribe<SelectSession>(this, [this](const SelectSession&) { m_scrollToSelected = true; });
    m_ctx.bus.Subscribe<StoreOpened>(this,
                                     [this](const StoreOpened&)
                                     {
                                         m_sortedVersion = ~0ull;
                                         m_compareA = m_compareB = 0;
                                     });
    m_ctx.bus.Subscribe<CompareSessions>(this,
                                         [this](const CompareSessions& e)
                                         {
                                             m_compareA = e.a;
                                             m_compareB = e.b;
                                         });
}

void SessionListView::Sort(const ImGuiTableSortSpecs* specs)
{
    const auto& sessions = m_ctx.model->Sessions();
    m_order.resize(sessions.size());
    std::iota(m_order.begin(), m_order.end(), 0);
    if (!specs || specs->SpecsCount == 0)
        return;
    const ImGuiTableColumnSortSpecs& spec = specs->Specs[0];
    auto key = [&](const storage::SessionSummary& s) -> std::tuple<int64_t, std::string>
    {
        switch (spec.ColumnUserID)
        {
        case kStarted:
            return {s.startedNs, ""};
        case kProtocol:
            return {0, ProtocolTag(s) + (" " + s.extensions.value_or(""))};
        case kClient:
            return {0, s.clientName + " " + s.clientVersion};
        case kAddress:
            return {0, s.client};
        case kPath:
            return {0, s.path};
        case kUpstream:
            return {0, s.upstream};
        case kMessages:
            return {s.messages, ""};
        case kBytes:
            return {s.bytes, ""};
        case kDuration:
            return {DurationNs(s), ""};
        case kClose:
            return {s.closeCode.value_or(-1), ""};
        case kError:
            return {0, s.error};
        case kSource:
            return {s.replayOf.value_or(0), s.source};
        default:
            return {s.id, ""};
        }
    };
    const bool ascending = spec.SortDirection != ImGuiSortDirection_Descending;
    std::stable_sort(m_order.begin(), m_order.end(),
                     [&](size_t a, size_t b)
                     {
                         auto ka = key(sessions[a]), kb = key(sessions[b]);
                         return ascending ? ka < kb : kb < ka;
                     });
}

void SessionListView::DrawContent()
{
    m_drawnRows = 0;
    m_drawnTags.clear();
    m_tooltipSession = 0;
    m_tooltipHandshakeLines = 0;
    if (!m_ctx.model)
    {
        ImGui::TextDisabled("No store open. File > Open (Ctrl+O), or start a capture with --listen.");
        return;
    }
    const auto& sessions = m_ctx.model->Sessions();
    size_t live = std::count_if(sessions.begin(), sessions.end(), [](const auto& s) { return !s.endedNs; });
    ImGui::Text("Sessions: %zu", sessions.size());
    if (live)
    {
        ImGui::SameLine();
        ColoredText(colors::kResponse, ("\xE2\x97\x8F " + std::to_string(live) + " live").c_str());
    }
    ImGui::SameLine(0, 24);
    ImGui::Checkbox("Follow new sessions", &m_ctx.state.autoSelectNewSessions);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Show each new session as soon as it starts (live capture)");
    if (sessions.empty())
    {
        ImGui::TextDisabled(
            "The store holds no session yet. Point an SDK at the proxy (ROCKETRIDE_URI) to capture one.");
        return;
    }

    const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable |
                                  ImGuiTableFlags_Reorderable | ImGuiTableFlags_Hideable | ImGuiTableFlags_Sortable |
                                  ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("sessions", kColumns, flags))
        return;
    ImGui::TableSetupScrollFreeze(1, 1);
    ImGui::TableSetupColumn("#", ImGuiTableColumnFlags_DefaultSort | ImGuiTableColumnFlags_NoHide, 0, kId);
    ImGui::TableSetupColumn("Proto", 0, 0, kProtocol);
    ImGui::TableSetupColumn("Started", 0, 0, kStarted);
    ImGui::TableSetupColumn("Client", 0, 0, kClient);
    ImGui::TableSetupColumn("Address", 0, 0, kAddress);
    ImGui::TableSetupColumn("Path", 0, 0, kPath);
    ImGui::TableSetupColumn("Upstream", 0, 0, kUpstream);
    ImGui::TableSetupColumn("Messages", ImGuiTableColumnFlags_PreferSortDescending, 0, kMessages);
    ImGui::TableSetupColumn("Bytes", ImGuiTableColumnFlags_PreferSortDescending, 0, kBytes);
    ImGui::TableSetupColumn("Duration", ImGuiTableColumnFlags_PreferSortDescending, 0, kDuration);
    ImGui::TableSetupColumn("Close", 0, 0, kClose);
    ImGui::TableSetupColumn("Error", ImGuiTableColumnFlags_WidthStretch, 0, kError);
    ImGui::TableSetupColumn("Source", 0, 0, kSource);
    ImGui::TableHeadersRow();

    ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs();
    if ((specs && specs->SpecsDirty) || m_sortedVersion != m_ctx.model->SessionsVersion() ||
        m_order.size() != sessions.size())
    {
        Sort(specs);
        if (specs)
            specs->SpecsDirty = false;
        m_sortedVersion = m_ctx.model->SessionsVersion();
    }

    int selectedRow = -1;
    for (size_t i = 0; i < m_order.size(); ++i)
        if (sessions[m_order[i]].id == m_ctx.state.session)
            selectedRow = static_cast<int>(i);

    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(m_order.size()));
    if (m_scrollToSelected && selectedRow >= 0)
        clipper.ForceDisplayRangeByIndices(selectedRow, selectedRow + 1);
    while (clipper.Step())
        for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row)
        {
            const storage::SessionSummary& s = sessions[m_order[static_cast<size_t>(row)]];
            DrawRow(s);
            if (m_scrollToSelected && row == selectedRow)
            {
                ImGui::SetScrollHereY(0.5f);
                m_scrollToSelected = false;
            }
            ++m_drawnRows;
        }
    ImGui::EndTable();
    if (selectedRow < 0)
        m_scrollToSelected = false;
}

void SessionListView::DrawRow(const storage::SessionSummary& s)
{
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushID(static_cast<int>(s.id));
    const bool selected = s.id == m_ctx.state.session;
    char label[32];
    std::snprintf(label, sizeof label, "%lld", static_cast<long long>(s.id));
    const int64_t current = m_ctx.state.session;
    if (ImGui::Selectable(label, selected, ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap))
    {
        // Ctrl+click: compare the selected session (A) with this one (B).
        if (ImGui::GetIO().KeyCtrl && current && s.id != current)
            m_ctx.bus.Post(CompareSessions{current, s.id});
        else
            m_ctx.bus.Post(SelectSession{s.id});
    }
    const bool rowHovered = ImGui::IsItemHovered();
    if (ImGui::BeginPopupContextItem("session-menu"))
    {
        const std::string withSelected = "Compare with selected session #" + std::to_string(current);
        if (ImGui::MenuItem(current && s.id != current ? withSelected.c_str() : "Compare with selected session",
                            "Ctrl+click", false, current && s.id != current))
            m_ctx.bus.Post(CompareSessions{current, s.id});
        if (s.replayOf && ImGui::MenuItem(("Compare with original #" + std::to_string(*s.replayOf)).c_str()))
            m_ctx.bus.Post(CompareSessions{*s.replayOf, s.id});
        if (!s.handshake.empty() && ImGui::MenuItem("Copy handshake"))
            ImGui::SetClipboardText(s.handshake.c_str());
        ImGui::EndPopup();
    }
    if (s.id == m_compareA || s.id == m_compareB)
    {
        ImGui::SameLine();
        ColoredText(colors::kAccent, s.id == m_compareA ? "A" : "B");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Compared in the Compare tab");
    }
    ImGui::PopID();

    ImGui::TableNextColumn();
    const char* tag = ProtocolTag(s);
    const bool deflate = s.extensions && s.extensions->find("permessage-deflate") != std::string::npos;
    ColoredText(s.protocol == "http" ? colors::kEvent : colors::kResponse, tag);
    bool tagHovered = ImGui::IsItemHovered();
    if (deflate)
    {
        ImGui::SameLine(0, 4);
        ImGui::TextDisabled("deflate");
        tagHovered |= ImGui::IsItemHovered();
    }
    m_drawnTags.push_back(std::string(tag) + (deflate ? " deflate" : ""));
    // The row's tooltip: what the connection negotiated; over the protocol, the handshake's heads too.
    if (rowHovered || tagHovered)
    {
        m_tooltipSession = s.id;
        ImGui::BeginTooltip();
        ImGui::TextUnformatted(NegotiatedText(s).c_str());
        if (!s.userAgent.empty())
            ImGui::Text("User-Agent: %s", s.userAgent.c_str());
        if (!s.handshake.empty() && tagHovered)
        {
            ImGui::Separator();
            ImGui::TextDisabled("Handshake, secrets redacted (right-click the row to copy it)");
            ImGui::PushFont(CurrentFonts().mono);
            for (const std::string& line : HeadLines(s.handshake))
            {
                ImGui::TextUnformatted(line.c_str());
                ++m_tooltipHandshakeLines;
            }
            ImGui::PopFont();
        }
        else if (!s.handshake.empty())
            ImGui::TextDisabled("Hover the protocol for the handshake");
        ImGui::EndTooltip();
    }

    ImGui::TableNextColumn();
    ImGui::TextUnformatted(FormatTime(s.startedNs, 0, false).c_str());
    if (!s.endedNs)
    {
        ImGui::SameLine();
        ColoredText(colors::kResponse, "live");
    }
    ImGui::TableNextColumn();
    if (s.clientName.empty())
        ImGui::TextDisabled(s.auth == "pending" ? "(authenticating)" : "-");
    else
        ImGui::Text("%s %s", s.clientName.c_str(), s.clientVersion.c_str());
    if (s.auth == "failed")
    {
        ImGui::SameLine();
        ColoredText(colors::kFailed, "auth failed");
    }
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(s.client.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(s.path.c_str());
    ImGui::TableNextColumn();
    if (s.upstreamOk && !*s.upstreamOk)
        ColoredText(colors::kFailed, s.upstream.c_str());
    else
        ImGui::TextUnformatted(s.upstream.c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%lld", static_cast<long long>(s.messages));
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(FormatBytes(s.bytes).c_str());
    if (s.elided)
    {
        ImGui::SameLine();
        ColoredText(colors::kPending, ("(" + std::to_string(s.elided) + " elided)").c_str());
    }
    ImGui::TableNextColumn();
    if (s.endedNs)
        ImGui::TextUnformatted(FormatDuration(*s.endedNs - s.startedNs).c_str());
    else
        ImGui::TextDisabled("open");
    ImGui::TableNextColumn();
    if (s.closeCode)
    {
        const bool normal = *s.closeCode == 1000 || *s.closeCode == 1001;
        ColoredText(normal ? colors::kDim : colors::kFailed, std::to_string(*s.closeCode).c_str());
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("%s%s%s", s.closeReason.empty() ? "(no reason)" : s.closeReason.c_str(),
                              s.closedBy.empty() ? "" : ", closed by ", s.closedBy.c_str());
    }
    ImGui::TableNextColumn();
    if (!s.error.empty())
        ColoredText(colors::kFailed, s.error.c_str());
    ImGui::TableNextColumn();
    if (s.replayOf)
    {
        ColoredText(colors::kMalformed, ("replay of #" + std::to_string(*s.replayOf)).c_str());
        ImGui::SameLine();
        if (LinkText("compare"))
            m_ctx.bus.Post(CompareSessions{*s.replayOf, s.id});
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Compare with the original session #%lld", static_cast<long long>(*s.replayOf));
    }
    else if (s.source != "proxy")
        ImGui::TextUnformatted(s.source.c_str());
    else
        ImGui::TextDisabled("proxy");
}

} // namespace dapscope::ui
