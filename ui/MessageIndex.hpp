#pragma once
// The filtered index of a session's messages (Tracy's message index vector): the ids of the messages that pass
// the filter, in id order. A background job fills it window by window (first rows within milliseconds, the
// rest while the user already scrolls), and continues from where it stopped when the store grows (Poke).
// The table draws over it with ImGuiListClipper and fetches only the visible rows.

#include "Loader.hpp"
#include "TaskRunner.hpp"
#include "storage/TraceReader.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::ui
{

class MessageIndex
{
  public:
    MessageIndex(TaskRunner& tasks, std::string storePath);

    // Start over for another session or filter (session 0 = empty index).
    void Reset(int64_t session, const storage::MessageFilter& filter);
    // The store grew: scan the new messages once the current scan is done.
    void Poke();

    int64_t Session() const { return m_session; }
    const storage::MessageFilter& Filter() const { return m_filter; }
    const std::vector<int64_t>& Ids() const { return m_ids; }
    size_t Size() const { return m_ids.size(); }
    // Scanning (the index may still grow without the store changing).
    bool Scanning() const { return m_scanning; }
    // Fraction of the session's id range scanned so far by the current scan.
    float Progress() const { return m_progress; }
    // Position of `id` in the index, if it passed the filter.
    std::optional<size_t> Position(int64_t id) const;
    // Bumped when the index was reset (the table drops its scroll anchor).
    uint64_t Generation() const { return m_generation; }
    // Last error of a scan ("" when fine).
    const std::string& Error() const { return m_error; }

  private:
    void StartScan();

    std::string m_path;                // the store
    int64_t m_session = 0;             // session indexed (0 = none)
    storage::MessageFilter m_filter;   // filter applied
    std::vector<int64_t> m_ids;        // matching ids, ascending
    int64_t m_scannedTo = 0;           // every id <= this was examined
    uint64_t m_generation = 0;         // bumped by Reset
    bool m_scanning = false;           // a scan job runs
    bool m_pokedWhileScanning = false; // new data arrived during the scan: scan again after it
    float m_progress = 0;              // of the running scan
    std::string m_error;               // last scan failure
    std::shared_ptr<TaskState> m_job;  // the running scan
    Loader m_loader;                   // runs the scans; drops the results of those started before a Reset (last)
};

} // namespace dapscope::ui
