#include "FrameBuilder.hpp"
#include "wire/WsFrame.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace dapscope::wire;

namespace
{

const uint8_t* Bytes(const std::string& s)
{
    return reinterpret_cast<const uint8_t*>(s.data());
}

// A stream of every header form, and what a tracker must say after each of its frames.
struct FrameInfo
{
    size_t start = 0;
    size_t end = 0;          // one past the frame's last byte
    bool fragmented = false; // InFragmentedMessage() once the frame has passed
    bool closeSeen = false;  // CloseSeen() once the frame has passed
};

struct Stream
{
    std::string bytes;
    std::vector<FrameInfo> frames;

    void Add(const std::string& frame, bool fragmented, bool close = false)
    {
        FrameInfo info;
        info.start = bytes.size();
        bytes += frame;
        info.end = bytes.size();
        info.fragmented = fragmented;
        info.closeSeen = close || (!frames.empty() && frames.back().closeSeen);
        frames.push_back(info);
    }

    // Frames wholly inside the first `offset` bytes.
    size_t FramesBefore(size_t offset) const
    {
        size_t n = 0;
        while (n < frames.size() && frames[n].end <= offset)
            ++n;
        return n;
    }

    bool IsBoundary(size_t offset) const
    {
        return offset == 0 ||
               std::any_of(frames.begin(), frames.end(), [&](const FrameInfo& f) { return f.end == offset; });
    }

    // Offset, relative to `from`, of the first header starting in [from, to); npos if none.
    size_t FirstHeaderIn(size_t from, size_t to) const
    {
        for (const FrameInfo& f : frames)
            if (f.start >= from && f.start < to)
                return f.start - from;
        return FrameTracker::npos;
    }
};

Stream EveryForm()
{
    const MaskKey k1{0x11, 0x22, 0x33, 0x44};
    const MaskKey k2{0xA5, 0x00, 0xFF, 0x5A};
    const auto op = [](WsOpcode o) { return static_cast<uint8_t>(o); };
    Stream s;
    s.Add(Frame(true, op(WsOpcode::Text), "hello"), false);
    s.Add(Frame(true, op(WsOpcode::Binary), ""), false);
    s.Add(Frame(true, op(WsOpcode::Text), std::string(125, 'a'), k1), false);
    s.Add(Frame(true, op(WsOpcode::Text), std::string(126, 'b'), k2), false);
    s.Add(Frame(true, op(WsOpcode::Binary), "x", std::nullopt, Form::Force16), false);
    s.Add(Frame(true, op(WsOpcode::Binary), "yz", k1, Form::Force64), false);
    // A fragmented message with control frames between its fragments.
    s.Add(Frame(false, op(WsOpcode::Text), "frag1", k1), true);
    s.Add(Frame(true, op(WsOpcode::Ping), "p", k2), true);
    s.Add(Frame(false, op(WsOpcode::Continuation), "frag2", std::nullopt, Form::Force16), true);
    s.Add(Frame(true, op(WsOpcode::Pong), ""), true);
    s.Add(Frame(false, op(WsOpcode::Continuation), "", k2), true);
    s.Add(Frame(true, op(WsOpcode::Close), std::string("\x03\xe8", 2), k1), true, true);
    s.Add(Frame(true, op(WsOpcode::Ping), "after close"), true); // CloseSeen() stays set
    s.Add(Frame(true, op(WsOpcode::Continuation), "frag3", k1, Form::Force64), false);
    s.Add(Frame(true, op(WsOpcode::Binary), std::string(0xFFFF, 'c')), false);
    s.Add(Frame(true, op(WsOpcode::Binary), std::string(0x10000, 'd'), k2), false);
    s.Add(Frame(true, op(WsOpcode::Close), ""), false, true);
    return s;
}

} // namespace

