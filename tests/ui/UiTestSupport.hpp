#pragma once
// Helpers of the GUI tests: a real capture to browse (made in-process like `dapscope demo`), a virtual X display
// (Xvfb) for the real GUI, and a look at the PNGs it writes.

#include "support/TestProcess.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dapscope::test
{

// A store holding `sessions` scripted demo sessions (mock engine through the capturing proxy), in `dir`.
std::string MakeDemoStore(const TempDir& dir, int sessions = 2);

// The made-up API key AppendHttpSessions sends in Authorization (redacted before it is stored).
constexpr const char* kHttpKey = "sk-made-up-gui-0000-not-a-real-key";
// The message ids of the HTTP connection AppendHttpSessions writes, in store order.
struct HttpSessionIds
{
    int64_t httpSession = 0;             // plain HTTP connection
    int64_t post = 0, ok = 0;            // POST /task (JSON body, Authorization) -> 200 (JSON body)
    int64_t get = 0, notFound = 0;       // GET /task/data?... -> 404
    int64_t ping = 0, pong = 0;          // GET /ping -> 200
    int64_t version = 0, badGateway = 0; // GET /version -> 502 the proxy wrote itself
    int64_t wsSession = 0;               // WebSocket session that negotiated permessage-deflate
    int64_t compressed = 0;              // its engine message, sent compressed
};
// Append to `store` what the relay hands the recorder for a plain HTTP connection (four keep-alive exchanges) and
// a WebSocket session that negotiated permessage-deflate (handshake, one request, one compressed response,
// closes), written through the recorder's Ingestor.
HttpSessionIds AppendHttpSessions(const std::string& store);

// An Xvfb server on a free display number, stopped with the object.
class VirtualDisplay
{
  public:
    VirtualDisplay();
    ~VirtualDisplay();
    bool Ok() const { return m_number >= 0; }
    std::string Name() const { return ":" + std::to_string(m_number); }
    // Environment entries for a GUI process on this display, settings in `configDir`.
    std::vector<std::string> Env(const std::string& configDir) const;

  private:
    int m_number = -1;
    std::unique_ptr<TestProcess> m_server;
};

struct Image
{
    int width = 0;
    int height = 0;
    std::vector<uint8_t> rgba; // rows top to bottom

    bool Ok() const { return width > 0 && height > 0; }
    uint32_t Pixel(int x, int y) const;
    // Distinct colours in a region (whole image by default).
    size_t DistinctColors(int x0 = 0, int y0 = 0, int x1 = -1, int y1 = -1) const;
    // Share of the region's pixels that have its most common colour.
    double DominantShare(int x0 = 0, int y0 = 0, int x1 = -1, int y1 = -1) const;
    // Pixels of the region close to `rgb` (each channel within `tolerance`).
    size_t CountNear(uint32_t rgb, int tolerance, int x0 = 0, int y0 = 0, int x1 = -1, int y1 = -1) const;
};

Image LoadPng(const std::string& path);
// Share of pixels that differ between two images of the same size, over a region.
double DifferentShare(const Image& a, const Image& b, int x0 = 0, int y0 = 0, int x1 = -1, int y1 = -1);

} // namespace dapscope::test
