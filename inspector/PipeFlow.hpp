#pragma once
// The per-pipe flow of a task's `apaevt_flow` events turned into nested component spans (the GUI's flow view and
// the OTLP export draw the same spans).
//
// apaevt_flow bodies are {id: pipe, op: begin|enter|leave|end, pipes: [component stack], trace: {lane, data,
// result, error}}. The stack after each event is compared with the one before: components that left the stack end
// their span, components that joined start one, at their depth. A pipe id reused after `end` starts a new run.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::inspector
{

struct FlowEvent
{
    int64_t id = 0; // message id
    int64_t tsNs = 0;
    int64_t pipe = 0;               // body.id
    std::string op;                 // begin / enter / leave / end
    std::vector<std::string> pipes; // component stack after the event
    std::string lane;               // trace.lane
    std::string error;              // trace.error, if any
};

struct FlowSpan
{
    int64_t start = 0;     // entered (ns)
    int64_t end = 0;       // left (ns); the pipe's last event while still open
    int depth = 0;         // position in the component stack (0 = the source)
    std::string component; // component id ("response_1")
    std::string lane;      // lane it entered on ("text")
    int64_t enterId = 0;   // message that opened it
    int64_t leaveId = 0;   // message that closed it (0 = still open)
};

struct PipeFlow
{
    int64_t pipe = 0;            // pipe id
    int run = 1;                 // 1, 2, ... when the engine reused the pipe id
    int64_t begin = 0;           // `begin` (ns)
    int64_t end = 0;             // `end` (ns), or the last event while open
    bool ended = false;          // `end` seen
    int maxDepth = 0;            // deepest stack
    std::string error;           // trace.error of any event
    std::vector<FlowSpan> spans; // by start
};

// Parse one apaevt_flow message (the JSON part of its bytes); nullopt when it is not one.
std::optional<FlowEvent> ParseFlowEvent(int64_t id, int64_t tsNs, std::string_view json);
// Turn flow events (in arrival order) into per-pipe nested spans, pipes in order of their first event.
std::vector<PipeFlow> BuildPipeFlows(const std::vector<FlowEvent>& events);

} // namespace dapscope::inspector
