#pragma once
// The data of the Compare view: two sessions of the open store loaded as replay::Recording and compared by
// replay::DiffSessions (the engine of `dapscope diff`) on the task runner; compared again at most every 2 s while
// either session is still live.

#include "AppContext.hpp"
#include "Loader.hpp"
#include "replay/SessionDiff.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace dapscope::ui
{

class CompareModel
{
  public:
    explicit CompareModel(AppContext& context);
    ~CompareModel() { m_ctx.bus.Unsubscribe(this); }

    CompareModel(const CompareModel&) = delete;
    CompareModel& operator=(const CompareModel&) = delete;

    // Compare session `a` with session `b` (drops the report shown, loads the new one).
    void Compare(int64_t a, int64_t b);
    // Per frame: compare again when a live session of the pair grew.
    void Update();

    int64_t A() const { return m_a; } // 0 = nothing to compare
    int64_t B() const { return m_b; }
    bool Loading() const { return m_loading; }
    const std::string& Error() const { return m_error; }
    // The comparison of A and B (null while loading or after an error).
    const replay::DiffReport* Report() const { return m_report.get(); }
    // The sessions the report compares (null while there is no report): their messages, for the JSON of a row.
    const replay::Recording* RecordingA() const { return m_recordingA.get(); }
    const replay::Recording* RecordingB() const { return m_recordingB.get(); }
    // Bumped when a new report arrived.
    uint64_t ReportVersion() const { return m_reportVersion; }

  private:
    void Reset();
    void Load();
    bool PairIsLive() const;

    AppContext& m_ctx;
    int64_t m_a = 0, m_b = 0;                                            // the pair compared
    std::unique_ptr<replay::DiffReport> m_report;                        // of m_a and m_b
    std::shared_ptr<const replay::Recording> m_recordingA, m_recordingB; // what m_report compares
    std::string m_error;                                                 // why they could not be compared
    bool m_loading = false;                                              // a comparison is running
    bool m_stale = false;                                                // a live session of the pair grew
    std::chrono::steady_clock::time_point m_lastLoad{};                  // throttles comparisons of live sessions
    uint64_t m_reportVersion = 0;                                        // bumped when m_report is replaced
    Loader m_loader;                                                     // runs the comparisons (last member)
};

} // namespace dapscope::ui
