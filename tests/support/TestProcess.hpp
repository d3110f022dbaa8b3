#pragma once
// Run dapscope's own executables from tests: spawn with arguments, read their stdout line by line with a
// timeout, signal them, wait for their exit, and read their peak memory.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::test
{

class TestProcess
{
  public:
    // argv[0] is a path; extra environment entries "NAME=value" are added to the inherited environment.
    // With mergeStderr, the process's stderr goes to the same pipe as its stdout (for tests of its messages).
    explicit TestProcess(std::vector<std::string> argv, std::vector<std::string> env = {}, bool mergeStderr = false);
    ~TestProcess(); // kills the process if it still runs

    // Next line of stdout (without '\n'), or nullopt on timeout / end of output.
    std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
    // Read lines until one contains `needle`; returns that line.
    std::optional<std::string> WaitForLine(const std::string& needle, std::chrono::milliseconds timeout);
    // All stdout read so far (including lines returned by ReadLine).
    const std::string& Output() const { return m_output; }

    void Signal(int signal);
    // Exit status (WEXITSTATUS, or 128+signal), nullopt on timeout.
    std::optional<int> Wait(std::chrono::milliseconds timeout);
    int Pid() const { return m_pid; }
    // Peak resident set size in KiB (VmHWM), while the process runs.
    long PeakRssKiB() const;
    long RssKiB() const;

  private:
    int m_pid = -1;
    int m_stdout = -1;    // read end of the child's stdout pipe
    std::string m_buffer; // bytes read but not yet returned as lines
    std::string m_output; // everything read
    std::optional<int> m_status;
};

// A fresh temporary folder, removed with its contents at the end of the test.
class TempDir
{
  public:
    TempDir();
    ~TempDir();
    const std::string& Path() const { return m_path; }
    std::string File(const std::string& name) const { return m_path + "/" + name; }

  private:
    std::string m_path;
};

// Path of a dapscope executable built next to the tests.
std::string BinPath(const std::string& name);

// Port from a "listening on ws://host:PORT" line; 0 if absent.
int PortFromLine(const std::string& line);

// Connect to 127.0.0.1:port, send `request` as is, and return what the server answers within the timeout
// (until it closes or goes quiet). For hostile-input tests.
std::string RawExchange(int port, const std::string& request, std::chrono::milliseconds timeout);

// Run a shell command; true when it exits 0.
bool Shell(const std::string& command);

// `dapscope ARGS...` run to its end (120 s at most): its exit status (-1: it did not end) and its output (stdout,
// with stderr merged in unless `mergeStderr` is false).
struct CommandResult
{
    int status = -1;
    std::string output;
};
CommandResult RunDapscope(const std::vector<std::string>& args, bool mergeStderr = true);

} // namespace dapscope::test
