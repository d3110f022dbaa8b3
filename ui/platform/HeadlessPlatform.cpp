#include "HeadlessPlatform.hpp"

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <thread>

namespace dapscope::ui
{

HeadlessPlatform::HeadlessPlatform(ImVec2 displaySize) : m_imgui(std::make_unique<ImGuiScope>(""))
{
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = displaySize;
    unsigned char* pixels = nullptr;
    int width = 0, height = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height); // builds the atlas
    io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(1)));
    // The GLFW backend's key map, so tests press GLFW keys.
    io.KeyMap[ImGuiKey_Tab] = GLFW_KEY_TAB;
    io.KeyMap[ImGuiKey_LeftArrow] = GLFW_KEY_LEFT;
    io.KeyMap[ImGuiKey_RightArrow] = GLFW_KEY_RIGHT;
    io.KeyMap[ImGuiKey_UpArrow] = GLFW_KEY_UP;
    io.KeyMap[ImGuiKey_DownArrow] = GLFW_KEY_DOWN;
    io.KeyMap[ImGuiKey_PageUp] = GLFW_KEY_PAGE_UP;
    io.KeyMap[ImGuiKey_PageDown] = GLFW_KEY_PAGE_DOWN;
    io.KeyMap[ImGuiKey_Home] = GLFW_KEY_HOME;
    io.KeyMap[ImGuiKey_End] = GLFW_KEY_END;
    io.KeyMap[ImGuiKey_Insert] = GLFW_KEY_INSERT;
    io.KeyMap[ImGuiKey_Delete] = GLFW_KEY_DELETE;
    io.KeyMap[ImGuiKey_Backspace] = GLFW_KEY_BACKSPACE;
    io.KeyMap[ImGuiKey_Space] = GLFW_KEY_SPACE;
    io.KeyMap[ImGuiKey_Enter] = GLFW_KEY_ENTER;
    io.KeyMap[ImGuiKey_Escape] = GLFW_KEY_ESCAPE;
    io.KeyMap[ImGuiKey_KeyPadEnter] = GLFW_KEY_KP_ENTER;
    io.KeyMap[ImGuiKey_A] = GLFW_KEY_A;
    io.KeyMap[ImGuiKey_C] = GLFW_KEY_C;
    io.KeyMap[ImGuiKey_V] = GLFW_KEY_V;
    io.KeyMap[ImGuiKey_X] = GLFW_KEY_X;
    io.KeyMap[ImGuiKey_Y] = GLFW_KEY_Y;
    io.KeyMap[ImGuiKey_Z] = GLFW_KEY_Z;
    io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
}

HeadlessPlatform::~HeadlessPlatform() = default;

int HeadlessPlatform::Frame(App& app, float deltaSeconds)
{
    ImGuiIO& io = ImGui::GetIO();
    io.DeltaTime = deltaSeconds;
    if (m_clickState == 1)
        io.MouseDown[0] = true;
    else if (m_clickState == 2)
        io.MouseDown[0] = false;
    app.Update(std::chrono::steady_clock::now());
    ImGui::NewFrame();
    app.Draw();
    ImGui::Render();
    const int vertices = ImGui::GetDrawData() ? ImGui::GetDrawData()->TotalVtxCount : 0;
    // Input lasts one frame.
    if (m_releaseKey >= 0)
    {
        io.KeysDown[m_releaseKey] = false;
        if (m_releaseCtrl)
            io.KeyCtrl = false;
        m_releaseKey = -1;
    }
    io.MouseWheel = 0;
    if (m_clickState == 1)
        m_clickState = 2;
    else if (m_clickState == 2)
        m_clickState = 0;
    return vertices;
}

bool HeadlessPlatform::RunUntilIdle(App& app, std::chrono::milliseconds timeout, int minFrames)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int idle = 0;
    for (int frame = 0; std::chrono::steady_clock::now() < deadline; ++frame)
    {
        Frame(app);
        idle = app.Busy() ? 0 : idle + 1;
        if (frame >= minFrames && idle >= 3)
            return true;
        if (app.Busy())
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
}

void HeadlessPlatform::PressKey(int glfwKey, bool ctrl)
{
    ImGuiIO& io = ImGui::GetIO();
    io.KeysDown[glfwKey] = true;
    io.KeyCtrl = ctrl;
    m_releaseKey = glfwKey;
    m_releaseCtrl = ctrl;
}

void HeadlessPlatform::TypeChar(unsigned int c)
{
    ImGui::GetIO().AddInputCharacter(c);
}

void HeadlessPlatform::MoveMouse(ImVec2 position)
{
    ImGui::GetIO().MousePos = position;
}

void HeadlessPlatform::Click(ImVec2 position)
{
    MoveMouse(position);
    m_clickState = 1;
}

void HeadlessPlatform::Wheel(float amount)
{
    ImGui::GetIO().MouseWheel = amount;
}

} // namespace dapscope::ui
