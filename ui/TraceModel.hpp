#pragma once
// The UI thread's view of one trace store (Tracy's Worker data, read side only): the session list, the rows of
// the messages the table shows, and payloads on demand, all through one read-only connection. Only cheap
// queries run here (primary-key lookups, the sessions table, PRAGMA data_version); scans of a session run in
// background jobs with their own connections (MessageIndex, TimelineModel, TasksModel, StatsModel).

#include "storage/TraceReader.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace dapscope::ui
{

class TraceModel
{
  public:
    // Opens read-only; throws storage::StoreError with a one-line message.
    explicit TraceModel(const std::string& storePath);

    const std::string& Path() const { return m_path; }

    // Has another connection committed since the last call? Checked at most every `interval`
    // (PRAGMA data_version: no I/O beyond the WAL index). Reloads the sessions when something changed.
    bool PollChanges(std::chrono::steady_clock::time_point now,
                     std::chrono::milliseconds interval = std::chrono::milliseconds(250));
    void ReloadSessions();

    const std::vector<storage::SessionSummary>& Sessions() const { return m_sessions; }
    const storage::SessionSummary* Session(int64_t id) const;
    // Bumped whenever the session list was reloaded with different content.
    uint64_t SessionsVersion() const { return m_sessionsVersion; }

    // Rows of the message table: fetch the ones not cached yet with one query, then read them.
    void Prefetch(std::span<const int64_t> ids);
    const storage::MessageSummary* Row(int64_t id) const;
    // Forget cached rows (a live session's rows change: pending requests get answered, tasks get linked).
    void InvalidateRows() { m_rows.clear(); }
    size_t CachedRows() const { return m_rows.size(); }

    // One message with its stored bytes (the detail pane; large payloads go through a background job instead).
    std::optional<storage::MessageSummary> Message(int64_t id);
    std::string MessageData(int64_t id) { return m_reader->MessageData(id); }

    storage::TraceReader& Reader() { return *m_reader; }

    static constexpr size_t kMaxCachedRows = 16384;

  private:
    std::string m_path;                                          // the store
    std::unique_ptr<storage::TraceReader> m_reader;              // the UI thread's read-only connection
    std::vector<storage::SessionSummary> m_sessions;             // by id
    uint64_t m_sessionsVersion = 0;                              // bumped when m_sessions changed
    int64_t m_dataVersion = -1;                                  // last PRAGMA data_version seen
    std::chrono::steady_clock::time_point m_lastPoll{};          // when data_version was last read
    std::unordered_map<int64_t, storage::MessageSummary> m_rows; // row cache by message id
};

} // namespace dapscope::ui