TEST(FrameHeader, ParsesEveryLengthFormAndTheMask)
{
    const MaskKey key{1, 2, 3, 4};
    FrameHeader h;
    std::string f = Frame(true, 1, "abc");
    EXPECT_EQ(ParseFrameHeader(Bytes(f), 1, h), 0u);
    ASSERT_EQ(ParseFrameHeader(Bytes(f), f.size(), h), 2u);
    EXPECT_TRUE(h.fin);
    EXPECT_EQ(h.opcode, 1);
    EXPECT_FALSE(h.masked);
    EXPECT_EQ(h.payloadLength, 3u);
    EXPECT_EQ(h.size, 2);

    f = Frame(false, 2, std::string(300, 'x'), key, Form::Shortest, 5);
    EXPECT_EQ(ParseFrameHeader(Bytes(f), 7, h), 0u);
    ASSERT_EQ(ParseFrameHeader(Bytes(f), 8, h), 8u);
    EXPECT_FALSE(h.fin);
    EXPECT_EQ(h.rsv, 5);
    EXPECT_TRUE(h.masked);
    EXPECT_EQ(h.mask, key);
    EXPECT_EQ(h.payloadLength, 300u);

    f = Frame(true, 2, std::string(70000, 'x'), key);
    EXPECT_EQ(ParseFrameHeader(Bytes(f), 13, h), 0u);
    ASSERT_EQ(ParseFrameHeader(Bytes(f), 14, h), 14u);
    EXPECT_EQ(h.payloadLength, 70000u);
    EXPECT_EQ(h.size, 14);
    EXPECT_EQ(Violation(h), HeaderViolation::None);
}

TEST(FrameTracker, FollowsEveryHeaderFormInOneRead)
{
    const Stream s = EveryForm();
    FrameTracker t;
    EXPECT_TRUE(t.AtFrameBoundary());
    EXPECT_EQ(t.Feed(Bytes(s.bytes), s.bytes.size()), s.bytes.size());
    EXPECT_EQ(t.Frames(), s.frames.size());
    EXPECT_TRUE(t.AtFrameBoundary());
    EXPECT_FALSE(t.InFragmentedMessage());
    EXPECT_TRUE(t.CloseSeen());
    EXPECT_EQ(t.Violation(), HeaderViolation::None);
    EXPECT_EQ(t.FirstHeaderOffset(), 0u);
}

TEST(FrameTracker, SplitAtEveryBytePosition)
{
    const Stream s = EveryForm();
    const size_t size = s.bytes.size();
    for (size_t k = 0; k <= size; ++k)
    {
        FrameTracker t;
        ASSERT_EQ(t.Feed(Bytes(s.bytes), k), k);
        const size_t done = s.FramesBefore(k);
        ASSERT_EQ(t.Frames(), done) << "split " << k;
        ASSERT_EQ(t.AtFrameBoundary(), s.IsBoundary(k)) << "split " << k;
        ASSERT_EQ(t.InFragmentedMessage(), done > 0 && s.frames[done - 1].fragmented) << "split " << k;
        ASSERT_EQ(t.CloseSeen(), done > 0 && s.frames[done - 1].closeSeen) << "split " << k;
        ASSERT_EQ(t.FirstHeaderOffset(), s.FirstHeaderIn(0, k)) << "split " << k;

        ASSERT_EQ(t.Feed(Bytes(s.bytes) + k, size - k), size - k);
        ASSERT_EQ(t.FirstHeaderOffset(), s.FirstHeaderIn(k, size)) << "split " << k;
        ASSERT_EQ(t.Frames(), s.frames.size());
        ASSERT_TRUE(t.AtFrameBoundary());
        ASSERT_TRUE(t.CloseSeen());
        ASSERT_FALSE(t.InFragmentedMessage());
    }
}

TEST(FrameTracker, ByteByByte)
{
    const Stream s = EveryForm();
    FrameTracker t;
    for (size_t i = 0; i < s.bytes.size(); ++i)
    {
        ASSERT_EQ(t.Feed(Bytes(s.bytes) + i, 1), 1u);
        const size_t done = s.FramesBefore(i + 1);
        ASSERT_EQ(t.Frames(), done) << "byte " << i;
        ASSERT_EQ(t.AtFrameBoundary(), s.IsBoundary(i + 1)) << "byte " << i;
        ASSERT_EQ(t.InFragmentedMessage(), done > 0 && s.frames[done - 1].fragmented) << "byte " << i;
        ASSERT_EQ(t.CloseSeen(), done > 0 && s.frames[done - 1].closeSeen) << "byte " << i;
        ASSERT_EQ(t.FirstHeaderOffset(), s.FirstHeaderIn(i, i + 1)) << "byte " << i;
    }
    EXPECT_EQ(t.Feed(Bytes(s.bytes), 0), 0u);
    EXPECT_EQ(t.FirstHeaderOffset(), FrameTracker::npos);
}

