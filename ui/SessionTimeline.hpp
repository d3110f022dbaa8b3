#pragma once
// The data of a session's timeline, built from its messages in id order (a background job for the bulk, the UI
// thread for the few new ones of a live session):
// - requests (DAP and HTTP) become spans from the request's first byte to the response's first byte, one lane per
//   concurrently open request (the lowest free lane is reused), sorted by start inside each lane, so a lane can
//   be culled with lower_bound on the span ends;
// - events (and control / malformed frames, orphan and interim responses) become ticks;
// - silences longer than 15 s (no message, not even a pong) become gaps.

#include <cstdint>
#include <limits>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

namespace dapscope::ui
{

// The columns the timeline needs from one message.
struct TimelineRow
{
    int64_t id = 0;
    int64_t tsNs = 0;
    int kind = 0;       // inspector::Kind
    int state = 0;      // inspector::ExchangeState
    int64_t pairId = 0; // 0 = none
    int success = -1;   // -1 unknown, 0, 1 (HTTP responses: status below 400)
    std::string label;  // "command subcommand", event name, "POST /task", "404 Not Found"
};

enum class SpanStatus : uint8_t
{
    Ok,
    Failed,
    Pending,    // no response yet
    Unanswered, // the session ended first
};

struct TimelineSpan
{
    int64_t start = 0;    // request first byte
    int64_t end = 0;      // response first byte; kOpenEnd while pending
    int64_t request = 0;  // request message id
    int64_t response = 0; // response message id (0 = none)
    uint32_t label = 0;   // index into labels
    SpanStatus status = SpanStatus::Pending;
};

struct TimelineTick
{
    int64_t ts = 0;
    int64_t id = 0;
    uint32_t label = 0;
    uint8_t kind = 0; // inspector::Kind
};

struct TimelineGap
{
    int64_t from = 0; // last message before the silence
    int64_t to = 0;   // first message after it
};

class SessionTimeline
{
  public:
    static constexpr int64_t kOpenEnd = std::numeric_limits<int64_t>::max();
    static constexpr int64_t kGapNs = 15'000'000'000; // keep-alive gap threshold

    explicit SessionTimeline(int64_t session = 0, int64_t startedNs = 0) : m_session(session), m_first(startedNs) {}

    // Feed rows in id order.
    void Add(const TimelineRow& row);

    int64_t Session() const { return m_session; }
    int64_t LastId() const { return m_lastId; }
    int64_t First() const { return m_first; }
    int64_t Last() const { return m_last; }
    size_t Messages() const { return m_messages; }
    const std::vector<std::vector<TimelineSpan>>& Lanes() const { return m_lanes; }
    const std::vector<TimelineTick>& Events() const { return m_events; }
    const std::vector<TimelineTick>& Others() const { return m_others; }
    const std::vector<TimelineGap>& Gaps() const { return m_gaps; }
    const std::string& Label(uint32_t index) const { return m_labels[index]; }
    size_t SpanCount() const { return m_spans; }

  private:
    uint32_t Intern(const std::string& label);

    int64_t m_session = 0;                                           // the session
    int64_t m_first = 0;                                             // session start (ns)
    int64_t m_last = 0;                                              // last message (ns)
    int64_t m_lastId = 0;                                            // last message id fed
    size_t m_messages = 0;                                           // rows fed
    size_t m_spans = 0;                                              // spans in all lanes
    std::vector<std::vector<TimelineSpan>> m_lanes;                  // spans per lane, by start
    std::vector<TimelineTick> m_events;                              // events, by ts
    std::vector<TimelineTick> m_others;                              // control and malformed frames, by ts
    std::vector<TimelineGap> m_gaps;                                 // silences > kGapNs
    std::vector<std::string> m_labels;                               // interned labels
    std::unordered_map<std::string, uint32_t> m_labelIndex;          // label -> index
    std::unordered_map<int64_t, std::pair<uint32_t, size_t>> m_open; // open request id -> (lane, index)
    std::priority_queue<uint32_t, std::vector<uint32_t>, std::greater<>> m_freeLanes; // lowest free lane first
};

} // namespace dapscope::ui
