#pragma once
// What every view gets: the open store (if any), the event bus, the shared selection state, background tasks and
// settings. Views read the model through it and change the selection only by posting events.

#include "EventBus.hpp"
#include "Events.hpp"
#include "MessageIndex.hpp"
#include "Settings.hpp"
#include "TaskRunner.hpp"
#include "TraceModel.hpp"
#include "metrics/LiveFigures.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace dapscope::ui
{

// Selection and display options shared by the views (one instance, owned by the App).
struct UiState
{
    int64_t session = 0;                       // session shown (0 = none)
    int64_t message = 0;                       // selected message (0 = none)
    std::string task;                          // task shown in the Tasks view ("" = none)
    bool relativeTime = true;                  // times relative to the session start (else wall clock)
    bool followTail = true;                    // the message table sticks to the newest row while at the bottom
    bool autoSelectNewSessions = false;        // switch to a session as soon as it starts (live capture)
    bool showDetail = true;                    // the detail pane is open
    BottomTab bottomTab = BottomTab::Timeline; // tab in front in the bottom pane
    std::string status;                        // one-line message for the status bar ("" = none)
    std::chrono::steady_clock::time_point statusUntil{}; // when `status` disappears
    std::chrono::steady_clock::time_point wakeAt{};      // a view wants a frame by then (debounce, animation)
};

struct AppContext
{
    EventBus& bus;                                     // typed events between views
    UiState& state;                                    // selection and options
    TaskRunner& tasks;                                 // background jobs
    Settings& settings;                                // persisted options
    TraceModel* model = nullptr;                       // the open store, null when none could be opened
    MessageIndex* index = nullptr;                     // filtered ids of the current session (null without a store)
    std::function<metrics::LiveFigures()> liveFigures; // the embedded proxy's figures (empty when not capturing)
    // The embedded proxy's control endpoint: one request, its answer (cli/ControlServer's protocol; empty when not
    // capturing). It may wait (inject): call it off the UI thread.
    std::function<boost::json::object(const boost::json::object&)> control;

    // Ask for a frame at `when` even if nothing else happens (the loop sleeps when idle).
    void WakeAt(std::chrono::steady_clock::time_point when)
    {
        if (state.wakeAt == std::chrono::steady_clock::time_point{} || when < state.wakeAt)
            state.wakeAt = when;
    }

    // Show a message in the status bar for a few seconds.
    void Notify(const std::string& text, std::chrono::seconds duration = std::chrono::seconds(6))
    {
        state.status = text;
        state.statusUntil = std::chrono::steady_clock::now() + duration;
    }
};

} // namespace dapscope::ui
