// The tools and resources of `dapscope mcp`, put together.

#include "StoreTools.hpp"

#include "StoreViews.hpp"
#include "cli/Format.hpp"

#include <algorithm>

namespace dapscope::mcp
{

namespace
{
constexpr std::string_view kSessionPrefix = "dapscope://session/";
constexpr std::string_view kMessagePrefix = "dapscope://message/";

// The id after `prefix` in `uri`, or nullopt.
std::optional<int64_t> UriId(const std::string& uri, std::string_view prefix)
{
    if (uri.rfind(prefix, 0) != 0)
        return std::nullopt;
    std::string digits = uri.substr(prefix.size());
    if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return std::stoll(digits);
}
} // namespace

std::vector<Tool> StoreTools(Store& store)
{
    return {ListSessionsTool(store), SessionSummaryTool(store), FailuresTool(store), ListMessagesTool(store),
            GetMessageTool(store),   TaskTimelineTool(store),   SearchTool(store),   DiffTool(store)};
}

Resources StoreResources(Store& store)
{
    Resources resources;
    resources.templates = json::array{
        json::object{{"uriTemplate", "dapscope://session/{id}"},
                     {"name", "session"},
                     {"title", "Captured session"},
                     {"description", "A session's summary (as the session_summary tool gives it)"},
                     {"mimeType", "application/json"}},
        json::object{{"uriTemplate", "dapscope://message/{id}"},
                     {"name", "message"},
                     {"title", "Captured message"},
                     {"description", "One message with its payload and pair (as the get_message tool gives it)"},
                     {"mimeType", "application/json"}},
    };
    resources.list = [&store](const std::optional<std::string>& cursor)
    {
        // The sessions, newest first, a page at a time; messages are reached through the template.
        int64_t before = INT64_MAX;
        if (cursor)
        {
            if (cursor->empty() || cursor->find_first_not_of("0123456789") != std::string::npos || cursor->size() > 18)
                throw ArgumentError("cursor", "not a cursor this server gave");
            before = std::stoll(*cursor);
        }
        std::vector<storage::SessionSummary> sessions = store.reader.Sessions();
        std::sort(sessions.begin(), sessions.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
        ResourceList list;
        int64_t lastId = 0;
        for (const storage::SessionSummary& s : sessions)
        {
            if (s.id >= before)
                continue;
            if (static_cast<int64_t>(list.resources.size()) == kDefaultRows)
            {
                list.nextCursor = std::to_string(lastId);
                break;
            }
            std::string description = cli::IsoTime(s.startedNs) + ", " + std::to_string(s.messages) + " messages" +
                                      (s.clientName.empty() ? "" : ", " + s.clientName) +
                                      (s.error.empty() ? "" : ", error: " + s.error);
            list.resources.push_back(json::object{{"uri", std::string(kSessionPrefix) + std::to_string(s.id)},
                                                  {"name", "session " + std::to_string(s.id)},
                                                  {"description", description},
                                                  {"mimeType", "application/json"}});
            lastId = s.id;
        }
        return list;
    };
    resources.read = [&store](const std::string& uri) -> json::value
    {
        if (std::optional<int64_t> id = UriId(uri, kSessionPrefix))
            if (std::optional<storage::SessionSummary> session = store.reader.Session(*id))
                return SessionSummaryJson(store, *session);
        if (std::optional<int64_t> id = UriId(uri, kMessagePrefix))
            if (std::optional<storage::MessageSummary> message = store.reader.Message(*id))
                return MessageDetailJson(store, *message);
        throw ResourceNotFound(uri);
    };
    return resources;
}

std::string StoreInstructions()
{
    return "dapscope captured the WebSocket traffic between RocketRide SDKs and the engine (DAP-style requests, "
           "responses and events) in a trace store. These tools read it, never change it. Start with list_sessions, "
           "then session_summary or failures for a session; list_messages and get_message for detail; task_timeline "
           "for one task; search across sessions; diff to compare a good run with a bad one. Answers are bounded "
           "(50 rows or 32 KiB): pass next_cursor back as cursor to continue. Secrets appear as [redacted:...].";
}

} // namespace dapscope::mcp
