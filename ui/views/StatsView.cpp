#include "StatsView.hpp"

#include "storage/TraceReader.hpp"
#include "ui/Style.hpp"
#include "ui/Timeline.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace dapscope::ui
{

namespace
{
constexpr auto kLiveReload = std::chrono::seconds(2);

enum Column
{
    kCommand,
    kCount,
    kFailures,
    kUnanswered,
    kP50,
    kP95,
    kP99,
    kMax,
    kColumns
};
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

// [SECTION] StatsView

StatsView::StatsView(AppContext& context) : View("Stats", ViewSlot::Bottom, context)
{
    auto reset = [this]
    {
        ++m_generation;
        m_stats.reset();
        m_histogram.reset();
        m_statsSession = -1;
        m_loading = m_loadingHistogram = false;
    };
    m_ctx.bus.Subscribe<SelectSession>(this,
                                       [this, reset](const SelectSession&)
                                       {
                                           if (!m_allSessions)
                                               reset();
                                       });
    m_ctx.bus.Subscribe<StoreOpened>(this, [reset](const StoreOpened&) { reset(); });
    m_ctx.bus.Subscribe<StoreChanged>(this, [this](const StoreChanged&) { m_stale = true; });
}

void StatsView::Update()
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

void StatsView::Load()
{
    if (!m_ctx.model)
        return;
    m_loading = true;
    m_lastLoad = std::chrono::steady_clock::now();
    const uint64_t generation = m_generation;
    const std::weak_ptr<const char> alive = m_lifetime.Token();
    const std::string path = m_ctx.model->Path();
    const int64_t session = m_allSessions ? 0 : m_ctx.state.session;
    m_ctx.tasks.Run(
        "Statistics",
        [=, this](TaskContext& ctx)
        {
            std::vector<int64_t> scope; // empty = every session
            if (session)
                scope.push_back(session);
            auto stats = std::make_shared<storage::TraceStats>(ctx.Reader(path).Stats(scope));
            ctx.DoLater(
                [=, this]
                {
                    if (alive.expired() || generation != m_generation)
                        return;
                    m_loading = false;
                    m_stats = std::make_unique<storage::TraceStats>(std::move(*stats));
                    m_statsSession = session;
                    m_sortDirty = true;
                    // Keep the selected command; else pick the busiest one.
                    auto& commands = m_stats->commands;
                    const bool known = std::any_of(commands.begin(), commands.end(),
                                                   [&](const auto& c) { return c.command == m_command; });
                    if (!known && !commands.empty())
                        m_command = std::max_element(commands.begin(), commands.end(),
                                                     [](const auto& a, const auto& b) { return a.count < b.count; })
                                        ->command;
                    if (!m_command.empty())
                        LoadHistogram(m_command);
                });
        },
        [this, alive, generation](const std::string& error)
        {
            if (alive.expired() || generation != m_generation)
                return;
            m_loading = false;
            m_ctx.Notify("Stats: " + error);
        });
}

void StatsView::LoadHistogram(const std::string& command)
{
    m_command = command;
    m_loadingHistogram = true;
    const uint64_t generation = m_generation;
    const std::weak_ptr<const char> alive = m_lifetime.Token();
    const std::string path = m_ctx.model->Path();
    const int64_t session = m_allSessions ? 0 : m_ctx.state.session;
    m_ctx.tasks.Run("",
                    [=, this](TaskContext& ctx)
                    {
                        std::string sql = "SELECT latency_ns FROM messages WHERE kind = 0 AND command = ? AND "
                                          "latency_ns IS NOT NULL";
                        if (session)
                            sql += " AND session_id = ?";
                        SQLite::Statement q(ctx.Reader(path).Db(), sql);
                        q.bind(1, command);
                        if (session)
                            q.bind(2, session);
                        auto histogram = std::make_shared<LatencyHistogram>();
                        while (q.executeStep() && !ctx.Cancelled())
                            histogram->Add(q.getColumn(0).getInt64());
                        ctx.DoLater(
                            [=, this]
                            {
                                if (alive.expired() || generation != m_generation || command != m_command)
                                    return;
                                m_loadingHistogram = false;
                                m_histogram = std::make_unique<LatencyHistogram>(std::move(*histogram));
                            });
                    });
}

void StatsView::DrawContent()
{
    if (!m_ctx.model || (m_ctx.state.session == 0 && !m_allSessions))
    {
        ImGui::TextDisabled("Select a session to see its statistics.");
        return;
    }
    const int64_t wanted = m_allSessions ? 0 : m_ctx.state.session;
    if (m_statsSession != wanted && !m_loading)
        Load();
    if (ImGui::Checkbox("All sessions", &m_allSessions))
    {
        ++m_generation;
        m_loading = m_loadingHistogram = false;
        Load();
    }
    ImGui::SameLine();
    if (m_loading)
        ImGui::TextDisabled("computing...");
    if (!m_stats)
        return;
    ImGui::SameLine();
    ImGui::TextDisabled("%zu commands, %lld unanswered, %lld orphan responses, %lld malformed",
                        m_stats->commands.size(), static_cast<long long>(m_stats->unanswered),
                        static_cast<long long>(m_stats->orphans), static_cast<long long>(m_stats->malformed));
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    ImGui::BeginChild("commands", ImVec2(avail.x * 0.55f, 0), false);
    DrawCommands();
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("right", ImVec2(0, 0), false);
    DrawHistogram();
    DrawEvents();
    ImGui::EndChild();
}

void StatsView::DrawCommands()
{
    const auto& commands = m_stats->commands;
    const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_Sortable | ImGuiTableFlags_SizingFixedFit |
                                  ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable("command-stats", kColumns, flags))
        return;
    ImGui::TableSetupScrollFreeze(1, 1);
    ImGui::TableSetupColumn("Command", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 10, kCommand);
    ImGui::TableSetupColumn("Count", ImGuiTableColumnFlags_PreferSortDescending | ImGuiTableColumnFlags_DefaultSort, 0,
                            kCount);
    ImGui::TableSetupColumn("Failed", ImGuiTableColumnFlags_PreferSortDescending, 0, kFailures);
    ImGui::TableSetupColumn("Unans.", ImGuiTableColumnFlags_PreferSortDescending, 0, kUnanswered);
    ImGui::TableSetupColumn("p50", ImGuiTableColumnFlags_PreferSortDescending, 0, kP50);
    ImGui::TableSetupColumn("p95", ImGuiTableColumnFlags_PreferSortDescending, 0, kP95);
    ImGui::TableSetupColumn("p99", ImGuiTableColumnFlags_PreferSortDescending, 0, kP99);
    ImGui::TableSetupColumn("max", ImGuiTableColumnFlags_PreferSortDescending, 0, kMax);
    ImGui::TableHeadersRow();
    ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs();
    if ((specs && specs->SpecsDirty) || m_sortDirty || m_order.size() != commands.size())
    {
        m_order.resize(commands.size());
        std::iota(m_order.begin(), m_order.end(), 0);
        if (specs && specs->SpecsCount > 0)
        {
            const auto& spec = specs->Specs[0];
            auto key = [&](const storage::CommandStats& c) -> double
            {
                switch (spec.ColumnUserID)
                {
                case kCount:
                    return static_cast<double>(c.count);
                case kFailures:
                    return static_cast<double>(c.failures);
                case kUnanswered:
                    return static_cast<double>(c.unanswered);
                case kP50:
                    return c.p50Ms;
                case kP95:
                    return c.p95Ms;
                case kP99:
                    return c.p99Ms;
                case kMax:
                    return c.maxMs;
                default:
                    return 0;
                }
            };
            const bool ascending = spec.SortDirection != ImGuiSortDirection_Descending;
            std::stable_sort(m_order.begin(), m_order.end(),
                             [&](size_t a, size_t b)
                             {
                                 if (spec.ColumnUserID == kCommand)
                                     return ascending ? commands[a].command < commands[b].command
                                                      : commands[b].command < commands[a].command;
                                 return ascending ? key(commands[a]) < key(commands[b])
                                                  : key(commands[b]) < key(commands[a]);
                             });
            specs->SpecsDirty = false;
        }
        m_sortDirty = false;
    }
    auto ms = [](double value)
    {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, value < 10 ? "%.3f ms" : "%.1f ms", value);
        return std::string(buffer);
    };
    for (size_t index : m_order)
    {
        const storage::CommandStats& c = commands[index];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::PushID(static_cast<int>(index));
        if (ImGui::Selectable(c.command.empty() ? "(none)" : c.command.c_str(), c.command == m_command,
                              ImGuiSelectableFlags_SpanAllColumns))
            LoadHistogram(c.command);
        ImGui::PopID();
        ImGui::TableNextColumn();
        ImGui::Text("%lld", static_cast<long long>(c.count));
        ImGui::TableNextColumn();
        if (c.failures)
            ColoredText(colors::kFailed, std::to_string(c.failures).c_str());
        ImGui::TableNextColumn();
        if (c.unanswered)
            ColoredText(colors::kPending, std::to_string(c.unanswered).c_str());
        for (double value : {c.p50Ms, c.p95Ms, c.p99Ms, c.maxMs})
        {
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(ms(value).c_str());
        }
    }
    ImGui::EndTable();
}

