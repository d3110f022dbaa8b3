// dapscope-ui-bench: the GUI on a store with a 1,000,000-message session. Measures the time to the first frame
// showing that session's rows after opening the store, frame times while scrolling (smoothly and by jumps), frame
// times while a writer appends ~1,000 messages/s to the session (the table following its tail), and resident
// memory. Runs the real App on the GLFW + OpenGL3 backend (needs a display: xvfb-run) or on ImGui's null
// backend (--backend null: CPU side only).
//
//   xvfb-run -a -s "-screen 0 1920x1080x24" build/bin/dapscope-ui-bench [--messages 1000000] [--store FILE]

#include "bench/SyntheticStore.hpp"
#include "platform/GlfwPlatform.hpp"
#include "platform/HeadlessPlatform.hpp"
#include "ui/App.hpp"
#include "ui/views/MessageTableView.hpp"
#include "ui/views/TimelineView.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <unistd.h>
#include <vector>

namespace
{
using namespace dapscope;
using Clock = std::chrono::steady_clock;

struct Args
{
    std::string store;            // existing store to use (else one is made in a temporary folder)
    int64_t messages = 1000000;   // size of the big session
    std::string backend = "glfw"; // glfw | null
    int frames = 600;             // frames per scrolling phase
    double appendSeconds = 10;    // length of the live-append phase
    int appendRate = 1000;        // messages per second appended
    bool keep = false;            // keep the generated store
};

long StatusKiB(const char* field)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0)
            return std::atol(line.c_str() + std::strlen(field));
    return 0;
}

struct Series
{
    std::vector<double> ms;
    void Add(double value) { ms.push_back(value); }
    double Percentile(double p) const
    {
        if (ms.empty())
            return 0;
        std::vector<double> sorted = ms;
        std::sort(sorted.begin(), sorted.end());
        return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())))];
    }
    void Print(const char* name) const
    {
        std::printf("%-34s frames %5zu   p50 %6.2f ms   p95 %6.2f ms   p99 %6.2f ms   max %6.2f ms\n", name, ms.size(),
                    Percentile(0.50), Percentile(0.95), Percentile(0.99), Percentile(1.0));
    }
};

// One frame on whichever backend; returns its wall time in ms.
class Driver
{
  public:
    explicit Driver(const std::string& backend)
    {
        if (backend == "null")
            m_headless = std::make_unique<ui::HeadlessPlatform>(ImVec2(1400, 850));
        else
        {
            ui::PlatformOptions options;
            options.visible = true;
            m_glfw = std::make_unique<ui::GlfwPlatform>(options);
        }
    }
    std::function<void()> Waker()
    {
        return m_glfw ? m_glfw->Waker() : std::function<void()>([] {});
    }
    // Wall time of one frame; `build` receives the part spent building it (UI thread, before OpenGL).
    double Frame(ui::App& app, Series* build = nullptr)
    {
        if (m_glfw)
        {
            const auto times = m_glfw->Frame(app);
            if (build)
                build->Add(times.buildMs);
            return times.totalMs;
        }
        const auto start = Clock::now();
        m_headless->Frame(app);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        if (build)
            build->Add(ms);
        return ms;
    }

  private:
    std::unique_ptr<ui::GlfwPlatform> m_glfw;
    std::unique_ptr<ui::HeadlessPlatform> m_headless;
};

