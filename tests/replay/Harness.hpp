#pragma once
// End-to-end pieces for replay tests, all on loopback with real sockets: mock engines, a capture through the
// proxy (cli::Capture) into a temporary store, and the `dapscope` executable run to its exit.

#include "cli/Capture.hpp"
#include "mock/DapClient.hpp"
#include "net/EngineUri.hpp"
#include "storage/TraceReader.hpp"
#include "support/MockEngine.hpp"
#include "support/TestProcess.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

namespace dapscope::test
{

using namespace std::chrono_literals;

using Engine = MockEngine;

// Run `script(url)` through a capturing proxy in front of the engine at `upstreamPort`; returns the store id of
// the captured session.
inline int64_t CaptureThroughProxy(const std::string& db, int upstreamPort,
                                   const std::function<void(const std::string& url)>& script)
{
    cli::CaptureOptions options;
    options.storePath = db;
    options.relay.listenPort = 0;
    options.relay.upstream = net::NormaliseEngineUri("127.0.0.1:" + std::to_string(upstreamPort));
    options.captureBufferBytes = 64u << 20;
    cli::Capture capture(std::move(options));
    script("ws://127.0.0.1:" + std::to_string(capture.Port()) + "/task/service");
    capture.Stop(5s);
    return capture.Recorder().StoreSession(1);
}

// `dapscope ARGS...` to its end, its stdout alone (replay's and diff's reports are parsed from it).
inline CommandResult RunDapscopeStdout(const std::vector<std::string>& args)
{
    return RunDapscope(args, false);
}

inline boost::json::object ReadJsonFile(const std::string& path)
{
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    boost::system::error_code error;
    auto value = boost::json::parse(text.str(), error);
    return !error && value.is_object() ? value.as_object() : boost::json::object();
}

// The report rows of one command (in order).
inline std::vector<boost::json::object> Rows(const boost::json::object& report, const std::string& command)
{
    std::vector<boost::json::object> rows;
    if (const auto* requests = report.if_contains("requests"))
        for (const auto& row : requests->as_array())
            if (row.at("command") == command.c_str())
                rows.push_back(row.as_object());
    return rows;
}

// A `dapscope serve-replay` process and the port it listens on.
struct ServeReplayProcess
{
    std::unique_ptr<TestProcess> process;
    int port = 0;
    std::vector<std::string> lines; // what it printed before listening

    ServeReplayProcess(const std::string& db, int64_t session, std::vector<std::string> extra = {})
    {
        std::vector<std::string> argv = {
            BinPath("dapscope"), "serve-replay", std::to_string(session), "--listen", "127.0.0.1:0", "--db", db};
        argv.insert(argv.end(), extra.begin(), extra.end());
        process = std::make_unique<TestProcess>(argv);
        while (auto line = process->ReadLine(10s))
        {
            lines.push_back(*line);
            if ((port = PortFromLine(*line)))
                break;
        }
    }
    std::string Address() const { return "127.0.0.1:" + std::to_string(port); }
};

} // namespace dapscope::test
