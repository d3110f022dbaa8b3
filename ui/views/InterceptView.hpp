#pragma once
// Intercept, while dapscope-ui captures (--listen): what a person does to live traffic, like Burp's intercept and
// Repeater. Left, the messages breakpoints hold, with their age; the selected one's JSON is editable in place and
// validated before it goes (Forward, Forward edited, Drop), and a field adds a breakpoint on a command. Right,
// Compose: a request sent into a live session, whose answer is shown here (the SDK never sees it). Everything goes
// through the embedded proxy's control endpoint (AppContext::control); calls that may wait run off the UI thread.

#include "ui/View.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dapscope::ui
{

class InterceptView : public View
{
  public:
    struct HeldRow
    {
        uint64_t id = 0;
        int64_t session = 0;
        std::string dir;  // c2s / s2c
        std::string rule; // the breakpoint that holds it
        int64_t ageMs = 0;
        int64_t releasesInMs = 0; // it goes on by itself then
        std::string message;      // as received
    };

    explicit InterceptView(AppContext& context);

    void Update() override;
    bool Busy() const override { return m_pending > 0; }

    // What the buttons do.
    void Forward(size_t row, bool edited); // edited: the editor's text, if it is a JSON object
    void Drop(size_t row);
    void AddBreakpoint(const std::string& command, const std::string& dir);
    void Send();
    // Put a request into Compose (Resend on a captured request), for `session`.
    void Compose(const std::string& request, int64_t session);

    const std::vector<HeldRow>& Held() const { return m_held; }
    std::string& Editor(uint64_t id) { return m_editors[id]; }
    const std::string& Problem() const { return m_problem; } // why the last action was refused ("" = none)
    const std::string& Answer() const { return m_answer; }   // the last injected request's answer
    std::string& ComposeText() { return m_compose; }
    int64_t& ComposeSession() { return m_composeSession; }

  protected:
    void DrawContent() override;

  private:
    void DrawHeld();
    void DrawCompose();
    void Refresh();
    // Ask the control endpoint off the UI thread; `done` gets the answer on the UI thread.
    void Ask(boost::json::object request, std::function<void(const boost::json::object&)> done);

    std::vector<HeldRow> m_held;
    std::map<uint64_t, std::string> m_editors; // by held id: what the person typed
    size_t m_selected = 0;
    std::string m_breakCommand;
    int m_breakDir = 0; // 0 c2s, 1 s2c, 2 both
    std::string m_compose;
    int64_t m_composeSession = 0;
    std::string m_answer;
    std::string m_problem;
    int m_pending = 0; // control calls in flight
    std::chrono::steady_clock::time_point m_refreshedAt{};
    Lifetime m_lifetime; // last: callbacks of calls in flight see it expire
};

} // namespace dapscope::ui