TEST(FrameTracker, StopAtBoundaryReturnsEachFrameEnd)
{
    const Stream s = EveryForm();
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{7}, size_t{500}, s.bytes.size()})
    {
        FrameTracker t;
        std::vector<size_t> ends;
        for (size_t base = 0; base < s.bytes.size(); base += chunk)
        {
            const size_t len = std::min(chunk, s.bytes.size() - base);
            size_t pos = 0;
            while (pos < len)
            {
                size_t n = t.Feed(Bytes(s.bytes) + base + pos, len - pos, true);
                if (n == 0)
                {
                    // At a boundary a stopping Feed takes nothing; step into the next header to go on.
                    ASSERT_TRUE(t.AtFrameBoundary());
                    ASSERT_EQ(t.FirstHeaderOffset(), FrameTracker::npos);
                    n = t.Feed(Bytes(s.bytes) + base + pos, 1, true);
                    ASSERT_EQ(n, 0u);
                    n = t.Feed(Bytes(s.bytes) + base + pos, 1);
                    ASSERT_EQ(n, 1u);
                    pos += n;
                    continue;
                }
                pos += n;
                if (t.AtFrameBoundary())
                    ends.push_back(base + pos);
                else
                    ASSERT_EQ(pos, len) << "a stopping Feed ended off a boundary before the end of its bytes";
            }
        }
        std::vector<size_t> expected;
        for (const FrameInfo& f : s.frames)
            expected.push_back(f.end);
        EXPECT_EQ(ends, expected) << "chunk " << chunk;
    }
}

TEST(FrameTracker, StopAtBoundaryStopsAfterAHeaderOnlyFrame)
{
    const std::string bytes = Frame(true, 9, "") + Frame(true, 1, "abc");
    FrameTracker t;
    ASSERT_EQ(t.Feed(Bytes(bytes), 1), 1u);
    EXPECT_EQ(t.Feed(Bytes(bytes) + 1, bytes.size() - 1, true), 1u);
    EXPECT_EQ(t.Frames(), 1u);
    EXPECT_EQ(t.Feed(Bytes(bytes) + 2, bytes.size() - 2, true), 0u);
    EXPECT_EQ(t.Feed(Bytes(bytes) + 2, bytes.size() - 2), bytes.size() - 2);
    EXPECT_EQ(t.Frames(), 2u);
}

TEST(FrameTracker, NotViolations)
{
    // RSV bits, a continuation with no message open, a masked or unmasked frame in either direction, a control
    // frame with a longer length form than needed: the endpoints judge these, not the tracker.
    const std::string bytes = Frame(true, 1, "rsv", std::nullopt, Form::Shortest, 7) + Frame(true, 0, "orphan") +
                              Frame(true, 9, "ping", std::nullopt, Form::Force16) +
                              Frame(true, 10, "pong", MaskKey{9, 9, 9, 9}, Form::Force64) +
                              Frame(true, 8, std::string(125, 'r'));
    FrameTracker t;
    EXPECT_EQ(t.Feed(Bytes(bytes), bytes.size()), bytes.size());
    EXPECT_EQ(t.Violation(), HeaderViolation::None);
    EXPECT_EQ(t.Frames(), 5u);
}

namespace
{
struct ViolationCase
{
    const char* name;
    std::string header; // the offending header, then junk
    HeaderViolation kind;
    size_t decidedAfter; // header bytes needed to decide
};
} // namespace

