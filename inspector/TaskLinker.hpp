#pragma once
// Links messages to tasks (display ids such as "5d41402a.webhook_1") and to rrext_process pipes.

#include "Envelope.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dapscope::inspector
{

// What the linker needs to remember about a pending request until its response arrives.
struct RequestLink
{
    std::string task;              // display id of the request's task, "" when unknown
    std::optional<int64_t> pipeId; // the open pipe the request refers to (write, close, monitor)
    uint64_t pipeOpen = 0;         // which open of that pipe id, so a close ends only its own open
    bool opensPipe = false;        // rrext_process open: its response brings the pipe id
    bool closesPipe = false;       // rrext_process close: its response ends the pipe
    std::string token;             // task token (kept for opens: it scopes the new pipe)
    std::string source;            // arguments.source of rrext_get_token: derives the display id
};

struct MessageLink
{
    std::string task;              // display id, "" when unknown
    std::optional<int64_t> pipeId; // pipe, when the message belongs to an open one
};

struct ResponseLink
{
    MessageLink response;                 // the response's own task and pipe
    std::string requestTask;              // task the request turned out to belong to, "" = unchanged
    std::optional<int64_t> requestPipeId; // pipe the request opened
};

// The display id the engine derives from a task token: first 8 characters after tk_/pk_, ".", source.
std::string DeriveDisplayId(std::string_view token, std::string_view source);

class TaskLinker
{
  public:
    RequestLink OnRequest(const Envelope& env, const boost::json::object& root) const;
    ResponseLink OnResponse(const Envelope& env, const boost::json::object& root, std::string_view requestCommand,
                            const RequestLink& request);
    MessageLink OnEvent(const Envelope& env, const boost::json::object& root) const;

  private:
    struct OpenPipe
    {
        std::string token; // task token used to open it: pipe ids are only unique per task
        std::string task;  // display id of that task, "" when unknown
        int64_t pipeId;    // id from the open response; the engine reuses it after close
        uint64_t open;     // number of this open within the session
    };

    std::string TaskOfToken(std::string_view token, std::string_view source) const;
    const OpenPipe* FindPipe(std::string_view token, int64_t pipeId) const;
    void RegisterToken(std::string_view token, std::string_view task);

    struct TokenHash // lets string_view tokens be looked up without a temporary std::string
    {
        using is_transparent = void;
        size_t operator()(std::string_view token) const noexcept { return std::hash<std::string_view>{}(token); }
    };

    std::unordered_map<std::string, std::string, TokenHash, std::equal_to<>> m_tokenTasks; // token -> display id
    std::vector<OpenPipe> m_openPipes; // pipes between open response and close response
    uint64_t m_opens = 0;              // pipes opened so far
};

} // namespace dapscope::inspector
