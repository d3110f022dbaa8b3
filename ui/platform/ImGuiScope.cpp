#include "ImGuiScope.hpp"

#include "ui/Style.hpp"

#include <imgui.h>

#include <filesystem>

namespace dapscope::ui
{

ImGuiScope::ImGuiScope(const std::string& iniPath, float fontScale) : m_iniPath(iniPath)
{
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    if (m_iniPath.empty())
        io.IniFilename = nullptr;
    else
    {
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(m_iniPath).parent_path(), ec);
        io.IniFilename = m_iniPath.c_str();
    }
    io.ConfigWindowsMoveFromTitleBarOnly = true;
    LoadFonts(fontScale);
    ApplyStyle();
}

ImGuiScope::~ImGuiScope()
{
    ImGui::DestroyContext();
}

} // namespace dapscope::ui
