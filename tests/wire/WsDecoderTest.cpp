#include "FrameBuilder.hpp"
#include "wire/WsDecoder.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace dapscope::wire;

namespace
{

constexpr size_t kPart = 64 * 1024;
constexpr size_t npos = FrameTracker::npos;

std::string Frame(bool fin, WsOpcode opcode, std::string_view payload, std::optional<MaskKey> mask = {},
                  bool rsv1 = false)
{
    return Frame(fin, static_cast<uint8_t>(opcode), payload, mask, Form::Shortest, rsv1 ? 4 : 0);
}

std::string Hex(std::initializer_list<int> bytes)
{
    std::string s;
    for (int b : bytes)
        s.push_back(static_cast<char>(b));
    return s;
}

// Raw deflate as a permessage-deflate sender does it: one stream per direction, Z_SYNC_FLUSH per message and
// the trailing 00 00 FF FF removed (RFC 7692 §7.2.1).
class Deflater
{
  public:
    explicit Deflater(int windowBits = 15)
    {
        EXPECT_EQ(deflateInit2(&m_z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -windowBits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    }
    ~Deflater() { deflateEnd(&m_z); }
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;

    std::string Message(std::string_view text) { return Run(text, Z_SYNC_FLUSH, true); }
    // The whole message ends with a block that has BFINAL set (RFC 7692 §7.2.3.4); the stream then starts
    // over with the message as its dictionary, so the next message may still refer back to it.
    std::string FinalBlockMessage(std::string_view text)
    {
        std::string out = Run(text, Z_FINISH, false);
        EXPECT_EQ(deflateReset(&m_z), Z_OK);
        EXPECT_EQ(
            deflateSetDictionary(&m_z, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())),
            Z_OK);
        return out;
    }
    void Reset() { EXPECT_EQ(deflateReset(&m_z), Z_OK); }

  private:
    std::string Run(std::string_view text, int flush, bool stripTail)
    {
        std::string out;
        m_z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
        m_z.avail_in = static_cast<uInt>(text.size());
        char buffer[16384];
        int rc;
        do
        {
            m_z.next_out = reinterpret_cast<Bytef*>(buffer);
            m_z.avail_out = sizeof(buffer);
            rc = deflate(&m_z, flush);
            EXPECT_NE(rc, Z_STREAM_ERROR);
            out.append(buffer, sizeof(buffer) - m_z.avail_out);
        } while (m_z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
        if (stripTail)
        {
            EXPECT_GE(out.size(), 4u);
            EXPECT_EQ(out.substr(out.size() - 4), Hex({0x00, 0x00, 0xFF, 0xFF}));
            out.resize(out.size() - 4);
        }
        return out;
    }

    z_stream m_z{};
};

struct Message
{
    WsOpcode opcode = WsOpcode::Text;
    std::string bytes;
    bool compressed = false;
    bool lost = false;
    std::string problem;
    size_t parts = 0;
    uint64_t wire = 0;
};

// Collects parts into messages and checks the promises every part makes.
struct Collector
{
    std::vector<Message> messages; // in the order their final parts came
    std::optional<Message> open;   // the data message being delivered
    uint64_t wire = 0;
    size_t largestPart = 0;

    void On(const DecodedPart& p)
    {
        wire += p.wireBytes;
        largestPart = std::max(largestPart, p.bytes.size());
        EXPECT_LE(p.bytes.size(), kPart);
        EXPECT_TRUE(p.final || p.problem.empty()) << "a problem on a part that is not final";
        if (IsControl(static_cast<uint8_t>(p.opcode)))
        {
            EXPECT_TRUE(p.first && p.final) << "a control frame comes as one part";
            messages.push_back(
                {p.opcode, std::string(p.bytes), p.compressed, p.lost, std::string(p.problem), 1, p.wireBytes});
            return;
        }
        if (p.first)
        {
            EXPECT_FALSE(open.has_value()) << "a new data message began before the last one's final part";
            open = Message{p.opcode, "", p.compressed, false, "", 0, 0};
        }
        else
        {
            EXPECT_TRUE(open.has_value()) << "a data part with no first part";
            if (!open)
                return;
            EXPECT_EQ(open->opcode, p.opcode);
            EXPECT_EQ(open->compressed, p.compressed);
        }
        open->bytes.append(p.bytes);
        open->parts++;
        open->wire += p.wireBytes;
        open->lost = open->lost || p.lost;
        if (p.final)
        {
            open->problem = p.problem;
            messages.push_back(*open);
            open.reset();
        }
    }

    WsDecoder::Sink Sink()
    {
        return [this](const DecodedPart& p) { On(p); };
    }
};

// Runs `stream` through a tracker and a decoder the way the relay and the recorder do, in chunks ending at
// `cuts`, then checks that every byte was accounted and both counted the same frames.
Collector Decode(const std::string& stream, const std::vector<size_t>& cuts, bool fromClient = false,
                 DeflateParams params = {})
{
    Collector c;
    FrameTracker tracker;
    WsDecoder decoder(fromClient, params);
    size_t from = 0;
    std::vector<size_t> ends = cuts;
    ends.push_back(stream.size());
    for (size_t to : ends)
    {
        to = std::max(from, std::min(to, stream.size()));
        tracker.Feed(reinterpret_cast<const uint8_t*>(stream.data()) + from, to - from);
        decoder.Feed(std::string_view(stream).substr(from, to - from), tracker.FirstHeaderOffset(), c.Sink());
        from = to;
    }
    decoder.Finish(c.Sink());
    EXPECT_EQ(c.wire, stream.size());
    if (tracker.Violation() == HeaderViolation::None)
    {
        EXPECT_EQ(decoder.Frames(), tracker.Frames());
    }
    EXPECT_FALSE(c.open.has_value()) << "a message was left without a final part";
    return c;
}

std::vector<size_t> EveryByte(size_t size)
{
    std::vector<size_t> cuts;
    for (size_t i = 1; i < size; ++i)
        cuts.push_back(i);
    return cuts;
}

std::vector<size_t> Chunks(size_t size, size_t chunk)
{
    std::vector<size_t> cuts;
    for (size_t i = chunk; i < size; i += chunk)
        cuts.push_back(i);
    return cuts;
}

struct Expected
{
    WsOpcode opcode;
    std::string bytes;
    bool compressed = false;
};

void ExpectMessages(const Collector& c, const std::vector<Expected>& expected, const std::string& where)
{
    ASSERT_EQ(c.messages.size(), expected.size()) << where;
    for (size_t i = 0; i < expected.size(); ++i)
    {
        EXPECT_EQ(c.messages[i].opcode, expected[i].opcode) << where << ", message " << i;
        EXPECT_EQ(c.messages[i].bytes, expected[i].bytes) << where << ", message " << i;
        EXPECT_EQ(c.messages[i].compressed, expected[i].compressed) << where << ", message " << i;
        EXPECT_EQ(c.messages[i].problem, "") << where << ", message " << i;
        EXPECT_FALSE(c.messages[i].lost) << where << ", message " << i;
    }
}

// Every two-way split, and byte by byte.
void ExpectWhateverTheSplit(const std::string& stream, const std::vector<Expected>& expected, bool fromClient = false,
                            DeflateParams params = {})
{
    for (size_t k = 0; k <= stream.size(); ++k)
    {
        ExpectMessages(Decode(stream, {k}, fromClient, params), expected, "split at " + std::to_string(k));
        if (::testing::Test::HasFailure())
            return;
    }
    ExpectMessages(Decode(stream, EveryByte(stream.size()), fromClient, params), expected, "byte by byte");
}

std::string Text(size_t size, unsigned seed)
{
    // Words from a small vocabulary: compressible, with matches at many distances.
    static const char* words[] = {"alpha ", "beta ", "gamma ", "delta ", "{\"id\":", "\"params\":[", "0.5, ", "\n"};
    std::string s;
    uint32_t x = seed * 2654435761u + 1;
    while (s.size() < size)
    {
        x = x * 1664525u + 1013904223u;
        s += words[(x >> 24) % 8];
        if ((x & 0xF) == 0)
            s += std::to_string(x % 100000);
    }
    s.resize(size);
    return s;
}

DeflateParams Deflate(bool serverNoTakeover = false, bool clientNoTakeover = false, int bits = 15)
{
    DeflateParams p;
    p.enabled = true;
    p.serverNoContextTakeover = serverNoTakeover;
    p.clientNoContextTakeover = clientNoTakeover;
    p.serverMaxWindowBits = bits;
    p.clientMaxWindowBits = bits;
    return p;
}

const MaskKey kKey1{0x37, 0xFA, 0x21, 0x3D};
const MaskKey kKey2{0x01, 0x80, 0xFE, 0x7F};

} // namespace

// --- ParseAgreedDeflate ---

TEST(ParseAgreedDeflate, TheEnginesAnswer)
{
    const DeflateParams p =
        ParseAgreedDeflate("permessage-deflate; server_max_window_bits=12; client_max_window_bits=12");
    EXPECT_TRUE(p.enabled);
    EXPECT_FALSE(p.serverNoContextTakeover);
    EXPECT_FALSE(p.clientNoContextTakeover);
    EXPECT_EQ(p.serverMaxWindowBits, 12);
    EXPECT_EQ(p.clientMaxWindowBits, 12);
}

TEST(ParseAgreedDeflate, QuotedValuesCaseAndWhitespace)
{
    const DeflateParams p = ParseAgreedDeflate(
        "PerMessage-Deflate ;\tServer_No_Context_Takeover ; client_max_window_bits = \"10\";server_max_window_bits="
        "\"9\"");
    EXPECT_TRUE(p.enabled);
    EXPECT_TRUE(p.serverNoContextTakeover);
    EXPECT_FALSE(p.clientNoContextTakeover);
    EXPECT_EQ(p.serverMaxWindowBits, 9);
    EXPECT_EQ(p.clientMaxWindowBits, 10);
}

TEST(ParseAgreedDeflate, ClientMaxWindowBitsWithoutAValueIs15)
{
    const DeflateParams p =
        ParseAgreedDeflate("permessage-deflate; client_max_window_bits; client_no_context_takeover");
    EXPECT_TRUE(p.enabled);
    EXPECT_TRUE(p.clientNoContextTakeover);
    EXPECT_EQ(p.clientMaxWindowBits, 15);
    EXPECT_EQ(p.serverMaxWindowBits, 15);
}

TEST(ParseAgreedDeflate, SeveralExtensionsTheFirstDeflateCounts)
{
    const DeflateParams p = ParseAgreedDeflate("x-webkit-deflate-frame; no_context_takeover, foo; bar=\"a, b; "
                                               "permessage-deflate\", permessage-deflate; server_no_context_takeover; "
                                               "server_max_window_bits=8, permessage-deflate; "
                                               "client_no_context_takeover");
    EXPECT_TRUE(p.enabled);
    EXPECT_TRUE(p.serverNoContextTakeover);
    EXPECT_FALSE(p.clientNoContextTakeover);
    EXPECT_EQ(p.serverMaxWindowBits, 8);
}

TEST(ParseAgreedDeflate, AbsentOrOutOfRange)
{
    EXPECT_FALSE(ParseAgreedDeflate("").enabled);
    EXPECT_FALSE(ParseAgreedDeflate("x-foo; permessage-deflate").enabled);
    EXPECT_FALSE(ParseAgreedDeflate("permessage-deflate-2").enabled);
    const DeflateParams p = ParseAgreedDeflate("permessage-deflate; server_max_window_bits=16; "
                                               "client_max_window_bits=7");
    EXPECT_TRUE(p.enabled);
    EXPECT_EQ(p.serverMaxWindowBits, 15);
    EXPECT_EQ(p.clientMaxWindowBits, 15);
}

// --- Frames and messages ---

TEST(WsDecoder, ServerMessagesWhateverTheSplit)
{
    const std::string stream =
        Frame(true, WsOpcode::Text, "hello") + Frame(true, WsOpcode::Binary, std::string("\x00\x01\xff", 3)) +
        Frame(false, WsOpcode::Text, "frag-one ") + Frame(true, WsOpcode::Ping, "are you there") +
        Frame(false, WsOpcode::Continuation, "") + Frame(true, WsOpcode::Pong, "") +
        Frame(true, WsOpcode::Continuation, std::string(300, 'z')) + Frame(true, WsOpcode::Text, "") +
        Frame(true, WsOpcode::Close, std::string("\x03\xe8", 2) + "done");
    ExpectWhateverTheSplit(stream, {{WsOpcode::Text, "hello"},
                                    {WsOpcode::Binary, std::string("\x00\x01\xff", 3)},
                                    {WsOpcode::Ping, "are you there"},
                                    {WsOpcode::Pong, ""},
                                    {WsOpcode::Text, "frag-one " + std::string(300, 'z')},
                                    {WsOpcode::Text, ""},
                                    {WsOpcode::Close, std::string("\x03\xe8", 2) + "done"}});
}

TEST(WsDecoder, MaskedClientFramesUnmaskAcrossSplits)
{
    const std::string stream = Frame(true, WsOpcode::Text, "{\"jsonrpc\":\"2.0\"}", kKey1) +
                               Frame(false, WsOpcode::Binary, std::string(130, '\x55'), kKey2) +
                               Frame(true, WsOpcode::Ping, "ping!", kKey1) +
                               Frame(true, WsOpcode::Continuation, "tail of it", kKey1) +
                               Frame(true, WsOpcode::Close, std::string("\x03\xe9", 2), kKey2);
    ExpectWhateverTheSplit(stream,
                           {{WsOpcode::Text, "{\"jsonrpc\":\"2.0\"}"},
                            {WsOpcode::Ping, "ping!"},
                            {WsOpcode::Binary, std::string(130, '\x55') + "tail of it"},
                            {WsOpcode::Close, std::string("\x03\xe9", 2)}},
                           true);
    // Three-way splits too: the mask offset carries across two reads inside one payload.
    for (size_t a = 20; a < 60; ++a)
        for (size_t b = a; b < 80; b += 3)
            ExpectMessages(Decode(stream, {a, b}, true),
                           {{WsOpcode::Text, "{\"jsonrpc\":\"2.0\"}"},
                            {WsOpcode::Ping, "ping!"},
                            {WsOpcode::Binary, std::string(130, '\x55') + "tail of it"},
                            {WsOpcode::Close, std::string("\x03\xe9", 2)}},
                           "splits " + std::to_string(a) + "," + std::to_string(b));
}

TEST(WsDecoder, ControlFramesDoNotDisturbTheOpenMessage)
{
    const std::string stream = Frame(false, WsOpcode::Text, "a") + Frame(true, WsOpcode::Ping, "1") +
                               Frame(false, WsOpcode::Continuation, "b") + Frame(true, WsOpcode::Close, "") +
                               Frame(true, WsOpcode::Continuation, "c");
    Collector c;
    WsDecoder d(false, {});
    uint64_t fed = 0;
    size_t pingAt = 0;
    for (size_t i = 0; i < stream.size(); ++i, ++fed)
    {
        d.Feed(std::string_view(stream).substr(i, 1), npos, c.Sink());
        if (c.messages.size() == 1 && pingAt == 0)
            pingAt = i;
    }
    d.Finish(c.Sink());
    ASSERT_EQ(c.messages.size(), 3u);
    EXPECT_EQ(c.messages[0].opcode, WsOpcode::Ping);
    EXPECT_EQ(c.messages[1].opcode, WsOpcode::Close);
    EXPECT_EQ(c.messages[2].opcode, WsOpcode::Text);
    EXPECT_EQ(c.messages[2].bytes, "abc");
    EXPECT_EQ(c.messages[2].problem, "");
    EXPECT_EQ(c.wire, fed);
    EXPECT_EQ(d.Frames(), 5u);
}

TEST(WsDecoder, LargeFramesComeInPartsOf64KiBAtMost)
{
    std::string payload(1 << 20, '\0');
    for (size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<char>((i * 131) ^ (i >> 9));
    const std::string stream =
        Frame(true, WsOpcode::Binary, payload, kKey2) + Frame(true, WsOpcode::Text, "next", kKey1);
    for (size_t chunk : {size_t{65536}, size_t{10007}, size_t{3}, stream.size()})
    {
        const Collector c = Decode(stream, Chunks(stream.size(), chunk), true);
        ASSERT_EQ(c.messages.size(), 2u);
        EXPECT_EQ(c.messages[0].bytes, payload) << "chunk " << chunk;
        EXPECT_EQ(c.messages[0].parts, 16u) << "chunk " << chunk;
        EXPECT_EQ(c.largestPart, kPart);
        EXPECT_EQ(c.messages[1].bytes, "next");
    }
}

// --- Protocol problems ---

TEST(WsDecoder, ContinuationWithNoMessageOpen)
{
    const std::string stream = Frame(false, WsOpcode::Continuation, "lost ") +
                               Frame(true, WsOpcode::Continuation, "start") + Frame(true, WsOpcode::Text, "fine");
    const Collector c = Decode(stream, {7});
    ASSERT_EQ(c.messages.size(), 2u);
    EXPECT_EQ(c.messages[0].opcode, WsOpcode::Continuation);
    EXPECT_EQ(c.messages[0].bytes, "lost start");
    EXPECT_NE(c.messages[0].problem.find("continuation frame with no message open"), std::string::npos);
    EXPECT_EQ(c.messages[1].bytes, "fine");
    EXPECT_EQ(c.messages[1].problem, "");
}

TEST(WsDecoder, NewDataFrameWhileAMessageIsOpen)
{
    const std::string stream = Frame(false, WsOpcode::Text, "unfinished") + Frame(true, WsOpcode::Binary, "new") +
                               Frame(true, WsOpcode::Text, "after");
    const Collector c = Decode(stream, {});
    ASSERT_EQ(c.messages.size(), 3u);
    EXPECT_EQ(c.messages[0].bytes, "unfinished");
    EXPECT_NE(c.messages[0].problem, "");
    EXPECT_EQ(c.messages[1].opcode, WsOpcode::Binary);
    EXPECT_EQ(c.messages[1].bytes, "new");
    EXPECT_EQ(c.messages[1].problem, "");
    EXPECT_EQ(c.messages[2].problem, "");
}

TEST(WsDecoder, Rsv1WithoutDeflateIsDeliveredRaw)
{
    const std::string compressed = Hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
    const std::string stream =
        Frame(true, WsOpcode::Text, compressed, kKey1, true) + Frame(true, WsOpcode::Text, "plain", kKey2);
    const Collector c = Decode(stream, {3}, true);
    ASSERT_EQ(c.messages.size(), 2u);
    EXPECT_EQ(c.messages[0].bytes, compressed);
    EXPECT_TRUE(c.messages[0].compressed);
    EXPECT_NE(c.messages[0].problem.find("not agreed"), std::string::npos);
    EXPECT_EQ(c.messages[1].bytes, "plain");
}

TEST(WsDecoder, Rsv1OnContinuationOrControlIsAProblem)
{
    const std::string stream = Frame(false, WsOpcode::Text, "a") + Frame(true, WsOpcode::Continuation, "b", {}, true) +
                               Frame(true, WsOpcode::Ping, "p", {}, true);
    const Collector c = Decode(stream, {}, false, Deflate());
    ASSERT_EQ(c.messages.size(), 2u);
    EXPECT_EQ(c.messages[0].bytes, "ab");
    EXPECT_FALSE(c.messages[0].compressed);
    EXPECT_NE(c.messages[0].problem.find("RSV1 set on a continuation frame"), std::string::npos);
    EXPECT_EQ(c.messages[1].opcode, WsOpcode::Ping);
    EXPECT_EQ(c.messages[1].bytes, "p");
    EXPECT_NE(c.messages[1].problem.find("RSV1 set on a control frame"), std::string::npos);
}

TEST(WsDecoder, HeaderViolationLeavesTheRestUndecodable)
{
    const std::string before = Frame(true, WsOpcode::Text, "ok") + Frame(false, WsOpcode::Text, "open");
    const std::string after = Hex({0x83, 0x02, 'x', 'y'}) + Frame(true, WsOpcode::Text, "never seen");
    const std::string stream = before + after;
    for (size_t k = 0; k <= stream.size(); ++k)
    {
        Collector c;
        WsDecoder d(false, {});
        d.Feed(std::string_view(stream).substr(0, k), npos, c.Sink());
        d.Feed(std::string_view(stream).substr(k), npos, c.Sink());
        d.Feed("more bytes after the violation", npos, c.Sink());
        d.Finish(c.Sink());
        EXPECT_EQ(c.wire, stream.size() + 30) << "split " << k;
        EXPECT_EQ(d.Frames(), 2u);
        ASSERT_GE(c.messages.size(), 3u) << "split " << k;
        EXPECT_EQ(c.messages[0].bytes, "ok");
        EXPECT_EQ(c.messages[0].problem, "");
        EXPECT_EQ(c.messages[1].bytes, "open");
        EXPECT_NE(c.messages[1].problem.find("reserved opcode"), std::string::npos);
        for (size_t i = 2; i < c.messages.size(); ++i)
        {
            EXPECT_EQ(c.messages[i].opcode, WsOpcode::Continuation);
            EXPECT_EQ(c.messages[i].bytes, "");
            EXPECT_NE(c.messages[i].problem.find("undecodable"), std::string::npos);
        }
    }
}

TEST(WsDecoder, FinishMidMessageOrMidFrame)
{
    {
        const std::string stream = Frame(false, WsOpcode::Text, "part") + Frame(true, WsOpcode::Continuation, "xyz");
        Collector c;
        WsDecoder d(false, {});
        d.Feed(std::string_view(stream).substr(0, stream.size() - 1), npos, c.Sink());
        d.Finish(c.Sink());
        ASSERT_EQ(c.messages.size(), 1u);
        EXPECT_EQ(c.messages[0].bytes, "partxy");
        EXPECT_EQ(c.messages[0].problem, "connection ended mid-message");
        EXPECT_EQ(c.wire, stream.size() - 1);
    }
    {
        const std::string stream = Frame(true, WsOpcode::Ping, "ping");
        Collector c;
        WsDecoder d(false, {});
        d.Feed(std::string_view(stream).substr(0, 4), npos, c.Sink());
        d.Finish(c.Sink());
        ASSERT_EQ(c.messages.size(), 1u);
        EXPECT_EQ(c.messages[0].opcode, WsOpcode::Ping);
        EXPECT_EQ(c.messages[0].problem, "connection ended mid-frame");
        EXPECT_EQ(c.wire, 4u);
    }
    {
        Collector c;
        WsDecoder d(true, {});
        d.Feed(Hex({0x81, 0xFE, 0x01}), npos, c.Sink()); // a header cut short
        d.Finish(c.Sink());
        EXPECT_EQ(c.wire, 3u);
        ASSERT_EQ(c.messages.size(), 1u);
        EXPECT_NE(c.messages[0].problem, "");
    }
}

// --- permessage-deflate ---

TEST(WsDecoderDeflate, Rfc7692Examples)
{
    // RFC 7692 §7.2.3.1: "Hello"; §7.2.3.2: "Hello" again, as a back-reference into the first message's window.
    const std::string hello = Hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
    const std::string helloAgain = Hex({0xf2, 0x00, 0x11, 0x00, 0x00});
    // §7.2.3.3: a stored block; §7.2.3.4: a block with BFINAL set; §7.2.3.5: two blocks; §7.2.3.6: empty.
    const std::string stored = Hex({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00});
    const std::string bfinal = Hex({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00});
    const std::string twoBlocks = Hex({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00});
    const std::string empty = Hex({0x00});
    const std::string stream =
        Frame(true, WsOpcode::Text, hello, {}, true) + Frame(true, WsOpcode::Text, helloAgain, {}, true) +
        Frame(false, WsOpcode::Text, hello.substr(0, 3), {}, true) + // §7.2.3.1, fragmented
        Frame(true, WsOpcode::Continuation, hello.substr(3)) + Frame(true, WsOpcode::Text, stored, {}, true) +
        Frame(true, WsOpcode::Text, bfinal, {}, true) + Frame(true, WsOpcode::Text, helloAgain, {}, true) +
        Frame(true, WsOpcode::Text, twoBlocks, {}, true) + Frame(true, WsOpcode::Text, empty, {}, true) +
        Frame(true, WsOpcode::Text, helloAgain, {}, true);
    std::vector<Expected> expected(9, {WsOpcode::Text, "Hello", true});
    expected[7].bytes = "";
    ExpectWhateverTheSplit(stream, expected, false, Deflate(false, false, 12));
}

TEST(WsDecoderDeflate, TheSecondRfcMessageNeedsContextTakeover)
{
    const std::string stream = Frame(true, WsOpcode::Text, Hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}), {}, true) +
                               Frame(true, WsOpcode::Text, Hex({0xf2, 0x00, 0x11, 0x00, 0x00}), {}, true) +
                               Frame(true, WsOpcode::Text, Hex({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}), {}, true);
    // With server_no_context_takeover the decoder resets before each message, so the back-reference fails,
    // and the next message still decodes from an empty window.
    const Collector c = Decode(stream, {}, false, Deflate(true, false));
    ASSERT_EQ(c.messages.size(), 3u);
    EXPECT_EQ(c.messages[0].bytes, "Hello");
    EXPECT_NE(c.messages[1].problem.find("inflate failed"), std::string::npos);
    EXPECT_EQ(c.messages[2].bytes, "Hello");
    EXPECT_EQ(c.messages[2].problem, "");
}

TEST(WsDecoderDeflate, ContextTakeoverWindow15MaskedAndSplit)
{
    Deflater deflater(15);
    std::string stream;
    std::vector<Expected> expected;
    for (unsigned i = 0; i < 6; ++i)
    {
        const std::string text = Text(i == 3 ? 200000 : 3000 + 500 * i, i % 2); // repeats across messages
        stream += Frame(true, WsOpcode::Text, deflater.Message(text), i % 2 ? kKey1 : kKey2, true);
        expected.push_back({WsOpcode::Text, text, true});
        stream += Frame(true, WsOpcode::Binary, "uncompressed " + std::to_string(i), kKey1);
        expected.push_back({WsOpcode::Binary, "uncompressed " + std::to_string(i), false});
    }
    for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}, size_t{65536}, stream.size()})
        ExpectMessages(Decode(stream, Chunks(stream.size(), chunk), true, Deflate()), expected,
                       "chunk " + std::to_string(chunk));
}

