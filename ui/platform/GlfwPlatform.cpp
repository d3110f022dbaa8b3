#include "GlfwPlatform.hpp"

#include "ui/Png.hpp"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace dapscope::ui
{

namespace
{
constexpr double kIdleTimeout = 0.25; // seconds between wake-ups when nothing happens (store polling)
constexpr int kSettleFrames = 3;      // frames drawn after input (hover, popups need a frame or two)

GlfwPlatform* Self(GLFWwindow* window)
{
    return static_cast<GlfwPlatform*>(glfwGetWindowUserPointer(window));
}

std::string g_glfwError; // last GLFW error (GLFW reports them through a plain function pointer)

void OnGlfwError(int code, const char* description)
{
    g_glfwError = std::string(description ? description : "unknown error") + " (" + std::to_string(code) + ")";
}
} // namespace

std::string NoDisplayReason()
{
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    if ((display && *display) || (wayland && *wayland))
        return "";
    return "no display (DISPLAY and WAYLAND_DISPLAY are not set)";
}

void GlfwPlatform::OnInput(GLFWwindow* window)
{
    if (auto* self = Self(window))
        self->m_input = true;
}

GlfwPlatform::GlfwPlatform(const PlatformOptions& options)
{
    glfwSetErrorCallback(OnGlfwError);
    if (!glfwInit())
        throw std::runtime_error("cannot initialise GLFW: " + g_glfwError);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    glfwWindowHint(GLFW_VISIBLE, options.visible ? GLFW_TRUE : GLFW_FALSE);
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
    m_window = glfwCreateWindow(options.width, options.height, options.title.c_str(), nullptr, nullptr);
    if (!m_window)
    {
        glfwTerminate();
        throw std::runtime_error("cannot open an OpenGL 3 window: " + g_glfwError);
    }
    glfwSetWindowUserPointer(m_window, this);
    glfwMakeContextCurrent(m_window);
    glfwSwapInterval(1);
    // Our callbacks first: ImGui's backend chains to them, so every input marks the loop dirty.
    glfwSetCursorPosCallback(m_window, [](GLFWwindow* w, double, double) { OnInput(w); });
    glfwSetMouseButtonCallback(m_window, [](GLFWwindow* w, int, int, int) { OnInput(w); });
    glfwSetScrollCallback(m_window, [](GLFWwindow* w, double, double) { OnInput(w); });
    glfwSetKeyCallback(m_window, [](GLFWwindow* w, int, int, int, int) { OnInput(w); });
    glfwSetCharCallback(m_window, [](GLFWwindow* w, unsigned int) { OnInput(w); });
    glfwSetWindowFocusCallback(m_window, [](GLFWwindow* w, int) { OnInput(w); });
    glfwSetCursorEnterCallback(m_window, [](GLFWwindow* w, int) { OnInput(w); });
    glfwSetWindowSizeCallback(m_window, [](GLFWwindow* w, int, int) { OnInput(w); });
    glfwSetWindowRefreshCallback(m_window, [](GLFWwindow* w) { OnInput(w); });

    float scale = 1.0f;
    glfwGetWindowContentScale(m_window, &scale, nullptr);
    m_imgui = std::make_unique<ImGuiScope>(options.iniPath, scale > 0.5f ? scale : 1.0f);
    ImGui_ImplGlfw_InitForOpenGL(m_window, true);
    ImGui_ImplOpenGL3_Init("#version 130");
    m_backendsReady = true;
}

GlfwPlatform::~GlfwPlatform()
{
    if (m_backendsReady)
    {
        ImGui_ImplOpenGL3_Shutdown();
        ImGui_ImplGlfw_Shutdown();
    }
    m_imgui.reset();
    if (m_window)
        glfwDestroyWindow(m_window);
    glfwTerminate();
}

std::function<void()> GlfwPlatform::Waker()
{
    return [this]
    {
        m_woken = true;
        glfwPostEmptyEvent();
    };
}

double GlfwPlatform::Render(App& app, bool swap)
{
    const auto start = std::chrono::steady_clock::now();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    app.Draw();
    ImGui::Render();
    const double buildMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    int width = 0, height = 0;
    glfwGetFramebufferSize(m_window, &width, &height);
    glViewport(0, 0, width, height);
    glClearColor(0.11f, 0.12f, 0.14f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (swap)
        glfwSwapBuffers(m_window);
    return buildMs;
}

GlfwPlatform::FrameTimes GlfwPlatform::Frame(App& app)
{
    const auto start = std::chrono::steady_clock::now();
    glfwPollEvents();
    app.Update(start);
    const double updateMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    FrameTimes times;
    times.buildMs = updateMs + Render(app, true);
    glFinish();
    times.totalMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return times;
}

void GlfwPlatform::Run(App& app, const std::function<bool()>& stop)
{
    int settle = kSettleFrames;
    while (!glfwWindowShouldClose(m_window) && !app.QuitRequested() && !(stop && stop()))
    {
        const auto now = std::chrono::steady_clock::now();
        const bool changed = app.Update(now);
        const bool dirty = m_input.exchange(false) | m_woken.exchange(false);
        if (dirty || changed)
            settle = kSettleFrames;
        if (settle > 0)
        {
            Render(app, true);
            --settle;
            glfwPollEvents();
            continue;
        }
        // Idle: sleep until input, a Wake(), the next store poll or what a view asked for.
        double timeout = app.Busy() ? 0.05 : kIdleTimeout;
        if (app.WakeAt() != std::chrono::steady_clock::time_point{})
            timeout = std::min(timeout, std::max(0.0, std::chrono::duration<double>(app.WakeAt() - now).count()));
        glfwWaitEventsTimeout(timeout);
    }
    app.SaveSettings();
    if (ImGui::GetIO().IniFilename)
        ImGui::SaveIniSettingsToDisk(ImGui::GetIO().IniFilename);
}

std::vector<uint8_t> GlfwPlatform::ReadPixels(int& width, int& height)
{
    glfwGetFramebufferSize(m_window, &width, &height);
    std::vector<uint8_t> pixels(static_cast<size_t>(width) * static_cast<size_t>(height) * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    FlipRows(pixels, width, height);
    for (size_t i = 3; i < pixels.size(); i += 4)
        pixels[i] = 255; // the window is opaque
    return pixels;
}

std::string GlfwPlatform::Screenshot(App& app, const std::string& path, double timeoutSeconds)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
    int idleFrames = 0;
    for (int frame = 0; std::chrono::steady_clock::now() < deadline; ++frame)
    {
        glfwPollEvents();
        app.Update(std::chrono::steady_clock::now());
        Render(app, true);
        idleFrames = app.Busy() ? 0 : idleFrames + 1;
        if (frame >= 8 && idleFrames >= 4)
            break;
        if (app.Busy())
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // The frame we read: drawn now, read from the back buffer before any swap.
    glfwPollEvents();
    app.Update(std::chrono::steady_clock::now());
    Render(app, false);
    glFinish();
    int width = 0, height = 0;
    std::vector<uint8_t> pixels = ReadPixels(width, height);
    glfwSwapBuffers(m_window);
    return WritePng(path, width, height, pixels);
}

} // namespace dapscope::ui
