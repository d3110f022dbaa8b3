// App::Draw and what it draws around the views: the menu bar, the pane layout with its splitters, the bottom tabs,
// the status bar, global shortcuts and the keyboard help.

#include "App.hpp"
#include "Style.hpp"
#include "storage/Store.hpp"
#include "views/ExportDialog.hpp"
#include "views/OpenStoreDialog.hpp"

#include <algorithm>

namespace dapscope::ui
{

namespace
{
// GLFW's key codes for letters are their upper-case ASCII codes; ImGui 1.86 indexes io.KeysDown with them.
constexpr int kKeyE = 'E';
constexpr int kKeyF = 'F';
constexpr int kKeyO = 'O';
constexpr int kKeyQ = 'Q';
constexpr int kKeyF1 = 290; // GLFW_KEY_F1
constexpr float kSplitter = 5.0f;

const char* TabName(BottomTab tab)
{
    switch (tab)
    {
    case BottomTab::Tasks:
        return "Tasks";
    case BottomTab::Stats:
        return "Stats";
    case BottomTab::Compare:
        return "Compare";
    case BottomTab::Intercept:
        return "Intercept";
    default:
        return "Timeline";
    }
}

// A draggable bar between two panes: a drag moves `fraction` by delta / `total` (negative: the pane is after the bar).
void Splitter(const char* id, bool vertical, float length, float* fraction, float total, float min, float max)
{
    ImGui::InvisibleButton(id, vertical ? ImVec2(kSplitter, length) : ImVec2(length, kSplitter));
    const bool active = ImGui::IsItemActive(), hovered = ImGui::IsItemHovered();
    if (active || hovered)
        ImGui::SetMouseCursor(vertical ? ImGuiMouseCursor_ResizeEW : ImGuiMouseCursor_ResizeNS);
    if (active && total != 0)
    {
        const float delta = vertical ? ImGui::GetIO().MouseDelta.x : ImGui::GetIO().MouseDelta.y;
        *fraction = std::clamp(*fraction + delta / total, min, max);
    }
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    const ImU32 color = ImGui::GetColorU32(active    ? ImGuiCol_SeparatorActive
                                           : hovered ? ImGuiCol_SeparatorHovered
                                                     : ImGuiCol_Separator);
    if (vertical)
        ImGui::GetWindowDrawList()->AddLine(ImVec2((a.x + b.x) / 2, a.y), ImVec2((a.x + b.x) / 2, b.y), color, 1.0f);
    else
        ImGui::GetWindowDrawList()->AddLine(ImVec2(a.x, (a.y + b.y) / 2), ImVec2(b.x, (a.y + b.y) / 2), color, 1.0f);
}
} // namespace

void App::Draw()
{
    HandleShortcuts();
    const ImGuiViewport* viewport = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(viewport->WorkPos);
    ImGui::SetNextWindowSize(viewport->WorkSize);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(6, 4));
    // No background: the platform clears to the same colour, and a software rasterizer (Mesa llvmpipe under Xvfb)
    // pays for every blended full-window fill.
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_MenuBar |
                                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBackground;
    ImGui::Begin("dapscope", nullptr, flags);
    ImGui::PopStyleVar();
    DrawMenuBar();
    DrawLayout();
    DrawStatusBar();
    m_open->Draw();
    m_export->Draw();
    ImGui::End();
    DrawHelp();
}

void App::HandleShortcuts()
{
    const ImGuiIO& io = ImGui::GetIO();
    const bool popup = ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId | ImGuiPopupFlags_AnyPopupLevel);
    if (io.KeyCtrl && ImGui::IsKeyPressed(kKeyO, false))
        m_open->Open(m_model ? m_model->Path() : storage::DefaultStorePath());
    if (io.KeyCtrl && ImGui::IsKeyPressed(kKeyE, false))
        m_export->Open(m_state.session);
    if (io.KeyCtrl && ImGui::IsKeyPressed(kKeyQ, false))
        m_quit = true;
    if (ImGui::IsKeyPressed(kKeyF1, false))
        m_showHelp = !m_showHelp;
    if (popup)
        return;
    if (io.KeyCtrl && ImGui::IsKeyPressed(kKeyF, false))
        m_bus.Post(FocusFilter{});
    if (io.WantTextInput)
        return;
    for (ImWchar c : io.InputQueueCharacters)
        if (c == '/')
            m_bus.Post(FocusFilter{});
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter), false) ||
        ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_KeyPadEnter), false))
        m_bus.Post(OpenDetail{});
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false) && m_showHelp)
        m_showHelp = false;
}