TEST(WsDecoderDeflate, WindowBits8)
{
    // zlib cannot deflate with an 8-bit window (-8 is refused), so the sender uses 9, which an 8-bit-window
    // agreement allows to inflate with any larger window: the decoder's -15.
    Deflater deflater(9);
    std::string stream;
    std::vector<Expected> expected;
    for (unsigned i = 0; i < 8; ++i)
    {
        const std::string text = Text(900 + 37 * i, 7);
        stream += Frame(true, WsOpcode::Text, deflater.Message(text), {}, true);
        expected.push_back({WsOpcode::Text, text, true});
    }
    for (size_t chunk : {size_t{1}, size_t{5}, size_t{333}, stream.size()})
        ExpectMessages(Decode(stream, Chunks(stream.size(), chunk), false, Deflate(false, false, 8)), expected,
                       "chunk " + std::to_string(chunk));
}

TEST(WsDecoderDeflate, NoContextTakeoverResetsBeforeEachMessage)
{
    Deflater deflater(15);
    std::string stream;
    std::vector<Expected> expected;
    for (unsigned i = 0; i < 4; ++i)
    {
        deflater.Reset();
        const std::string text = Text(5000, 3);
        stream += Frame(true, WsOpcode::Binary, deflater.Message(text), kKey1, true);
        expected.push_back({WsOpcode::Binary, text, true});
    }
    ExpectMessages(Decode(stream, Chunks(stream.size(), 1000), true, Deflate(false, true)), expected, "client");
}

