#pragma once
// RFC 6455 §5.3 masking: the XOR the recorder undoes on client frames, and the fresh keys the relay needs for
// the frames it writes toward the engine itself (a proxy-originated close).

#include <array>
#include <cstddef>
#include <cstdint>

namespace dapscope::wire
{

using MaskKey = std::array<uint8_t, 4>;

// XOR `size` bytes in place with `key`, where `offset` is the position of data[0] in the frame's payload
// (masking continues across reads).
void ApplyMask(uint8_t* data, size_t size, const MaskKey& key, uint64_t offset);

// A key from the operating system's CSPRNG (RFC 6455 §10.3: unpredictable, new for each frame).
MaskKey RandomMaskKey();

} // namespace dapscope::wire
