#pragma once
// A read-only hex dump (offset, 16 bytes in hex, the same bytes as text), drawn with a clipper so a 64 MiB payload
// costs no more per frame than a small one.

#include <string>
#include <string_view>

namespace dapscope::ui
{

// One dump line: "00000010  7b 22 61 22 ...  |{"a"...|"
std::string HexLine(std::string_view bytes, size_t offset);

class HexView
{
  public:
    // Draw `bytes` in a child region of `height` (0 = all the remaining space).
    void Draw(std::string_view bytes, float height = 0);
};

} // namespace dapscope::ui