TEST(WsDecoderDeflate, FragmentedCompressedMessageWithControlFramesBetween)
{
    Deflater deflater(15);
    const std::string text = Text(300000, 5);
    const std::string compressed = deflater.Message(text);
    ASSERT_GT(compressed.size(), 30u);
    const size_t third = compressed.size() / 3;
    const std::string stream = Frame(false, WsOpcode::Text, compressed.substr(0, third), kKey1, true) +
                               Frame(true, WsOpcode::Ping, "", kKey2) +
                               Frame(false, WsOpcode::Continuation, compressed.substr(third, third), kKey2) +
                               Frame(true, WsOpcode::Pong, "x", kKey1) +
                               Frame(true, WsOpcode::Continuation, compressed.substr(2 * third), kKey1);
    const std::vector<Expected> expected = {{WsOpcode::Ping, ""}, {WsOpcode::Pong, "x"}, {WsOpcode::Text, text, true}};
    for (size_t chunk : {size_t{1}, size_t{100}, stream.size()})
    {
        const Collector c = Decode(stream, Chunks(stream.size(), chunk), true, Deflate());
        ExpectMessages(c, expected, "chunk " + std::to_string(chunk));
        EXPECT_EQ(c.largestPart, kPart);
    }
}

TEST(WsDecoderDeflate, MessagesEndingWithAFinalBlock)
{
    // A sender that ends messages with BFINAL blocks (zlib's Z_FINISH) and keeps its window: every later
    // message refers back to earlier ones.
    Deflater deflater(15);
    std::string stream;
    std::vector<Expected> expected;
    for (unsigned i = 0; i < 4; ++i)
    {
        const std::string text = Text(4000, 9);
        const std::string payload = i % 2 ? deflater.Message(text) : deflater.FinalBlockMessage(text);
        if (i == 2)
        {
            EXPECT_LT(payload.size(), 100u) << "the message should be back-references into the kept window";
        }
        stream += Frame(true, WsOpcode::Text, payload, {}, true);
        expected.push_back({WsOpcode::Text, text, true});
    }
    ExpectWhateverTheSplit(stream, expected, false, Deflate());
}

