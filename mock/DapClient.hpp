#pragma once
// A minimal SDK-like DAP client over WsClient: numbered requests (text, or DAP binary when a payload is given),
// pipelining, and waiting for a response by seq while collecting the events that arrive meanwhile.
// Used by `dapscope demo`, tests and benchmarks.

#include "net/WsClient.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::mock
{

class DapClient
{
  public:
    // Connect to a ws:// URL; throws net::NetError on failure.
    static std::unique_ptr<DapClient> Connect(const std::string& url);

    // Send a request; returns its seq. With a payload, it goes as a DAP binary frame (header \n payload).
    int64_t Send(const std::string& command, boost::json::object arguments = {},
                 const std::optional<std::string>& payload = std::nullopt);
    // Wait for the response to `seq` (nullopt on timeout or close). Events and other responses are kept.
    std::optional<boost::json::object> Wait(int64_t seq, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Send and wait.
    std::optional<boost::json::object> Call(const std::string& command, boost::json::object arguments = {},
                                            const std::optional<std::string>& payload = std::nullopt);
    // The binary payload that came with the last binary response Wait() returned.
    const std::string& LastPayload() const { return m_lastPayload; }
    // Events received so far.
    const std::vector<boost::json::object>& Events() const { return m_events; }
    void Close(uint16_t code = 1000, const std::string& reason = "");
    net::WsClient& Socket() { return *m_socket; }

  private:
    bool ReceiveOne(std::chrono::milliseconds timeout);

    std::unique_ptr<net::WsClient> m_socket;
    int64_t m_nextSeq = 1;                                                      // SDK-style per-client counter
    std::map<int64_t, std::pair<boost::json::object, std::string>> m_responses; // by request_seq, with payload
    std::vector<boost::json::object> m_events;
    std::string m_lastPayload;
};

} // namespace dapscope::mock
