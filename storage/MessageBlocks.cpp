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
    auto addName = [&](char kind, const std::string& name) {
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
