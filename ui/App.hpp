#pragma once
// The application, independent of any window system: it owns the store model, the views (registered in one list
// in App.cpp), the event bus and the background tasks, and builds one ImGui frame per Draw(). The platform layer
// (platform/GlfwPlatform for the desktop, platform/HeadlessPlatform for tests and the benchmark) creates the ImGui
// context and calls Update() and Draw() around NewFrame() / Render().

#include "AppContext.hpp"
#include "View.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::ui
{

class OpenStoreDialog;
class ExportDialog;

struct AppOptions
{
    std::string storePath;                             // store to open at start ("" = none)
    std::string configFolder;                          // settings folder ("" = nothing persisted: tests, screenshots)
    int64_t session = 0;                               // session to show at start (0 = the newest)
    int64_t select = 0;                                // message to select at start (0 = none)
    std::optional<BottomTab> tab;                      // bottom tab to bring forward
    int64_t compare = 0;                               // compare the session shown with this one at start (0 = none)
    std::string captureInfo;                           // embedded proxy: "ws://127.0.0.1:5566 -> ws://engine:5565"
    std::function<size_t()> openSessions;              // embedded proxy: sessions open right now
    std::function<metrics::LiveFigures()> liveFigures; // embedded proxy: its traffic figures now
    std::function<boost::json::object(const boost::json::object&)> control; // embedded proxy: its control endpoint
};

class App
{
  public:
    // `wake` asks the platform for a frame soon; it may be called from any thread.
    App(AppOptions options, std::function<void()> wake);
    ~App();

    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Before NewFrame(): run what background jobs handed back, follow the store. True when something changed
    // (the platform then draws a frame even without input).
    bool Update(std::chrono::steady_clock::time_point now);
    // Between NewFrame() and Render().
    void Draw();

    // Background work that changes what is shown is still going on (screenshots wait for it).
    bool Busy() const;
    // When a view wants the next frame at the latest (time_point{} = no wish).
    std::chrono::steady_clock::time_point WakeAt() const { return m_state.wakeAt; }
    bool QuitRequested() const { return m_quit; }
    void SaveSettings();

    // Open another store; throws storage::StoreError, or what reading it threw (the current store stays open).
    void OpenStore(const std::string& path);

    AppContext& Context() { return m_context; }
    const UiState& State() const { return m_state; }
    template <class T> T* FindView()
    {
        for (auto& view : m_views)
            if (auto* v = dynamic_cast<T*>(view.get()))
                return v;
        return nullptr;
    }
    ExportDialog& Export() { return *m_export; }

  private:
    void RegisterViews();
    void OnSelectSession(int64_t session);
    void OnSelectMessage(int64_t message);
    void SelectInitial();
    void FollowStore(std::chrono::steady_clock::time_point now);
    void HandleShortcuts();
    void DrawMenuBar();
    void DrawLayout();
    void DrawBottomTabs(ImVec2 size);
    void DrawStatusBar();
    void DrawHelp();
    void LoadLayout();
    void StoreLayout();

    AppOptions m_options;
    std::function<void()> m_wake;
    Settings m_settings;                                  // persisted options
    EventBus m_bus;                                       // typed events
    UiState m_state;                                      // selection and display options
    TaskRunner m_tasks;                                   // background jobs
    std::unique_ptr<TraceModel> m_model;                  // the open store
    std::unique_ptr<MessageIndex> m_index;                // filtered ids of the current session
    AppContext m_context;                                 // handed to the views
    std::vector<std::unique_ptr<View>> m_views;           // every view, in registration order
    std::unique_ptr<OpenStoreDialog> m_open;              // File > Open
    std::unique_ptr<ExportDialog> m_export;               // Session > Export
    std::string m_storeError;                             // why the store could not be opened
    bool m_quit = false;                                  // File > Quit
    bool m_showHelp = false;                              // the keyboard help window
    bool m_currentLive = false;                           // the current session was live at the last poll
    float m_topFraction = 0.18f;                          // sessions height / window height
    float m_sideFraction = 0.34f;                         // detail width / window width
    float m_bottomFraction = 0.42f;                       // bottom tabs height / centre height
    std::optional<BottomTab> m_requestTab;                // bring this tab forward at the next frame
    std::chrono::steady_clock::time_point m_lastStatus{}; // status message expiry already handled
};

} // namespace dapscope::ui
