#pragma once
// Turns the relay's TapRecords into stored sessions and messages: gathers HTTP messages, decodes WebSocket
// bytes (frames, masks, permessage-deflate) into messages, runs the inspector (decode, redact, correlate) and
// produces the batch of store operations that writes them.
// Single-threaded. The Recorder takes batches (TakeBatch) and writes them on its own writer thread; import,
// tests and benchmarks write them at once through the TraceWriter given here (Flush).

#include "MessageBlocks.hpp"
#include "StoreOps.hpp"
#include "TraceWriter.hpp"
#include "capture/TapRecord.hpp"
#include "inspector/SessionInspector.hpp"
#include "wire/WsDecoder.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace dapscope::storage
{

struct IngestOptions
{
    inspector::RedactionPolicy redaction;        // applied to every session
    std::string source = "proxy";                // sessions.source
    std::optional<int64_t> replayOf;             // sessions.replay_of
    std::function<void(const std::string&)> log; // one line per notable session event (may be empty)
    uint64_t maxCaptureBytes = 64u << 20;        // bytes of one message kept; the rest is counted, not stored
    bool markersMeanRedacted = false;            // imports: bytes holding [redacted:...] markers were redacted
};

struct IngestStats
{
    uint64_t sessions = 0;
    uint64_t messages = 0;
    uint64_t elided = 0; // messages stored without (all of) their bytes because capture fell behind
};

class Ingestor
{
  public:
    Ingestor(TraceWriter& writer, IngestOptions options);

    // Apply records in relay order.
    void Apply(capture::TapRecord& record);
    // Sessions the relay never closed (capture stopped first) are ended with an error.
    void FinishAll(int64_t nowNs, const std::string& why);
    // The operations of everything applied since the last batch (with session counters and block summaries).
    StoreOps TakeBatch();
    // TakeBatch() written through the TraceWriter, in the caller's transaction. Throws SQLite::Exception.
    void Flush();

    const IngestStats& Stats() const { return m_stats; }
    // Store id of a relay session, or 0.
    int64_t StoreSession(uint64_t relaySession) const;

  private:
    // A message being reassembled from chunks or decoded frames.
    struct InFlight
    {
        bool active = false;
        int64_t id = 0; // message id, assigned at the first chunk
        inspector::Direction dir = inspector::Direction::ClientToServer;
        inspector::Opcode opcode = inspector::Opcode::Text;
        int64_t firstNs = 0;
        int64_t lastNs = 0;
        uint64_t size = 0;                     // bytes of the message as received (decompressed)
        std::optional<uint64_t> wireSize;      // bytes it took on the wire, when known
        uint32_t fragments = 0;                // chunks so far
        bool truncated = false;                // some bytes were not captured (--max-capture-bytes)
        bool elided = false;                   // some bytes were dropped by the tap queue
        bool generated = false;                // the proxy wrote it itself
        std::string problem;                   // why the transport could not decode it ("" = it could)
        std::string head;                      // first bytes, kept in memory for the inspector
        int chunks = 0;                        // tail chunks already streamed to message_chunks
        uint64_t streamed = 0;                 // bytes in those chunks
        bool loose = false;                    // bytes of no message the decoder saw start (lost, resynchronising)
        bool redacted = false;                 // known redacted (an import)
        std::optional<capture::RuleMark> mark; // what a rule did to it
    };

    // An HTTP message being gathered from its head, body and end.
    struct HttpInFlight
    {
        bool active = false;
        int64_t id = 0; // assigned at the head
        int64_t firstNs = 0;
        int64_t lastNs = 0;
        std::string head;
        std::string body;       // captured body (up to maxCaptureBytes)
        uint64_t bodySize = 0;  // body bytes as received, de-chunked
        uint64_t wireSize = 0;  // head and body bytes on the wire
        bool truncated = false; // body longer than what was captured
        bool elided = false;
        bool generated = false;
        std::string error;     // it was cut off
        bool redacted = false; // known redacted (an import)
    };

    struct Session
    {
        int64_t id = 0; // store id
        inspector::SessionInspector inspector;
        std::array<InFlight, 2> inFlight;           // data messages, per direction
        std::array<InFlight, 2> control;            // control frames, per direction (they may come between fragments)
        std::array<HttpInFlight, 2> http;           // per direction
        std::optional<HttpInFlight> upgradeRequest; // an upgrade request waiting for its answer
        bool upgrading = false;                     // the response being gathered is a 101
        std::array<std::optional<wire::WsDecoder>, 2> wire; // after the 101, per direction
        std::array<uint64_t, 2> wireOffset{};               // WebSocket bytes seen per direction
        std::optional<uint16_t> closeCode;                  // the first close frame seen
        std::string closeReason;
        uint64_t pendingMessages = 0; // counters not yet flushed to the store
        uint64_t pendingBytes = 0;
        uint64_t pendingElided = 0;
        uint64_t totalMessages = 0; // flushed counters, for the closing log line
        uint64_t totalBytes = 0;
        bool factsDirty = false;                        // auth facts changed since the last flush
        bool engineAnswered = false;                    // something came from the engine (not the proxy's own answers)
        bool ending = false;                            // the session is being closed
        bool feedingGenerated = false;                  // the WebSocket bytes being decoded are the proxy's own
        const capture::RuleMark* feedingMark = nullptr; // what a rule did to the message being decoded
        std::string upstream;                           // engine URI, for log lines
        std::string label;                              // "session N  client  path" for log lines
    };

    void OpenSession(capture::TapRecord& record);
    void AddChunk(Session& session, capture::TapRecord& record);
    // One decoded piece of a WebSocket message (from the relay's bytes, or an imported chunk).
    void AddPart(Session& session, inspector::Direction dir, const wire::DecodedPart& part, int64_t ns);
    void AddWireBytes(Session& session, capture::TapRecord& record);
    void AddHttpHead(Session& session, capture::TapRecord& record);
    void AddHttpBody(Session& session, capture::TapRecord& record);
    void EndHttp(Session& session, capture::TapRecord& record);
    void StoreHttp(Session& session, inspector::Direction dir, HttpInFlight& message);
    void Complete(Session& session, InFlight& message);
    void Start(InFlight& message, inspector::Direction dir, inspector::Opcode opcode, int64_t ns);
    // What an imported record knows of its message beyond the bytes (sizes, flags), applied to it.
    void KnownFacts(const capture::TapRecord& record, uint64_t& size, std::optional<uint64_t>& wireSize,
                    bool& truncated, bool& redacted) const;
    // Imports: stored bytes with [redacted:...] markers in them were redacted by the store they came from.
    bool HoldsMarkers(std::string_view bytes) const;
    // Keep a message's bytes: the first in memory for the inspector, the rest streamed, none past the cap.
    void Keep(Session& session, InFlight& message, std::string_view bytes);
    // Queue a message's insert with the updates it caused, and count it in its session.
    void Insert(Session& session, op::InsertMessage insert, const std::vector<inspector::MessageUpdate>& updates,
                bool elided);
    void CloseSession(Session& session, const capture::TapRecord& record);
    void Update(int64_t session, const inspector::MessageUpdate& update);
    void FlushSession(Session& session);
    void Log(const std::string& line) const;

    TraceWriter& m_writer;
    IngestOptions m_options;
    int64_t m_nextMessageId; // ids are handed out here, so a failed batch can be retried as is
    int64_t m_nextSessionId;
    std::map<uint64_t, Session> m_sessions; // live sessions by relay id
    std::map<uint64_t, int64_t> m_storeIds; // relay session id -> store session id (all seen)

    StoreOps m_ops;                                      // the batch being built
    std::unordered_map<int64_t, size_t> m_inserts;       // message id -> its InsertMessage in m_ops (in-batch updates)
    std::unordered_map<int64_t, SessionBlocks> m_blocks; // block summaries of live sessions, by store id
    std::vector<int64_t> m_endedSessions;                // sessions whose summaries go after the next batch
    IngestStats m_stats;
};

// Bytes of a message kept in memory for decoding; the rest is streamed to message_chunks as it arrives.
constexpr size_t kInspectBytes = 1u << 20;

} // namespace dapscope::storage
