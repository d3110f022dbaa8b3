#include "OpenStoreDialog.hpp"

#include "ui/Style.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <filesystem>

namespace dapscope::ui
{

OpenStoreDialog::OpenStoreDialog(AppContext& context, std::function<void(const std::string&)> open)
    : m_ctx(context), m_openStore(std::move(open))
{
}

void OpenStoreDialog::Open(const std::string& initialPath)
{
    m_open = true;
    m_justOpened = true;
    m_path = initialPath;
    m_error.clear();
    ListFolder();
}

void OpenStoreDialog::ListFolder()
{
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path path(m_path.empty() ? "." : m_path);
    fs::path folder = fs::is_directory(path, ec) ? path : path.parent_path();
    if (folder.empty())
        folder = ".";
    m_folder = fs::weakly_canonical(folder, ec).string();
    m_entries.clear();
    for (fs::directory_iterator it(m_folder, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
         it.increment(ec))
    {
        const std::string name = it->path().filename().string();
        if (name.empty() || name[0] == '.')
            continue;
        if (it->is_directory(ec))
            m_entries.push_back(name + "/");
        else if (it->path().extension() == ".db" || it->path().extension() == ".sqlite")
            m_entries.push_back(name);
        if (m_entries.size() > 2000)
            break;
    }
    std::sort(m_entries.begin(), m_entries.end(),
              [](const std::string& a, const std::string& b)
              {
                  const bool da = a.back() == '/', db = b.back() == '/';
                  return da != db ? da : a < b;
              });
}

void OpenStoreDialog::TryOpen(const std::string& path)
{
    try
    {
        m_openStore(path);
    }
    catch (const std::exception& e)
    {
        m_error = e.what();
        return;
    }
    m_error.clear();
    m_open = false;
    ImGui::CloseCurrentPopup();
}

void OpenStoreDialog::Draw()
{
    if (m_justOpened)
    {
        ImGui::OpenPopup("Open trace store");
        m_justOpened = false;
    }
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowSize(ImVec2(std::min(760.0f, display.x - 40), std::min(520.0f, display.y - 40)),
                             ImGuiCond_Appearing);
    ImGui::SetNextWindowPos(ImVec2(display.x / 2, display.y / 2), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    bool open = true;
    if (!ImGui::BeginPopupModal("Open trace store", &open))
    {
        m_open = m_open && ImGui::IsPopupOpen("Open trace store");
        return;
    }
    ImGui::TextUnformatted("Store file (a dapscope SQLite store; opened read-only)");
    ImGui::SetNextItemWidth(-90);
    if (ImGui::IsWindowAppearing())
        ImGui::SetKeyboardFocusHere();
    const bool enter = ImGui::InputText("##path", &m_path, ImGuiInputTextFlags_EnterReturnsTrue);
    if (ImGui::IsItemDeactivatedAfterEdit())
        ListFolder();
    ImGui::SameLine();
    if (ImGui::Button("Open", ImVec2(-1, 0)) || enter)
        TryOpen(m_path);
    if (!m_error.empty())
        ColoredText(colors::kFailed, m_error.c_str());

    const float listHeight = ImGui::GetContentRegionAvail().y - ImGui::GetFrameHeightWithSpacing();
    ImGui::BeginChild("recent", ImVec2(ImGui::GetContentRegionAvail().x * 0.5f, listHeight), true);
    ImGui::TextDisabled("Recent stores");
    for (const std::string& recent : m_ctx.settings.RecentStores())
    {
        if (ImGui::Selectable(recent.c_str(), recent == m_path, ImGuiSelectableFlags_AllowDoubleClick))
        {
            m_path = recent;
            if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
                TryOpen(recent);
        }
    }
    if (m_ctx.settings.RecentStores().empty())
        ImGui::TextDisabled("(none yet)");
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("browse", ImVec2(0, listHeight), true);
    ImGui::TextDisabled("%s", m_folder.c_str());
    if (ImGui::Selectable("../"))
    {
        m_path = std::filesystem::path(m_folder).parent_path().string();
        ListFolder();
    }
    std::string chosen;
    for (const std::string& entry : m_entries)
        if (ImGui::Selectable(entry.c_str(), false, ImGuiSelectableFlags_AllowDoubleClick))
            chosen = entry;
    if (!chosen.empty())
    {
        m_path = (std::filesystem::path(m_folder) / chosen).string();
        if (chosen.back() == '/')
        {
            m_path.pop_back();
            ListFolder();
        }
        else if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
            TryOpen(m_path);
    }
    ImGui::EndChild();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape)))
    {
        m_open = false;
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
    if (!open)
        m_open = false;
}

} // namespace dapscope::ui