void App::DrawMenuBar()
{
    if (!ImGui::BeginMenuBar())
        return;
    if (ImGui::BeginMenu("File"))
    {
        if (ImGui::MenuItem("Open store...", "Ctrl+O"))
            m_open->Open(m_model ? m_model->Path() : storage::DefaultStorePath());
        if (ImGui::BeginMenu("Recent stores", !m_settings.RecentStores().empty()))
        {
            for (const std::string& recent : m_settings.RecentStores())
                if (ImGui::MenuItem(recent.c_str()))
                {
                    try
                    {
                        OpenStore(recent);
                        SelectInitial();
                    }
                    catch (const std::exception& e)
                    {
                        m_context.Notify(e.what());
                    }
                }
            ImGui::EndMenu();
        }
        ImGui::Separator();
        if (ImGui::MenuItem("Export session...", "Ctrl+E", false, m_state.session != 0))
            m_export->Open(m_state.session);
        ImGui::Separator();
        if (ImGui::MenuItem("Quit", "Ctrl+Q"))
            m_quit = true;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("View"))
    {
        ImGui::MenuItem("Detail pane", nullptr, &m_state.showDetail);
        ImGui::MenuItem("Relative times", nullptr, &m_state.relativeTime);
        ImGui::MenuItem("Follow the tail", nullptr, &m_state.followTail);
        ImGui::MenuItem("Follow new sessions", nullptr, &m_state.autoSelectNewSessions);
        ImGui::Separator();
        for (BottomTab tab :
             {BottomTab::Timeline, BottomTab::Tasks, BottomTab::Stats, BottomTab::Compare, BottomTab::Intercept})
            if (ImGui::MenuItem(TabName(tab), nullptr, m_state.bottomTab == tab))
                m_requestTab = tab;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Help"))
    {
        if (ImGui::MenuItem("Keyboard shortcuts", "F1"))
            m_showHelp = true;
        ImGui::EndMenu();
    }
    if (!m_options.captureInfo.empty())
    {
        const size_t open = m_options.openSessions ? m_options.openSessions() : 0;
        const std::string text =
            "\xE2\x97\x8F capturing " + m_options.captureInfo + "  (" + std::to_string(open) + " open)";
        ImGui::SameLine(
            std::max(ImGui::GetCursorPosX() + 20, ImGui::GetWindowWidth() - ImGui::CalcTextSize(text.c_str()).x - 16));
        ColoredText(colors::kResponse, text.c_str());
    }
    ImGui::EndMenuBar();
}

void App::DrawLayout()
{
    const float statusHeight = ImGui::GetFrameHeight();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float height = avail.y - statusHeight - ImGui::GetStyle().ItemSpacing.y;
    if (!m_model)
    {
        ImGui::BeginChild("no-store", ImVec2(0, height));
        ImGui::Spacing();
        ImGui::TextUnformatted("No trace store open.");
        if (!m_storeError.empty())
            ColoredText(colors::kFailed, m_storeError.c_str());
        ImGui::Spacing();
        ImGui::TextDisabled("File > Open (Ctrl+O) opens a store; `dapscope proxy` or `dapscope demo` creates one;");
        ImGui::TextDisabled("`dapscope-ui --listen 127.0.0.1:5566 --upstream URI` captures and shows it live.");
        if (ImGui::Button("Open a store..."))
            m_open->Open(m_options.storePath.empty() ? storage::DefaultStorePath() : m_options.storePath);
        ImGui::EndChild();
        return;
    }
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(0, 0));
    const float top = std::max(60.0f, (height - 2 * kSplitter) * m_topFraction);
    for (auto& view : m_views)
        if (view->Slot() == ViewSlot::Top)
            view->Draw(ImVec2(avail.x, top));
    Splitter("##split-top", false, avail.x, &m_topFraction, height, 0.08f, 0.7f);

    const float middle = height - top - kSplitter;
    const float side = m_state.showDetail ? std::max(200.0f, avail.x * m_sideFraction) : 0;
    const float centre = avail.x - side - (m_state.showDetail ? kSplitter : 0);
    ImGui::BeginChild("centre", ImVec2(centre, middle));
    {
        const float bottom = std::max(60.0f, middle * m_bottomFraction);
        const float main = middle - bottom - kSplitter;
        ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(8, 4));
        for (auto& view : m_views)
            if (view->Slot() == ViewSlot::Main)
                view->Draw(ImVec2(centre, main));
        ImGui::PopStyleVar();
        Splitter("##split-bottom", false, centre, &m_bottomFraction, -middle, 0.1f, 0.8f);
        ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(8, 4));
        DrawBottomTabs(ImVec2(centre, bottom));
        ImGui::PopStyleVar();
    }
    ImGui::EndChild();
    if (m_state.showDetail)
    {
        ImGui::SameLine();
        Splitter("##split-side", true, middle, &m_sideFraction, -avail.x, 0.15f, 0.7f);
        ImGui::SameLine();
        ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(8, 4));
        for (auto& view : m_views)
            if (view->Slot() == ViewSlot::Side)
                view->Draw(ImVec2(side, middle));
        ImGui::PopStyleVar();
    }
    ImGui::PopStyleVar();
}

