#include "UiTestSupport.hpp"

#include "ui/SyntheticStore.hpp"

#include <stb/stb_image.h>
#include <unistd.h>

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
    if (std::string error = ui::MakeDemoStore(path, sessions); !error.empty())
        throw std::runtime_error("demo store: " + error);
    return path;
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
