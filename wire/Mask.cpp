#include "Mask.hpp"

#include <sys/random.h>

#include <cstring>
#include <stdexcept>

namespace dapscope::wire
{

void ApplyMask(uint8_t* data, size_t size, const MaskKey& key, uint64_t offset)
{
    size_t i = 0;
    // Bytes until data is 8-aligned, one at a time; then 8 at a time with the key rotated to that position.
    while (i < size && (reinterpret_cast<uintptr_t>(data + i) & 7) != 0)
    {
        data[i] ^= key[(offset + i) & 3];
        ++i;
    }
    if (size - i >= 8)
    {
        uint8_t rotated[8];
        for (size_t k = 0; k < 8; ++k)
            rotated[k] = key[(offset + i + k) & 3];
        uint64_t word;
        std::memcpy(&word, rotated, 8);
        for (; size - i >= 8; i += 8)
        {
            uint64_t chunk;
            std::memcpy(&chunk, data + i, 8);
            chunk ^= word;
            std::memcpy(data + i, &chunk, 8);
        }
    }
    for (; i < size; ++i)
        data[i] ^= key[(offset + i) & 3];
}

MaskKey RandomMaskKey()
{
    MaskKey key;
    size_t got = 0;
    while (got < key.size())
    {
        ssize_t n = getrandom(key.data() + got, key.size() - got, 0);
        if (n < 0)
            throw std::runtime_error("getrandom failed");
        got += static_cast<size_t>(n);
    }
    return key;
}

} // namespace dapscope::wire
