#include "Settings.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace dapscope::ui
{

std::string ConfigFolder()
{
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg)
        return std::string(xdg) + "/dapscope";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : ".") + "/.config/dapscope";
}

Settings::Settings(std::string folder) : m_folder(std::move(folder))
{
    Load();
}

std::string Settings::ImGuiIniPath() const
{
    return m_folder.empty() ? std::string() : m_folder + "/imgui.ini";
}

float Settings::GetFloat(const std::string& key, float fallback) const
{
    auto it = m_values.find(key);
    if (it == m_values.end())
        return fallback;
    char* end = nullptr;
    float value = std::strtof(it->second.c_str(), &end);
    return end && *end == '\0' && !it->second.empty() ? value : fallback;
}

bool Settings::GetBool(const std::string& key, bool fallback) const
{
    auto it = m_values.find(key);
    if (it == m_values.end())
        return fallback;
    return it->second == "1" || it->second == "true";
}

std::string Settings::GetString(const std::string& key, const std::string& fallback) const
{
    auto it = m_values.find(key);
    return it == m_values.end() ? fallback : it->second;
}

void Settings::Set(const std::string& key, float value)
{
    Set(key, std::to_string(value));
}

void Settings::Set(const std::string& key, bool value)
{
    Set(key, std::string(value ? "1" : "0"));
}

void Settings::Set(const std::string& key, const std::string& value)
{
    std::string clean = value;
    std::replace(clean.begin(), clean.end(), '\n', ' ');
    auto& slot = m_values[key];
    if (slot != clean)
    {
        slot = clean;
        m_dirty = true;
    }
}

void Settings::AddRecentStore(const std::string& path)
{
    std::string absolute = path;
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(path, ec);
    if (!ec)
        absolute = canonical.string();
    std::erase(m_recent, absolute);
    m_recent.insert(m_recent.begin(), absolute);
    if (m_recent.size() > kMaxRecent)
        m_recent.resize(kMaxRecent);
    m_dirty = true;
}

void Settings::Load()
{
    if (m_folder.empty())
        return;
    std::ifstream in(m_folder + "/ui.ini");
    std::string line;
    while (std::getline(in, line))
    {
        if (line.empty() || line[0] == '#')
            continue;
        size_t eq = line.find('=');
        if (eq == std::string::npos)
            continue;
        std::string key = line.substr(0, eq);
        std::string value = line.substr(eq + 1);
        if (key == "recent")
        {
            if (m_recent.size() < kMaxRecent && std::find(m_recent.begin(), m_recent.end(), value) == m_recent.end())
                m_recent.push_back(value);
        }
        else
            m_values[key] = value;
    }
}

void Settings::Save()
{
    if (m_folder.empty() || !m_dirty)
        return;
    std::error_code ec;
    std::filesystem::create_directories(m_folder, ec);
    ::chmod(m_folder.c_str(), 0700);
    std::string path = m_folder + "/ui.ini";
    std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        if (!out)
            return;
        out << "# dapscope-ui settings (rewritten on exit)\n";
        for (const auto& [key, value] : m_values)
            out << key << '=' << value << '\n';
        for (const auto& recent : m_recent)
            out << "recent=" << recent << '\n';
        if (!out)
            return;
    }
    std::filesystem::rename(temporary, path, ec);
    if (!ec)
        m_dirty = false;
}

} // namespace dapscope::ui
