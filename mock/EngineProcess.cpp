// rrext_process: data pipes of a task (open/write/close) and the events a pipe produces.

#include "EngineRequest.hpp"

#include <set>

namespace dapscope::mock
{

namespace
{

// Components that listen to `from` (on `lane`, or on any lane when `lane` is empty): {component id, lane}.
std::vector<std::pair<std::string, std::string>> Listeners(const TaskState& task, std::string_view from,
                                                           std::string_view lane)
{
    std::vector<std::pair<std::string, std::string>> out;
    const auto* components = task.pipeline.if_contains("components");
    if (!components || !components->is_array())
        return out;
    for (const auto& component : components->get_array())
    {
        const auto* object = component.if_object();
        const auto* inputs = object ? object->if_contains("input") : nullptr;
        if (!inputs || !inputs->is_array())
            continue;
        for (const auto& input : inputs->get_array())
        {
            if (!input.is_object() || ArgString(input.get_object(), "from") != from)
                continue;
            const std::string inputLane = ArgString(input.get_object(), "lane");
            if (lane.empty() || inputLane == lane)
            {
                out.emplace_back(ArgString(*object, "id"), inputLane);
                break;
            }
        }
    }
    return out;
}

// Lane chosen from the mime type (PROTOCOL §5.2); media lanes only if the pipeline listens on them.
std::string ChooseLane(const TaskState& task, std::string_view mimeType)
{
    if (mimeType.starts_with("lane/"))
        return std::string(mimeType.substr(5));
    if (mimeType == "application/rocketlib-tag")
        return "tags";
    if (mimeType.starts_with("application/rocketride-question"))
        return "questions";
    for (std::string_view media : {"text", "image", "video", "audio"})
    {
        if (mimeType.starts_with(std::string(media) + "/") && !Listeners(task, task.source, media).empty())
            return std::string(media);
    }
    return "raw";
}

// The path an object takes: first listener of the source on the object's lane, then onwards, as {id, lane} hops.
std::vector<std::pair<std::string, std::string>> FlowHops(const TaskState& task, const std::string& lane)
{
    std::vector<std::pair<std::string, std::string>> hops;
    std::set<std::string> visited{task.source};
    std::string current = task.source;
    std::string currentLane = lane;
    while (hops.size() < 8)
    {
        const auto next = Listeners(task, current, currentLane);
        if (next.empty() || visited.contains(next.front().first))
            break;
        hops.push_back(next.front());
        visited.insert(next.front().first);
        current = next.front().first;
        currentLane.clear(); // past the first hop any output lane will do
    }
    return hops;
}

int64_t CountWords(std::string_view text)
{
    int64_t words = 0;
    bool inWord = false;
    for (char c : text)
    {
        const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
        if (!space && !inWord)
            ++words;
        inWord = !space;
    }
    return words;
}

// Answer of the mock LLM: echoes the first question of a Question JSON.
std::string Answer(std::string_view questionJson)
{
    if (auto value = ParseJson(questionJson); value && value->is_object())
    {
        const auto* questions = value->get_object().if_contains("questions");
        if (questions && questions->is_array() && !questions->get_array().empty() &&
            questions->get_array()[0].is_object())
            return "[mock-llm] You asked: " + ArgString(questions->get_array()[0].get_object(), "text");
    }
    return "[mock-llm] I could not read the question.";
}

boost::json::object FlowBody(const TaskState& task, int64_t pipeId, std::string_view op, boost::json::array pipes,
                             boost::json::object trace)
{
    return {{"id", pipeId},
            {"op", op},
            {"pipes", std::move(pipes)},
            {"trace", std::move(trace)},
            {"project_id", task.projectId},
            {"source", task.source}};
}

EngineError PipeIdMissing(int64_t line)
{
    return {"No pipe_id specified", "data_conn.py", line};
}

} // namespace

EngineConnection::Reply EngineConnection::OnProcess(const Request& request)
{
    TaskState& task = RequireTask(request);
    if (task.completed)
        throw EngineError{"Task has already completed", "task_engine.py", 1206};
    const std::string subcommand = ArgString(request.args, "subcommand");
    if (subcommand == "open")
        return ProcessOpen(request, task);
    if (subcommand == "write")
        return ProcessWrite(request, task);
    if (subcommand == "close")
        return ProcessClose(request, task);
    throw EngineError{"Invalid subcommand " + (subcommand.empty() ? std::string("None") : subcommand), "data_conn.py",
                      446};
}

EngineConnection::Reply EngineConnection::ProcessOpen(const Request& request, TaskState& task)
{
    const auto* object = request.args.if_contains("object");
    if (!object || !object->is_object() || object->get_object().empty())
        throw EngineError{"No object info specified", "data_conn.py", 463};
    const std::string mimeType = ArgString(request.args, "mimeType");
    if (mimeType.empty())
        throw EngineError{"No mimeType specified", "data_conn.py", 467};

    // Pipe ids come from a pool: the smallest free id, reused after close.
    int64_t id = 0;
    while (task.pipes.contains(id))
        ++id;
    PipeState pipe;
    pipe.id = id;
    pipe.connectionId = m_connectionId;
    pipe.objectName = ArgString(object->get_object(), "name");
    pipe.mimeType = mimeType;
    pipe.lane = ChooseLane(task, mimeType);
    task.pipes.emplace(id, std::move(pipe));
    task.totalPipes = std::max(task.totalPipes, id + 1);

    if (m_options.flowEvents && !task.traceLevel.empty())
        m_state.PublishTaskEvent(task, kEventFlow, "apaevt_flow",
                                 FlowBody(task, id, "begin", {task.source}, boost::json::object()));
    Reply reply;
    reply.body = boost::json::object{{"pipe_id", id}};
    return reply;
}

EngineConnection::Reply EngineConnection::ProcessWrite(const Request& request, TaskState& task)
{
    const auto pipeId = ArgInt(request.args, "pipe_id");
    if (!ArgPresent(request.args, "pipe_id"))
        throw PipeIdMissing(556);
    auto it = pipeId ? task.pipes.find(*pipeId) : task.pipes.end();
    if (it == task.pipes.end())
        throw EngineError{"Write pipe with id " + ValueText(request.args.at("pipe_id")) + " not found", "data_conn.py",
                          560};
    if (!request.data)
        throw EngineError{"No data specified", "data_conn.py", 573};

    PipeState& pipe = it->second;
    const std::string_view data = *request.data;
    pipe.bytes += data.size();
    ++pipe.writes;
    pipe.hash.Update(data);
    if (pipe.lane == "text" || pipe.lane == "questions")
    {
        // Text is echoed chunk by chunk ("chunk\n\n", as the engine's response node does); questions kept raw.
        std::string piece = pipe.lane == "text" ? SanitizeUtf8(data) + "\n\n" : std::string(data);
        if (pipe.text.size() + piece.size() <= kPipeEchoLimit)
            pipe.text += piece;
        else
            pipe.truncated = true;
    }

    m_state.PublishTaskEvent(task, kEventSse, "apaevt_sse",
                             {{"pipe_id", pipe.id}, {"type", "thinking"}, {"data", {{"step", pipe.writes}}}}, pipe.id);
    Reply reply;
    // Load-test knob: extra status updates to the writer, whatever it subscribed to.
    for (int i = 0; i < m_options.burstEvents; ++i)
        reply.after.emplace_back("apaevt_status_update", m_state.TaskStatus(task));
    reply.afterId = task.id;
    return reply;
}

EngineConnection::Reply EngineConnection::ProcessClose(const Request& request, TaskState& task)
{
    const auto pipeId = ArgInt(request.args, "pipe_id");
    if (!ArgPresent(request.args, "pipe_id"))
        throw PipeIdMissing(679);
    auto it = pipeId ? task.pipes.find(*pipeId) : task.pipes.end();
    if (it == task.pipes.end())
        throw EngineError{"Close pipe with id " + ValueText(request.args.at("pipe_id")) + " not found", "data_conn.py",
                          684};
    PipeState pipe = std::move(it->second);
    task.pipes.erase(it);
    const std::string sha = pipe.hash.FinalHex();
    const std::string truncation =
        pipe.truncated ? "\n[dapscope mock: echo truncated, " + std::to_string(pipe.bytes) + " bytes received]" : "";

    // PIPELINE_RESULT, keys in the order of the fixtures.
    boost::json::object result;
    if (pipe.lane == "text")
    {
        result["result_types"] = {{"text", "text"}};
        result["text"] = boost::json::array{boost::json::string(pipe.text + truncation)};
        task.wordsSize += static_cast<int64_t>(pipe.text.size());
        task.wordsCount += CountWords(pipe.text);
    }
    else if (pipe.lane == "questions")
    {
        result["result_types"] = {{"answers", "answers"}};
        result["answers"] = boost::json::array{boost::json::string(Answer(pipe.text))};
    }
    else
    {
        result["result_types"] = {{"text", "text"}};
        result["text"] = boost::json::array{boost::json::string(
            "[" + pipe.lane + " object: " + std::to_string(pipe.bytes) + " bytes, sha256=" + sha + "]")};
    }
    result["name"] = pipe.objectName;
    result["path"] = "";
    result["objectId"] = HashUuid(task.token + "/" + pipe.objectName + "/" + std::to_string(++task.objectSerial), '5');

    const auto size = static_cast<int64_t>(pipe.bytes);
    task.totalSize += size;
    ++task.totalCount;
    task.completedSize += size;
    ++task.completedCount;

    if (m_options.flowEvents && !task.traceLevel.empty())
    {
        const auto hops = FlowHops(task, pipe.lane);
        boost::json::array stack{boost::json::string(task.source)};
        for (const auto& [component, lane] : hops)
        {
            stack.emplace_back(component);
            m_state.PublishTaskEvent(task, kEventFlow, "apaevt_flow",
                                     FlowBody(task, pipe.id, "enter", stack, {{"lane", lane}}));
        }
        for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop)
        {
            stack.pop_back();
            m_state.PublishTaskEvent(task, kEventFlow, "apaevt_flow",
                                     FlowBody(task, pipe.id, "leave", stack, {{"lane", hop->second}}));
        }
        m_state.PublishTaskEvent(task, kEventFlow, "apaevt_flow",
                                 FlowBody(task, pipe.id, "end", boost::json::array(), {{"result", result}}));
    }
    m_state.PublishTaskEvent(task, kEventOutput, "output",
                             {{"category", "console"},
                              {"output", "object \"" + pipe.objectName + "\" lane=" + pipe.lane +
                                             " bytes=" + std::to_string(pipe.bytes) + " sha256=" + sha + "\n"}});
    m_state.PublishStatus(task);

    Reply reply;
    reply.body = std::move(result);
    return reply;
}

} // namespace dapscope::mock