TEST(WsDecoderDeflate, AFinalBlockWhoseEndOfBlockCodeEndsInTheTail)
{
    // §7.2.3.4's message without its last two bytes: the end-of-block code of the BFINAL block is only
    // complete with the zero bits of the 00 00 FF FF the decoder appends. The rest of that tail is the
    // decoder's own, not the start of a new block, and the window is kept for the next message.
    const std::string stream = Frame(true, WsOpcode::Text, Hex({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07}), {}, true) +
                               Frame(true, WsOpcode::Text, Hex({0xf2, 0x00, 0x11, 0x00, 0x00}), {}, true);
    ExpectWhateverTheSplit(stream, {{WsOpcode::Text, "Hello", true}, {WsOpcode::Text, "Hello", true}}, false,
                           Deflate());
}

TEST(WsDecoderDeflate, EmptyCompressedMessages)
{
    // A zero-length payload with RSV1 must not reach zlib (it would leave it inside a stored block's header);
    // 0x00 is the RFC's empty message; then an empty first fragment and an empty final fragment.
    Deflater deflater(15);
    const std::string one = deflater.Message("first message");
    const std::string two = deflater.Message("first message, again");
    const std::string stream = Frame(true, WsOpcode::Text, "", {}, true) + Frame(true, WsOpcode::Text, one, {}, true) +
                               Frame(true, WsOpcode::Text, "", {}, true) +
                               Frame(true, WsOpcode::Text, Hex({0x00}), {}, true) +
                               Frame(false, WsOpcode::Text, "", {}, true) + Frame(true, WsOpcode::Continuation, "") +
                               Frame(false, WsOpcode::Binary, "", {}, true) + Frame(true, WsOpcode::Continuation, two);
    ExpectWhateverTheSplit(stream,
                           {{WsOpcode::Text, "", true},
                            {WsOpcode::Text, "first message", true},
                            {WsOpcode::Text, "", true},
                            {WsOpcode::Text, "", true},
                            {WsOpcode::Text, "", true},
                            {WsOpcode::Binary, "first message, again", true}},
                           false, Deflate());
}

