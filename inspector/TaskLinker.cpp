#include "TaskLinker.hpp"
#include "MessageDecoder.hpp"

#include <algorithm>

namespace dapscope::inspector
{
namespace
{

// An integer member such as pipe_id, or nullopt.
std::optional<int64_t> IntegerMember(const boost::json::object* object, std::string_view key)
{
    const auto* value = object ? object->if_contains(key) : nullptr;
    const char* error = nullptr;
    return value ? ReadInteger(*value, error) : std::nullopt;
}

bool StartsTask(std::string_view command)
{
    return command == "execute" || command == "launch" || command == "restart";
}

} // namespace

std::string DeriveDisplayId(std::string_view token, std::string_view source)
{
    if (token.starts_with("tk_") || token.starts_with("pk_"))
        token.remove_prefix(3);
    if (token.empty() || source.empty())
        return {};
    return std::string(token.substr(0, 8)) + "." + std::string(source);
}

std::string TaskLinker::TaskOfToken(std::string_view token, std::string_view source) const
{
    if (token.empty() || token == "*")
        return {};
    if (const auto it = m_tokenTasks.find(token); it != m_tokenTasks.end())
        return it->second;
    return DeriveDisplayId(token, source);
}

const TaskLinker::OpenPipe* TaskLinker::FindPipe(std::string_view token, int64_t pipeId) const
{
    const auto it = std::find_if(m_openPipes.begin(), m_openPipes.end(),
                                 [&](const OpenPipe& p) { return p.pipeId == pipeId && p.token == token; });
    return it == m_openPipes.end() ? nullptr : &*it;
}

void TaskLinker::RegisterToken(std::string_view token, std::string_view task)
{
    if (!token.empty() && !task.empty())
        m_tokenTasks[std::string(token)] = task;
}

RequestLink TaskLinker::OnRequest(const Envelope& env, const boost::json::object& root) const
{
    RequestLink link;
    const auto* arguments = ObjectMember(&root, "arguments");
    std::string_view source = StringMember(arguments, "source");
    if (source.empty())
        source = StringMember(ObjectMember(arguments, "pipeline"), "source");
    link.task = TaskOfToken(env.token, source);

    if (env.command == "rrext_process" && env.subcommand == "open")
    {
        link.opensPipe = true;
        link.token = env.token;
        return link;
    }
    if (env.command == "rrext_get_token")
        link.source = source;
    // write/close carry pipe_id, rrext_monitor pipeId; either links only while that pipe is open.
    auto pipeId = IntegerMember(arguments, "pipe_id");
    if (!pipeId)
        pipeId = IntegerMember(arguments, "pipeId");
    if (const OpenPipe* pipe = pipeId ? FindPipe(env.token, *pipeId) : nullptr)
    {
        link.pipeId = pipe->pipeId;
        link.pipeOpen = pipe->open;
        link.closesPipe = env.command == "rrext_process" && env.subcommand == "close";
        if (link.task.empty())
            link.task = pipe->task;
    }
    return link;
}

ResponseLink TaskLinker::OnResponse(const Envelope& env, const boost::json::object& root,
                                    std::string_view requestCommand, const RequestLink& request)
{
    ResponseLink link;
    link.response = {request.task, request.pipeId};
    if (request.closesPipe)
    {
        // Any answer ends the pipe; after it the engine may hand out the same id again.
        std::erase_if(m_openPipes, [&](const OpenPipe& p) { return p.open == request.pipeOpen; });
    }
    const auto* body = ObjectMember(&root, "body");
    if (!env.success.value_or(true) || !body)
        return link;

    if (StartsTask(requestCommand))
    {
        const std::string_view task = StringMember(body, "id");
        RegisterToken(StringMember(body, "token"), task);
        RegisterToken(StringMember(body, "publicToken"), task);
        if (!task.empty() && task != request.task)
            link.requestTask = link.response.task = task;
    }
    else if (requestCommand == "rrext_get_token")
    {
        // The exchange that hands out a task's token belongs to that task.
        const std::string_view token = StringMember(body, "token");
        const std::string task = DeriveDisplayId(token, request.source);
        RegisterToken(token, task);
        if (!task.empty() && task != request.task)
            link.requestTask = link.response.task = task;
    }
    else if (requestCommand == "rrext_get_tasks")
    {
        const auto* tasks = body->if_contains("tasks");
        if (const auto* list = tasks ? tasks->if_array() : nullptr)
        {
            for (const auto& entry : *list)
            {
                const std::string_view token = StringMember(entry.if_object(), "token");
                RegisterToken(token, DeriveDisplayId(token, StringMember(entry.if_object(), "source")));
            }
        }
    }
    else if (request.opensPipe)
    {
        if (const auto pipeId = IntegerMember(body, "pipe_id"))
        {
            // The engine hands out an id only once it is free: an older open of it ended unseen.
            std::erase_if(m_openPipes,
                          [&](const OpenPipe& p) { return p.pipeId == *pipeId && p.token == request.token; });
            m_openPipes.push_back({request.token, request.task, *pipeId, ++m_opens});
            link.response.pipeId = link.requestPipeId = *pipeId;
        }
    }
    return link;
}

MessageLink TaskLinker::OnEvent(const Envelope& env, const boost::json::object& root) const
{
    MessageLink link;
    const auto* body = ObjectMember(&root, "body");
    link.task = StringMember(body, "__id");
    if (env.event == "apaevt_status_update")
    {
        // An idle project's placeholder status names "<project_id>.<source>": no task runs.
        const std::string_view project = StringMember(body, "project_id");
        const std::string_view source = StringMember(body, "source");
        if (!project.empty() && link.task.size() == project.size() + 1 + source.size() &&
            link.task.starts_with(project) && link.task[project.size()] == '.' && link.task.ends_with(source))
            link.task.clear();
    }
    if (env.event != "apaevt_sse")
        return link;
    const auto pipeId = IntegerMember(body, "pipe_id");
    if (!pipeId)
        return link;
    // The event names its task (__id); without one, the pipe must be open in exactly one task.
    const OpenPipe* match = nullptr;
    size_t candidates = 0;
    for (const auto& pipe : m_openPipes)
    {
        if (pipe.pipeId != *pipeId)
            continue;
        if (!link.task.empty() && pipe.task == link.task)
        {
            link.pipeId = pipe.pipeId;
            return link;
        }
        match = &pipe;
        ++candidates;
    }
    // A pipe opened before its task was known may still be the named task's.
    if (candidates == 1 && (link.task.empty() || match->task.empty()))
    {
        if (link.task.empty())
            link.task = match->task;
        link.pipeId = match->pipeId;
    }
    return link;
}

} // namespace dapscope::inspector
