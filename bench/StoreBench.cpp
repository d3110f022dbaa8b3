// Store benchmark: ingest speed of small messages (the recorder's path: TapRecords -> Ingestor -> SQLite),
// store size per message, and first-page latency of filtered queries on the resulting large session.

#include "SyntheticTraffic.hpp"
#include "storage/Ingestor.hpp"
#include "storage/Recorder.hpp"
#include "storage/Store.hpp"
#include "storage/TraceReader.hpp"
#include "support/TestProcess.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

using namespace dapscope;
using Clock = std::chrono::steady_clock;

namespace
{
double Seconds(Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

double MedianMs(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}
} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Store benchmark: ingest rate, size per message, filtered first-page latency", "dapscope-bench-store"};
    size_t messages = 1'000'000;
    size_t batch = 1000;
    std::string keep;
    size_t recorderMessages = 300'000;
    app.add_option("--messages", messages, "Messages in the benchmark session")->capture_default_str();
    app.add_option("--batch", batch, "Records per transaction (the recorder's batch)")->capture_default_str();
    app.add_option("--keep", keep, "Write the store to this path and keep it (for the GUI benchmark)");
    app.add_option("--recorder-messages", recorderMessages,
                   "Messages pushed through the two-thread Recorder (pre-generated; 0 = skip)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    test::TempDir dir;
    std::string path = keep.empty() ? dir.File("bench.db") : keep;
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");

    bench::SyntheticTraffic traffic;
    double ingestSeconds = 0;
    size_t stored = 0;
    {
        SQLite::Database db = storage::OpenForWriting(path);
        storage::TraceWriter writer(db);
        storage::Ingestor ingestor(writer, {});
        std::vector<capture::TapRecord> records = traffic.Open();
        while (stored < messages)
        {
            traffic.Next(std::min(batch, messages - stored), records);
            auto start = Clock::now();
            writer.Begin();
            for (capture::TapRecord& record : records)
                ingestor.Apply(record);
            ingestor.Flush();
            writer.Commit();
            ingestSeconds += Seconds(Clock::now() - start);
            stored = ingestor.Stats().messages;
            records.clear();
        }
        records.push_back(traffic.Close());
        writer.Begin();
        ingestor.Apply(records.back());
        writer.Commit();
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    double rate = static_cast<double>(stored) / ingestSeconds;
    auto fileBytes = static_cast<double>(std::filesystem::file_size(path));
    double perMessage = fileBytes / static_cast<double>(stored);
    double rawPerMessage = static_cast<double>(traffic.PayloadBytes()) / static_cast<double>(stored);
    std::printf("ingest: %zu messages in %.2f s = %.0f messages/s (batches of %zu, one thread, decode + redact + "
                "correlate + write)\n",
                stored, ingestSeconds, rate, batch);
    std::printf("size: %.1f MiB, %.0f bytes/message, raw %.0f bytes/message, overhead %.0f bytes/message\n",
                fileBytes / 1048576.0, perMessage, rawPerMessage, perMessage - rawPerMessage);

    if (recorderMessages > 0)
    {
        // The recorder as the proxy runs it: decode thread + write thread, fed through the TapQueue.
        std::string recorderPath = dir.File("recorder.db");
        bench::SyntheticTraffic generator(1);
        std::vector<capture::TapRecord> all = generator.Open();
        generator.Next(recorderMessages, all);
        all.push_back(generator.Close());
        capture::TapQueue queue(size_t(1) << 30);
        storage::Recorder recorder(recorderPath, queue, {});
        auto start = Clock::now();
        for (size_t i = 0; i < all.size(); ++i)
        {
            queue.Push(std::move(all[i]));
            if (i % 1000 == 0)
                while (queue.QueuedBytes() > (64u << 20)) // stay far from the record cap: a producer, not a flood
                    std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        recorder.Sync(std::chrono::minutes(5));
        double seconds = Seconds(Clock::now() - start);
        storage::RecorderStats stats = recorder.Stats();
        std::printf("recorder (decode thread + write thread): %llu messages in %.2f s = %.0f messages/s, %llu lost\n",
                    static_cast<unsigned long long>(stats.messages), seconds,
                    static_cast<double>(stats.messages) / seconds,
                    static_cast<unsigned long long>(stats.lostRecords + queue.DroppedRecords()));
    }

    storage::TraceReader reader(path);
    int64_t session = reader.Sessions().back().id;
    struct Query
    {
        const char* name;
        storage::MessageFilter filter;
    };
    std::vector<Query> queries(9);
    queries[0] = {"no filter", {}};
    queries[1].name = "command = rrext_ping";
    queries[1].filter.command = "rrext_ping";
    queries[2].name = "event = apaevt_sse";
    queries[2].filter.event = "apaevt_sse";
    queries[3].name = "task = 5d41402a.webhook_1";
    queries[3].filter.task = "5d41402a.webhook_1";
    queries[4].name = "failed only";
    queries[4].filter.failedOnly = true;
    queries[5].name = "latency >= 0.1 ms";
    queries[5].filter.minLatencyNs = 100'000;
    queries[6].name = "text 'not found'";
    queries[6].filter.text = "not found";
    queries[7].name = "command = (rare) status";
    queries[7].filter.command = "rrext_get_task_status";
    queries[8].name = "task = (rare) 9f86d081...";
    queries[8].filter.task = "9f86d081.webhook_2";
    std::printf("first page (100 rows) of a %zu-message session, median of 5 (first run in brackets):\n", stored);
    for (Query& query : queries)
    {
        std::vector<double> times;
        size_t rows = 0;
        for (int i = 0; i < 5; ++i)
        {
            auto start = Clock::now();
            rows = reader.Messages(session, query.filter, 0, 100).size();
            times.push_back(Seconds(Clock::now() - start) * 1000);
        }
        std::printf("  %-28s %8.2f ms  (%.2f ms)  %zu rows\n", query.name, MedianMs(times), times[0], rows);
    }
    if (!keep.empty())
        std::printf("store kept at %s\n", path.c_str());
    return 0;
}