TEST(FrameTracker, EachViolationAtItsOffsetAndNothingAfter)
{
    const std::string junk(40, '\x81');
    const std::vector<ViolationCase> cases = {
        {"reserved data opcode", std::string("\x83\x00", 2), HeaderViolation::ReservedOpcode, 1},
        {"reserved control opcode", std::string("\x8F\x80\x01\x02\x03\x04", 6), HeaderViolation::ReservedOpcode, 1},
        {"ping without FIN", std::string("\x09\x00", 2), HeaderViolation::FragmentedControl, 1},
        {"close of 126 bytes", std::string("\x88\x7E\x00\x7E", 4), HeaderViolation::LongControl, 4},
        {"masked ping of 200 bytes", std::string("\x89\xFE\x00\xC8\x01\x02\x03\x04", 8), HeaderViolation::LongControl,
         8},
        {"pong with a 64-bit length of 126", std::string("\x8A\x7F\x00\x00\x00\x00\x00\x00\x00\x7E", 10),
         HeaderViolation::LongControl, 10},
        {"ping with a 64-bit top bit", std::string("\x89\x7F\x80\x00\x00\x00\x00\x00\x00\x01", 10),
         HeaderViolation::LongControl, 3},
        {"binary with a 64-bit top bit", std::string("\x82\xFF\x80\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04", 14),
         HeaderViolation::LengthTopBit, 3},
    };
    const std::string prefix = Frame(true, 1, "ok") + Frame(false, 2, std::string(300, 'z'), MaskKey{1, 2, 3, 4});
    for (const ViolationCase& c : cases)
    {
        const std::string bytes = prefix + c.header + junk;
        const size_t h = prefix.size();
        {
            FrameTracker t;
            EXPECT_EQ(t.Feed(Bytes(bytes), bytes.size()), h) << c.name;
            EXPECT_EQ(t.Violation(), c.kind) << c.name;
            EXPECT_EQ(t.Frames(), 2u) << c.name;
            EXPECT_EQ(t.Feed(Bytes(bytes) + h, bytes.size() - h), 0u) << c.name;
            EXPECT_EQ(t.Feed(Bytes(junk), junk.size()), 0u) << c.name;
            EXPECT_EQ(t.Violation(), c.kind) << c.name;
        }
        for (size_t k = 0; k <= bytes.size(); ++k)
        {
            FrameTracker t;
            size_t taken = t.Feed(Bytes(bytes), k);
            taken += t.Feed(Bytes(bytes) + k, bytes.size() - k);
            // A split inside the header before the deciding byte has already passed the header's first bytes.
            const size_t expected = (k > h && k < h + c.decidedAfter) ? k : h;
            ASSERT_EQ(taken, expected) << c.name << ", split " << k;
            ASSERT_EQ(t.Violation(), c.kind) << c.name << ", split " << k;
            ASSERT_EQ(t.Frames(), 2u) << c.name << ", split " << k;
            ASSERT_EQ(t.Feed(Bytes(junk), junk.size()), 0u);
        }
    }
}

TEST(FrameTracker, ViolationNamesAreDistinctPhrases)
{
    const std::vector<HeaderViolation> all = {HeaderViolation::ReservedOpcode, HeaderViolation::FragmentedControl,
                                              HeaderViolation::LongControl, HeaderViolation::LengthTopBit};
    for (size_t i = 0; i < all.size(); ++i)
    {
        EXPECT_FALSE(ToString(all[i]).empty());
        for (size_t j = i + 1; j < all.size(); ++j)
            EXPECT_NE(ToString(all[i]), ToString(all[j]));
    }
}

namespace
{
// The close frame's code and reason, unmasked.
std::pair<uint16_t, std::string> ReadClose(const std::string& frame, bool expectMasked)
{
    FrameHeader h;
    const size_t n = ParseFrameHeader(Bytes(frame), frame.size(), h);
    EXPECT_GT(n, 0u);
    EXPECT_TRUE(h.fin);
    EXPECT_EQ(h.opcode, 8);
    EXPECT_EQ(h.rsv, 0);
    EXPECT_EQ(h.masked, expectMasked);
    EXPECT_EQ(Violation(h), HeaderViolation::None);
    EXPECT_EQ(n + h.payloadLength, frame.size());
    std::string payload = frame.substr(n);
    if (h.masked)
        ApplyMask(reinterpret_cast<uint8_t*>(payload.data()), payload.size(), h.mask, 0);
    EXPECT_GE(payload.size(), 2u);
    const uint16_t code =
        static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]));
    return {code, payload.substr(2)};
}
} // namespace

