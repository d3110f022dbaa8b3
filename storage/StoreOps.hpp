#pragma once
// What the Ingestor wants written, as plain data: the decode stage produces a batch of operations, the write
// stage applies it in one transaction. A batch can be retried as it is after a failed transaction (disk
// full), because the ids in it were handed out by the Ingestor, not by SQLite.

#include "MessageBlocks.hpp"
#include "inspector/SessionInspector.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dapscope::storage
{

struct SessionRow
{
    int64_t startedNs = 0;
    std::string client;
    std::string path;
    std::string upstream;
    std::string userAgent;
    std::string source = "proxy"; // 'proxy', 'import', 'replay'
    std::optional<int64_t> replayOf;
    std::string protocol = "websocket"; // 'websocket' or 'http' (a proxied connection until its 101)
    bool rules = false;                 // relayed with rules or the control endpoint on (they may act on it)
};

struct MessageRow
{
    int64_t id = 0;
    int64_t session = 0;
    inspector::Direction dir = inspector::Direction::ClientToServer;
    inspector::Opcode opcode = inspector::Opcode::Text;
    uint64_t size = 0;
    int64_t tsNs = 0;
    int64_t durNs = 0;
    uint32_t fragments = 1;
    uint32_t flags = 0;
    std::optional<uint64_t> wireSize; // bytes on the wire, when known
    std::string rule;                 // the rule that acted on it ("" none, or the proxy's own renumbering)
    std::string action;               // what it did ("" when nothing did)
};

struct SessionEnd
{
    int64_t endedNs = 0;
    uint16_t closeCode = 0;
    std::string closeReason;
    std::string closedBy;
    std::string error;
};

namespace op
{
struct BeginSession
{
    int64_t id;
    SessionRow row;
};
// The connection became a WebSocket session (a 101): what SDK and engine negotiated, and the two heads.
struct SessionUpgrade
{
    int64_t session;
    std::string extensions;                 // '' when none
    std::optional<std::string> subprotocol; // none
    std::string handshake;                  // request head + response head, redacted
};
struct UpstreamResult
{
    int64_t session;
    bool ok;
    std::string error;
};
struct InsertMessage
{
    MessageRow row;
    std::string data;                    // the bytes to store (already redacted)
    inspector::InspectedMessage decoded; // decoded fields
};
struct UpdateMessage
{
    inspector::MessageUpdate update;
};
struct AppendChunk
{
    int64_t message;
    int index;
    std::string data;
};
struct SessionTotals
{
    int64_t session;
    uint64_t messages;
    uint64_t bytes;
    uint64_t elided;
};
struct SessionFacts
{
    int64_t session;
    inspector::SessionFacts facts;
};
struct EndSession
{
    int64_t session;
    SessionEnd end;
};
struct UpsertBlock
{
    int64_t session;
    BlockSummary block;
};
} // namespace op

using StoreOp =
    std::variant<op::BeginSession, op::SessionUpgrade, op::UpstreamResult, op::InsertMessage, op::UpdateMessage,
                 op::AppendChunk, op::SessionTotals, op::SessionFacts, op::EndSession, op::UpsertBlock>;
using StoreOps = std::vector<StoreOp>;

} // namespace dapscope::storage
