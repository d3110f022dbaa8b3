#pragma once
// Helpers shared by the inspector tests: building wire messages, driving a session, loading fixtures.

#include "inspector/SessionInspector.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::inspector::test
{

inline constexpr Direction C2S = Direction::ClientToServer;
inline constexpr Direction S2C = Direction::ServerToClient;

inline WireMessage Wire(Direction dir, std::string_view bytes, Opcode opcode = Opcode::Text, int64_t firstNs = 0,
                        int64_t lastNs = 0)
{
    return WireMessage{dir, opcode, firstNs, lastNs, bytes, bytes.size(), false};
}

// Drives one SessionInspector with increasing message ids and a clock that advances 1000 ns per message
// (first byte at t, last byte at t + 100).
class Session
{
  public:
    explicit Session(RedactionPolicy policy = {}) : inspector(std::move(policy)) {}

    FeedResult Feed(Direction dir, std::string_view bytes, Opcode opcode = Opcode::Text)
    {
        m_clock += 1000;
        return inspector.Feed(m_nextId++, Wire(dir, bytes, opcode, m_clock, m_clock + 100));
    }
    FeedResult Send(std::string_view json) { return Feed(C2S, json); }
    FeedResult Receive(std::string_view json) { return Feed(S2C, json); }

    SessionInspector inspector; // the session under test

  private:
    MessageId m_nextId = 1; // id of the next message fed
    int64_t m_clock = 0;    // first-byte time of the last message fed
};

// What the store keeps for a message: the redacted bytes when set, else the wire bytes.
inline std::string Stored(const FeedResult& result, std::string_view wire)
{
    return result.message.redactedBytes.value_or(std::string(wire));
}

struct FixtureMessage
{
    Direction dir = Direction::ClientToServer; // "dir"
    Opcode opcode = Opcode::Text;              // "opcode"
    int64_t timeNs = 0;                        // "t" in nanoseconds
    std::string bytes;                         // "data", or "data_b64" decoded
};

// Load tests/fixtures/<name> (one JSON message per line).
std::vector<FixtureMessage> LoadFixture(const std::string& name);

} // namespace dapscope::inspector::test
