#include "TraceModel.hpp"

#include <algorithm>

namespace dapscope::ui
{

namespace
{
bool SameSession(const storage::SessionSummary& a, const storage::SessionSummary& b)
{
    return a.id == b.id && a.endedNs == b.endedNs && a.messages == b.messages && a.bytes == b.bytes &&
           a.clientName == b.clientName && a.closeCode == b.closeCode && a.error == b.error &&
           a.upstreamOk == b.upstreamOk && a.auth == b.auth && a.protocol == b.protocol &&
           a.extensions == b.extensions && a.subprotocol == b.subprotocol &&
           a.handshake == b.handshake; // an HTTP connection upgraded
}
} // namespace

TraceModel::TraceModel(const std::string& storePath)
    : m_path(storePath), m_reader(std::make_unique<storage::TraceReader>(storePath))
{
    m_dataVersion = m_reader->DataVersion();
    m_lastPoll = std::chrono::steady_clock::now();
    ReloadSessions();
}

bool TraceModel::PollChanges(std::chrono::steady_clock::time_point now, std::chrono::milliseconds interval)
{
    if (now - m_lastPoll < interval)
        return false;
    m_lastPoll = now;
    int64_t version = m_reader->DataVersion();
    if (version == m_dataVersion)
        return false;
    m_dataVersion = version;
    ReloadSessions();
    return true;
}

void TraceModel::ReloadSessions()
{
    std::vector<storage::SessionSummary> sessions = m_reader->Sessions();
    bool same = sessions.size() == m_sessions.size() &&
                std::equal(sessions.begin(), sessions.end(), m_sessions.begin(), SameSession);
    if (!same)
    {
        m_sessions = std::move(sessions);
        ++m_sessionsVersion;
    }
}

const storage::SessionSummary* TraceModel::Session(int64_t id) const
{
    auto it = std::lower_bound(m_sessions.begin(), m_sessions.end(), id,
                               [](const storage::SessionSummary& s, int64_t value) { return s.id < value; });
    return it != m_sessions.end() && it->id == id ? &*it : nullptr;
}

void TraceModel::Prefetch(std::span<const int64_t> ids)
{
    std::vector<int64_t> missing;
    for (int64_t id : ids)
        if (!m_rows.contains(id))
            missing.push_back(id);
    if (missing.empty())
        return;
    if (m_rows.size() + missing.size() > kMaxCachedRows)
        m_rows.clear();
    for (storage::MessageSummary& m : m_reader->MessagesById(missing))
    {
        int64_t id = m.id;
        m_rows.emplace(id, std::move(m));
    }
}

const storage::MessageSummary* TraceModel::Row(int64_t id) const
{
    auto it = m_rows.find(id);
    return it == m_rows.end() ? nullptr : &it->second;
}

std::optional<storage::MessageSummary> TraceModel::Message(int64_t id)
{
    return m_reader->Message(id);
}

} // namespace dapscope::ui
