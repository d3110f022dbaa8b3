#pragma once
// JSON helpers shared by client replay and serve-replay: DAP frames as documents, JSONPath text, redaction
// markers, and the comparison of what a message said then with what it says now.

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::replay
{

namespace json = boost::json;

// One DAP message as a document: the JSON (the header of a DAP binary frame) and the raw payload.
struct Frame
{
    json::value doc;         // the parsed JSON; null when it does not parse
    std::string payload;     // DAP binary: the bytes after the first 0x0A, exactly as captured
    bool binary = false;     // sent as a binary WebSocket message
    bool hasPayload = false; // a binary frame with a 0x0A separator
};

// Split and parse one message (PROTOCOL.md §2).
Frame ParseFrame(bool binary, std::string_view bytes);
// The message bytes of a frame: its JSON, then 0x0A and the payload when it has one.
std::string SerializeFrame(const Frame& frame);

// Typed access to an object member; nullptr / nullopt / "" when absent or of another type.
const json::value* Member(const json::value& value, std::string_view key);
std::optional<int64_t> IntMember(const json::value& value, std::string_view key);
std::string_view StringMember(const json::value& value, std::string_view key);
// A response's success; a missing `success` counts as success, as the SDKs read it.
bool Succeeded(const json::value& response);
// The task token a request names: arguments.token, else the legacy top-level token.
std::string_view RequestToken(const json::value& request);

// JSONPath text: "$.arguments.env.MY_TOKEN", "$.body.tasks[0]", "$['odd key']".
void AppendPathKey(std::string& path, std::string_view key);
void AppendPathIndex(std::string& path, size_t index);

// Length of a redaction marker, "[redacted:" + 8 hex + "]".
inline constexpr size_t kMarkerSize = 19;

// Whether `text` is exactly one redaction marker.
bool IsMarker(std::string_view text);
// The redaction markers found inside `text` (whole or as part of it), in order.
std::vector<std::string> MarkersIn(std::string_view text);

struct MarkerAt
{
    std::string path;   // JSONPath of the string that holds it
    std::string marker; // "[redacted:xxxxxxxx]"
};
// Every redaction marker held by a string of the document (keys are not searched).
void FindMarkers(const json::value& value, std::string& path, std::vector<MarkerAt>& out);

struct Difference
{
    std::string path; // JSONPath of the value
    std::string then; // what the capture said (JSON text, shortened; "(absent)" when missing)
    std::string now;  // what the engine says now
};

// Append the paths where `now` differs from `expected` (a recorded value already rewritten by Remap), at most
// `limit` in all. Time-valued keys are skipped, numbers compare by value, and a redaction marker equals any
// value with the fingerprint it holds.
void Diff(const json::value& expected, const json::value& now, std::string& path, std::vector<Difference>& out,
          size_t limit);

// Keys whose values are clock readings (startTime, timestamp, modified, created_at, ...): never compared.
bool IsTimeKey(std::string_view key);

} // namespace dapscope::replay
