#include "StatsModel.hpp"

#include <algorithm>
#include <cmath>

namespace dapscope::ui
{

namespace
{
constexpr auto kLiveReload = std::chrono::seconds(2);
} // namespace

// [SECTION] LatencyHistogram

double LatencyHistogram::Edge(int i)
{
    return kFirstEdgeNs * std::pow(10.0, static_cast<double>(i) / kBucketsPerDecade);
}

int LatencyHistogram::Bucket(int64_t ns)
{
    if (static_cast<double>(ns) < kFirstEdgeNs)
        return 0;
    return static_cast<int>(std::floor(std::log10(static_cast<double>(ns) / kFirstEdgeNs) * kBucketsPerDecade));
}

void LatencyHistogram::Add(int64_t ns)
{
    const size_t bucket = static_cast<size_t>(Bucket(ns));
    if (counts.size() <= bucket)
        counts.resize(bucket + 1);
    ++counts[bucket];
    minNs = total ? std::min(minNs, ns) : ns;
    maxNs = total ? std::max(maxNs, ns) : ns;
    ++total;
}

// [SECTION] StatsModel

StatsModel::StatsModel(AppContext& context) : m_ctx(context), m_loader(context.tasks)
{
    m_ctx.bus.Subscribe<SelectSession>(this,
                                       [this](const SelectSession&)
                                       {
                                           if (!m_allSessions)
                                               Reset();
                                       });
    m_ctx.bus.Subscribe<StoreOpened>(this, [this](const StoreOpened&) { Reset(); });
    m_ctx.bus.Subscribe<StoreChanged>(this, [this](const StoreChanged&) { m_stale = true; });
}

void StatsModel::Reset()
{
    m_loader.Reset();
    m_stats.reset();
    m_histogram.reset();
    m_statsSession = -1;
    m_loading = m_loadingHistogram = false;
}

void StatsModel::Show()
{
    if (m_statsSession != Scope() && !m_loading)
        Load();
}

void StatsModel::SetAllSessions(bool all)
{
    m_allSessions = all;
    m_loader.Reset();
    m_loading = m_loadingHistogram = false;
    Load();
}

void StatsModel::SelectCommand(const std::string& command)
{
    LoadHistogram(command);
}

void StatsModel::Update()
{
    if (!m_stale || m_loading || m_statsSession < 0)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (now - m_lastLoad < kLiveReload)
    {
        m_ctx.WakeAt(m_lastLoad + kLiveReload);
        return;
    }
    m_stale = false;
    Load();
}

void StatsModel::Load()
{
    if (!m_ctx.model)
        return;
    m_loading = true;
    m_lastLoad = std::chrono::steady_clock::now();
    const int64_t session = Scope();
    m_loader.Run(
        "Statistics", m_ctx.model->Path(),
        [session](storage::TraceReader& reader, TaskContext&)
        {
            std::vector<int64_t> scope; // empty = every session
            if (session)
                scope.push_back(session);
            return reader.Stats(scope);
        },
        [this, session](storage::TraceStats& stats)
        {
            m_loading = false;
            m_stats = std::make_unique<storage::TraceStats>(std::move(stats));
            m_statsSession = session;
            ++m_statsVersion;
            // Keep the selected command; else pick the busiest one.
            auto& commands = m_stats->commands;
            const bool known =
                std::any_of(commands.begin(), commands.end(), [&](const auto& c) { return c.command == m_command; });
            if (!known && !commands.empty())
                m_command = std::max_element(commands.begin(), commands.end(),
                                             [](const auto& a, const auto& b) { return a.count < b.count; })
                                ->command;
            if (!m_command.empty())
                LoadHistogram(m_command);
        },
        [this](const std::string& error)
        {
            m_loading = false;
            m_ctx.Notify("Stats: " + error);
        });
}

void StatsModel::LoadHistogram(const std::string& command)
{
    m_command = command;
    m_loadingHistogram = true;
    const int64_t session = Scope();
    m_loader.Run(
        "", m_ctx.model->Path(),
        [session, command](storage::TraceReader& reader, TaskContext&)
        {
            std::vector<int64_t> scope; // empty = every session
            if (session)
                scope.push_back(session);
            LatencyHistogram histogram;
            for (int64_t ns : reader.RequestLatencies(scope, command))
                histogram.Add(ns);
            return histogram;
        },
        [this, command](LatencyHistogram& histogram)
        {
            if (command != m_command)
                return;
            m_loadingHistogram = false;
            m_histogram = std::make_unique<LatencyHistogram>(std::move(histogram));
        });
}

} // namespace dapscope::ui
