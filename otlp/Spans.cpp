#include "Spans.hpp"

#include <openssl/sha.h>

#include <algorithm>

namespace dapscope::otlp
{
namespace
{

std::string HexDigest(const std::string& text, size_t bytes)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (size_t i = 0; i < bytes; ++i)
    {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 15];
    }
    return hex;
}

std::string SessionKey(const SessionInfo& s)
{
    return std::to_string(s.id) + "@" + std::to_string(s.startedNs);
}

std::string TaskSpanId(const SessionInfo& s, const std::string& task)
{
    return DerivedSpanId("task " + task + " in " + SessionKey(s));
}

std::string SessionSpanId(const SessionInfo& s)
{
    return DerivedSpanId("session " + SessionKey(s));
}

std::string MessageSpanId(const SessionInfo& s, int64_t message)
{
    return DerivedSpanId("message " + std::to_string(message) + " in " + SessionKey(s));
}

void AddEvent(std::vector<SpanEvent>& events, uint32_t& dropped, const TracedMessage& m)
{
    if (events.size() >= TraceBuilder::kMaxEventsPerSpan)
    {
        ++dropped;
        return;
    }
    SpanEvent e;
    e.tsNs = m.tsNs;
    e.name = m.event.empty() ? "event" : m.event;
    e.message = m.id;
    e.attributes.push_back({"dapscope.message.id", m.id});
    if (m.seq)
        e.attributes.push_back({"rocketride.seq", *m.seq});
    events.push_back(std::move(e));
}

} // namespace

std::string TaskTraceId(const std::string& task)
{
    return HexDigest("dapscope task " + task, 16);
}

std::string SessionTraceId(const SessionInfo& session)
{
    return HexDigest("dapscope session " + SessionKey(session), 16);
}

std::string DerivedSpanId(const std::string& what)
{
    return HexDigest("dapscope span " + what, 8);
}

void TraceBuilder::BeginSession(const SessionInfo& session)
{
    Session& s = m_sessions[session.id];
    s.info = session;
    s.last = session.startedNs;
}

void TraceBuilder::ClientIdentified(int64_t session, const std::string& name, const std::string& version)
{
    auto it = m_sessions.find(session);
    if (it == m_sessions.end())
        return;
    if (!name.empty())
        it->second.clientName = name;
    if (!version.empty())
        it->second.clientVersion = version;
}

void TraceBuilder::Message(int64_t session, const TracedMessage& m)
{
    auto it = m_sessions.find(session);
    if (it == m_sessions.end())
        return;
    Session& s = it->second;
    s.last = std::max(s.last, m.tsNs + m.durNs);
    Task* task = nullptr;
    if (!m.task.empty())
    {
        auto [t, added] = s.tasks.try_emplace(m.task);
        task = &t->second;
        if (added)
            task->first = m.tsNs;
        task->last = std::max(task->last, m.tsNs + m.durNs);
    }

    switch (m.kind)
    {
    case inspector::Kind::Request:
    case inspector::Kind::HttpRequest:
        s.pending[m.id] = m;
        break;
    case inspector::Kind::Response:
    case inspector::Kind::HttpResponse:
        if (m.pairId)
            if (auto request = s.pending.find(*m.pairId); request != s.pending.end())
            {
                TracedMessage req = std::move(request->second);
                s.pending.erase(request);
                if (req.task.empty())
                    req.task = m.task;
                Exchange(s, req, &m, m.tsNs + m.durNs);
            }
        break;
    case inspector::Kind::Event:
        if (task)
        {
            AddEvent(task->events, task->droppedEvents, m);
            if (!m.flowJson.empty())
            {
                if (task->flow.size() < kMaxFlowEventsPerTask)
                {
                    if (auto flow = inspector::ParseFlowEvent(m.id, m.tsNs, m.flowJson))
                        task->flow.push_back(std::move(*flow));
                }
                else
                    ++task->droppedEvents;
            }
        }
        else
            AddEvent(s.events, s.droppedEvents, m);
        break;
    default:
        break;
    }
}

void TraceBuilder::Upgraded(int64_t session)
{
    if (auto it = m_sessions.find(session); it != m_sessions.end())
        it->second.info.protocol = "websocket";
}

void TraceBuilder::Linked(int64_t message, const std::string& task, std::optional<int64_t> pipe)
{
    for (auto& [id, s] : m_sessions)
        if (Linked(s, message, task, pipe))
            return;
}

