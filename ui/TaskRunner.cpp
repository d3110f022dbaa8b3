#include "TaskRunner.hpp"

#include <algorithm>

namespace dapscope::ui
{

namespace
{
// One read-only connection per worker thread, kept between jobs (opening costs a few schema reads).
struct ThreadReader
{
    std::string path;                             // store the reader is connected to
    std::unique_ptr<storage::TraceReader> reader; // null until the first job asks
};
thread_local ThreadReader t_reader;
} // namespace

float TaskState::Fraction() const
{
    uint64_t t = total.load();
    if (t == 0)
        return 0.0f;
    return std::clamp(static_cast<float>(static_cast<double>(done.load()) / static_cast<double>(t)), 0.0f, 1.0f);
}

void TaskContext::SetProgress(uint64_t done, uint64_t total)
{
    m_state.done = done;
    m_state.total = total;
}

storage::TraceReader& TaskContext::Reader(const std::string& storePath)
{
    if (!t_reader.reader || t_reader.path != storePath)
    {
        t_reader.reader.reset();
        t_reader.reader = std::make_unique<storage::TraceReader>(storePath);
        t_reader.path = storePath;
    }
    return *t_reader.reader;
}

void TaskContext::DoLater(std::function<void()> fn)
{
    m_runner.DoLater(std::move(fn));
}

TaskRunner::TaskRunner(std::function<void()> wake, unsigned threads) : m_wake(std::move(wake))
{
    for (unsigned i = 0; i < std::max(1u, threads); ++i)
        m_threads.emplace_back([this] { WorkerLoop(); });
}

TaskRunner::~TaskRunner()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        for (auto& entry : m_queue)
            entry.state->cancelled = true;
        for (auto& state : m_running)
            state->cancelled = true;
    }
    m_wakeWorkers.notify_all();
    for (auto& t : m_threads)
        t.join();
}

std::shared_ptr<TaskState> TaskRunner::Run(std::string name, Job job, std::function<void(const std::string&)> onError)
{
    auto state = std::make_shared<TaskState>();
    state->name = std::move(name);
    {
        std::lock_guard lock(m_mutex);
        m_queue.push_back({state, std::move(job), std::move(onError)});
    }
    m_wakeWorkers.notify_one();
    return state;
}

void TaskRunner::DoLater(std::function<void()> fn)
{
    {
        std::lock_guard lock(m_mutex);
        m_later.push_back(std::move(fn));
    }
    if (m_wake)
        m_wake();
}

size_t TaskRunner::RunPending()
{
    std::vector<std::function<void()>> later;
    {
        std::lock_guard lock(m_mutex);
        later.swap(m_later);
    }
    for (auto& fn : later)
        fn();
    return later.size();
}

size_t TaskRunner::Busy() const
{
    std::lock_guard lock(m_mutex);
    return m_queue.size() + m_running.size() + m_later.size();
}

std::vector<std::shared_ptr<TaskState>> TaskRunner::Active() const
{
    std::lock_guard lock(m_mutex);
    std::vector<std::shared_ptr<TaskState>> out;
    for (const auto& state : m_running)
        if (!state->name.empty())
            out.push_back(state);
    for (const auto& entry : m_queue)
        if (!entry.state->name.empty())
            out.push_back(entry.state);
    return out;
}

void TaskRunner::CancelAll()
{
    std::lock_guard lock(m_mutex);
    for (auto& entry : m_queue)
        entry.state->cancelled = true;
    for (auto& state : m_running)
        state->cancelled = true;
}

void TaskRunner::WorkerLoop()
{
    while (true)
    {
        Entry entry;
        {
            std::unique_lock lock(m_mutex);
            m_wakeWorkers.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
            if (m_stopping)
                break;
            entry = std::move(m_queue.front());
            m_queue.pop_front();
            m_running.push_back(entry.state);
        }
        std::string error;
        if (!entry.state->cancelled)
        {
            try
            {
                TaskContext context(*this, *entry.state);
                entry.job(context);
            }
            catch (const std::exception& e)
            {
                error = e.what();
                t_reader = {}; // the connection may be what failed: reopen next time
            }
        }
        entry.state->finished = true;
        {
            std::lock_guard lock(m_mutex);
            std::erase(m_running, entry.state);
            if (!error.empty() && entry.onError && !entry.state->cancelled)
                m_later.push_back([onError = entry.onError, error] { onError(error); });
        }
        if (m_wake)
            m_wake();
    }
    t_reader = {};
}

} // namespace dapscope::ui
