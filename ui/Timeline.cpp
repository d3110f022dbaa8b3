#include "Timeline.hpp"

#include "Style.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dapscope::ui
{

float TimelineItem::Draw(const TimelineContext& ctx, float y)
{
    const float lineHeight = ImGui::GetTextLineHeight();
    ctx.draw->AddText(ImVec2(ctx.min.x + 4, y), colors::kDim, HeaderLabel().c_str());
    return lineHeight + 2 + DrawContents(ctx, y + lineHeight + 2);
}

void TimelineNavigator::Fit(int64_t base, int64_t begin, int64_t end, float width)
{
    m_base = base;
    const double span = std::max<double>(1000.0, static_cast<double>(end - begin));
    const double margin = span * 0.02;
    m_nsPerPx = (span + 2 * margin) / std::max(50.0f, width);
    m_viewStart = static_cast<double>(begin - base) - margin;
    m_fitted = true;
    m_userMoved = false;
}

void TimelineNavigator::CenterOn(int64_t ns, float width)
{
    m_userMoved = true;
    m_viewStart = static_cast<double>(ns - m_base) - m_nsPerPx * static_cast<double>(width) / 2;
}

TimelineContext TimelineNavigator::Begin(ImDrawList* draw, ImVec2 min, ImVec2 max)
{
    TimelineContext ctx;
    ctx.draw = draw;
    ctx.min = min;
    ctx.max = max;
    ctx.base = m_base;
    const ImGuiIO& io = ImGui::GetIO();
    ctx.mouse = io.MousePos;
    const bool inside = ImGui::IsWindowHovered(ImGuiHoveredFlags_ChildWindows) && io.MousePos.x >= min.x &&
                        io.MousePos.x < max.x && io.MousePos.y >= min.y && io.MousePos.y < max.y;
    if (inside)
    {
        // Zoom around the mouse: the time under the cursor stays put.
        if (io.MouseWheel != 0 && !io.KeyShift && !io.KeyCtrl)
        {
            const double at = m_viewStart + static_cast<double>(io.MousePos.x - min.x) * m_nsPerPx;
            const double factor = std::pow(0.8, static_cast<double>(io.MouseWheel));
            m_nsPerPx = std::clamp(m_nsPerPx * factor, 0.05, 1e12);
            m_viewStart = at - static_cast<double>(io.MousePos.x - min.x) * m_nsPerPx;
            m_userMoved = true;
        }
        if (io.MouseWheelH != 0 || (io.MouseWheel != 0 && io.KeyShift))
        {
            const float wheel = io.MouseWheelH != 0 ? io.MouseWheelH : io.MouseWheel;
            m_viewStart -= static_cast<double>(wheel) * 60.0 * m_nsPerPx;
            m_userMoved = true;
        }
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left) || ImGui::IsMouseClicked(ImGuiMouseButton_Right) ||
            ImGui::IsMouseClicked(ImGuiMouseButton_Middle))
        {
            m_dragging = true;
            m_dragDistance = 0;
        }
        if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Right))
            m_fitted = false; // the owner fits again
    }
    if (m_dragging)
    {
        const bool down = ImGui::IsMouseDown(ImGuiMouseButton_Left) || ImGui::IsMouseDown(ImGuiMouseButton_Right) ||
                          ImGui::IsMouseDown(ImGuiMouseButton_Middle);
        m_dragDistance += std::fabs(io.MouseDelta.x) + std::fabs(io.MouseDelta.y);
        if (m_dragDistance > 3)
        {
            m_viewStart -= static_cast<double>(io.MouseDelta.x) * m_nsPerPx;
            m_userMoved = true;
            ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeEW);
        }
        if (!down)
        {
            m_dragging = false;
            ctx.clicked = inside && m_dragDistance <= 3 && ImGui::IsMouseReleased(ImGuiMouseButton_Left);
        }
    }
    ctx.hovered = inside && (!m_dragging || m_dragDistance <= 3);
    ctx.viewStart = m_viewStart;
    ctx.nsPerPx = m_nsPerPx;
    return ctx;
}

std::string FormatSpan(double ns)
{
    char buffer[32];
    const double a = std::fabs(ns);
    if (a < 1e3)
        std::snprintf(buffer, sizeof buffer, "%.0f ns", ns);
    else if (a < 1e6)
        std::snprintf(buffer, sizeof buffer, "%.4g \xC2\xB5s", ns / 1e3);
    else if (a < 1e9)
        std::snprintf(buffer, sizeof buffer, "%.4g ms", ns / 1e6);
    else if (a < 120e9)
        std::snprintf(buffer, sizeof buffer, "%.4g s", ns / 1e9);
    else
        std::snprintf(buffer, sizeof buffer, "%.4g min", ns / 60e9);
    return buffer;
}

void DrawRuler(const TimelineContext& ctx, float y, float height)
{
    ctx.draw->AddRectFilled(ImVec2(ctx.min.x, y), ImVec2(ctx.max.x, y + height), IM_COL32(30, 32, 38, 255));
    // A step of 1, 2 or 5 x 10^k ns giving labels at least ~90 px apart.
    const double minStep = ctx.nsPerPx * 90.0;
    double step = std::pow(10.0, std::floor(std::log10(std::max(minStep, 1e-3))));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (step * m >= minStep)
        {
            step *= m;
            break;
        }
    const double first = std::ceil(ctx.viewStart / step) * step;
    for (double t = first; t < ctx.ViewEnd(); t += step)
    {
        const float x = ctx.min.x + static_cast<float>((t - ctx.viewStart) / ctx.nsPerPx);
        ctx.draw->AddLine(ImVec2(x, y + height - 6), ImVec2(x, y + height), colors::kDim);
        ctx.draw->AddLine(ImVec2(x, y + height), ImVec2(x, ctx.max.y), IM_COL32(255, 255, 255, 14));
        const double rounded = std::fabs(t) < step * 1e-6 ? 0.0 : t; // no "+-0" from rounding
        const std::string label = rounded == 0 ? "0" : (rounded > 0 ? "+" : "") + FormatSpan(rounded);
        ctx.draw->AddText(ImVec2(x + 3, y + 1), colors::kDim, label.c_str());
        // Minor ticks.
        for (int i = 1; i < 5; ++i)
        {
            const float mx = x + static_cast<float>(step / 5 * i / ctx.nsPerPx);
            ctx.draw->AddLine(ImVec2(mx, y + height - 3), ImVec2(mx, y + height), IM_COL32(150, 150, 150, 120));
        }
    }
}

} // namespace dapscope::ui
