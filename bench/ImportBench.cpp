// Import benchmark: peak memory and speed of `dapscope import` for HAR files of dapscope's own export, a large
// one (~1 GB, 1.5 M messages: memory must not grow with the file) and the 200,000-message one of issue 17
// (~134 MB), optionally also with an older dapscope (--ref) for a before/after.
//
// Each file is made by writing a synthetic session (SyntheticTraffic, ~300-byte DAP messages) into a store and
// running `dapscope export`. Each import runs as a child process into a fresh store; its peak resident set is
// the kernel's ru_maxrss from wait4() (its VmHWM at exit: exact, where polling /proc could miss the peak). A
// child's ru_maxrss also counts the parent's resident set when it was spawned (exec records the high-water mark
// of the memory it replaces), so this process stays small: the store is written by a forked child of its own.

#include "SyntheticTraffic.hpp"
#include "storage/Ingestor.hpp"
#include "storage/Store.hpp"
#include "support/TestProcess.hpp"

#include <CLI/CLI.hpp>

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

using namespace dapscope;
using Clock = std::chrono::steady_clock;

namespace
{
double Seconds(Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

struct Run
{
    int status = -1;     // exit status (128 + signal when killed)
    double seconds = 0;  // wall time
    long peakRssKiB = 0; // ru_maxrss
};

// Run a program to its end with its output on ours.
Run RunChild(const std::vector<std::string>& argv)
{
    std::vector<char*> args;
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    Run run;
    auto start = Clock::now();
    std::fflush(stdout);
    pid_t pid = 0;
    if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0)
    {
        std::fprintf(stderr, "cannot run %s\n", args[0]);
        return run;
    }
    int status = 0;
    struct rusage usage = {};
    if (wait4(pid, &status, 0, &usage) != pid)
        return run;
    run.seconds = Seconds(Clock::now() - start);
    run.peakRssKiB = usage.ru_maxrss;
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return run;
}

// A store holding one session of `messages` synthetic messages.
void WriteStore(const std::string& path, size_t messages)
{
    SQLite::Database db = storage::OpenForWriting(path);
    storage::TraceWriter writer(db);
    storage::Ingestor ingestor(writer, {});
    bench::SyntheticTraffic traffic;
    std::vector<capture::TapRecord> records = traffic.Open();
    size_t stored = 0;
    while (stored < messages)
    {
        traffic.Next(std::min<size_t>(10000, messages - stored), records);
        writer.Begin();
        for (capture::TapRecord& record : records)
            ingestor.Apply(record);
        ingestor.Flush();
        writer.Commit();
        stored = ingestor.Stats().messages;
        records.clear();
    }
    records.push_back(traffic.Close());
    writer.Begin();
    ingestor.Apply(records.back());
    ingestor.Flush();
    writer.Commit();
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

// A HAR of one session of `messages` messages, exported by dapscope from a synthetic store.
bool MakeHar(const std::string& dapscope, const std::string& dir, const std::string& har, size_t messages)
{
    const std::string store = dir + "/source.db";
    std::filesystem::remove(store);
    std::filesystem::remove(store + "-wal");
    auto start = Clock::now();
    std::fflush(stdout);
    pid_t writer = fork();
    if (writer == 0)
    {
        WriteStore(store, messages);
        _exit(0);
    }
    int status = -1;
    if (writer < 0 || waitpid(writer, &status, 0) != writer || status != 0)
        return false;
    double written = Seconds(Clock::now() - start);
    Run exported = RunChild({dapscope, "export", "1", "--db", store, "-o", har});
    if (exported.status != 0)
        return false;
    std::printf("  %s: %zu messages, %.1f MB (store written in %.1f s, exported in %.1f s, export peak RSS %.1f MiB)\n",
                har.c_str(), messages, static_cast<double>(std::filesystem::file_size(har)) / 1e6, written,
                exported.seconds, static_cast<double>(exported.peakRssKiB) / 1024.0);
    std::filesystem::remove(store);
    std::filesystem::remove(store + "-wal");
    std::filesystem::remove(store + "-shm");
    return true;
}

// Import `har` into a fresh store with `dapscope`; prints and returns the figures.
Run Import(const std::string& what, const std::string& dapscope, const std::string& dir, const std::string& har,
           size_t messages)
{
    const std::string store = dir + "/imported.db";
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(store + suffix);
    Run run = RunChild({dapscope, "import", har, "--db", store});
    if (run.status == 0)
        std::printf("  %-8s import: %.2f s, %.0f messages/s, peak RSS %.1f MiB\n", what.c_str(), run.seconds,
                    static_cast<double>(messages) / run.seconds, static_cast<double>(run.peakRssKiB) / 1024.0);
    else
        std::printf("  %-8s import: failed (exit %d) after %.2f s, peak RSS %.1f MiB\n", what.c_str(), run.status,
                    run.seconds, static_cast<double>(run.peakRssKiB) / 1024.0);
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(store + suffix);
    return run;
}
} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Import benchmark: peak RSS and messages/s of `dapscope import` for large HAR files",
                 "dapscope-bench-import"};
    size_t bigMessages = 1'500'000;
    size_t issueMessages = 200'000;
    std::string ref;
    std::string dir;
    int rounds = 1;
    bool keep = false;
    app.add_option("--messages", bigMessages, "Messages in the large HAR (0 = skip it)")->capture_default_str();
    app.add_option("--issue-messages", issueMessages, "Messages in the issue's HAR (0 = skip it)")
        ->capture_default_str();
    app.add_option("--ref", ref, "An older dapscope to import the issue's HAR with too (before/after)");
    app.add_option("--dir", dir, "Folder for the files (default: a temporary one; needs ~3x the HAR's size)");
    app.add_option("--rounds", rounds, "Imports of each file per binary (alternating)")->capture_default_str();
    app.add_flag("--keep", keep, "Keep the HAR files in --dir, and use them again when they are there");
    CLI11_PARSE(app, argc, argv);

    test::TempDir temp;
    if (dir.empty())
        dir = temp.Path();
    const std::string dapscope = test::BinPath("dapscope");
    int failures = 0;

    if (issueMessages > 0)
    {
        std::printf("issue 17's HAR:\n");
        const std::string har = dir + "/issue.har";
        if (!(keep && std::filesystem::exists(har)) && !MakeHar(dapscope, dir, har, issueMessages))
            return 1;
        for (int round = 0; round < rounds; ++round)
        {
            failures += Import("after", dapscope, dir, har, issueMessages).status != 0;
            if (!ref.empty())
                Import("before", ref, dir, har, issueMessages);
        }
        if (!keep)
            std::filesystem::remove(har);
    }
    if (bigMessages > 0)
    {
        std::printf("large HAR:\n");
        const std::string har = dir + "/large.har";
        if (!(keep && std::filesystem::exists(har)) && !MakeHar(dapscope, dir, har, bigMessages))
            return 1;
        for (int round = 0; round < rounds; ++round)
        {
            Run run = Import("after", dapscope, dir, har, bigMessages);
            failures += run.status != 0;
            const bool met = run.peakRssKiB < 150 * 1024;
            std::printf("  target peak RSS < 150 MiB: %s\n", met ? "met" : "MISSED");
            failures += !met;
        }
        // The same file cut short at 90 %: refused, before anything is written.
        const std::string cut = dir + "/large-cut.har";
        std::filesystem::copy_file(har, cut, std::filesystem::copy_options::overwrite_existing);
        std::filesystem::resize_file(cut, std::filesystem::file_size(har) / 10 * 9);
        std::printf("large HAR cut at 90 %%:\n");
        failures += Import("after", dapscope, dir, cut, bigMessages).status != 2;
        std::filesystem::remove(cut);
        if (!keep)
            std::filesystem::remove(har);
    }
    return failures == 0 ? 0 : 1;
}
