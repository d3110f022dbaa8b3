#include "UiTestSupport.hpp"

#include "bench/SyntheticStore.hpp"
#include "capture/TapRecord.hpp"
#include "storage/Ingestor.hpp"
#include "storage/Store.hpp"
#include "storage/TraceReader.hpp"

#include <stb/stb_image.h>
#include <unistd.h>
#include <zlib.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <thread>

namespace dapscope::test
{

std::string MakeDemoStore(const TempDir& dir, int sessions)
{
    const std::string path = dir.File("demo.db");
    if (std::string error = bench::MakeDemoStore(path, sessions); !error.empty())
        throw std::runtime_error("demo store: " + error);
    return path;
}

namespace
{
using capture::TapRecord;
using Type = TapRecord::Type;
constexpr auto kUp = inspector::Direction::ClientToServer;
constexpr auto kDown = inspector::Direction::ServerToClient;

// Builds the records of a connection at times relative to `origin` (ms).
struct Records
{
    uint64_t session = 0;
    int64_t origin = 0;
    std::vector<TapRecord> records;

    TapRecord& Add(Type type, double ms, inspector::Direction dir = kUp)
    {
        TapRecord& r = records.emplace_back();
        r.type = type;
        r.session = session;
        r.ns = origin + static_cast<int64_t>(ms * 1e6);
        r.dir = dir;
        return r;
    }
    // A whole HTTP message: head, body (if any), end.
    void Http(double ms, inspector::Direction dir, const std::string& head, const std::string& body = {},
              bool generated = false)
    {
        TapRecord& h = Add(Type::HttpHead, ms, dir);
        h.head = head;
        h.wireBytes = head.size();
        h.generated = generated;
        if (!body.empty())
        {
            TapRecord& b = Add(Type::HttpBody, ms + 0.05, dir);
            b.bytes = capture::SharedBytes(body);
            b.wireBytes = body.size();
        }
        Add(Type::HttpEnd, ms + 0.1, dir);
    }
};

// permessage-deflate's compressed form of a message: raw deflate, flushed, without the final 00 00 ff ff.
std::string Deflate(std::string_view text)
{
    z_stream z{};
    deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, text.size()) + 16, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_SYNC_FLUSH);
    out.resize(out.size() - z.avail_out - 4);
    deflateEnd(&z);
    return out;
}

// One final WebSocket frame (RSV1 when `compressed`), masked with a fixed key when `masked`.
std::string Frame(uint8_t opcode, std::string_view payload, bool masked, bool compressed = false)
{
    std::string frame(1, static_cast<char>(0x80 | (compressed ? 0x40 : 0) | opcode));
    const char mask = masked ? static_cast<char>(0x80) : 0;
    if (payload.size() < 126)
        frame += static_cast<char>(mask | static_cast<char>(payload.size()));
    else
    {
        frame += static_cast<char>(mask | 126);
        frame += static_cast<char>(payload.size() >> 8);
        frame += static_cast<char>(payload.size() & 0xFF);
    }
    const char key[4] = {0x3a, 0x5c, 0x0f, 0x61};
    if (masked)
        frame.append(key, 4);
    for (size_t i = 0; i < payload.size(); ++i)
        frame += masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
    return frame;
}

void AddWs(Records& r, double ms, inspector::Direction dir, uint64_t& offset, const std::string& bytes)
{
    TapRecord& w = r.Add(Type::WsBytes, ms, dir);
    w.bytes = capture::SharedBytes(bytes);
    w.wireBytes = bytes.size();
    w.offset = offset;
    w.firstHeader = 0;
    offset += bytes.size();
}
} // namespace

