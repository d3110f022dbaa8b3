#pragma once
// The control endpoint of a running proxy (`dapscope proxy --control`): a Unix domain socket beside the store,
// mode 0600 and answering only the user who runs the proxy, over which `dapscope held`, `release`, `drop`,
// `break`, `inject` and `close` act on live sessions. One JSON object per line each way (docs/rules.md,
// "Control endpoint"). Sessions are named by their store ids, as `dapscope sessions` shows them.

#include "Capture.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <string>
#include <thread>

namespace dapscope::cli
{

// Where the control socket of the store at `db` is.
std::string ControlSocketPath(const std::string& db);

class ControlServer
{
  public:
    // Listens on `path` (a stale socket there is replaced; a live one is an error). Throws std::runtime_error.
    ControlServer(Capture& capture, std::string path);
    ~ControlServer(); // stops answering and removes the socket
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    const std::string& Path() const { return m_path; }

    // One request, as the socket gets it (also for the GUI, which holds the capture itself).
    boost::json::object Handle(const boost::json::object& request);

  private:
    void Serve();
    void Converse(int fd);
    // The relay's id of the live WebSocket session stored as `storeId`, or 0.
    uint64_t RelaySession(int64_t storeId);

    Capture& m_capture;
    std::string m_path;
    int m_listenFd = -1;
    int m_wakeFd[2] = {-1, -1}; // a pipe that wakes the serving thread to stop
    std::thread m_thread;
};

// Send one request to the control socket at `path` and read its answer. Throws std::runtime_error when the proxy
// cannot be reached.
boost::json::object ControlCall(const std::string& path, const boost::json::object& request);

} // namespace dapscope::cli
