#pragma once
// The tools and resources of `dapscope mcp`: read-only views of a trace store, in the JSON shapes of
// `dapscope sessions/show/stats/search/diff --json`.

#include "Tool.hpp"

#include "storage/TraceReader.hpp"

#include <string>
#include <vector>

namespace dapscope::mcp
{

// What the tools read: one reader (one read-only connection) and the store's path for messages.
struct Store
{
    storage::TraceReader& reader;
    std::string path;
};

// list_sessions, session_summary, failures, list_messages, get_message, task_timeline, search, diff.
std::vector<Tool> StoreTools(Store& store);
// dapscope://session/{id} and dapscope://message/{id}.
Resources StoreResources(Store& store);
// What the server is for, for the model (initialize's instructions).
std::string StoreInstructions();

} // namespace dapscope::mcp