TEST(WsDecoderDeflate, CorruptStreamWithContextTakeover)
{
    Deflater deflater(15);
    const std::string good = deflater.Message("good one");
    const std::string corrupt = Hex({0xff, 0xff, 0xff, 0xff, 0x01}); // BTYPE 11 is reserved
    const std::string later = deflater.Message("compressed after the break");
    const std::string stream = Frame(true, WsOpcode::Text, good, kKey1, true) +
                               Frame(true, WsOpcode::Text, corrupt, kKey2, true) +
                               Frame(true, WsOpcode::Text, "plain still decodes", kKey1) +
                               Frame(true, WsOpcode::Text, later, kKey2, true) + Frame(true, WsOpcode::Ping, "", kKey1);
    for (size_t chunk : {size_t{1}, size_t{9}, stream.size()})
    {
        const Collector c = Decode(stream, Chunks(stream.size(), chunk), true, Deflate());
        ASSERT_EQ(c.messages.size(), 5u);
        EXPECT_EQ(c.messages[0].bytes, "good one");
        EXPECT_EQ(c.messages[0].problem, "");
        EXPECT_NE(c.messages[1].problem.find("inflate failed"), std::string::npos) << c.messages[1].problem;
        EXPECT_TRUE(c.messages[1].compressed);
        EXPECT_EQ(c.messages[2].bytes, "plain still decodes");
        EXPECT_EQ(c.messages[2].problem, "");
        EXPECT_EQ(c.messages[3].bytes, later) << "delivered raw and unmasked";
        EXPECT_TRUE(c.messages[3].compressed);
        EXPECT_NE(c.messages[3].problem.find("undecodable"), std::string::npos);
        EXPECT_EQ(c.messages[4].opcode, WsOpcode::Ping);
    }
}

