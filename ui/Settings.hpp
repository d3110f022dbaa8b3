#pragma once
// The GUI's settings in the user's config folder ($XDG_CONFIG_HOME/dapscope/, else ~/.config/dapscope/):
// imgui.ini (window and table layout, written by Dear ImGui) and ui.ini (ours: pane sizes, recent stores,
// display options), a plain `key=value` file.

#include <map>
#include <string>
#include <vector>

namespace dapscope::ui
{

// $XDG_CONFIG_HOME/dapscope, else $HOME/.config/dapscope (not created here).
std::string ConfigFolder();

class Settings
{
  public:
    // An empty folder keeps everything in memory (screenshots, tests).
    explicit Settings(std::string folder);

    std::string ImGuiIniPath() const; // "" when not persisted

    float GetFloat(const std::string& key, float fallback) const;
    bool GetBool(const std::string& key, bool fallback) const;
    std::string GetString(const std::string& key, const std::string& fallback = "") const;
    void Set(const std::string& key, float value);
    void Set(const std::string& key, bool value);
    void Set(const std::string& key, const std::string& value);

    // Most recent first, at most kMaxRecent, without duplicates.
    const std::vector<std::string>& RecentStores() const { return m_recent; }
    void AddRecentStore(const std::string& path);

    // Write ui.ini if anything changed since the last save (creates the folder, mode 0700).
    void Save();

    static constexpr size_t kMaxRecent = 10;

  private:
    void Load();

    std::string m_folder;                        // "" = not persisted
    std::map<std::string, std::string> m_values; // key -> value, as in the file
    std::vector<std::string> m_recent;           // recent store paths, newest first
    bool m_dirty = false;                        // changed since loaded or saved
};

} // namespace dapscope::ui
