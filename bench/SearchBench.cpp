// Search benchmark: how long the first results of a search over every session take (TraceReader::Search, what
// `dapscope search` and the GUI's "All sessions" scope run), on a store of many sessions made through the
// recorder's own path (SyntheticTraffic -> Ingestor -> TraceWriter).

#include "SyntheticTraffic.hpp"
#include "storage/Ingestor.hpp"
#include "storage/Store.hpp"
#include "storage/TraceReader.hpp"
#include "support/TestProcess.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

using namespace dapscope;
using Clock = std::chrono::steady_clock;

namespace
{
double Ms(Clock::duration d)
{
    return std::chrono::duration<double, std::milli>(d).count();
}

double Median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

// `sessions` sessions of `perSession` messages each, one after the other, as capture would store them.
void MakeStore(const std::string& path, size_t sessions, size_t perSession)
{
    SQLite::Database db = storage::OpenForWriting(path);
    storage::TraceWriter writer(db);
    storage::Ingestor ingestor(writer, {});
    int64_t start = 1'790'000'000'000'000'000;
    for (size_t s = 1; s <= sessions; ++s)
    {
        bench::SyntheticTraffic traffic(s, start);
        std::vector<capture::TapRecord> records = traffic.Open();
        traffic.Next(perSession, records);
        records.push_back(traffic.Close());
        writer.Begin();
        for (capture::TapRecord& record : records)
            ingestor.Apply(record);
        ingestor.Flush();
        writer.Commit();
        start += 60'000'000'000; // a minute apart
    }
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}
} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Search benchmark: first results of a search across every session", "dapscope-bench-search"};
    size_t sessions = 1000;
    size_t perSession = 1000;
    int64_t page = 500;
    int runs = 5;
    std::string store;
    app.add_option("--sessions", sessions, "Sessions in the store")->capture_default_str();
    app.add_option("--messages-per-session", perSession, "Messages in each session")->capture_default_str();
    app.add_option("--page", page, "Results asked for (the GUI's page is 500)")->capture_default_str();
    app.add_option("--runs", runs, "Runs of each query (the median is reported)")->capture_default_str();
    app.add_option("--store", store, "Use this store (made first when it does not exist) and keep it");
    CLI11_PARSE(app, argc, argv);

    test::TempDir dir;
    const std::string path = store.empty() ? dir.File("search.db") : store;
    if (!std::filesystem::exists(path))
    {
        const auto start = Clock::now();
        MakeStore(path, sessions, perSession);
        std::printf("store: %zu sessions x %zu messages written in %.1f s (%.0f MiB)\n", sessions, perSession,
                    Ms(Clock::now() - start) / 1000, static_cast<double>(std::filesystem::file_size(path)) / 1048576);
    }

    storage::TraceReader reader(path);
    const auto all = reader.Sessions();
    int64_t messages = 0;
    for (const auto& s : all)
        messages += s.messages;
    std::printf("over %zu sessions, %lld messages; median of %d runs (first run in brackets): the first result, "
                "then the first %lld\n",
                all.size(), static_cast<long long>(messages), runs, static_cast<long long>(page));

    struct Query
    {
        const char* name;
        storage::MessageFilter filter;
    };
    std::vector<Query> queries(7);
    queries[0].name = "no filter";
    queries[1].name = "text 'not found' (failures)";
    queries[1].filter.text = "not found";
    queries[2].name = "text '\"thinking\"'";
    queries[2].filter.text = "\"thinking\"";
    queries[3].name = "command = rrext_ping";
    queries[3].filter.command = "rrext_ping";
    queries[4].name = "command = (rare) auth";
    queries[4].filter.command = "auth"; // once per session
    queries[5].name = "failed only";
    queries[5].filter.failedOnly = true;
    queries[6].name = "text in no message";
    queries[6].filter.text = "no-message-holds-this";
    for (const Query& query : queries)
    {
        std::printf("  %-30s", query.name);
        for (int64_t limit : {int64_t{1}, page})
        {
            std::vector<double> times;
            size_t hits = 0;
            for (int i = 0; i < runs; ++i)
            {
                const auto start = Clock::now();
                hits = reader.Search(query.filter, {}, limit).size();
                times.push_back(Ms(Clock::now() - start));
            }
            std::printf(" %9.2f ms (%8.2f) %4zu results", Median(times), times[0], hits);
        }
        std::printf("\n");
    }
    return 0;
}
