#pragma once
// Session > Export (Ctrl+E): the current session to HAR (Chrome DevTools opens it) or JSONL, written by
// storage::ExportSessions on a background job with a progress bar; the dialog may be closed meanwhile (the status
// bar keeps the progress).

#include "ui/AppContext.hpp"
#include "ui/Loader.hpp"

#include <memory>
#include <string>

namespace dapscope::ui
{

class ExportDialog
{
  public:
    explicit ExportDialog(AppContext& context);

    void Open(int64_t session);
    void Draw();
    bool IsOpen() const { return m_open; }
    bool Running() const { return m_job && !m_job->finished; }
    // Result of the last export ("" while none finished).
    const std::string& LastResult() const { return m_result; }
    // Start an export without the dialog (tests, scripts).
    void Start(int64_t session, bool har, const std::string& path);

  private:
    std::string DefaultPath(bool har) const;

    AppContext& m_ctx;
    bool m_open = false;              // the modal is shown
    bool m_justOpened = false;        // OpenPopup next Draw
    int64_t m_session = 0;            // session to export
    int m_format = 0;                 // 0 HAR, 1 JSONL
    std::string m_path;               // output file
    bool m_pathEdited = false;        // keep the user's path when the format changes
    std::shared_ptr<TaskState> m_job; // running or last export
    std::string m_result;             // "Exported ... to ..." or the error
    bool m_failed = false;            // m_result is an error
    Loader m_loader;                  // runs the export (last member)
};

} // namespace dapscope::ui
