#include "HexView.hpp"

#include "Style.hpp"

#include <imgui.h>

#include <cstdio>

namespace dapscope::ui
{

std::string HexLine(std::string_view bytes, size_t offset)
{
    char line[128];
    int n = std::snprintf(line, sizeof line, "%08zx ", offset);
    for (size_t i = 0; i < 16; ++i)
    {
        if (i == 8)
            line[n++] = ' ';
        if (offset + i < bytes.size())
            n += std::snprintf(line + n, sizeof line - static_cast<size_t>(n), " %02x",
                               static_cast<unsigned char>(bytes[offset + i]));
        else
            n += std::snprintf(line + n, sizeof line - static_cast<size_t>(n), "   ");
    }
    line[n++] = ' ';
    line[n++] = ' ';
    line[n++] = '|';
    for (size_t i = 0; i < 16 && offset + i < bytes.size(); ++i)
    {
        const unsigned char c = static_cast<unsigned char>(bytes[offset + i]);
        line[n++] = c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
    }
    line[n++] = '|';
    return std::string(line, static_cast<size_t>(n));
}

void HexView::Draw(std::string_view bytes, float height)
{
    ImGui::PushFont(CurrentFonts().mono);
    if (ImGui::BeginChild("hex", ImVec2(0, height), false, ImGuiWindowFlags_HorizontalScrollbar))
    {
        const int lines = static_cast<int>((bytes.size() + 15) / 16);
        ImGuiListClipper clipper;
        clipper.Begin(lines);
        while (clipper.Step())
            for (int line = clipper.DisplayStart; line < clipper.DisplayEnd; ++line)
                ImGui::TextUnformatted(HexLine(bytes, static_cast<size_t>(line) * 16).c_str());
    }
    ImGui::EndChild();
    ImGui::PopFont();
}

} // namespace dapscope::ui