void StatsView::DrawHistogram()
{
    ImGui::Text("Latency of %s", m_command.empty() ? "(select a command)" : m_command.c_str());
    if (!m_histogram || m_histogram->total == 0)
    {
        ImGui::TextDisabled(m_loadingHistogram ? "loading..." : "no answered request");
        return;
    }
    const LatencyHistogram& h = *m_histogram;
    ImGui::SameLine();
    ImGui::TextDisabled("%lld requests, %s .. %s", static_cast<long long>(h.total),
                        FormatSpan(static_cast<double>(h.minNs)).c_str(),
                        FormatSpan(static_cast<double>(h.maxNs)).c_str());
    const int first = LatencyHistogram::Bucket(h.minNs);
    const int last = static_cast<int>(h.counts.size()) - 1;
    const int buckets = std::max(1, last - first + 1);
    const float height = std::max(80.0f, ImGui::GetContentRegionAvail().y * 0.55f);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float width = ImGui::GetContentRegionAvail().x;
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const float axis = ImGui::GetTextLineHeight() + 4;
    const float plotHeight = height - axis;
    const int64_t peak = *std::max_element(h.counts.begin() + first, h.counts.end());
    const float barWidth = width / static_cast<float>(buckets);
    draw->AddRectFilled(origin, ImVec2(origin.x + width, origin.y + plotHeight), IM_COL32(25, 27, 32, 255));
    for (int i = first; i <= last; ++i)
    {
        const int64_t count = h.counts[static_cast<size_t>(i)];
        const float x0 = origin.x + static_cast<float>(i - first) * barWidth;
        const float barHeight = peak ? plotHeight * static_cast<float>(count) / static_cast<float>(peak) : 0;
        const ImVec2 a(x0 + 1, origin.y + plotHeight - barHeight), b(x0 + barWidth - 1, origin.y + plotHeight);
        if (count)
            draw->AddRectFilled(a, b, colors::kAccent);
        if ((i - first) % 2 == 0 || buckets < 12)
            draw->AddText(ImVec2(x0 + 2, origin.y + plotHeight + 2), colors::kDim,
                          FormatSpan(LatencyHistogram::Edge(i)).c_str());
        const ImGuiIO& io = ImGui::GetIO();
        if (ImGui::IsWindowHovered() && io.MousePos.x >= x0 && io.MousePos.x < x0 + barWidth &&
            io.MousePos.y >= origin.y && io.MousePos.y < origin.y + plotHeight)
        {
            draw->AddRect(ImVec2(x0, origin.y), ImVec2(x0 + barWidth, origin.y + plotHeight), colors::kDim);
            ImGui::SetTooltip("%s .. %s: %lld request(s)", FormatSpan(LatencyHistogram::Edge(i)).c_str(),
                              FormatSpan(LatencyHistogram::Edge(i + 1)).c_str(), static_cast<long long>(count));
        }
    }
    ImGui::Dummy(ImVec2(width, height));
}

void StatsView::DrawEvents()
{
    ImGui::Spacing();
    ImGui::Text("Events");
    if (!ImGui::BeginTable("event-stats", 2,
                           ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit))
        return;
    ImGui::TableSetupColumn("Event", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("Count");
    for (const auto& e : m_stats->events)
    {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ColoredText(colors::kEvent, e.event.c_str());
        ImGui::TableNextColumn();
        ImGui::Text("%lld", static_cast<long long>(e.count));
    }
    ImGui::EndTable();
}

} // namespace dapscope::ui