bool TraceBuilder::Linked(Session& s, int64_t message, const std::string& task, std::optional<int64_t> pipe)
{
    if (auto request = s.pending.find(message); request != s.pending.end())
    {
        if (!task.empty())
            request->second.task = task;
        if (pipe)
            request->second.pipeId = pipe;
        return true;
    }
    if (task.empty())
        return false;
    // An event of no task that turned out to be the task's moves to the task's span.
    auto event = std::find_if(s.events.begin(), s.events.end(), [&](const SpanEvent& e) { return e.message == message; });
    if (event == s.events.end())
        return false;
    auto [entry, added] = s.tasks.try_emplace(task);
    Task& t = entry->second;
    if (added || event->tsNs < t.first)
        t.first = event->tsNs;
    t.last = std::max(t.last, event->tsNs);
    if (t.events.size() < kMaxEventsPerSpan)
    {
        auto at = std::upper_bound(t.events.begin(), t.events.end(), event->message,
                                   [](int64_t id, const SpanEvent& e) { return id < e.message; });
        t.events.insert(at, std::move(*event));
    }
    else
        ++t.droppedEvents;
    s.events.erase(event);
    return true;
}

void TraceBuilder::Exchange(Session& s, const TracedMessage& request, const TracedMessage* response, int64_t endNs)
{
    const bool http = request.kind == inspector::Kind::HttpRequest;
    Span span;
    span.kind = SpanKind::Client;
    span.spanId = MessageSpanId(s.info, request.id);
    if (request.task.empty())
    {
        span.traceId = SessionTraceId(s.info);
        span.parentSpanId = SessionSpanId(s.info);
    }
    else
    {
        span.traceId = TaskTraceId(request.task);
        span.parentSpanId = TaskSpanId(s.info, request.task);
        auto [entry, added] = s.tasks.try_emplace(request.task);
        Task& task = entry->second;
        if (added || request.tsNs < task.first)
            task.first = request.tsNs;
        ++task.requests;
        task.last = std::max(task.last, endNs);
    }
    span.startNs = request.tsNs;
    span.endNs = std::max(endNs, request.tsNs);
    if (http)
    {
        span.name = request.method + " " + request.target;
        span.attributes.push_back({"http.request.method", request.method});
        span.attributes.push_back({"url.path", request.target});
    }
    else
    {
        span.name = request.subcommand.empty() ? request.command : request.command + " " + request.subcommand;
        span.attributes.push_back({"rocketride.command", request.command});
        if (!request.subcommand.empty())
            span.attributes.push_back({"rocketride.subcommand", request.subcommand});
        if (request.seq)
            span.attributes.push_back({"rocketride.seq", *request.seq});
    }
    span.attributes.push_back({"dapscope.message.id", request.id});
    if (!request.task.empty())
        span.attributes.push_back({"rocketride.task", request.task});
    if (request.pipeId)
        span.attributes.push_back({"rocketride.pipe_id", *request.pipeId});

    if (!response)
    {
        span.error = true;
        span.statusMessage = "unanswered";
        span.attributes.push_back({"rocketride.unanswered", true});
    }
    else if (http)
    {
        if (response->status)
        {
            span.attributes.push_back({"http.response.status_code", int64_t{*response->status}});
            span.error = *response->status >= 400;
        }
    }
    else
    {
        // A response without `success` counts as a success, as the SDKs treat it.
        const bool success = response->success.value_or(true);
        span.attributes.push_back({"rocketride.success", success});
        if (!response->message.empty())
            span.attributes.push_back({"rocketride.message", response->message});
        if (auto colon = response->trace.rfind(':'); colon != std::string::npos)
        {
            span.attributes.push_back({"code.filepath", response->trace.substr(0, colon)});
            span.attributes.push_back({"code.lineno", int64_t{std::atoll(response->trace.c_str() + colon + 1)}});
        }
        span.error = !success;
        if (!success)
            span.statusMessage = response->message;
    }
    if (span.error && !request.task.empty())
        ++s.tasks[request.task].failures;
    ++s.exchanges;
    Finish(s, std::move(span));
}

