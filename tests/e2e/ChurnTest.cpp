// 500 sessions opening and closing continuously for 60 s with traffic through `dapscope proxy`: no session
// sees another's traffic, and file descriptors and memory come back to their baseline afterwards.
// DAPSCOPE_CHURN_SECONDS shortens the run for local iterations.

#include "net/WsClient.hpp"
#include "support/ProxyProcess.hpp"
#include "support/TestProcess.hpp"
#include "support/Upstream.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;

namespace
{
size_t OpenFds(int pid)
{
    size_t count = 0;
    for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
        ++count;
    return count;
}
} // namespace

TEST(Churn, FiveHundredSessionsOpeningAndClosingForAMinute)
{
    const int seconds = std::getenv("DAPSCOPE_CHURN_SECONDS") ? std::atoi(std::getenv("DAPSCOPE_CHURN_SECONDS")) : 60;
    constexpr int kWorkers = 4;
    constexpr int kPerWorker = 125; // 500 sessions open at any time
    test::TempDir dir;
    test::EchoUpstream upstream;
    test::ProxyProcess proxy(test::Loopback(upstream.Port()), dir.File("t.db"), {"--quiet"});
    ASSERT_NE(proxy.Port(), 0);
    std::string url = proxy.Url();
    net::EventLoop clients("churn-clients");
    auto connect = [&]
    {
        net::WsClientOptions options;
        options.url = url;
        return net::WsClient::Connect(options, &clients);
    };

    // Baseline: the proxy after a first wave of 500 sessions has come and gone (its allocator warmed up), so a
    // leak shows as growth over the minute that follows.
    {
        std::vector<std::unique_ptr<net::WsClient>> warmup;
        for (int i = 0; i < kWorkers * kPerWorker; ++i)
            warmup.push_back(connect());
        for (auto& client : warmup)
            client->Close(1000, "");
        for (auto& client : warmup)
            client->WaitClosed(10s);
    }
    std::this_thread::sleep_for(6s); // past a free-memory return
    size_t baseFds = OpenFds(proxy.Process().Pid());
    long baseRss = proxy.Process().RssKiB();

    std::atomic<uint64_t> sessions{0};
    std::atomic<uint64_t> messages{0};
    std::atomic<uint64_t> mismatches{0};
    std::atomic<uint64_t> failures{0};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w)
        workers.emplace_back(
            [&, w]
            {
                std::vector<std::unique_ptr<net::WsClient>> open(kPerWorker);
                std::vector<uint64_t> generation(kPerWorker, 0);
                for (uint64_t round = 0; std::chrono::steady_clock::now() < deadline; ++round)
                    for (int c = 0; c < kPerWorker && std::chrono::steady_clock::now() < deadline; ++c)
                    {
                        if (!open[c])
                        {
                            open[c] = connect();
                            if (!open[c])
                            {
                                ++failures;
                                continue;
                            }
                            ++generation[c];
                            ++sessions;
                        }
                        std::string tag = "w" + std::to_string(w) + "-c" + std::to_string(c) + "-g" +
                                          std::to_string(generation[c]) + "-r" + std::to_string(round);
                        open[c]->SendText(tag);
                        auto echo = open[c]->Receive(10s);
                        if (!echo)
                            ++failures;
                        else if (echo->data != tag)
                            ++mismatches;
                        ++messages;
                        if ((round + static_cast<uint64_t>(c)) % 3 == 0) // a third of them close and reopen
                        {
                            open[c]->Close(1000, "");
                            open[c]->WaitClosed(10s);
                            open[c].reset();
                        }
                    }
                for (auto& client : open)
                    if (client)
                    {
                        client->Close(1000, "");
                        client->WaitClosed(10s);
                    }
            });
    for (auto& worker : workers)
        worker.join();

    // The proxy finishes the last closes and gives freed memory back every few seconds.
    size_t endFds = 0;
    long endRss = 0;
    for (int i = 0; i < 15; ++i)
    {
        std::this_thread::sleep_for(1s);
        endFds = OpenFds(proxy.Process().Pid());
        endRss = proxy.Process().RssKiB();
        if (endFds <= baseFds && endRss < baseRss + 8 * 1024)
            break;
    }
    std::printf("churn: %llu sessions, %llu messages in %d s; proxy fds %zu -> %zu, RSS %ld -> %ld KiB\n",
                static_cast<unsigned long long>(sessions.load()), static_cast<unsigned long long>(messages.load()),
                seconds, baseFds, endFds, baseRss, endRss);
    EXPECT_EQ(mismatches.load(), 0u) << "a session saw another session's traffic";
    EXPECT_EQ(failures.load(), 0u);
    EXPECT_GT(sessions.load(), 500u);
    EXPECT_LE(endFds, baseFds) << "file descriptors leaked";
    EXPECT_LT(endRss, baseRss + 8 * 1024) << "memory did not come back to its baseline";
    EXPECT_EQ(proxy.Stop(60s), 0);
}
