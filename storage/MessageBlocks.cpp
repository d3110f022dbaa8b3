#include "MessageBlocks.hpp"

#include <algorithm>

namespace dapscope::storage
{

std::string BlockNameToken(char kind, const std::string& name)
{
    std::string token;
    token.reserve(name.size() + 2);
    token += kind;
    token += ':';
    token += name;
    return token;
}

namespace
{
// The two bits of a 3-byte sequence in a filter of kTrigramFilterBytes.
std::pair<uint32_t, uint32_t> TrigramBits(const unsigned char* p)
{
    const uint64_t h = (uint64_t(p[0]) | uint64_t(p[1]) << 8 | uint64_t(p[2]) << 16) * 0x9E3779B97F4A7C15ull;
    constexpr uint32_t kMask = kTrigramFilterBytes * 8 - 1;
    return {static_cast<uint32_t>(h >> 40) & kMask, static_cast<uint32_t>(h >> 20) & kMask};
}
} // namespace

void AddTrigrams(std::vector<uint8_t>& filter, std::string_view text)
{
    if (text.size() < 3)
        return;
    filter.resize(kTrigramFilterBytes);
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    for (size_t i = 0; i + 3 <= text.size(); ++i)
    {
        auto [a, b] = TrigramBits(p + i);
        filter[a >> 3] |= uint8_t(1u << (a & 7));
        filter[b >> 3] |= uint8_t(1u << (b & 7));
    }
}

bool MayContain(const uint8_t* filter, size_t size, std::string_view needle)
{
    if (needle.size() < 3 || size != kTrigramFilterBytes)
        return true;
    const auto* p = reinterpret_cast<const unsigned char*>(needle.data());
    for (size_t i = 0; i + 3 <= needle.size(); ++i)
    {
        auto [a, b] = TrigramBits(p + i);
        if (!(filter[a >> 3] & (1u << (a & 7))) || !(filter[b >> 3] & (1u << (b & 7))))
            return false;
    }
    return true;
}

std::string BlockSummary::NamesColumn() const
{
    std::string column = "|";
    for (const std::string& name : names)
    {
        column += name;
        column += '|';
    }
    return column;
}

void SessionBlocks::Merge(BlockSummary& block, const BlockEntry& entry)
{
    auto addName = [&](char kind, const std::string& name)
    {
        if (name.empty())
            return;
        std::string token = BlockNameToken(kind, name);
        if (std::find(block.names.begin(), block.names.end(), token) == block.names.end())
            block.names.push_back(std::move(token));
    };
    addName('c', entry.command);
    addName('e', entry.event);
    addName('t', entry.task);
    if (entry.problem)
        ++block.problems;
    block.maxLatencyNs = std::max(block.maxLatencyNs, entry.latencyNs);
    for (std::string_view text : entry.text)
        AddTrigrams(block.trigrams, text);
    block.dirty = true;
}

void SessionBlocks::Add(const BlockEntry& entry)
{
    if (m_blocks.empty() || m_blocks.back().count == kBlockMessages)
    {
        BlockSummary next;
        next.block = static_cast<int64_t>(m_blocks.size());
        next.firstId = next.lastId = entry.id;
        m_blocks.push_back(std::move(next));
    }
    BlockSummary& block = m_blocks.back();
    block.firstId = std::min(block.firstId, entry.id);
    block.lastId = std::max(block.lastId, entry.id);
    ++block.count;
    Merge(block, entry);
}

void SessionBlocks::Update(const BlockEntry& entry)
{
    // Changes only add to a summary (a name, a problem, a latency): it stays a superset, which is all a
    // filter needs to skip blocks safely.
    if (BlockSummary* block = Find(entry.id))
        Merge(*block, entry);
}

BlockSummary* SessionBlocks::Find(int64_t id)
{
    for (auto it = m_blocks.rbegin(); it != m_blocks.rend(); ++it) // recent blocks are the usual case
        if (id >= it->firstId && id <= it->lastId)
            return &*it;
    return nullptr;
}

std::vector<const BlockSummary*> SessionBlocks::TakeDirty()
{
    std::vector<const BlockSummary*> dirty;
    for (BlockSummary& block : m_blocks)
        if (block.dirty)
        {
            block.dirty = false;
            dirty.push_back(&block);
        }
    return dirty;
}

} // namespace dapscope::storage