void TraceBuilder::EndSession(int64_t session, int64_t endedNs)
{
    auto it = m_sessions.find(session);
    if (it == m_sessions.end())
        return;
    Session& s = it->second;
    const int64_t end = std::max(endedNs, s.last);

    // What never got an answer ends with the session, in the order it was sent.
    std::vector<TracedMessage> pending;
    for (auto& [id, request] : s.pending)
        pending.push_back(std::move(request));
    s.pending.clear();
    std::sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    for (const TracedMessage& request : pending)
        Exchange(s, request, nullptr, end);

    auto addClient = [&](Span& span)
    {
        if (!s.clientName.empty())
            span.attributes.push_back({"rocketride.client.name", s.clientName});
        if (!s.clientVersion.empty())
            span.attributes.push_back({"rocketride.client.version", s.clientVersion});
    };

    for (auto& [id, task] : s.tasks)
    {
        Span span;
        span.traceId = TaskTraceId(id);
        span.spanId = TaskSpanId(s.info, id);
        span.name = "task " + id;
        span.startNs = task.first;
        span.endNs = std::max(task.first, task.last);
        span.attributes.push_back({"rocketride.task", id});
        span.attributes.push_back({"dapscope.session.id", s.info.id});
        span.attributes.push_back({"rocketride.requests", task.requests});
        span.attributes.push_back({"rocketride.failures", task.failures});
        addClient(span);
        span.events = std::move(task.events);
        span.droppedEvents = task.droppedEvents;
        span.error = task.failures > 0;
        const std::string taskSpan = span.spanId;
        Finish(s, std::move(span));

        for (const inspector::PipeFlow& flow : inspector::BuildPipeFlows(task.flow))
        {
            const std::string run = std::to_string(flow.pipe) + "." + std::to_string(flow.run);
            Span pipe;
            pipe.traceId = TaskTraceId(id);
            pipe.spanId = DerivedSpanId("pipe " + run + " of " + taskSpan);
            pipe.parentSpanId = taskSpan;
            pipe.name = "pipe " + std::to_string(flow.pipe);
            pipe.startNs = flow.begin;
            pipe.endNs = flow.end;
            pipe.attributes.push_back({"rocketride.pipe", flow.pipe});
            pipe.attributes.push_back({"rocketride.pipe.run", int64_t{flow.run}});
            pipe.attributes.push_back({"rocketride.pipe.ended", flow.ended});
            if (!flow.error.empty())
            {
                pipe.error = true;
                pipe.statusMessage = flow.error;
            }
            // Components nest by depth: each one's parent is the latest opened component one level up.
            std::vector<std::string> parents{pipe.spanId};
            for (const inspector::FlowSpan& component : flow.spans)
            {
                Span c;
                c.traceId = pipe.traceId;
                c.spanId = DerivedSpanId("component " + std::to_string(component.enterId) + "." +
                                         std::to_string(component.depth) + " of " + pipe.spanId);
                parents.resize(static_cast<size_t>(component.depth) + 1, pipe.spanId);
                c.parentSpanId = parents[static_cast<size_t>(component.depth)];
                parents.push_back(c.spanId);
                c.name = component.component;
                c.startNs = component.start;
                c.endNs = component.end;
                c.attributes.push_back({"rocketride.component", component.component});
                if (!component.lane.empty())
                    c.attributes.push_back({"rocketride.lane", component.lane});
                Finish(s, std::move(c));
            }
            Finish(s, std::move(pipe));
        }
    }

    Span span;
    span.traceId = SessionTraceId(s.info);
    span.spanId = SessionSpanId(s.info);
    span.name = "session " + std::to_string(s.info.id) + (s.info.path.empty() ? "" : " " + s.info.path);
    span.startNs = s.info.startedNs;
    span.endNs = end;
    span.attributes.push_back({"dapscope.session.id", s.info.id});
    span.attributes.push_back({"rocketride.exchanges", s.exchanges});
    span.attributes.push_back({"rocketride.tasks", static_cast<int64_t>(s.tasks.size())});
    addClient(span);
    span.events = std::move(s.events);
    span.droppedEvents = s.droppedEvents;
    Finish(s, std::move(span));
    m_sessions.erase(it);
}

void TraceBuilder::Finish(const Session& s, Span span)
{
    auto [it, added] = m_finished.try_emplace(s.info.id);
    if (added)
        it->second.session = s.info;
    it->second.spans.push_back(std::move(span));
}

std::vector<SessionSpans> TraceBuilder::TakeFinished()
{
    std::vector<SessionSpans> out;
    for (auto& [id, spans] : m_finished)
        out.push_back(std::move(spans));
    m_finished.clear();
    return out;
}

} // namespace dapscope::otlp
