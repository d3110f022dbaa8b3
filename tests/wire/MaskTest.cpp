#include "wire/Mask.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace dapscope::wire;

TEST(Mask, WordWiseXorEqualsTheRfcDefinitionAtEveryOffsetAndAlignment)
{
    const MaskKey key{0x37, 0xfa, 0x21, 0x3d};
    std::string original;
    for (int i = 0; i < 300; ++i)
        original.push_back(static_cast<char>(i * 7 + 3));
    for (size_t start = 0; start < 9; ++start)
        for (uint64_t offset : {0u, 1u, 2u, 3u, 5u})
        {
            std::string bytes = original;
            auto* data = reinterpret_cast<uint8_t*>(bytes.data()) + start;
            size_t size = bytes.size() - start;
            ApplyMask(data, size, key, offset);
            for (size_t i = 0; i < size; ++i)
                ASSERT_EQ(static_cast<uint8_t>(bytes[start + i]),
                          static_cast<uint8_t>(original[start + i]) ^ key[(offset + i) % 4])
                    << "start " << start << " offset " << offset << " byte " << i;
        }
}

TEST(Mask, RandomKeysDiffer)
{
    MaskKey a = RandomMaskKey();
    int same = 0;
    for (int i = 0; i < 8; ++i)
        same += RandomMaskKey() == a ? 1 : 0;
    EXPECT_LT(same, 2); // 2^-32 per draw
}
