#pragma once
// Block summaries of a session's messages (a zone map): for every 1,024 messages of a session, the id range
// and the distinct commands, events and tasks in it, how many messages the "failed" filter matches, and the
// largest latency. A selective filter reads the few hundred summaries of a million-message session and scans
// only the blocks that can match, so the writer needs no per-column indexes (each would cost as much as the
// row insert itself).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dapscope::storage
{

constexpr int64_t kBlockMessages = 1024;

// The names column: "|c:rrext_ping|e:apaevt_sse|t:5d41402a.webhook_1|" (c = command, e = event, t = task).
std::string BlockNameToken(char kind, const std::string& name);

struct BlockSummary
{
    int64_t block = 0;       // 0, 1, ...: position of the block in its session
    int64_t firstId = 0;     // smallest message id in the block
    int64_t lastId = 0;      // largest message id in the block
    int64_t count = 0;       // messages in the block
    std::vector<std::string> names; // distinct tokens (BlockNameToken)
    int64_t problems = 0;    // messages the "failed only" filter matches (may over-count; read as a flag)
    int64_t maxLatencyNs = -1;
    bool dirty = false;      // changed since it was last written

    std::string NamesColumn() const;
};

// What a message contributes to its block.
struct BlockEntry
{
    int64_t id = 0;
    std::string command;
    std::string event;
    std::string task;
    bool problem = false;
    int64_t latencyNs = -1;
};

// The summaries of one session, built as its messages are stored (and by the migration for older stores).
class SessionBlocks
{
public:
    void Add(const BlockEntry& entry);
    // A stored message changed (paired later, linked to a task later, ended unanswered).
    void Update(const BlockEntry& entry);
    // Summaries changed since the last call; they are marked clean.
    std::vector<const BlockSummary*> TakeDirty();

private:
    BlockSummary* Find(int64_t id);
    static void Merge(BlockSummary& block, const BlockEntry& entry);

    std::vector<BlockSummary> m_blocks; // in block order
};

} // namespace dapscope::storage
