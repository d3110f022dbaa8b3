#pragma once
// The filter bar above the message table: direction, kind, command, event, task, failed only, latency above,
// free text, and the scope (this session or all sessions). It only edits a storage::MessageFilter; the MessageIndex
// runs it in SQL on a background job. Suggestions for command / event / task come from the session itself
// (TraceReader::DistinctNames, in the background).

#include "ui/AppContext.hpp"
#include "ui/Loader.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::ui
{

class FilterBar
{
  public:
    explicit FilterBar(AppContext& context);

    // Draw (two lines; the second ends `reserveRight` pixels before the right edge, for the caller's widgets);
    // returns the filter to apply when it changed (text edits are applied after a short pause).
    std::optional<storage::MessageFilter> Draw(float reserveRight);
    // Put the keyboard in the text field at the next Draw.
    void Focus() { m_focusText = true; }
    // Load suggestions for another session.
    void SetSession(int64_t session);
    // Replace the filter (context menu "filter by ..."); applied at the next Draw.
    void Set(const storage::MessageFilter& filter);
    const storage::MessageFilter& Current() const { return m_filter; }
    // Scope: the current session (false) or every session of the store (true, "All sessions"). A change of scope
    // is handed out by Draw like a change of filter.
    bool AllSessions() const { return m_allSessions; }
    void SetAllSessions(bool all);

  private:
    bool SuggestInput(const char* id, const char* hint, std::string& value, const std::vector<std::string>& options,
                      float width);
    storage::MessageFilter Build() const;
    void LoadSuggestions();

    AppContext& m_ctx;
    storage::MessageFilter m_filter;                    // filter last handed out
    int m_dir = 0;                                      // combo: 0 any, 1 c2s, 2 s2c
    int m_kind = 0;                                     // combo: 0 any, then inspector::Kind + 1
    std::string m_command;                              // exact command
    std::string m_event;                                // exact event
    std::string m_task;                                 // exact task id
    bool m_failedOnly = false;                          // failures, malformed, unanswered, orphans
    bool m_allSessions = false;                         // scope: every session
    bool m_appliedAllSessions = false;                  // scope last handed out
    float m_minLatencyMs = 0;                           // 0 = no bound
    std::string m_text;                                 // substring of the JSON
    bool m_focusText = false;                           // focus request for the text field
    bool m_pending = false;                             // edited, not applied yet
    bool m_applyNow = false;                            // apply at the end of this Draw
    std::chrono::steady_clock::time_point m_editedAt{}; // last text edit (debounce)
    int64_t m_session = 0;                              // session of the suggestions
    bool m_suggestionsLoaded = false;                   // the suggestion job ran for m_session
    std::vector<std::string> m_commands;                // suggestions
    std::vector<std::string> m_events;                  // suggestions
    std::vector<std::string> m_tasks;                   // suggestions
    Loader m_loader;                                    // loads the suggestions (last member)
};

} // namespace dapscope::ui
