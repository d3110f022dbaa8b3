#pragma once
// A captured session as replay needs it: every data message and close frame, in wire order, with its stored
// bytes and the decoded columns of the trace store, and each request paired with its response.

#include "inspector/Types.hpp"
#include "storage/TraceReader.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dapscope::replay
{

struct RecordedMessage
{
    int64_t id = 0;                                                  // message id in the store
    inspector::Direction dir = inspector::Direction::ClientToServer; // who sent it
    inspector::Opcode opcode = inspector::Opcode::Text;              // text, binary or close
    inspector::Kind kind = inspector::Kind::Malformed;               // request, response, event, ...
    int64_t tsNs = 0;                                                // arrival of its first byte (wall clock)
    std::string bytes;                                               // stored bytes (secrets redacted)
    bool complete = true;                                            // all bytes were stored (not truncated or elided)
    std::optional<int64_t> seq;                                      // DAP seq
    std::string command;                                             // request command, echoed by its response
    std::string subcommand;                                          // arguments.subcommand
    std::string event;                                               // event name
    std::string task;                                                // task display id ("" = none known)
    std::optional<bool> success;      // a response's success (nullopt when absent: the SDKs read success)
    std::optional<int64_t> latencyNs; // of its exchange, when answered
    std::optional<size_t> pair;       // index of its request / response in Recording::messages
};

struct Recording
{
    storage::SessionSummary session;       // the session row
    std::vector<RecordedMessage> messages; // text, binary and close messages in wire order (pongs left out)
};

// A capture that cannot be replayed as asked: no such session, not a WebSocket session, unreadable, a redacted
// value nothing replaces... what() is the one-line message for the user.
class ReplayError : public std::runtime_error
{
  public:
    using std::runtime_error::runtime_error;
};

// Read session `id` from the store. Throws ReplayError when it does not exist or cannot be read.
Recording LoadRecording(storage::TraceReader& reader, int64_t id);

// The close frame payload: code and reason ({1005, ""} when it carried none).
std::pair<uint16_t, std::string> DecodeClose(std::string_view payload);

} // namespace dapscope::replay
