#include "Png.hpp"

#include <stb/stb_image_write.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dapscope::ui
{

std::string WritePng(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba)
{
    if (width <= 0 || height <= 0 || rgba.size() < static_cast<size_t>(width) * static_cast<size_t>(height) * 4)
        return "no pixels to write";
    // The window has no meaningful alpha: RGB makes the file a quarter smaller.
    std::vector<uint8_t> rgb(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
    for (size_t i = 0, o = 0; o < rgb.size(); i += 4, o += 3)
        std::copy_n(rgba.begin() + static_cast<std::ptrdiff_t>(i), 3, rgb.begin() + static_cast<std::ptrdiff_t>(o));
    stbi_write_png_compression_level = 9;
    errno = 0;
    if (!stbi_write_png(path.c_str(), width, height, 3, rgb.data(), width * 3))
        return path + ": cannot write the PNG" + (errno ? std::string(" (") + std::strerror(errno) + ")" : "");
    return "";
}

void FlipRows(std::vector<uint8_t>& rgba, int width, int height)
{
    const size_t stride = static_cast<size_t>(width) * 4;
    for (int y = 0; y < height / 2; ++y)
        std::swap_ranges(rgba.begin() + static_cast<std::ptrdiff_t>(stride * static_cast<size_t>(y)),
                         rgba.begin() + static_cast<std::ptrdiff_t>(stride * static_cast<size_t>(y + 1)),
                         rgba.begin() + static_cast<std::ptrdiff_t>(stride * static_cast<size_t>(height - 1 - y)));
}

} // namespace dapscope::ui
