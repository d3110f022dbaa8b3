#pragma once
// The desktop platform: a GLFW window with an OpenGL 3 context and ImGui's GLFW + OpenGL3 backends
// (example_glfw_opengl3/main.cpp), plus ImHex's power saving: the loop sleeps in glfwWaitEventsTimeout while
// nothing happens and draws only when there was input, a background job handed something back (Wake(), from
// any thread, posts an empty event), the store changed, or a view asked for a frame.

#include "ImGuiScope.hpp"
#include "ui/App.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

struct GLFWwindow;

namespace dapscope::ui
{

struct PlatformOptions
{
    int width = 1400; // window size (screen coordinates)
    int height = 850;
    bool visible = true; // false for screenshots: nothing flashes on a desktop
    std::string title = "dapscope";
    std::string iniPath; // imgui.ini ("" = none)
};

// Why the GUI cannot start here, or "" when a display looks usable (DISPLAY or WAYLAND_DISPLAY set).
std::string NoDisplayReason();

class GlfwPlatform
{
  public:
    // Throws std::runtime_error when GLFW or the window cannot be created (no display, no OpenGL 3).
    explicit GlfwPlatform(const PlatformOptions& options);
    ~GlfwPlatform();

    GlfwPlatform(const GlfwPlatform&) = delete;
    GlfwPlatform& operator=(const GlfwPlatform&) = delete;

    // Thread-safe: ask the loop for a frame soon.
    std::function<void()> Waker();

    // The interactive loop, until the window closes, the app asks to quit or `stop()` says so (a signal).
    void Run(App& app, const std::function<bool()>& stop = {});
    // Draw frames until the app has nothing left to load (at most `timeout`), then write a PNG of the window.
    // Returns "" or an error.
    std::string Screenshot(App& app, const std::string& path, double timeoutSeconds = 20.0);
    // One frame (Update, NewFrame, Draw, Render, swap) for the benchmark: its wall time in ms, and the part spent
    // building it (Update + ImGui, the UI thread's own work) before OpenGL draws and swaps.
    struct FrameTimes
    {
        double totalMs = 0; // the whole frame
        double buildMs = 0; // App::Update, NewFrame, App::Draw, ImGui::Render
    };
    FrameTimes Frame(App& app);
    // Framebuffer pixels of the last frame, rows top to bottom.
    std::vector<uint8_t> ReadPixels(int& width, int& height);

  private:
    // Returns the time spent building the frame (before OpenGL), in ms.
    double Render(App& app, bool swap);
    static void OnInput(GLFWwindow* window);

    GLFWwindow* m_window = nullptr;
    std::unique_ptr<ImGuiScope> m_imgui; // the ImGui context
    std::atomic<bool> m_input{false};    // an input callback ran since the last frame
    std::atomic<bool> m_woken{false};    // Wake() was called since the last frame
    bool m_backendsReady = false;        // ImGui's GLFW / OpenGL3 backends initialised
};

} // namespace dapscope::ui
