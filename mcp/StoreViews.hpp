#pragma once
// The JSON views the tools and the resources share: a session's summary, a message with its payload, filters.

#include "StoreTools.hpp"
#include "ToolSupport.hpp"

namespace dapscope::mcp
{

// The session `name` names, or ArgumentError.
storage::SessionSummary RequireSession(Store& store, const Arguments& args, std::string_view name = "session");

// session_summary's answer (SessionSummaryTool.cpp).
json::object SessionSummaryJson(Store& store, const storage::SessionSummary& session);
// get_message's answer: the message as `show --json` prints it, its payload, its pair (MessageView.cpp).
json::object MessageDetailJson(Store& store, const storage::MessageSummary& message);

// A message's payload: decoded JSON when it is small JSON, else text (cut at 16 KiB), else size, SHA-256 and the
// first bytes in hex.
json::object PayloadJson(Store& store, const storage::MessageSummary& message);

// The tools, one factory each.
Tool ListSessionsTool(Store& store);
Tool SessionSummaryTool(Store& store);
Tool FailuresTool(Store& store);
Tool TaskTimelineTool(Store& store);
Tool ListMessagesTool(Store& store);
Tool GetMessageTool(Store& store);
Tool SearchTool(Store& store);
Tool DiffTool(Store& store);

// The filters of `show`, read from arguments named as in the input schema FilterProperties gives.
storage::MessageFilter ReadFilter(const Arguments& args);
void AddFilterProperties(json::object& properties);

// The shape of a `show --json` row, for output schemas.
json::object MessageRowSchema();
json::object SessionRowSchema();

} // namespace dapscope::mcp
