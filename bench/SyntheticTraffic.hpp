#pragma once
// Realistic synthetic DAP traffic for store benchmarks: requests answered ~1 ms later, task events, a few
// failures; small messages of about 300 bytes, as TapRecords the recorder would receive from the relay.

#include "capture/TapRecord.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dapscope::bench
{

class SyntheticTraffic
{
  public:
    explicit SyntheticTraffic(uint64_t session = 1, int64_t startNs = 1'790'000'000'000'000'000)
        : m_session(session), m_now(startNs)
    {
    }

    // The records of the session's opening (SessionOpen, UpstreamOpen, auth exchange).
    std::vector<capture::TapRecord> Open();
    // The next `count` messages (one Chunk record each).
    void Next(size_t count, std::vector<capture::TapRecord>& out);
    capture::TapRecord Close();
    uint64_t PayloadBytes() const { return m_payloadBytes; }

  private:
    capture::TapRecord Message(inspector::Direction dir, std::string text);

    uint64_t m_session;
    int64_t m_now;           // advances ~50 us per message
    int64_t m_seq = 1;       // client seq
    int64_t m_serverSeq = 1; // server seq
    uint64_t m_step = 0;     // position in the traffic pattern
    uint64_t m_payloadBytes = 0;
};

} // namespace dapscope::bench
