#include "inspector/Envelope.hpp"

#include <gtest/gtest.h>

namespace dapscope::inspector
{
namespace
{

TEST(EscapeForTerminal, KeepsPrintableUtf8)
{
    EXPECT_EQ(EscapeForTerminal("hello éèü ✓ 😀"), "hello éèü ✓ 😀");
}

TEST(EscapeForTerminal, EscapesControlCharactersAndDel)
{
    EXPECT_EQ(EscapeForTerminal("a\nb\tc\rd"), "a\\nb\\tc\\rd");
    EXPECT_EQ(EscapeForTerminal(std::string("\x00\x07\x7f", 3)), "\\x00\\x07\\x7F");
}

TEST(EscapeForTerminal, NeutralisesEscapeSequences)
{
    const std::string out = EscapeForTerminal("\x1b[31mred\x1b]0;title\x07");
    EXPECT_EQ(out.find('\x1b'), std::string::npos);
    EXPECT_EQ(out, "\\x1B[31mred\\x1B]0;title\\x07");
}

TEST(EscapeForTerminal, EscapesC1ControlsAndBidiOverrides)
{
    EXPECT_EQ(EscapeForTerminal("\xc2\x9b"
                                "2J"),
              "\\u009B2J"); // C1 CSI
    EXPECT_EQ(EscapeForTerminal("a\xe2\x80\xae"
                                "b"),
              "a\\u202Eb"); // right-to-left override
}

TEST(EscapeForTerminal, EscapesInvalidUtf8Bytes)
{
    EXPECT_EQ(EscapeForTerminal("a\xff"
                                "b"),
              "a\\xFFb");
    EXPECT_EQ(EscapeForTerminal("\xc3"), "\\xC3");                   // truncated sequence
    EXPECT_EQ(EscapeForTerminal("\xc0\x80"), "\\xC0\\x80");          // overlong NUL
    EXPECT_EQ(EscapeForTerminal("\xed\xa0\x80"), "\\xED\\xA0\\x80"); // UTF-16 surrogate
}

TEST(EscapeForTerminal, EscapesBackslashSoOutputIsUnambiguous)
{
    EXPECT_EQ(EscapeForTerminal("\\x1B"), "\\\\x1B");
}

TEST(EscapeForTerminal, TruncatesWithEllipsis)
{
    EXPECT_EQ(EscapeForTerminal("abcdef", 6), "abcdef");
    EXPECT_EQ(EscapeForTerminal("abcdefg", 6), "abcde…");
    EXPECT_EQ(EscapeForTerminal("ééééééé", 4), "ééé…");
    EXPECT_EQ(EscapeForTerminal("abc", 0), "");
}

TEST(EscapeForTerminal, NeverSplitsAnEscape)
{
    EXPECT_EQ(EscapeForTerminal("ab\x1b"
                                "cd",
                                5),
              "ab…");
}

TEST(PayloadPreview, ShowsTextPayloads)
{
    EXPECT_EQ(PayloadPreview("hello world"), "hello world");
    EXPECT_EQ(PayloadPreview("line1\nline2"), "line1\\nline2");
    EXPECT_EQ(PayloadPreview("{\"a\": \"é\"}"), "{\"a\": \"é\"}");
}

TEST(PayloadPreview, SummarisesBinaryPayloads)
{
    EXPECT_EQ(PayloadPreview(std::string("\x00\n\xff", 3)), "<3 bytes binary>");
    EXPECT_EQ(PayloadPreview(std::string(4096, '\x01')), "<4096 bytes binary>");
}

TEST(PayloadPreview, EmptyPayloadHasNoPreview)
{
    EXPECT_EQ(PayloadPreview(""), "");
}

TEST(PayloadPreview, TruncatesLongText)
{
    const std::string text(1000, 'x');
    EXPECT_EQ(PayloadPreview(text, 10), "xxxxxxxxx…");
    // A multi-byte character cut by the inspected window is still text.
    std::string accents;
    for (int i = 0; i < 100; ++i)
        accents += "é";
    EXPECT_EQ(PayloadPreview(accents, 3), "éé…");
}

} // namespace
} // namespace dapscope::inspector
