#pragma once
// ImGui on the null backend (example_null/main.cpp): no window, no GL. The font atlas is built in memory and
// frames are run by hand, so tests and the benchmark drive the real App and views. Keys are indexed like GLFW's
// (the desktop backend), so a test presses the same keys a user does.

#include "ImGuiScope.hpp"
#include "ui/App.hpp"

#include <chrono>
#include <memory>

namespace dapscope::ui
{

class HeadlessPlatform
{
  public:
    explicit HeadlessPlatform(ImVec2 displaySize = ImVec2(1400, 850));
    ~HeadlessPlatform();

    // One frame: Update, NewFrame, Draw, Render. Returns the vertices ImGui produced.
    int Frame(App& app, float deltaSeconds = 1.0f / 60.0f);
    // Frames until the app is idle for a few frames (or `timeout`). True when it became idle.
    bool RunUntilIdle(App& app, std::chrono::milliseconds timeout = std::chrono::seconds(20), int minFrames = 4);

    // Input for the next frame(s).
    void PressKey(int glfwKey, bool ctrl = false); // down for one frame, then up
    void TypeChar(unsigned int c);
    void MoveMouse(ImVec2 position);
    void Click(ImVec2 position); // press and release over two frames
    void Wheel(float amount);

  private:
    std::unique_ptr<ImGuiScope> m_imgui;
    int m_releaseKey = -1; // key to release after the next frame
    bool m_releaseCtrl = false;
    int m_clickState = 0; // 1 = press this frame, 2 = release this frame
};

} // namespace dapscope::ui