HttpSessionIds AppendHttpSessions(const std::string& store)
{
    const std::string key = kHttpKey;
    const int64_t origin = 1795752440000000000; // 2026-11-27T04:07:20Z
    Records http{1001, origin, {}};
    TapRecord& open = http.Add(Type::SessionOpen, 0); // (a reference until the next Add)
    open.client = "127.0.0.1:50102";
    open.path = "/task";
    open.upstream = "ws://127.0.0.1:5565";
    open.userAgent = "curl/7.88.1";
    open.protocol = "http";
    http.Add(Type::UpstreamOpen, 0.4);
    const std::string pipeline =
        R"({"pipeline":{"name":"webhook-to-text","components":[{"id":"webhook_1","provider":"webhook"},)"
        R"({"id":"parse_1","provider":"parse","input":[{"lane":"tags","from":"webhook_1"}]},)"
        R"({"id":"response_1","provider":"response","input":[{"lane":"text","from":"parse_1"}]}]},"threads":4})";
    const std::string forwarded = "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\n\r\n";
    http.Http(1.0, kUp,
              "POST /task HTTP/1.1\r\nHost: 127.0.0.1:5565\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
              "Authorization: Bearer " +
                  key + "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(pipeline.size()) +
                  "\r\n" + forwarded,
              pipeline);
    const std::string started = R"({"task":"5d41402a.webhook_1","status":"running",)"
                                R"("pipes":[{"id":1,"component":"webhook_1"},{"id":2,"component":"parse_1"}]})";
    http.Http(4.6, kDown,
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(started.size()) +
                  "\r\n\r\n",
              started);
    http.Http(20.0, kUp,
              "GET /task/data?task=5d41402a HTTP/1.1\r\nHost: 127.0.0.1:5565\r\nUser-Agent: curl/7.88.1\r\n" +
                  forwarded);
    http.Http(21.3, kDown, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n",
              "no such task\n");
    http.Http(40.0, kUp, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1:5565\r\n" + forwarded);
    http.Http(40.4, kDown, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n",
              R"({"ok":true})");
    http.Http(60.0, kUp, "GET /version HTTP/1.1\r\nHost: 127.0.0.1:5565\r\n" + forwarded);
    const std::string refused = "dapscope proxy: cannot reach ws://127.0.0.1:5565 (connection refused)\n";
    http.Http(60.2, kDown,
              "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: " +
                  std::to_string(refused.size()) + "\r\nConnection: close\r\n\r\n",
              refused, true);
    http.Add(Type::SessionClose, 61.0).closedBy = "proxy";

    Records ws{1002, origin + 100'000'000, {}};
    TapRecord& wsOpen = ws.Add(Type::SessionOpen, 0);
    wsOpen.client = "127.0.0.1:50104";
    wsOpen.path = "/task/service";
    wsOpen.upstream = "ws://127.0.0.1:5565";
    wsOpen.userAgent = "rocketride-typescript/1.1.0";
    wsOpen.protocol = "http"; // until its 101
    ws.Add(Type::UpstreamOpen, 0.3);
    ws.Http(0.5, kUp,
            "GET /task/service HTTP/1.1\r\nHost: 127.0.0.1:5565\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
                forwarded);
    ws.Http(1.5, kDown,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=15\r\n\r\n");
    uint64_t up = 0, down = 0;
    AddWs(ws, 3.0, kUp, up, Frame(1, R"({"type":"request","command":"rrext_services","seq":1})", true));
    std::string services = R"({"type":"response","seq":2,"request_seq":1,"command":"rrext_services",)"
                           R"("success":true,"body":{"services":[)";
    for (int i = 0; i < 24; ++i)
        services += (i ? "," : "") + std::string(R"({"name":"service_)") + std::to_string(i) +
                    R"(","description":"a RocketRide service","lanes":["text","tags"]})";
    services += "]}}";
    AddWs(ws, 9.0, kDown, down, Frame(1, Deflate(services), false, true));
    AddWs(ws, 12.0, kUp, up, Frame(8, std::string("\x03\xE8", 2), true));
    AddWs(ws, 12.5, kDown, down, Frame(8, std::string("\x03\xE8", 2), false));
    ws.Add(Type::SessionClose, 13.0).closedBy = "client";

    SQLite::Database db = storage::OpenForWriting(store);
    storage::TraceWriter writer(db);
    storage::Ingestor ingestor(writer, {});
    writer.Begin();
    for (Records* r : {&http, &ws})
        for (TapRecord& record : r->records)
            ingestor.Apply(record);
    ingestor.Flush();
    writer.Commit();

    HttpSessionIds ids;
    ids.httpSession = ingestor.StoreSession(1001);
    ids.wsSession = ingestor.StoreSession(1002);
    storage::TraceReader reader(store);
    const auto messages = reader.Messages(ids.httpSession, {}, 0, 100);
    if (messages.size() != 8)
        throw std::runtime_error("HTTP session: " + std::to_string(messages.size()) + " messages, not 8");
    int64_t* slots[] = {&ids.post, &ids.ok,   &ids.get,     &ids.notFound,
                        &ids.ping, &ids.pong, &ids.version, &ids.badGateway};
    for (size_t i = 0; i < messages.size(); ++i)
        *slots[i] = messages[i].id;
    for (const storage::MessageSummary& m : reader.Messages(ids.wsSession, {}, 0, 100))
        if (m.dir == kDown && m.opcode == inspector::Opcode::Text)
            ids.compressed = m.id;
    return ids;
}

