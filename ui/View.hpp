#pragma once
// The base of every view (ImHex's View): a named panel with a pure DrawContent(). The App decides where a view
// goes (its Slot) and gives it a rectangle; Draw() wraps DrawContent() in a child window of that size. Views hold
// no window or GL state, so tests drive them on ImGui's null backend.

#include "AppContext.hpp"

#include <imgui.h>

#include <string>

namespace dapscope::ui
{

// Where the App lays a view out.
enum class ViewSlot
{
    Top,    // full width under the menu bar (sessions)
    Main,   // centre (messages)
    Side,   // right of the centre (detail)
    Bottom, // a tab under the centre (timeline, tasks, stats)
};

class View
{
  public:
    View(std::string name, ViewSlot slot, AppContext& context) : m_ctx(context), m_name(std::move(name)), m_slot(slot)
    {
    }
    virtual ~View() { m_ctx.bus.Unsubscribe(this); }

    View(const View&) = delete;
    View& operator=(const View&) = delete;

    const std::string& Name() const { return m_name; }
    ViewSlot Slot() const { return m_slot; }

    // Draw inside a child region of `size` at the cursor.
    void Draw(ImVec2 size)
    {
        ImGui::PushID(this);
        if (ImGui::BeginChild(m_name.c_str(), size, false, ChildFlags()))
            DrawContent();
        ImGui::EndChild();
        ImGui::PopID();
    }
    // Draw in place (inside a tab the App already opened).
    void DrawInline() { DrawContent(); }

    // Per-frame work outside drawing (before NewFrame): start jobs, follow the store.
    virtual void Update() {}
    // Waiting for background work that changes what it shows (screenshots wait for this to clear).
    virtual bool Busy() const { return false; }

  protected:
    virtual void DrawContent() = 0;
    virtual ImGuiWindowFlags ChildFlags() const { return ImGuiWindowFlags_None; }

    AppContext& m_ctx;

  private:
    std::string m_name;
    ViewSlot m_slot;
};

} // namespace dapscope::ui
