#pragma once
// Timeline machinery shared by the session timeline and the task flow timeline (Tracy's TimelineContext,
// TimelineItem and zoom handling, reduced):
// - TimelineContext: one plain struct per frame with the visible range and the pixels-per-nanosecond scale;
// - TimelineItem: a non-virtual Draw() around the virtual HeaderLabel / RangeBegin / RangeEnd / DrawContents;
// - TimelineNavigator: zoom with the wheel around the mouse, pan by dragging, click detection, fit to a range;
// - DrawRuler: the time axis.

#include <imgui.h>

#include <cstdint>
#include <string>

namespace dapscope::ui
{

// What every item needs to draw one frame.
struct TimelineContext
{
    ImDrawList* draw = nullptr; // the window's draw list
    ImVec2 min;                 // top-left of the track area (screen pixels)
    ImVec2 max;                 // bottom-right
    int64_t base = 0;           // absolute ns shown as time 0 (session or task start)
    double viewStart = 0;       // first visible ns, relative to base
    double nsPerPx = 1;         // zoom
    ImVec2 mouse;               // mouse position
    bool hovered = false;       // the mouse is over the track area (and no drag is going on)
    bool clicked = false;       // left click released without dragging, this frame

    float Width() const { return max.x - min.x; }
    double ViewEnd() const { return viewStart + nsPerPx * static_cast<double>(Width()); }
    // Absolute ns -> screen x.
    float X(int64_t ns) const
    {
        return min.x + static_cast<float>((static_cast<double>(ns - base) - viewStart) / nsPerPx);
    }
    // Screen x -> absolute ns.
    int64_t Ns(float x) const
    {
        return base + static_cast<int64_t>(viewStart + static_cast<double>(x - min.x) * nsPerPx);
    }
    int64_t VisibleBegin() const { return base + static_cast<int64_t>(viewStart); }
    int64_t VisibleEnd() const { return base + static_cast<int64_t>(ViewEnd()) + 1; }
};

// One row group of a timeline (a session's requests, a pipe's flow).
class TimelineItem
{
  public:
    virtual ~TimelineItem() = default;

    // Header line, then the contents; returns the height used.
    float Draw(const TimelineContext& ctx, float y);

    virtual std::string HeaderLabel() const = 0;
    virtual int64_t RangeBegin() const = 0;
    virtual int64_t RangeEnd() const = 0;

  protected:
    virtual float DrawContents(const TimelineContext& ctx, float y) = 0;
};

// Zoom and pan state of one timeline widget.
class TimelineNavigator
{
  public:
    // Show [begin, end] (absolute ns) across `width` pixels with a small margin.
    void Fit(int64_t base, int64_t begin, int64_t end, float width);
    // Read the mouse over `min`..`max` and fill a context for this frame.
    TimelineContext Begin(ImDrawList* draw, ImVec2 min, ImVec2 max);
    bool Fitted() const { return m_fitted; }
    void Invalidate() { m_fitted = false; }
    // Zoom to [begin, end] (absolute ns), as a user action.
    void ZoomTo(int64_t begin, int64_t end, float width)
    {
        Fit(m_base, begin, end, width);
        m_userMoved = true;
    }
    // Is `ns` (absolute) inside the view `width` pixels wide?
    bool Shows(int64_t ns, float width) const
    {
        const double t = static_cast<double>(ns - m_base);
        return t >= m_viewStart && t <= m_viewStart + m_nsPerPx * static_cast<double>(width);
    }
    // Centre the view on `ns` (absolute) without changing the zoom.
    void CenterOn(int64_t ns, float width);
    double NsPerPx() const { return m_nsPerPx; }
    // The user zoomed or panned since the last Fit() (live data then stops re-fitting).
    bool UserMoved() const { return m_userMoved; }

  private:
    int64_t m_base = 0;       // absolute ns of time 0
    double m_viewStart = 0;   // first visible ns relative to m_base
    double m_nsPerPx = 1e6;   // zoom
    bool m_fitted = false;    // Fit() ran for the current data
    bool m_dragging = false;  // a pan is going on
    float m_dragDistance = 0; // pixels moved since the button went down
    bool m_userMoved = false; // zoomed or panned since the last Fit()
};

// Time axis along the top of `ctx`, `height` pixels tall, labels relative to ctx.base.
void DrawRuler(const TimelineContext& ctx, float y, float height);
// "1.5 ms", "2 s": a span length for labels.
std::string FormatSpan(double ns);

} // namespace dapscope::ui
