#pragma once
// A task's messages (the inspector linked them to it: execute -> pipes -> events -> terminate) and the flow of
// its pipes (inspector/PipeFlow).

#include "inspector/PipeFlow.hpp"
#include "storage/TraceReader.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dapscope::ui
{

using inspector::BuildPipeFlows;
using inspector::FlowEvent;
using inspector::FlowSpan;
using inspector::ParseFlowEvent;
using inspector::PipeFlow;

// What the Tasks view shows for one task.
struct TaskDetail
{
    std::string task;
    std::vector<storage::TaskMessage> messages; // in id order (capped at kMaxMessages)
    bool truncated = false;                     // more messages than kMaxMessages
    std::vector<PipeFlow> flows;                // from its apaevt_flow events
    int64_t flowEvents = 0;                     // apaevt_flow events parsed

    static constexpr size_t kMaxMessages = 20000;
};

} // namespace dapscope::ui