TEST(WsDecoderDeflate, TruncatedCompressedMessageIsAProblem)
{
    Deflater deflater(15);
    std::string cut = deflater.Message(Text(2000, 1));
    cut.resize(cut.size() / 2); // ends inside a block
    const std::string stream = Frame(true, WsOpcode::Text, cut, {}, true);
    const Collector c = Decode(stream, {}, false, Deflate());
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_NE(c.messages[0].problem, "");
}

// --- Skip ---

TEST(WsDecoderSkip, AGapInsideAFramesPayloadKeepsTheMessageGoingWithItsBoundariesKnown)
{
    const std::string first = Frame(false, WsOpcode::Text, std::string(100, 'a'), kKey1);
    const std::string second = Frame(false, WsOpcode::Continuation, std::string(200, 'b'), kKey2);
    const std::string third = Frame(true, WsOpcode::Continuation, std::string(50, 'c'), kKey1);
    const std::string next = Frame(true, WsOpcode::Text, "after the gap", kKey2);
    const std::string stream = first + second + third + next;

    Collector c;
    WsDecoder d(true, {});
    const size_t gapFrom = first.size() + 50; // 42 payload bytes of `second` (8-byte header) went through
    const size_t gapTo = first.size() + 120;
    d.Feed(std::string_view(stream).substr(0, gapFrom), 0, c.Sink());
    d.Skip(gapTo - gapFrom, c.Sink());
    EXPECT_TRUE(c.messages.empty()) << "the message goes on";
    d.Feed(std::string_view(stream).substr(gapTo), FrameTracker::npos, c.Sink()); // the decoder needs no offset
    ASSERT_EQ(c.messages.size(), 2u);
    EXPECT_TRUE(c.messages[0].lost);
    EXPECT_EQ(c.messages[0].problem, "");
    EXPECT_EQ(c.messages[0].bytes, std::string(100, 'a') + std::string(42 + 88, 'b') + std::string(50, 'c'))
        << "everything but the 70 bytes that were not captured, masks still right after the gap";
    EXPECT_EQ(c.messages[1].bytes, "after the gap");
    EXPECT_FALSE(c.messages[1].lost);
    EXPECT_EQ(c.wire, stream.size() - 70);
}

