#pragma once
// serve-replay, sans-io: a capture acting as the engine. ServeScript indexes the recording once (requests, and
// what the engine sent after each); every connection gets its own ServeSession, which matches incoming requests
// to recorded ones and schedules the recorded answers with this connection's seq numbers. The glue
// (ReplayServer.cpp) owns the sockets and the timers.

#include "Recording.hpp"
#include "Remap.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dapscope::replay
{

struct ServedMessage
{
    bool binary = false; // binary WebSocket message
    std::string bytes;   // the whole message
};

class ServeScript
{
  public:
    explicit ServeScript(const Recording& recording);

    size_t Requests() const { return m_entries.size(); }
    // One line per redacted value the engine sent that no client value corresponds to: those are served as
    // the marker (serve-replay prints them at start-up).
    const std::vector<std::string>& Notes() const { return m_notes; }

  private:
    friend class ServeSession;

    // A recorded engine message and when it came after the request that triggered it.
    struct Reply
    {
        size_t frame = 0;      // index in m_frames
        int64_t delayNs = 0;   // captured time after the request (after the session start for the greeting)
        bool response = false; // the response to that request (request_seq is rewritten)
    };

    // A recorded request and what the engine sent for it: its response and the events up to the next request.
    struct Entry
    {
        std::string command;        // request command
        std::string subcommand;     // arguments.subcommand
        Frame request;              // the recorded request
        std::vector<Reply> replies; // in captured order
        bool answered = false;      // one of the replies is its response
    };

    std::vector<Frame> m_frames;                                    // the engine's recorded messages, parsed
    std::vector<Entry> m_entries;                                   // recorded requests, in order
    std::vector<Reply> m_greeting;                                  // engine messages before the first request
    std::map<std::pair<std::string, std::string>, size_t> m_listOf; // (command, subcommand) -> m_lists index
    std::vector<std::vector<size_t>> m_lists;                       // entries with that command, in order
    std::vector<std::string> m_notes;                               // markers served as they are
};

class ServeSession
{
  public:
    // `timing` scales the captured delays (0 = answer at once, 1 = as captured).
    ServeSession(const ServeScript& script, double timing);

    void OnOpen(int64_t nowNs);
    void OnMessage(int64_t nowNs, bool binary, std::string_view bytes);
    // Messages due by now, in order, numbered with this connection's seq.
    std::vector<ServedMessage> TakeDue(int64_t nowNs);
    // When the next message is due, if any is scheduled.
    std::optional<int64_t> NextDueNs() const;

  private:
    struct Pending
    {
        const Frame* recorded = nullptr;   // the recorded message to send, or nullptr: send `error`
        std::optional<int64_t> requestSeq; // a response: the seq of the request it answers now
        json::value error;                 // a response made up here (no recorded counterpart)
    };

    size_t Match(const std::string& command, const std::string& subcommand, const Frame& live);
    size_t Distance(const json::value& recorded, const json::value& live) const;
    void Schedule(int64_t dueNs, Pending pending);
    void Refuse(int64_t nowNs, std::optional<int64_t> seq, std::string_view command, std::string message);

    const ServeScript& m_script;
    double m_timing;                                         // scale of captured delays
    std::vector<bool> m_used;                                // recorded requests already answered on this connection
    std::vector<size_t> m_cursor;                            // per m_lists entry: first position maybe unused
    Remap m_remap;                                           // capture -> now: values this client presents
    int64_t m_seq = 0;                                       // this connection's server seq
    uint64_t m_order = 0;                                    // ties in due time keep scheduling order
    std::map<std::pair<int64_t, uint64_t>, Pending> m_queue; // scheduled messages by (due, order)
};

} // namespace dapscope::replay