TEST(MakeCloseFrame, UnmaskedAndMasked)
{
    const std::string plain = MakeCloseFrame(1001, "going away", false);
    EXPECT_EQ(plain, std::string("\x88\x0c\x03\xe9going away", 14));
    const std::string masked = MakeCloseFrame(1011, "upstream failed", true);
    EXPECT_EQ(masked.size(), 2u + 4u + 2u + 15u);
    EXPECT_NE(masked.substr(8), "upstream failed");
    const auto [code, reason] = ReadClose(masked, true);
    EXPECT_EQ(code, 1011);
    EXPECT_EQ(reason, "upstream failed");
    const auto [emptyCode, emptyReason] = ReadClose(MakeCloseFrame(1000, "", true), true);
    EXPECT_EQ(emptyCode, 1000);
    EXPECT_EQ(emptyReason, "");
}

TEST(MakeCloseFrame, LongReasonIsCutAtAUtf8Boundary)
{
    std::string twoByte;
    for (int i = 0; i < 100; ++i)
        twoByte += "\xC3\xA9"; // é
    std::string threeByte;
    for (int i = 0; i < 50; ++i)
        threeByte += "\xE2\x82\xAC"; // €
    std::string fourByte;
    for (int i = 0; i < 40; ++i)
        fourByte += "\xF0\x9F\x98\x80"; // 😀
    const std::string ascii(500, 'a');
    const std::vector<std::pair<std::string, size_t>> cases = {
        {twoByte, 122}, {threeByte, 123}, {fourByte, 120}, {ascii, 123}, {"x" + twoByte, 123}};
    for (const auto& [reason, keep] : cases)
        for (bool masked : {false, true})
        {
            const std::string frame = MakeCloseFrame(4000, reason, masked);
            EXPECT_LE(frame.size(), (masked ? 6u : 2u) + 125u);
            const auto [code, got] = ReadClose(frame, masked);
            EXPECT_EQ(code, 4000);
            EXPECT_EQ(got, reason.substr(0, keep));
        }
}

TEST(MakeCloseFrame, EachMaskedFrameHasAFreshKey)
{
    const std::string a = MakeCloseFrame(1000, "bye", true);
    const std::string b = MakeCloseFrame(1000, "bye", true);
    EXPECT_NE(a.substr(2, 4), b.substr(2, 4)); // 2^-32 chance of a false failure
    EXPECT_NE(a, b);
    EXPECT_EQ(ReadClose(a, true).second, "bye");
    EXPECT_EQ(ReadClose(b, true).second, "bye");
}

TEST(MakeFrame, EveryLengthFormMaskedAndNot)
{
    const std::vector<size_t> lengths{0, 1, 125, 126, 65535, 65536, 70000};
    for (size_t length : lengths)
        for (bool masked : {false, true})
        {
            std::string payload(length, '\0');
            for (size_t i = 0; i < length; ++i)
                payload[i] = static_cast<char>('a' + i % 26);
            const std::string frame = MakeFrame(WsOpcode::Binary, payload, masked);
            FrameHeader h;
            const size_t n = ParseFrameHeader(Bytes(frame), frame.size(), h);
            ASSERT_GT(n, 0u) << length;
            EXPECT_EQ(n, (length < 126 ? 2u : length <= 65535 ? 4u : 10u) + (masked ? 4u : 0u)) << length;
            EXPECT_TRUE(h.fin);
            EXPECT_EQ(h.rsv, 0);
            EXPECT_EQ(h.opcode, 2);
            EXPECT_EQ(h.masked, masked);
            EXPECT_EQ(h.payloadLength, length);
            EXPECT_EQ(Violation(h), HeaderViolation::None);
            ASSERT_EQ(frame.size(), n + length);
            std::string got = frame.substr(n);
            if (masked)
                ApplyMask(reinterpret_cast<uint8_t*>(got.data()), got.size(), h.mask, 0);
            EXPECT_EQ(got, payload) << length << (masked ? " masked" : "");
            if (masked && length > 4)
            {
                EXPECT_NE(frame.substr(n), payload);
            }
        }
    EXPECT_EQ(MakeFrame(WsOpcode::Text, "{}", false), std::string("\x81\x02{}", 4));
}
