#pragma once
// Client replay, sans-io (like mitmproxy's layers): fed the capture, the clock and what the engine sends, it
// says what to send and when, and builds the report. No sockets, threads or clocks in here; the glue
// (ClientReplay.cpp) owns the connection.
//
// Order. Client messages go in their captured order. Each waits for every response that had reached the proxy
// before the client sent it in the capture: those are the answers the client could have used (a task token, a
// pipe_id, a store handle, the outcome of the previous write on its pipe), so dependencies are always met,
// and requests the client pipelined stay pipelined. Everything after an `auth` waits for its response.
// Timing adds the captured gaps (scaled) on top; asap sends each message as soon as it may go.

#include "Recording.hpp"
#include "Remap.hpp"
#include "Report.hpp"
#include "inspector/KnownSecrets.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dapscope::replay
{

struct ReplayOptions
{
    double timing = 0;                  // captured gaps times this: 0 = asap, 1 = original timing
    int64_t timeoutNs = 30'000'000'000; // longest wait for one response
    std::string apiKey;                 // replaces the capture's redacted API key ("" = none given)
    bool allowMarkers = false;          // send redacted values nothing can replace as they are
};

struct OutgoingMessage
{
    bool binary = false; // binary WebSocket message
    std::string bytes;   // the whole message
};

struct ReplayStep
{
    std::vector<OutgoingMessage> send;                     // to send now, in order
    std::optional<std::pair<uint16_t, std::string>> close; // then close the connection (code, reason)
    int64_t wakeNs = 0;                                    // call Poll again by then, or when a message comes
    bool finished = false;                                 // nothing left to do: take the report
};

class Replayer
{
  public:
    // Throws ReplayError when the capture cannot be replayed as asked (a redacted value nothing replaces, a
    // message not stored in full): checked before anything is sent.
    Replayer(const Recording& recording, ReplayOptions options);

    ReplayStep Poll(int64_t nowNs);
    void OnMessage(int64_t nowNs, bool binary, std::string_view bytes);
    void OnClosed(int64_t nowNs, uint16_t code, std::string_view reason);

    size_t Requests() const { return m_report.requests.size(); }
    size_t Settled() const { return m_settledRequests; }
    // The report; call once Poll said finished.
    ReplayReport TakeReport();

  private:
    static constexpr size_t kNone = SIZE_MAX;

    // One client message of the capture.
    struct Item
    {
        size_t message = 0;             // index in the recording
        Frame frame;                    // its recorded bytes, parsed (released once sent)
        std::optional<size_t> response; // index of its recorded response, if it had one
        size_t result = kNone;          // its row in the report (requests only)
        size_t waitFor = 0;             // recorded responses (in capture order) that must settle before it goes
        std::string scope;              // recorded task token its pipe ids belong to
        int64_t seq = 0;                // its DAP seq (kept from the capture)
        int64_t sentNs = -1;            // when it was sent now (-1: not yet)
        int64_t settledNs = -1;         // when it was answered or given up (-1: not yet)
    };

    enum class Phase : uint8_t
    {
        Sending,  // client messages still to send or answers awaited
        Draining, // everything answered: waiting for the events still expected
        Closing,  // close sent: waiting for the connection to end
        Done,
    };

    void Plan();
    void CheckSecrets();
    bool Send(Item& item, int64_t nowNs, ReplayStep& step);
    void Settle(Item& item, int64_t nowNs);
    void Compare(Item& item, const Frame& live, int64_t nowNs);
    void ExpireTimeouts(int64_t nowNs);
    void Abort(std::string reason);
    int64_t Due(const Item& item) const;
    int64_t CloseDue() const;
    int64_t Scaled(int64_t gapNs) const;
    bool EventsComplete() const;
    std::string Describe(const Item& item) const;

    const Recording& m_recording;
    ReplayOptions m_options;
    std::vector<Item> m_items;            // client messages in captured order
    std::vector<size_t> m_responseOrder;  // items with a recorded response, in the order those responses came
    std::optional<std::pair<uint16_t, std::string>> m_recordedClose; // the client's close frame, if captured
    int64_t m_recordedCloseTs = 0;                                   // and when it came
    std::string m_keyMarker;           // marker of the first auth credential (the original API key), if redacted
    Remap m_remap;                     // capture -> now: ids handed out again, secrets given now
    inspector::KnownSecrets m_secrets; // the key given now and credentials the engine answers with: never reported

    Phase m_phase = Phase::Sending;
    int64_t m_startNs = -1;                     // first Poll
    size_t m_next = 0;                          // next item to send
    size_t m_settledPrefix = 0;                 // leading entries of m_responseOrder settled
    size_t m_settledRequests = 0;               // request items answered or given up
    std::deque<size_t> m_inFlight;              // sent items the capture has an answer for, in send order
    std::multimap<int64_t, size_t> m_awaiting;  // requests sent and not answered, by seq
    int64_t m_lastSentNs = -1;                  // when the last item went
    int64_t m_lastSentRecordedNs = 0;           // its captured time
    int64_t m_drainStartNs = 0;                 // when Draining began
    int64_t m_closeSentNs = 0;                  // when the close went
    bool m_closeRequested = false;              // the next Poll closes the connection
    bool m_connectionClosed = false;            // the connection is gone
    std::map<std::string, EventCount> m_events; // per event name, then and now
    ReplayReport m_report;                      // built as answers come
};

} // namespace dapscope::replay
