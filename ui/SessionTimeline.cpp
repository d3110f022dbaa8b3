#include "SessionTimeline.hpp"

#include "inspector/Types.hpp"

namespace dapscope::ui
{

uint32_t SessionTimeline::Intern(const std::string& label)
{
    auto [it, inserted] = m_labelIndex.try_emplace(label, static_cast<uint32_t>(m_labels.size()));
    if (inserted)
        m_labels.push_back(label);
    return it->second;
}

void SessionTimeline::Add(const TimelineRow& row)
{
    using inspector::ExchangeState;
    using inspector::Kind;
    const int64_t previous = m_messages ? m_last : m_first;
    if (row.tsNs - previous > kGapNs)
        m_gaps.push_back({previous, row.tsNs});
    m_last = std::max(m_last, row.tsNs);
    m_lastId = row.id;
    ++m_messages;

    // HTTP exchanges are drawn like DAP requests: a span from the request to its response.
    const auto kind = static_cast<Kind>(row.kind);
    if (kind == Kind::Request || kind == Kind::HttpRequest)
    {
        uint32_t lane;
        if (!m_freeLanes.empty())
        {
            lane = m_freeLanes.top();
            m_freeLanes.pop();
        }
        else
        {
            lane = static_cast<uint32_t>(m_lanes.size());
            m_lanes.emplace_back();
        }
        TimelineSpan span;
        span.start = row.tsNs;
        span.end = kOpenEnd;
        span.request = row.id;
        span.label = Intern(row.label);
        const auto state = static_cast<ExchangeState>(row.state);
        span.status = state == ExchangeState::Unanswered ? SpanStatus::Unanswered : SpanStatus::Pending;
        m_lanes[lane].push_back(span);
        ++m_spans;
        // A request that will never be answered keeps its lane to the end (it is drawn to the session end);
        // the others free it when their response arrives.
        if (state != ExchangeState::Unanswered && state != ExchangeState::DuplicateSeq)
            m_open[row.id] = {lane, m_lanes[lane].size() - 1};
        return;
    }
    if (kind == Kind::Response || kind == Kind::HttpResponse)
    {
        auto it = row.pairId ? m_open.find(row.pairId) : m_open.end();
        if (it == m_open.end())
        {
            m_others.push_back({row.tsNs, row.id, Intern(row.label), static_cast<uint8_t>(kind)}); // orphan
            return;
        }
        auto [lane, index] = it->second;
        TimelineSpan& span = m_lanes[lane][index];
        span.end = row.tsNs;
        span.response = row.id;
        span.status = row.success == 0 ? SpanStatus::Failed : SpanStatus::Ok;
        m_open.erase(it);
        m_freeLanes.push(lane);
        return;
    }
    if (kind == Kind::Event)
        m_events.push_back({row.tsNs, row.id, Intern(row.label), static_cast<uint8_t>(kind)});
    else
        m_others.push_back({row.tsNs, row.id, Intern(row.label), static_cast<uint8_t>(kind)});
}

} // namespace dapscope::ui