TEST(WsDecoderSkip, AGapAcrossAHeaderLosesTheMessageAndDecodingResumesAtTheNextHeader)
{
    const std::string first = Frame(false, WsOpcode::Text, std::string(100, 'a'), kKey1);
    const std::string second = Frame(false, WsOpcode::Continuation, std::string(200, 'b'), kKey2);
    const std::string third = Frame(true, WsOpcode::Continuation, std::string(50, 'c'), kKey1);
    const std::string next = Frame(true, WsOpcode::Text, "after the gap", kKey2);
    const std::string stream = first + second + third + next;

    FrameTracker tracker; // sees every byte, as the relay's does
    Collector c;
    WsDecoder d(true, {});
    uint64_t fed = 0;
    const auto feed = [&](size_t from, size_t to)
    {
        tracker.Feed(reinterpret_cast<const uint8_t*>(stream.data()) + from, to - from);
        d.Feed(std::string_view(stream).substr(from, to - from), tracker.FirstHeaderOffset(), c.Sink());
        fed += to - from;
    };
    const size_t thirdAt = first.size() + second.size();
    const size_t gapFrom = first.size() + 50;
    const size_t gapTo = thirdAt + 10; // through `third`'s header
    feed(0, gapFrom);
    EXPECT_TRUE(c.messages.empty());
    tracker.Feed(reinterpret_cast<const uint8_t*>(stream.data()) + gapFrom, gapTo - gapFrom); // not captured
    d.Skip(gapTo - gapFrom, c.Sink());
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_TRUE(c.messages[0].lost);
    EXPECT_EQ(c.messages[0].problem,
              "capture fell behind: " + std::to_string(gapTo - gapFrom) + " wire bytes not captured");
    EXPECT_EQ(c.messages[0].bytes, std::string(100, 'a') + std::string(50 - 8, 'b'));
    feed(gapTo, stream.size());
    d.Finish(c.Sink());
    EXPECT_EQ(c.wire, fed);
    ASSERT_GE(c.messages.size(), 2u);
    EXPECT_EQ(c.messages.back().bytes, "after the gap");
    EXPECT_EQ(c.messages.back().problem, "");
    for (size_t i = 1; i + 1 < c.messages.size(); ++i)
        EXPECT_NE(c.messages[i].problem, "") << "bytes between the gap and the next header are marked";
}

