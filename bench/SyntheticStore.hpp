#pragma once
// Stores for the GUI benchmark and the GUI tests, made the way capture makes them: a real capture (MakeDemoStore),
// and big or growing sessions made of copies of a captured session's messages, written through the recorder's own
// path (storage::Ingestor + TraceWriter), so rows, block summaries and session totals are what capture writes.

#include "storage/Ingestor.hpp"
#include "storage/TraceWriter.hpp"

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace dapscope::bench
{

// A real capture, made in this process like `dapscope demo`: mock engine, capturing proxy, scripted SDK sessions.
// Returns "" or an error.
std::string MakeDemoStore(const std::string& storePath, int sessions = 1);

// Appends copies of a session's messages (the template) at the end of a session of the same store, as if capture
// had seen that traffic again: one copy after the other, 1 ms apart, each copy with a task id of its own. Messages
// are decoded whole; stored bytes over 2 KiB are truncated and flagged, so a big session stays a realistic size per
// message. Holds the store's single writer connection while it lives.
class SessionCopier
{
  public:
    // The template: the first `maxMessages` messages of `templateSession` as they are now. The copies go to
    // `session`. Throws storage::StoreError or SQLite::Exception.
    SessionCopier(const std::string& storePath, int64_t templateSession, int64_t session,
                  int64_t maxMessages = std::numeric_limits<int64_t>::max());

    // Append `copies` copies of the template, in one transaction. Returns the messages added.
    int64_t Append(int64_t copies);
    // Mark the session ended (1 ms after its last message) or live again. Capture never reopens a session; the
    // GUI benchmark browses a finished session first, then follows it as if capture had resumed.
    void SetEnded(bool ended);
    int64_t TemplateMessages() const { return static_cast<int64_t>(m_template.size()); }

  private:
    struct Message
    {
        inspector::Direction dir = inspector::Direction::ClientToServer;
        inspector::Opcode opcode = inspector::Opcode::Text;
        int64_t offsetNs = 0;   // from the template's first message
        uint64_t size = 0;      // as received
        bool truncated = false; // the stored bytes are a prefix
        std::string bytes;      // as stored
    };

    // The Ingestor's batch, written to m_session: the ops of the session it opened are redirected there.
    void Flush();

    int64_t m_session;                       // where the copies go
    std::vector<Message> m_template;         // what a copy holds
    std::vector<std::string> m_taskPrefixes; // 8-character task id prefixes in the template ("a39dd3f6")
    int64_t m_spanNs = 0;                    // template length + 1 ms: one copy after the other
    int64_t m_nextNs = 0;                    // where the next copy starts
    int64_t m_lastNs = 0;                    // last message written
    int64_t m_copies = 0;                    // copies written (tells their task ids apart)
    int64_t m_blockOffset = 0;               // block summaries of the session before the copies
    SQLite::Database m_db;                   // the single writer connection
    storage::TraceWriter m_writer;
    storage::Ingestor m_ingestor;
};

// Grow `session` (its own messages are the template) to at least `target` messages, then mark it ended.
// `progress(done, total)` is called after each transaction. Returns the messages added.
int64_t GrowSession(const std::string& storePath, int64_t session, int64_t target,
                    const std::function<void(int64_t, int64_t)>& progress = {});

} // namespace dapscope::bench
