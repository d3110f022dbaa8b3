#pragma once
// The values that differ between a capture and now (PROTOCOL.md §5.7): ids the engine hands out again
// (client replay learns them from responses), ids the client presents (serve-replay learns them from
// requests), and redaction markers whose secret is known now (the API key given to replay, the key a client
// presents to serve-replay). A recorded document is rewritten through it before it is sent or compared.

#include "ReplayJson.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dapscope::replay
{

// Recorded values at least this long are also replaced inside longer strings (a token in a status note);
// shorter ones only as whole values, so that "0" or "local" never shreds unrelated text.
inline constexpr size_t kMinInsideLength = 8;

class Remap
{
  public:
    // `recorded` now reads `now`. A marker keeps its first mapping (the secret given up front wins); ids take
    // the latest (pipe ids and handles are reused).
    void Add(const std::string& recorded, const std::string& now);
    // A pipe id handed out for a task: pipe ids are small pooled integers, so they are scoped by token.
    void AddPipe(std::string_view token, int64_t recorded, int64_t now);

    // Learn from the same value then and now: identifier fields (token, publicToken, id, handle, ...) whose
    // strings differ, and markers that now hold a value.
    void Learn(const json::value& recorded, const json::value& now);

    // Rewrite a recorded document into what it says now; `pipeScope` is the recorded task token its pipe ids
    // belong to. Returns whether anything changed.
    bool Apply(json::value& doc, std::string_view pipeScope) const;
    // Replace the markers known now inside raw bytes (payloads); ids are data there and stay as captured.
    bool ApplyToMarkers(std::string& bytes) const;

    // What a recorded string reads now, if it was remapped as a whole.
    const std::string* Lookup(std::string_view recorded) const;
    bool Empty() const { return m_exact.empty() && m_pipes.empty(); }

  private:
    void LearnAt(const json::value& recorded, const json::value& now, std::string_view key);
    bool ApplyAt(json::value& value, std::string_view key, std::string_view pipeScope) const;
    bool ApplyInside(json::string& text) const;

    std::unordered_map<std::string, std::string> m_exact;       // recorded string -> now
    std::vector<std::string> m_inside;                          // keys of m_exact searched inside text, longest first
    std::map<std::pair<std::string, int64_t>, int64_t> m_pipes; // (recorded token, recorded pipe) -> pipe now
};

} // namespace dapscope::replay
