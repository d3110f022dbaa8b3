#pragma once
// Parses one JSON text at a time into a reusable arena: after warm-up, parsing a message allocates nothing.

#include <boost/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dapscope::inspector
{

// Deepest nesting of arrays and objects accepted in a message.
inline constexpr size_t MaxJsonDepth = 64;

class JsonReader
{
  public:
    // `arenaBytes` is kept allocated between messages; larger documents spill into temporary blocks.
    explicit JsonReader(size_t arenaBytes = 0);
    JsonReader(const JsonReader&) = delete;
    JsonReader& operator=(const JsonReader&) = delete;

    // Parse `json`. Returns the document (valid until the next Parse), or nullptr and Error() says why: wire
    // content that is not JSON is data, not an exception. The caller has already checked that `json` is valid UTF-8.
    boost::json::value* Parse(std::string_view json);
    // Why the last Parse returned nullptr ("not JSON: ... at byte 12"); "" after a success.
    const std::string& Error() const { return m_error; }

  private:
    std::unique_ptr<unsigned char[]> m_arena;                  // first block of m_resource, reused for every message
    size_t m_arenaBytes = 0;                                   // size of m_arena
    std::optional<boost::json::monotonic_resource> m_resource; // owns every node of m_value; fresh per message
    boost::json::parser m_parser;                              // keeps its value stack between messages
    std::optional<boost::json::value> m_value;                 // the last parsed document, in m_resource
    std::string m_error;                                       // why the last Parse failed
};

} // namespace dapscope::inspector