VirtualDisplay::VirtualDisplay()
{
    namespace fs = std::filesystem;
    for (int n = 90 + static_cast<int>(getpid() % 200); n < 600; ++n)
    {
        const std::string socket = "/tmp/.X11-unix/X" + std::to_string(n);
        if (fs::exists(socket) || fs::exists("/tmp/.X" + std::to_string(n) + "-lock"))
            continue;
        auto server = std::make_unique<TestProcess>(std::vector<std::string>{
            "/usr/bin/Xvfb", ":" + std::to_string(n), "-screen", "0", "1920x1200x24", "-nolisten", "tcp"});
        for (int i = 0; i < 200 && !fs::exists(socket); ++i)
        {
            if (server->Wait(std::chrono::milliseconds(50)))
                break; // it exited: display taken meanwhile
        }
        if (fs::exists(socket) && !server->Wait(std::chrono::milliseconds(100)))
        {
            m_number = n;
            m_server = std::move(server);
            return;
        }
    }
}

VirtualDisplay::~VirtualDisplay()
{
    if (m_server)
    {
        m_server->Signal(SIGTERM);
        m_server->Wait(std::chrono::seconds(5));
    }
}

std::vector<std::string> VirtualDisplay::Env(const std::string& configDir) const
{
    return {"DISPLAY=" + Name(), "WAYLAND_DISPLAY=", "XDG_CONFIG_HOME=" + configDir, "DAPSCOPE_DB=/nonexistent"};
}

uint32_t Image::Pixel(int x, int y) const
{
    const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 4;
    return (static_cast<uint32_t>(rgba[i]) << 16) | (static_cast<uint32_t>(rgba[i + 1]) << 8) | rgba[i + 2];
}

namespace
{
template <class Fn> void ForRegion(const Image& image, int x0, int y0, int x1, int y1, Fn fn)
{
    if (x1 < 0)
        x1 = image.width;
    if (y1 < 0)
        y1 = image.height;
    for (int y = std::max(0, y0); y < std::min(y1, image.height); ++y)
        for (int x = std::max(0, x0); x < std::min(x1, image.width); ++x)
            fn(x, y);
}
} // namespace

size_t Image::DistinctColors(int x0, int y0, int x1, int y1) const
{
    std::map<uint32_t, size_t> counts;
    ForRegion(*this, x0, y0, x1, y1, [&](int x, int y) { ++counts[Pixel(x, y)]; });
    return counts.size();
}

double Image::DominantShare(int x0, int y0, int x1, int y1) const
{
    std::map<uint32_t, size_t> counts;
    size_t total = 0, top = 0;
    ForRegion(*this, x0, y0, x1, y1,
              [&](int x, int y)
              {
                  ++total;
                  top = std::max(top, ++counts[Pixel(x, y)]);
              });
    return total ? static_cast<double>(top) / static_cast<double>(total) : 1.0;
}

size_t Image::CountNear(uint32_t rgb, int tolerance, int x0, int y0, int x1, int y1) const
{
    size_t n = 0;
    ForRegion(*this, x0, y0, x1, y1,
              [&](int x, int y)
              {
                  const uint32_t p = Pixel(x, y);
                  bool near = true;
                  for (int shift : {16, 8, 0})
                      near = near && std::abs(static_cast<int>((p >> shift) & 255) -
                                              static_cast<int>((rgb >> shift) & 255)) <= tolerance;
                  n += near;
              });
    return n;
}

Image LoadPng(const std::string& path)
{
    Image image;
    int channels = 0;
    unsigned char* data = stbi_load(path.c_str(), &image.width, &image.height, &channels, 4);
    if (!data)
    {
        image.width = image.height = 0;
        return image;
    }
    image.rgba.assign(data, data + static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 4);
    stbi_image_free(data);
    return image;
}

double DifferentShare(const Image& a, const Image& b, int x0, int y0, int x1, int y1)
{
    if (a.width != b.width || a.height != b.height)
        return 1.0;
    size_t total = 0, different = 0;
    ForRegion(a, x0, y0, x1, y1,
              [&](int x, int y)
              {
                  ++total;
                  different += a.Pixel(x, y) != b.Pixel(x, y);
              });
    return total ? static_cast<double>(different) / static_cast<double>(total) : 0.0;
}

} // namespace dapscope::test