void App::DrawBottomTabs(ImVec2 size)
{
    ImGui::BeginChild("bottom", size);
    if (ImGui::BeginTabBar("bottom-tabs"))
    {
        for (auto& view : m_views)
        {
            if (view->Slot() != ViewSlot::Bottom)
                continue;
            const BottomTab tab = view->Name() == "Tasks"       ? BottomTab::Tasks
                                  : view->Name() == "Stats"     ? BottomTab::Stats
                                  : view->Name() == "Compare"   ? BottomTab::Compare
                                  : view->Name() == "Intercept" ? BottomTab::Intercept
                                                                : BottomTab::Timeline;
            const ImGuiTabItemFlags flags =
                m_requestTab && *m_requestTab == tab ? ImGuiTabItemFlags_SetSelected : ImGuiTabItemFlags_None;
            if (ImGui::BeginTabItem(view->Name().c_str(), nullptr, flags))
            {
                if (!m_requestTab)
                    m_state.bottomTab = tab;
                view->DrawInline();
                ImGui::EndTabItem();
            }
        }
        if (m_requestTab)
            m_state.bottomTab = *m_requestTab;
        m_requestTab.reset();
        ImGui::EndTabBar();
    }
    ImGui::EndChild();
}

void App::DrawStatusBar()
{
    ImGui::Separator();
    if (m_model)
    {
        ImGui::TextDisabled("%s", m_model->Path().c_str());
        ImGui::SameLine();
        ImGui::TextDisabled("  %zu sessions  (read-only)", m_model->Sessions().size());
    }
    for (const auto& task : m_tasks.Active())
    {
        ImGui::SameLine();
        ImGui::TextUnformatted(("  " + task->name).c_str());
        ImGui::SameLine();
        if (task->total.load() > 0)
            ImGui::ProgressBar(task->Fraction(), ImVec2(ImGui::GetFontSize() * 8, ImGui::GetTextLineHeight()));
        else
            ImGui::TextDisabled("...");
    }
    if (!m_state.status.empty())
    {
        ImGui::SameLine();
        ImGui::TextUnformatted(("  " + m_state.status).c_str());
    }
    const std::string hint = "F1: keys";
    ImGui::SameLine(
        std::max(ImGui::GetCursorPosX() + 10, ImGui::GetWindowWidth() - ImGui::CalcTextSize(hint.c_str()).x - 12));
    ImGui::TextDisabled("%s", hint.c_str());
}

void App::DrawHelp()
{
    if (!m_showHelp)
        return;
    ImGui::SetNextWindowPos(ImVec2(ImGui::GetIO().DisplaySize.x / 2, ImGui::GetIO().DisplaySize.y / 2),
                            ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    if (ImGui::Begin("Keyboard shortcuts", &m_showHelp,
                     ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings))
    {
        const char* const rows[][2] = {
            {"Up / Down, k / j", "previous / next message"},
            {"Page Up / Page Down, Home / End", "move by a page, to the first / last message"},
            {"Enter, double-click", "open the message in the detail pane"},
            {"/ or Ctrl+F", "search the JSON (filter bar)"},
            {"Ctrl+O", "open another store"},
            {"Ctrl+E", "export the session (HAR, JSONL)"},
            {"Ctrl+Q", "quit"},
            {"Timeline: wheel / drag", "zoom around the mouse / pan"},
            {"Timeline: click", "select the request or event"},
            {"Right-click a row or JSON node", "filter by it, copy value / path"},
        };
        if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit))
        {
            for (const auto& row : rows)
            {
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ColoredText(colors::kAccent, row[0]);
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(row[1]);
            }
            ImGui::EndTable();
        }
    }
    ImGui::End();
}

} // namespace dapscope::ui
