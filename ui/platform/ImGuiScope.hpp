#pragma once
// RAII for Dear ImGui's context: creates it, points imgui.ini at the config folder (or disables it), loads the fonts
// and applies the style. One per process at a time (ImGui keeps the current context globally).

#include <string>

namespace dapscope::ui
{

class ImGuiScope
{
  public:
    // `iniPath` "" = no imgui.ini (tests, screenshots). `fontScale` multiplies the font sizes.
    explicit ImGuiScope(const std::string& iniPath, float fontScale = 1.0f);
    ~ImGuiScope();

    ImGuiScope(const ImGuiScope&) = delete;
    ImGuiScope& operator=(const ImGuiScope&) = delete;

  private:
    std::string m_iniPath; // must outlive the context (ImGui keeps the pointer)
};

} // namespace dapscope::ui