int Run(const Args& args)
{
    std::string store = args.store;
    std::string folder;
    if (store.empty() || !std::filesystem::exists(store))
    {
        if (store.empty())
        {
            folder =
                (std::filesystem::temp_directory_path() / ("dapscope-ui-bench-" + std::to_string(getpid()))).string();
            std::filesystem::create_directories(folder);
            store = folder + "/bench.db";
        }
        std::printf("bench: capturing a demo session into %s\n", store.c_str());
        if (std::string error = bench::MakeDemoStore(store, 1); !error.empty())
        {
            std::fprintf(stderr, "bench: %s\n", error.c_str());
            return 1;
        }
        const auto start = Clock::now();
        bench::GrowSession(store, 1, args.messages,
                           [](int64_t done, int64_t total)
                           {
                               if (done % 100000 < 98000)
                                   return;
                               std::printf("\rbench: growing session 1: %lld / %lld", static_cast<long long>(done),
                                           static_cast<long long>(total));
                               std::fflush(stdout);
                           });
        std::printf("\nbench: session 1 grown in %.1f s, store %.0f MiB\n",
                    std::chrono::duration<double>(Clock::now() - start).count(),
                    static_cast<double>(std::filesystem::file_size(store)) / (1 << 20));
    }
    const long baseRss = StatusKiB("VmRSS:");

    Driver driver(args.backend);
    // --- Cold start: the App opens the store (as `dapscope-ui FILE.db` does) before its very first frame, which
    // also compiles the GL shaders and uploads the font atlas.
    {
        const auto coldStart = Clock::now();
        ui::AppOptions options;
        options.storePath = store;
        options.session = 1;
        ui::App cold(options, driver.Waker());
        auto* coldTable = cold.FindView<ui::MessageTableView>();
        while (coldTable->DrawnRows() == 0 && Clock::now() - coldStart < std::chrono::seconds(30))
            driver.Frame(cold);
        std::printf("cold start: first frame with rows %.0f ms after the App was created\n",
                    std::chrono::duration<double, std::milli>(Clock::now() - coldStart).count());
    }
    // --- File > Open in a running GUI: open the store, show the big session, wait for the first frame with rows.
    ui::App app(ui::AppOptions{}, driver.Waker());
    for (int i = 0; i < 3; ++i)
        driver.Frame(app);
    const auto openStart = Clock::now();
    try
    {
        app.OpenStore(store);
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "bench: %s\n", e.what());
        return 1;
    }
    app.Context().bus.Post(ui::SelectSession{1});
    auto* table = app.FindView<ui::MessageTableView>();
    auto* timeline = app.FindView<ui::TimelineView>();
    int firstFrames = 0;
    double firstFrameMs = 0;
    while (true)
    {
        driver.Frame(app);
        ++firstFrames;
        if (table->DrawnRows() > 0)
        {
            firstFrameMs = std::chrono::duration<double, std::milli>(Clock::now() - openStart).count();
            break;
        }
        if (Clock::now() - openStart > std::chrono::seconds(30))
        {
            std::fprintf(stderr, "bench: no rows after 30 s\n");
            return 1;
        }
    }
    std::printf("open: first frame with rows of the %lld-message session %.0f ms after opening (%d frames)\n",
                static_cast<long long>(app.Context().model->Session(1)->messages), firstFrameMs, firstFrames);

    // Frames while the index and the timeline load in the background.
    Series loading, loadingBuild;
    double indexDoneMs = 0, timelineDoneMs = 0;
    while ((!indexDoneMs || !timelineDoneMs) && Clock::now() - openStart < std::chrono::seconds(60))
    {
        loading.Add(driver.Frame(app, &loadingBuild));
        const double now = std::chrono::duration<double, std::milli>(Clock::now() - openStart).count();
        if (!indexDoneMs && !app.Context().index->Scanning())
            indexDoneMs = now;
        if (!timelineDoneMs && timeline->Data() && !timeline->Busy())
            timelineDoneMs = now;
    }
    std::printf("index of %zu ids complete after %.0f ms; timeline (%zu spans) after %.0f ms\n",
                app.Context().index->Size(), indexDoneMs, timeline->Data() ? timeline->Data()->SpanCount() : 0,
                timelineDoneMs);
    loading.Print("frames while loading in background");
    loadingBuild.Print("  of which building the frame");

    // --- Scrolling: smooth (40 rows per frame) and jumps (anywhere in the million).
    const size_t rows = app.Context().index->Size();
    Series smooth, jumps, smoothBuild, jumpsBuild;
    size_t position = 0;
    for (int i = 0; i < args.frames; ++i)
    {
        table->ScrollToPosition(position);
        smooth.Add(driver.Frame(app, &smoothBuild));
        position = (position + 40) % rows;
    }
    uint64_t seed = 12345;
    for (int i = 0; i < args.frames; ++i)
    {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        table->ScrollToPosition(static_cast<size_t>((seed >> 33) % rows));
        jumps.Add(driver.Frame(app, &jumpsBuild));
    }
    smooth.Print("scrolling 40 rows per frame");
    smoothBuild.Print("  of which building the frame");
    jumps.Print("scrolling by random jumps");
    jumpsBuild.Print("  of which building the frame");

    // --- Live: a writer appends ~appendRate messages/s to the session (made live), the table follows the tail.
    auto copier = std::make_unique<bench::SessionCopier>(store, 1, 1, 98); // one demo session's worth per copy
    copier->SetEnded(false);
    std::atomic<bool> stop{false};
    std::atomic<int64_t> appended{0};
    std::thread writerThread(
        [&]
        {
            // Like the recorder: a transaction every ~50 ms with whatever is due by then.
            const auto start = Clock::now();
            const double perCopy = static_cast<double>(copier->TemplateMessages());
            while (!stop)
            {
                const double due = std::chrono::duration<double>(Clock::now() - start).count() * args.appendRate;
                if (static_cast<double>(appended.load()) < due)
                    appended += copier->Append(
                        static_cast<int64_t>(std::ceil((due - static_cast<double>(appended.load())) / perCopy)));
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        });
    table->ScrollToPosition(rows); // to the bottom: follow the tail
    Series live, liveBuild;
    const auto liveStart = Clock::now();
    while (Clock::now() - liveStart < std::chrono::duration<double>(args.appendSeconds))
    {
        const auto frameStart = Clock::now();
        live.Add(driver.Frame(app, &liveBuild));
        std::this_thread::sleep_until(frameStart + std::chrono::milliseconds(16)); // a 60 Hz display
    }
    stop = true;
    writerThread.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - liveStart).count();
    std::printf("live: %lld messages appended in %.1f s (%.0f/s), index now %zu ids\n",
                static_cast<long long>(appended.load()), seconds, static_cast<double>(appended.load()) / seconds,
                app.Context().index->Size());
    live.Print("frames while capture appends");
    liveBuild.Print("  of which building the frame");
    std::printf("resident memory: %ld MiB now, peak %ld MiB (before opening the store: %ld MiB)\n",
                StatusKiB("VmRSS:") / 1024, StatusKiB("VmHWM:") / 1024, baseRss / 1024);
    if (!folder.empty() && !args.keep)
        std::filesystem::remove_all(folder);
    else if (!folder.empty())
        std::printf("store kept: %s\n", store.c_str());
    return 0;
}
} // namespace

int main(int argc, char** argv)
{
    Args args;
    CLI::App cli("dapscope-ui-bench: GUI time to first frame, frame times and memory on a big session");
    cli.add_option("--store", args.store, "Store to use; when missing it is created with a session of --messages");
    cli.add_option("--messages", args.messages, "Messages in the generated session (default 1,000,000)");
    cli.add_option("--backend", args.backend, "glfw (default; needs a display, e.g. xvfb-run) or null")
        ->check(CLI::IsMember({"glfw", "null"}));
    cli.add_option("--frames", args.frames, "Frames per scrolling phase");
    cli.add_option("--append-seconds", args.appendSeconds, "Length of the live-append phase");
    cli.add_option("--append-rate", args.appendRate, "Messages per second appended during the live phase");
    cli.add_flag("--keep", args.keep, "Keep the generated store");
    CLI11_PARSE(cli, argc, argv);
    try
    {
        return Run(args);
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "bench: %s\n", e.what());
        return 1;
    }
}
