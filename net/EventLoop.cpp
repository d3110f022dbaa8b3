#include "EventLoop.hpp"

#include "Lws.hpp"

#include <libwebsockets.h>

#include <cstring>
#include <stdexcept>

namespace dapscope::net
{

struct EventLoop::Timer
{
    lws_sorted_usec_list_t sul; // first member: lws hands this pointer back
    EventLoop* loop;
    uint64_t id;
    std::function<void()> fn;
};

struct LoopAccess
{
    static int Callback(lws* wsi, lws_callback_reasons reason, void*, void*, size_t) noexcept
    {
        if (reason != LWS_CALLBACK_EVENT_WAIT_CANCELLED)
            return 0;
        auto* loop = static_cast<EventLoop*>(lws_context_user(lws_get_context(wsi)));
        if (loop)
            loop->RunTasks();
        return 0;
    }

    static void TimerFired(lws_sorted_usec_list_t* sul) noexcept
    {
        auto* timer = reinterpret_cast<EventLoop::Timer*>(sul);
        timer->loop->m_timers.erase(timer);
        std::unique_ptr<EventLoop::Timer> owned(timer);
        try
        {
            owned->fn();
        }
        catch (const std::exception& e)
        {
            lwsl_err("dapscope: timer task failed: %s\n", e.what());
        }
    }
};

namespace
{
const lws_protocols kLoopProtocols[] = {
    {"dapscope-loop", LoopAccess::Callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};
} // namespace

EventLoop::EventLoop(std::string name, unsigned timeoutSecs, size_t readBytes) : m_name(std::move(name))
{
    InitLwsLogging();
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.options =
        LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_IPV6;
    info.user = this;
    info.pt_serv_buf_size = static_cast<unsigned int>(readBytes); // bigger reads: fewer callbacks per MiB
    info.fd_limit_per_thread = RaiseFdLimit();
    info.timeout_secs = timeoutSecs;
    info.connect_timeout_secs = timeoutSecs;
    m_context = lws_create_context(&info);
    if (!m_context)
        throw std::runtime_error("cannot create the libwebsockets context");

    // A vhost that listens nowhere, only so EVENT_WAIT_CANCELLED reaches our task runner.
    lws_context_creation_info vinfo;
    std::memset(&vinfo, 0, sizeof vinfo);
    vinfo.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    vinfo.protocols = kLoopProtocols;
    vinfo.vhost_name = "dapscope-loop";
    if (!lws_create_vhost(m_context, &vinfo))
    {
        lws_context_destroy(m_context);
        throw std::runtime_error("cannot create the libwebsockets loop vhost");
    }
    m_thread = std::thread([this] { ServiceThread(); });
}

EventLoop::~EventLoop()
{
    Stop();
    if (m_thread.joinable())
        m_thread.join();
}

void EventLoop::Stop()
{
    if (m_stop.exchange(true))
        return;
    std::lock_guard lock(m_mutex);
    if (!m_destroyed)
        lws_cancel_service(m_context);
}

void EventLoop::Post(std::function<void()> task)
{
    std::lock_guard lock(m_mutex);
    m_tasks.push_back(std::move(task));
    if (!m_destroyed)
        lws_cancel_service(m_context);
}

void EventLoop::RunTasks()
{
    std::deque<std::function<void()>> tasks;
    {
        std::lock_guard lock(m_mutex);
        tasks.swap(m_tasks);
    }
    for (auto& task : tasks)
    {
        try
        {
            task();
        }
        catch (const std::exception& e)
        {
            lwsl_err("%s: task failed: %s\n", m_name.c_str(), e.what());
        }
    }
}

uint64_t EventLoop::After(int64_t delayMs, std::function<void()> fn)
{
    auto* timer = new Timer{};
    timer->loop = this;
    timer->id = m_nextTimerId++;
    timer->fn = std::move(fn);
    m_timers.insert(timer);
    lws_sul_schedule(m_context, 0, &timer->sul, LoopAccess::TimerFired, delayMs * LWS_US_PER_MS);
    return timer->id;
}

void EventLoop::Cancel(uint64_t timerId)
{
    for (Timer* timer : m_timers)
    {
        if (timer->id == timerId)
        {
            lws_sul_cancel(&timer->sul);
            m_timers.erase(timer);
            delete timer;
            return;
        }
    }
}

lws_vhost* EventLoop::CreateVhost(lws_context_creation_info& info)
{
    return Call([&] { return lws_create_vhost(m_context, &info); });
}

void EventLoop::ServiceThread()
{
    while (!m_stop.load(std::memory_order_relaxed))
    {
        if (lws_service(m_context, 0) < 0)
            break;
    }
    RunTasks();
    for (Timer* timer : m_timers)
    {
        lws_sul_cancel(&timer->sul);
        delete timer;
    }
    m_timers.clear();
    lws_context_destroy(m_context);
    {
        std::lock_guard lock(m_mutex);
        m_destroyed = true;
    }
    // Tasks posted while the context was being destroyed (close callbacks) still get to run.
    RunTasks();
}

} // namespace dapscope::net
