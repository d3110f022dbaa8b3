#pragma once
// Background work for the UI (ImHex's TaskManager, reduced): jobs run on a few worker threads, each with its own
// read-only store connection; results come back to the UI thread through DoLater, which runs them at the start of
// the next frame. The UI thread never waits for a job.

#include "storage/TraceReader.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dapscope::ui
{

// What the UI can see of a job while it runs.
struct TaskState
{
    std::string name;                   // shown in the status bar ("Export session 3")
    std::atomic<uint64_t> done{0};      // progress: units done...
    std::atomic<uint64_t> total{0};     // ...out of total (0 = unknown)
    std::atomic<bool> cancelled{false}; // set by Cancel(); the job checks it between steps
    std::atomic<bool> finished{false};  // the job returned (or threw)

    float Fraction() const;
};

class TaskRunner;

// Handed to a job: its cancellation flag, its progress, its thread's store connection and the way back to the UI.
class TaskContext
{
  public:
    TaskContext(TaskRunner& runner, TaskState& state) : m_runner(runner), m_state(state) {}

    bool Cancelled() const { return m_state.cancelled.load(); }
    void SetProgress(uint64_t done, uint64_t total);
    // The worker thread's read-only connection to `storePath` (opened on first use, reused by later jobs).
    storage::TraceReader& Reader(const std::string& storePath);
    // Run `fn` on the UI thread at the next frame.
    void DoLater(std::function<void()> fn);

  private:
    TaskRunner& m_runner;
    TaskState& m_state;
};

using Job = std::function<void(TaskContext&)>;

// Guards DoLater callbacks against their poster being gone: take a Token() on the UI thread when starting a job,
// and have the callback return early when the token has expired. Declare it as the owner's last member.
class Lifetime
{
  public:
    std::weak_ptr<const char> Token() const { return m_token; }

  private:
    std::shared_ptr<const char> m_token = std::make_shared<const char>('\0');
};

class TaskRunner
{
  public:
    // `wake` makes the UI loop run a frame soon (glfwPostEmptyEvent); it may be called from any thread.
    explicit TaskRunner(std::function<void()> wake, unsigned threads = 3);
    ~TaskRunner(); // cancels what is queued or running and joins the threads

    TaskRunner(const TaskRunner&) = delete;
    TaskRunner& operator=(const TaskRunner&) = delete;

    // Queue a job. An exception thrown by the job is reported through `onError` on the UI thread.
    std::shared_ptr<TaskState> Run(std::string name, Job job, std::function<void(const std::string&)> onError = {});
    // From any thread: run `fn` on the UI thread at the next RunPending().
    void DoLater(std::function<void()> fn);
    // UI thread, once per frame: run what DoLater queued. Returns how many ran.
    size_t RunPending();
    // Jobs queued or running, plus callbacks waiting for the UI thread.
    size_t Busy() const;
    // Jobs queued or running that have a name (for the status bar).
    std::vector<std::shared_ptr<TaskState>> Active() const;
    // Cancel every queued or running job (a new store was opened).
    void CancelAll();

  private:
    friend class TaskContext;
    struct Entry
    {
        std::shared_ptr<TaskState> state;                // shared with whoever started the job
        Job job;                                         // the work
        std::function<void(const std::string&)> onError; // UI-thread error report
    };
    void WorkerLoop();

    std::function<void()> m_wake;
    mutable std::mutex m_mutex;                        // guards everything below
    std::condition_variable m_wakeWorkers;             // new job or shutdown
    std::deque<Entry> m_queue;                         // jobs not started yet
    std::vector<std::shared_ptr<TaskState>> m_running; // jobs being run
    std::vector<std::function<void()>> m_later;        // DoLater callbacks for the UI thread
    bool m_stopping = false;                           // the destructor runs
    std::vector<std::thread> m_threads;
};

} // namespace dapscope::ui
