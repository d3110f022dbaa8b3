#pragma once
// An export's output file: created 0600 (or stdout for "-"), written through a buffer, removed again if the export
// fails before Finish(). Exports hold traffic, so they are never world-readable.

#include <string>
#include <string_view>

namespace dapscope::storage
{

class ExportFile
{
  public:
    explicit ExportFile(const std::string& path); // throws std::runtime_error naming the file
    ExportFile(const ExportFile&) = delete;
    ExportFile& operator=(const ExportFile&) = delete;
    ~ExportFile();

    void Write(std::string_view text);
    // Everything is written: the file stays.
    void Finish();

  private:
    void Flush();
    [[noreturn]] void Fail(const char* what) const;

    std::string m_path;      // "" for stdout
    int m_fd = -1;           // the open file
    bool m_regular = false;  // a regular file (removed again if the export fails)
    bool m_finished = false; // Finish() ran
    std::string m_buffer;    // bytes not written yet
};

} // namespace dapscope::storage
