// The block summaries' trigram filter (MessageBlocks.hpp): what was added may be there, what was not is (nearly
// always) known not to be.

#include "storage/MessageBlocks.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace dapscope::storage;

TEST(TrigramFilter, EveryPieceOfAddedTextMayBeThere)
{
    std::vector<uint8_t> filter;
    const std::string text =
        R"({"type":"request","seq":7,"command":"rrext_process","arguments":{"subcommand":"write"}})";
    AddTrigrams(filter, text);
    ASSERT_EQ(filter.size(), kTrigramFilterBytes);
    for (size_t from = 0; from + 3 <= text.size(); ++from)
        for (size_t length = 3; from + length <= text.size(); ++length)
            ASSERT_TRUE(MayContain(filter.data(), filter.size(), text.substr(from, length)));
}

TEST(TrigramFilter, TextThatIsNotThereIsRuledOut)
{
    // A block of a thousand JSON messages, as the writer sees them.
    std::vector<uint8_t> filter;
    std::mt19937 rng(3);
    for (int i = 0; i < 1000; ++i)
        AddTrigrams(filter, R"({"type":"request","seq":)" + std::to_string(rng() % 100000) +
                                R"(,"command":"rrext_ping","arguments":{"token":")" + std::to_string(rng()) + "\"}}");
    int passed = 0;
    for (int i = 0; i < 1000; ++i)
        passed += MayContain(filter.data(), filter.size(), "not-found-" + std::to_string(i));
    EXPECT_LT(passed, 10) << "a filter that rules nothing out reads every block";
    // Too short to judge, and no filter at all: anything may be there.
    EXPECT_TRUE(MayContain(filter.data(), filter.size(), "zq"));
    EXPECT_TRUE(MayContain(nullptr, 0, "not-found"));
}
