#pragma once
// Block summaries of a session's messages (a zone map): for every 1,024 messages of a session, the id range
// and the distinct commands, events and tasks in it, how many messages the "failed" filter matches, the
// largest latency, and a Bloom filter of the 3-byte sequences of their text (for the text filter). A selective filter
// reads the few hundred summaries of a million-message session and scans only the blocks that can match, so the writer
// needs no per-column indexes (each would cost as much as the row insert itself).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::storage
{

constexpr int64_t kBlockMessages = 1024;

// The names column: "|c:rrext_ping|e:apaevt_sse|t:5d41402a.webhook_1|" (c = command, e = event, t = task).
std::string BlockNameToken(char kind, const std::string& name);

// The trigrams column: a Bloom filter (2 bits per 3-byte sequence) of the text the text filter searches (the stored
// bytes, an HTTP message's target and head), so a search for a text reads only the blocks that may hold it.
// Case-sensitive, like the filter. 8 KiB: a block of JSON holds a few thousand distinct sequences, for which a
// 12-byte text that is not there passes the filter about once in millions of blocks.
constexpr size_t kTrigramFilterBytes = 8192;
void AddTrigrams(std::vector<uint8_t>& filter, std::string_view text);
// False when no text the filter was built from can contain `needle` (true for needles under 3 bytes).
bool MayContain(const uint8_t* filter, size_t size, std::string_view needle);

struct BlockSummary
{
    int64_t block = 0;              // 0, 1, ...: position of the block in its session
    int64_t firstId = 0;            // smallest message id in the block
    int64_t lastId = 0;             // largest message id in the block
    int64_t count = 0;              // messages in the block
    std::vector<std::string> names; // distinct tokens (BlockNameToken)
    int64_t problems = 0;           // messages the "failed only" filter matches (may over-count; read as a flag)
    int64_t maxLatencyNs = -1;
    std::vector<uint8_t> trigrams; // AddTrigrams of its messages' text (empty: none yet)
    bool dirty = false;            // changed since it was last written

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
    std::vector<std::string_view> text; // what the text filter searches (a new message; empty for an update)
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
