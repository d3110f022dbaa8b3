#pragma once
// PNG screenshots: RGBA pixels written with stb_image_write (Debian's libstb).

#include <cstdint>
#include <string>
#include <vector>

namespace dapscope::ui
{

// Write `rgba` (width * height * 4 bytes, rows top to bottom) to `path`. Returns "" or an error.
std::string WritePng(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba);
// Flip rows in place (OpenGL reads bottom-up).
void FlipRows(std::vector<uint8_t>& rgba, int width, int height);

} // namespace dapscope::ui