TEST(WsDecoderSkip, AtABoundaryItStillWaitsForAnOffset)
{
    const std::string a = Frame(true, WsOpcode::Text, "one");
    const std::string b = Frame(true, WsOpcode::Text, "two");
    const std::string d3 = Frame(true, WsOpcode::Text, "three");
    Collector c;
    WsDecoder d(false, {});
    d.Feed(a, 0, c.Sink());
    d.Skip(1000, c.Sink());
    EXPECT_EQ(c.messages.size(), 1u) << "nothing was open, so nothing is delivered lost";
    d.Feed(b, npos, c.Sink());
    ASSERT_EQ(c.messages.size(), 2u);
    EXPECT_TRUE(c.messages[1].lost);
    EXPECT_EQ(c.messages[1].wire, b.size());
    EXPECT_EQ(c.messages[1].opcode, WsOpcode::Continuation);
    d.Feed(d3, 0, c.Sink());
    d.Finish(c.Sink());
    ASSERT_EQ(c.messages.size(), 3u);
    EXPECT_EQ(c.messages[2].bytes, "three");
    EXPECT_EQ(c.wire, a.size() + b.size() + d3.size());
}

TEST(WsDecoderSkip, ContextTakeoverMakesLaterCompressedMessagesUndecodable)
{
    for (bool noTakeover : {false, true})
    {
        Deflater deflater(15);
        if (noTakeover)
            deflater.Reset();
        const std::string one = Frame(true, WsOpcode::Text, deflater.Message("before the gap"), {}, true);
        if (noTakeover)
            deflater.Reset();
        const std::string lostMessage = Frame(true, WsOpcode::Text, deflater.Message("in the gap"), {}, true);
        if (noTakeover)
            deflater.Reset();
        const std::string compressed = deflater.Message("after the gap");
        const std::string two = Frame(true, WsOpcode::Text, compressed, {}, true);
        const std::string plain = Frame(true, WsOpcode::Text, "plain");
        Collector c;
        WsDecoder d(false, Deflate(noTakeover, false));
        d.Feed(one, 0, c.Sink());
        d.Skip(lostMessage.size(), c.Sink());
        d.Feed(two + plain, 0, c.Sink());
        d.Finish(c.Sink());
        ASSERT_EQ(c.messages.size(), 3u);
        EXPECT_EQ(c.messages[0].bytes, "before the gap");
        EXPECT_EQ(c.messages[2].bytes, "plain");
        EXPECT_EQ(c.messages[2].problem, "");
        if (noTakeover)
        {
            EXPECT_EQ(c.messages[1].bytes, "after the gap");
            EXPECT_EQ(c.messages[1].problem, "");
        }
        else
        {
            EXPECT_EQ(c.messages[1].bytes, compressed);
            EXPECT_NE(c.messages[1].problem.find("undecodable"), std::string::npos);
        }
        EXPECT_EQ(c.wire, one.size() + two.size() + plain.size());
    }
}

TEST(WsDecoderSkip, InsideAControlFrameAndAHeader)
{
    const std::string ping = Frame(true, WsOpcode::Ping, "0123456789", kKey1);
    const std::string text = Frame(true, WsOpcode::Text, "resumed", kKey2);
    {
        Collector c;
        WsDecoder d(true, {});
        d.Feed(std::string_view(ping).substr(0, 9), 0, c.Sink());
        d.Skip(3, c.Sink());
        d.Feed(std::string_view(ping).substr(12), npos, c.Sink());
        d.Feed(text, 0, c.Sink());
        d.Finish(c.Sink());
        ASSERT_EQ(c.messages.size(), 3u);
        EXPECT_EQ(c.messages[0].opcode, WsOpcode::Ping);
        EXPECT_TRUE(c.messages[0].lost);
        EXPECT_EQ(c.messages[0].bytes, "012");
        EXPECT_TRUE(c.messages[1].lost);
        EXPECT_EQ(c.messages[2].bytes, "resumed");
        EXPECT_EQ(c.wire, ping.size() - 3 + text.size());
    }
    {
        Collector c;
        WsDecoder d(true, {});
        d.Feed(std::string_view(text).substr(0, 3), 0, c.Sink());
        d.Skip(5, c.Sink());
        d.Feed(text, 0, c.Sink());
        d.Finish(c.Sink());
        ASSERT_EQ(c.messages.size(), 2u);
        EXPECT_TRUE(c.messages[0].lost);
        EXPECT_EQ(c.messages[0].wire, 3u);
        EXPECT_EQ(c.messages[1].bytes, "resumed");
    }
}
