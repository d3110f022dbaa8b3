#pragma once
// The events views exchange through the EventBus. Each is a request or a notification, named for what it does.

#include <cstdint>
#include <string>

namespace dapscope::ui
{

// The tabs of the bottom pane.
enum class BottomTab
{
    Timeline,
    Tasks,
    Stats,
    Compare,
    Intercept,
};

// Show this session (0 = none) in the message table, the timeline, the tasks and the stats.
struct SelectSession
{
    int64_t session = 0;
};

// Select a message of the current session (switching session first when it belongs to another one).
struct SelectMessage
{
    int64_t message = 0;
    bool reveal = true; // scroll the table so that the row is visible
};

// Show a task in the Tasks view.
struct SelectTask
{
    std::string task;
};

// Compare session `a` with session `b` in the Compare view (and bring it forward).
struct CompareSessions
{
    int64_t a = 0;
    int64_t b = 0;
};

// Enter on a row: bring the detail pane forward and give it the keyboard.
struct OpenDetail
{
};

// `/` or Ctrl+F: put the keyboard in the filter bar's text field.
struct FocusFilter
{
};

// Bring a tab of the bottom pane forward.
struct ShowTab
{
    BottomTab tab = BottomTab::Timeline;
};

// Resend: put this captured request into the Intercept view's composer, for `session` (and bring it forward).
struct ComposeRequest
{
    std::string request;
    int64_t session = 0;
};

// Another connection committed to the store (new messages, sessions started or ended).
struct StoreChanged
{
    bool sessionsChanged = false; // the sessions table changed (new, ended, counters)
};

// A different store was opened: views drop everything they hold.
struct StoreOpened
{
    std::string path;
};

} // namespace dapscope::ui
