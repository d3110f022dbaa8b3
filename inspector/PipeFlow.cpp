#include "PipeFlow.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <map>

namespace dapscope::inspector
{

std::optional<FlowEvent> ParseFlowEvent(int64_t id, int64_t tsNs, std::string_view json)
{
    boost::system::error_code ec;
    boost::json::value root = boost::json::parse(json, ec);
    if (ec || !root.is_object())
        return std::nullopt;
    const auto* body = root.get_object().if_contains("body");
    if (!body || !body->is_object())
        return std::nullopt;
    const auto& b = body->get_object();
    FlowEvent e;
    e.id = id;
    e.tsNs = tsNs;
    const auto* pipe = b.if_contains("id");
    const auto* op = b.if_contains("op");
    if (!pipe || !op || !op->is_string())
        return std::nullopt;
    if (pipe->is_int64())
        e.pipe = pipe->get_int64();
    else if (pipe->is_uint64())
        e.pipe = static_cast<int64_t>(pipe->get_uint64());
    else if (pipe->is_double())
        e.pipe = static_cast<int64_t>(pipe->get_double());
    else
        return std::nullopt;
    e.op = std::string(op->get_string());
    if (const auto* pipes = b.if_contains("pipes"); pipes && pipes->is_array())
        for (const auto& component : pipes->get_array())
            if (component.is_string())
                e.pipes.emplace_back(component.get_string());
    if (const auto* trace = b.if_contains("trace"); trace && trace->is_object())
    {
        const auto& t = trace->get_object();
        if (const auto* lane = t.if_contains("lane"); lane && lane->is_string())
            e.lane = std::string(lane->get_string());
        if (const auto* error = t.if_contains("error"); error && !error->is_null())
            e.error = error->is_string() ? std::string(error->get_string()) : "error";
    }
    return e;
}

std::vector<PipeFlow> BuildPipeFlows(const std::vector<FlowEvent>& events)
{
    std::vector<PipeFlow> flows;
    std::map<int64_t, size_t> current;            // pipe id -> run in `flows` still open
    std::map<int64_t, int> runs;                  // pipe id -> runs seen
    std::map<size_t, std::vector<size_t>> stacks; // run -> open span indexes, by depth

    auto closeFrom = [&](size_t run, size_t depth, int64_t ts, int64_t id)
    {
        auto& stack = stacks[run];
        while (stack.size() > depth)
        {
            FlowSpan& span = flows[run].spans[stack.back()];
            span.end = ts;
            span.leaveId = id;
            stack.pop_back();
        }
    };
    auto openRun = [&](const FlowEvent& e)
    {
        PipeFlow flow;
        flow.pipe = e.pipe;
        flow.run = ++runs[e.pipe];
        flow.begin = e.tsNs;
        flow.end = e.tsNs;
        flows.push_back(std::move(flow));
        current[e.pipe] = flows.size() - 1;
        return flows.size() - 1;
    };

    for (const FlowEvent& e : events)
    {
        auto it = current.find(e.pipe);
        size_t run;
        if (e.op == "begin" || it == current.end())
        {
            if (it != current.end())
                closeFrom(it->second, 0, e.tsNs, e.id); // a begin without the previous end
            run = openRun(e);
        }
        else
            run = it->second;
        PipeFlow& flow = flows[run];
        flow.end = std::max(flow.end, e.tsNs);
        if (!e.error.empty())
            flow.error = e.error;

        // Compare the stack with the open spans: keep the common prefix, close the rest, open the new part.
        auto& stack = stacks[run];
        size_t common = 0;
        const std::vector<std::string>& next = e.op == "end" ? std::vector<std::string>{} : e.pipes;
        while (common < stack.size() && common < next.size() &&
               flows[run].spans[stack[common]].component == next[common])
            ++common;
        closeFrom(run, common, e.tsNs, e.id);
        for (size_t depth = common; depth < next.size(); ++depth)
        {
            FlowSpan span;
            span.start = e.tsNs;
            span.end = e.tsNs;
            span.depth = static_cast<int>(depth);
            span.component = next[depth];
            span.lane = e.lane;
            span.enterId = e.id;
            flows[run].spans.push_back(span);
            stack.push_back(flows[run].spans.size() - 1);
            flows[run].maxDepth = std::max(flows[run].maxDepth, static_cast<int>(depth));
        }
        if (e.op == "end")
        {
            flow.ended = true;
            current.erase(e.pipe);
        }
    }
    // Spans still open reach the last event of their pipe.
    for (auto& [run, stack] : stacks)
        for (size_t index : stack)
            flows[run].spans[index].end = flows[run].end;
    for (auto& flow : flows)
        std::stable_sort(flow.spans.begin(), flow.spans.end(),
                         [](const FlowSpan& a, const FlowSpan& b) { return a.start < b.start; });
    return flows;
}

} // namespace dapscope::inspector
