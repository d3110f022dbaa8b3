// A session that carries a real-looking API key (in auth, in execute's env, inside a binary payload) goes
// through `dapscope proxy`; the key must then appear nowhere: not in any byte of the store and its WAL, not in
// any export format, not in the CLI's output, not in the proxy's own output. With --no-redact it is there,
// which shows this test can see it.

#include "mock/DapClient.hpp"
#include "mock/DemoSession.hpp"
#include "mock/MockEngineServer.hpp"
#include "support/ProxyProcess.hpp"
#include "support/TestProcess.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace dapscope;
using namespace std::chrono_literals;

namespace
{
const std::string kKey = "sk-live-7f3a9c2e41d8b6059e1c-dapscope-test";

std::string ReadFile(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    return bytes.str();
}

std::string RunCommand(std::vector<std::string> argv)
{
    test::TestProcess process(std::move(argv), {}, true);
    while (process.ReadLine(10s))
    {
    }
    process.Wait(30s);
    return process.Output();
}

// Capture one scripted session (plus a file write carrying the key) through the proxy; returns the proxy's output.
std::string Capture(const std::string& db, bool redact)
{
    net::EventLoop loop("secrets-engine");
    mock::MockEngineServer engine(loop, net::WsServerOptions{}, mock::EngineOptions{});
    test::ProxyProcess proxy(test::Loopback(engine.Port()), db,
                             redact ? std::vector<std::string>{} : std::vector<std::string>{"--no-redact"},
                             {.mergeStderr = true});
    EXPECT_NE(proxy.Port(), 0);
    std::string url = proxy.Url();
    mock::DemoReport report = mock::RunDemoSession(url, kKey); // auth + execute env carry the key
    EXPECT_TRUE(report.problems.empty()) << report.problems.front();

    auto client = mock::DapClient::Connect(url);
    client->Call("auth", {{"auth", kKey}});
    auto file = client->Call("rrext_store", {{"subcommand", "fs_open"}, {"path", "cfg.txt"}, {"mode", "w"}});
    std::string handle(file->at("body").at("handle").as_string());
    client->Call("rrext_store", {{"subcommand", "fs_write"}, {"handle", handle}},
                 std::string("api_key = " + kKey + "\n"));
    client->Close();
    EXPECT_EQ(proxy.Stop(), 0);
    while (proxy.Process().ReadLine(1s))
    {
    }
    return proxy.Process().Output();
}
} // namespace

TEST(Secrets, TheApiKeyIsNowhereAfterACapture)
{
    test::TempDir dir;
    std::string db = dir.File("traces.db");
    std::string proxyOutput = Capture(db, true);
    EXPECT_EQ(proxyOutput.find(kKey), std::string::npos) << "proxy output";

    // Every byte of the store, its WAL and shared memory file.
    for (const char* suffix : {"", "-wal", "-shm"})
    {
        if (!std::filesystem::exists(db + suffix))
            continue;
        EXPECT_EQ(ReadFile(db + suffix).find(kKey), std::string::npos) << "store file " << db + suffix;
    }
    // The redaction marker is there instead, with the key's fingerprint.
    EXPECT_NE(ReadFile(db).find("[redacted:"), std::string::npos);

    // Every CLI view of it.
    std::string bin = test::BinPath("dapscope");
    for (std::vector<std::string> argv : {std::vector<std::string>{bin, "sessions", "--db", db},
                                          {bin, "sessions", "--json", "--db", db},
                                          {bin, "show", "1", "--db", db},
                                          {bin, "show", "1", "--json", "--db", db},
                                          {bin, "show", "2", "--db", db},
                                          {bin, "stats", "--db", db},
                                          {bin, "stats", "--json", "--db", db}})
    {
        std::string output = RunCommand(argv);
        EXPECT_FALSE(output.empty()) << argv[1];
        EXPECT_EQ(output.find(kKey), std::string::npos) << argv[1] << " " << argv[2];
    }

    // Every export format.
    for (const char* format : {"har", "jsonl"})
    {
        std::string out = dir.File(std::string("export.") + format);
        RunCommand({bin, "export", "1", "2", "--format", format, "-o", out, "--db", db});
        ASSERT_TRUE(std::filesystem::exists(out)) << format;
        EXPECT_GT(std::filesystem::file_size(out), 1000u) << format;
        EXPECT_EQ(ReadFile(out).find(kKey), std::string::npos) << format << " export";
        EXPECT_EQ(std::filesystem::status(out).permissions() & std::filesystem::perms::all,
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
            << format << " export is private";
    }
}

TEST(Secrets, WithNoRedactTheKeyIsStoredAsSent)
{
    test::TempDir dir;
    std::string db = dir.File("traces.db");
    Capture(db, false);
    std::string bytes = ReadFile(db);
    if (std::filesystem::exists(db + "-wal"))
        bytes += ReadFile(db + "-wal");
    EXPECT_NE(bytes.find(kKey), std::string::npos);
}
