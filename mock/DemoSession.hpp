#pragma once
// A realistic SDK-like session, scripted: what `dapscope demo` runs through the proxy, and what tests use to
// produce a capture with every kind of traffic (auth, monitor, execute, pipes with binary writes, a chat,
// store writes and binary reads, a failing request, status, terminate, deauth).

#include <string>
#include <vector>

namespace dapscope::mock
{

struct DemoReport
{
    int requests = 0;                  // requests sent
    int answered = 0;                  // responses received
    int expectedFailures = 0;          // requests that were meant to fail and did
    int events = 0;                    // events received
    std::string task;                  // display id of the task the script ran
    std::vector<std::string> problems; // anything that did not go as scripted
};

// Run the script against the engine (or proxy) at `url` (ws://host:port/task/service).
DemoReport RunDemoSession(const std::string& url, const std::string& apiKey);

} // namespace dapscope::mock
