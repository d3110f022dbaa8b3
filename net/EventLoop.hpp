#pragma once
// One libwebsockets context and the only thread that touches it. Other threads talk to it through Post(),
// which queues a task and wakes the service thread (lws_cancel_service); timers run on the same thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

struct lws_context;
struct lws_vhost;
struct lws_context_creation_info;

namespace dapscope::net
{

class EventLoop
{
  public:
    // timeoutSecs bounds connects and handshakes (e.g. an upstream that accepts TCP but never answers);
    // readBytes is the most one read takes from a socket.
    explicit EventLoop(std::string name = "dapscope", unsigned timeoutSecs = 10, size_t readBytes = 64 * 1024);
    ~EventLoop(); // stops the service thread and destroys the context on it
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Run task on the service thread (soon). Safe from any thread, including the service thread.
    void Post(std::function<void()> task);

    // Run fn on the service thread and wait for its result.
    template <class F> auto Call(F fn) -> decltype(fn())
    {
        if (InLoopThread())
            return fn();
        std::packaged_task<decltype(fn())()> task(std::move(fn));
        auto result = task.get_future();
        Post([&task] { task(); });
        return result.get();
    }

    // Run fn on the service thread after delayMs. Returns an id for Cancel(). Service thread only.
    uint64_t After(int64_t delayMs, std::function<void()> fn);
    void Cancel(uint64_t timerId);

    // Create a vhost on this context (service thread or before any traffic). Returns nullptr on failure.
    lws_vhost* CreateVhost(lws_context_creation_info& info);

    lws_context* Context() const { return m_context; }
    bool InLoopThread() const { return std::this_thread::get_id() == m_thread.get_id(); }

    // Stop serving: the service thread runs pending tasks, then destroys the context and exits.
    void Stop();

  private:
    struct Timer;
    friend struct LoopAccess; // the C callbacks in EventLoop.cpp
    void RunTasks();
    void ServiceThread();

    std::string m_name; // for log lines
    lws_context* m_context = nullptr;
    std::thread m_thread; // the service thread
    std::atomic<bool> m_stop{false};
    std::mutex m_mutex;                        // guards m_tasks and m_destroyed
    bool m_destroyed = false;                  // the context is gone: nobody may wake it
    std::deque<std::function<void()>> m_tasks; // posted from any thread
    std::set<Timer*> m_timers;                 // pending timers (service thread only)
    uint64_t m_nextTimerId = 1;                // ids handed out by After()
};

} // namespace dapscope::net
