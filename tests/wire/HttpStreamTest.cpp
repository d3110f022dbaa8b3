#include "wire/HttpStream.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

using namespace dapscope::wire;
using namespace std::string_literals;

namespace
{

using Prepare = std::function<void(HttpStream&)>;

// What the stream reported, with offsets made absolute (into the whole input) and bytes copied out of the fed
// pieces, so that transcripts of different splits of the same input can be compared.
struct Seen
{
    HttpEvent::Type type = HttpEvent::Type::Body;
    std::string raw;  // Head
    std::string wire; // Body: fed bytes [offset, offset+length)
    std::string data; // Body: the de-chunked bytes
    size_t at = 0;    // Body, Upgrade, Tunnel
    int status = 0;   // Error
    std::string reason;
};

std::string Printable(std::string_view bytes)
{
    std::string out;
    for (char c : bytes)
    {
        if (c == '\r')
            out += "\\r";
        else if (c == '\n')
            out += "\\n";
        else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F)
            out += "\\x" + std::to_string(static_cast<unsigned char>(c));
        else
            out += c;
    }
    return out;
}

std::string Describe(const std::vector<Seen>& seen)
{
    std::string out;
    for (const Seen& event : seen)
    {
        switch (event.type)
        {
        case HttpEvent::Type::Head:
            out += "Head[" + Printable(event.raw) + "] ";
            break;
        case HttpEvent::Type::Body:
            out +=
                "Body@" + std::to_string(event.at) + "[" + Printable(event.wire) + "|" + Printable(event.data) + "] ";
            break;
        case HttpEvent::Type::End:
            out += "End ";
            break;
        case HttpEvent::Type::Upgrade:
            out += "Upgrade@" + std::to_string(event.at) + " ";
            break;
        case HttpEvent::Type::Tunnel:
            out += "Tunnel@" + std::to_string(event.at) + " ";
            break;
        case HttpEvent::Type::Error:
            out += "Error" + std::to_string(event.status) + " ";
            break;
        }
    }
    return out;
}

// Appends the events of one Feed of `piece` (which starts at `base` in the whole input), checking that every
// offset and view lies inside the piece; consecutive Body events are merged.
void Collect(const std::vector<HttpEvent>& events, std::string_view piece, size_t base, std::vector<Seen>& seen)
{
    size_t cursor = 0;
    for (const HttpEvent& event : events)
    {
        Seen item;
        item.type = event.type;
        item.status = event.status;
        item.reason = event.reason;
        switch (event.type)
        {
        case HttpEvent::Type::Head:
            item.raw = event.raw;
            EXPECT_TRUE(ParseHead(event.raw, event.head.request).has_value());
            break;
        case HttpEvent::Type::Body:
            EXPECT_GE(event.offset, cursor);
            EXPECT_GT(event.length, 0u);
            EXPECT_LE(event.offset + event.length, piece.size());
            cursor = event.offset + event.length;
            item.at = base + event.offset;
            item.wire = piece.substr(event.offset, event.length);
            for (std::string_view view : event.data)
            {
                EXPECT_GE(view.data(), piece.data() + event.offset);
                EXPECT_LE(view.data() + view.size(), piece.data() + event.offset + event.length);
                item.data += view;
            }
            if (!seen.empty() && seen.back().type == HttpEvent::Type::Body &&
                seen.back().at + seen.back().wire.size() == item.at)
            {
                seen.back().wire += item.wire;
                seen.back().data += item.data;
                continue;
            }
            break;
        case HttpEvent::Type::Upgrade:
        case HttpEvent::Type::Tunnel:
            EXPECT_GE(event.offset, cursor);
            EXPECT_LE(event.offset, piece.size());
            item.at = base + event.offset;
            break;
        case HttpEvent::Type::End:
        case HttpEvent::Type::Error:
            break;
        }
        seen.push_back(std::move(item));
    }
}

// Feeds `input` cut at the positions in `cuts` (each piece in a buffer of its own) and then, if asked, Finish.
std::vector<Seen> FeedCut(HttpStream::Role role, std::string_view input, const std::vector<size_t>& cuts,
                          const Prepare& setup = {}, bool finish = false, size_t maxHead = 64 * 1024)
{
    HttpStream stream(role, maxHead);
    if (setup)
        setup(stream);
    std::vector<Seen> seen;
    std::vector<HttpEvent> events;
    size_t start = 0;
    std::vector<size_t> ends = cuts;
    ends.push_back(input.size());
    for (size_t end : ends)
    {
        if (end <= start || end > input.size())
            continue;
        const std::string piece(input.substr(start, end - start));
        stream.Feed(piece, events);
        Collect(events, piece, start, seen);
        start = end;
    }
    if (finish)
    {
        stream.Finish(events);
        Collect(events, {}, input.size(), seen);
    }
    return seen;
}

std::vector<Seen> FeedAll(HttpStream::Role role, std::string_view input, const Prepare& setup = {}, bool finish = false)
{
    return FeedCut(role, input, {}, setup, finish);
}

// The transcript of `input` is the same whatever the split: in two pieces at every position, and byte by byte.
void ExpectSameAtEverySplit(HttpStream::Role role, std::string_view input, const std::string& expected,
                            const Prepare& setup = {}, bool finish = false)
{
    ASSERT_EQ(Describe(FeedAll(role, input, setup, finish)), expected);
    for (size_t cut = 1; cut < input.size(); ++cut)
        ASSERT_EQ(Describe(FeedCut(role, input, {cut}, setup, finish)), expected) << "cut at " << cut;
    std::vector<size_t> everyByte;
    for (size_t cut = 1; cut < input.size(); ++cut)
        everyByte.push_back(cut);
    ASSERT_EQ(Describe(FeedCut(role, input, everyByte, setup, finish)), expected) << "byte by byte";
}

Prepare Expecting(std::vector<std::pair<std::string, bool>> requests)
{
    return [requests](HttpStream& stream)
    {
        for (const auto& [method, upgrade] : requests)
            stream.ExpectResponseTo(method, upgrade);
    };
}

std::string Error(const std::vector<Seen>& seen)
{
    return seen.size() == 1 && seen[0].type == HttpEvent::Type::Error ? std::to_string(seen[0].status)
                                                                      : "not a lone Error: " + Describe(seen);
}

constexpr auto Request = HttpStream::Role::Request;
constexpr auto Response = HttpStream::Role::Response;

} // namespace

TEST(HttpStream, ThreePipelinedKeepAliveRequestsAreFramedTheSameAtEverySplit)
{
    const std::string get = "GET /a?x=1 HTTP/1.1\r\nHost: engine\r\nAccept: */*\r\n\r\n";
    const std::string post = "POST /b HTTP/1.1\r\nHost: engine\r\nContent-Length: 5\r\n\r\n";
    const std::string chunkedHead = "PUT /c HTTP/1.1\r\nHost: engine\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string chunkedBody = "3;name=value\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n";
    const std::string input = get + post + "hello" + chunkedHead + chunkedBody;
    const size_t bodyAt = get.size() + post.size();
    const size_t chunkedAt = bodyAt + 5 + chunkedHead.size();
    const std::string expected = Describe({
        {HttpEvent::Type::Head, get},
        {HttpEvent::Type::End},
        {HttpEvent::Type::Head, post},
        {HttpEvent::Type::Body, "", "hello", "hello", bodyAt},
        {HttpEvent::Type::End},
        {HttpEvent::Type::Head, chunkedHead},
        {HttpEvent::Type::Body, "", chunkedBody, "abc", chunkedAt},
        {HttpEvent::Type::End},
    });
    ExpectSameAtEverySplit(Request, input, expected);

    HttpStream stream(Request);
    std::vector<HttpEvent> events;
    stream.Feed(input, events);
    EXPECT_FALSE(stream.MessageOpen());
    EXPECT_FALSE(stream.CloseAfterMessage());
    ASSERT_EQ(events.size(), 8u);
    EXPECT_EQ(events[0].head.method, "GET");
    EXPECT_EQ(events[0].head.target, "/a?x=1");
    EXPECT_EQ(events[2].head.method, "POST");
    EXPECT_EQ(events[5].head.method, "PUT");
}

TEST(HttpStream, OneMebibytePostIsReportedAsBodyBytesWithoutTheHead)
{
    const std::string head = "POST /upload HTTP/1.1\r\nHost: engine\r\nContent-Length: 1048576\r\n\r\n";
    std::string body(1 << 20, '\0');
    for (size_t i = 0; i < body.size(); ++i)
        body[i] = static_cast<char>('a' + i % 23);
    const std::string next = "GET /after HTTP/1.1\r\nHost: engine\r\n\r\n";
    const std::string input = head + body + next;

    // Cuts inside the head, at the head's end, in the middle of the body and one byte before its end.
    for (const std::vector<size_t>& cuts : std::vector<std::vector<size_t>>{
             {}, {10}, {head.size()}, {head.size() + 1, 65536, 300001}, {head.size() + body.size() - 1}})
    {
        HttpStream stream(Request);
        std::vector<HttpEvent> events;
        std::string forwardedBody;
        std::string captured;
        std::vector<HttpEvent::Type> types;
        size_t start = 0;
        std::vector<size_t> ends = cuts;
        ends.push_back(input.size());
        for (size_t end : ends)
        {
            const std::string piece = input.substr(start, end - start);
            stream.Feed(piece, events);
            for (const HttpEvent& event : events)
            {
                types.push_back(event.type);
                if (event.type != HttpEvent::Type::Body)
                    continue;
                // The body starts right after the head in the whole input.
                EXPECT_EQ(start + event.offset, head.size() + forwardedBody.size());
                forwardedBody += piece.substr(event.offset, event.length);
                for (std::string_view view : event.data)
                    captured += view;
            }
            start = end;
        }
        EXPECT_TRUE(forwardedBody == body) << "body forwarded with cuts " << cuts.size();
        EXPECT_TRUE(captured == body);
        ASSERT_GE(types.size(), 5u);
        EXPECT_EQ(types.front(), HttpEvent::Type::Head);
        EXPECT_EQ(types[types.size() - 3], HttpEvent::Type::End);
        EXPECT_EQ(types[types.size() - 2], HttpEvent::Type::Head);
        EXPECT_EQ(types.back(), HttpEvent::Type::End);
    }
}

TEST(HttpStream, ChunkedRequestWithExtensionsAndTrailersIsFramedTheSameAtEverySplit)
{
    const std::string head = "POST /run HTTP/1.1\r\nHost: engine\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
    const std::string body = "5\r\nhello\r\n"
                             "6;a;b=c;d=\"x;\\\"y\"\r\n world\r\n"
                             "00A ; ext = tok\r\n0123456789\r\n"
                             "0;last\r\n"
                             "Expires: never\r\nX-Trailer:\t v \r\n"
                             "\r\n";
    const std::string next = "GET / HTTP/1.1\r\nHost: engine\r\n\r\n";
    const std::string expected = Describe({
        {HttpEvent::Type::Head, head},
        {HttpEvent::Type::Body, "", body, "hello world0123456789", head.size()},
        {HttpEvent::Type::End},
        {HttpEvent::Type::Head, next},
        {HttpEvent::Type::End},
    });
    ExpectSameAtEverySplit(Request, head + body + next, expected);
}

TEST(HttpStream, ChunkedResponseWithExtensionsAndTrailersIsFramedTheSameAtEverySplit)
{
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n";
    const std::string body = "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Checksum: abc\r\n\r\n";
    const std::string next = "HTTP/1.1 204 No Content\r\n\r\n";
    const std::string expected = Describe({
        {HttpEvent::Type::Head, head},
        {HttpEvent::Type::Body, "", body, "Wikipedia", head.size()},
        {HttpEvent::Type::End},
        {HttpEvent::Type::Head, next},
        {HttpEvent::Type::End},
    });
    ExpectSameAtEverySplit(Response, head + body + next, expected, Expecting({{"GET", false}, {"DELETE", false}}));
}

TEST(HttpStream, ChunkDataFollowedByAnythingButCrlfIsRejected)
{
    // Debian's http-parser takes any two bytes after chunk data; the stream does not.
    const std::string request = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n";
    std::vector<Seen> seen = FeedAll(Request, request);
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back().type, HttpEvent::Type::Error);
    EXPECT_EQ(seen.back().status, 400);
    EXPECT_EQ(seen.back().reason, "chunk data not followed by CRLF");
    EXPECT_EQ(seen.front().type, HttpEvent::Type::Head); // the head itself was fine

    const std::string response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rX0\r\n\r\n";
    seen = FeedAll(Response, response, Expecting({{"GET", false}}));
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back().type, HttpEvent::Type::Error);
    EXPECT_EQ(seen.back().status, 502);
}

TEST(HttpStream, MalformedChunkedFramingIsRejected)
{
    const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (const std::string body : {
             "x\r\n",                           // not hex
             "5 \r\nhello\r\n0\r\n\r\n",        // whitespace without an extension
             "5;\r\nhello\r\n0\r\n\r\n",        // ";" without a name
             "5;a=\r\nhello\r\n0\r\n\r\n",      // "=" without a value
             "5;a=\"x\r\nhello\r\n0\r\n\r\n",   // unterminated quoted string
             "5 garbage\r\nhello\r\n0\r\n\r\n", // http-parser skips this as "parameters"
             "5\rhello\r\n0\r\n\r\n",           // CR without LF
             "5\nhello\r\n0\r\n\r\n",           // bare LF
             "0\r\nX: a\r\n b\r\n\r\n",         // obs-fold in the trailer
             "0\r\nX : a\r\n\r\n",              // whitespace before a trailer colon
             "0\r\nX: a\x01\r\n\r\n",           // control character in a trailer
             "0\r\n\rX",                        // CR without LF at the end
             "10000000000000000\r\n",           // larger than http-parser allows
         })
    {
        std::vector<Seen> seen = FeedAll(Request, head + body);
        ASSERT_FALSE(seen.empty()) << Printable(body);
        EXPECT_EQ(seen.back().type, HttpEvent::Type::Error) << Printable(body) << ": " << Describe(seen);
        EXPECT_EQ(seen.back().status, 400) << Printable(body);
    }
}

TEST(HttpStream, EveryRejectedRequestHeadGetsItsStatusAndNothingIsReported)
{
    struct Case
    {
        const char* what;
        std::string head;
        int status;
    };
    const std::vector<Case> cases = {
        {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n", 400},
        {"obs-fold of Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n", 400},
        {"obs-fold with a tab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\t2\r\n\r\n", 400},
        {"whitespace before a colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
        {"tab before a colon", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 0\r\n\r\n", 400},
        {"whitespace-led first line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},
        {"bare LF everywhere", "GET / HTTP/1.1\nHost: a\n\n", 400},
        {"bare LF once", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400},
        {"bare CR", "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400},
        {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 400},
        {"HTTP/0.9", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 400},
        {"HZZP", "GET / HZZP/1.1\r\nHost: a\r\n\r\n", 400},
        {"no version", "GET /\r\nHost: a\r\n\r\n", 400},
        {"two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
        {"CONNECT", "CONNECT engine:443 HTTP/1.1\r\nHost: engine:443\r\n\r\n", 400},
        {"lowercase method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"control character in the target", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"TLS ClientHello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s, 400},
        {"Content-Length and Transfer-Encoding",
         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        {"two equal Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
         400},
        {"two different Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
         400},
        {"Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n", 400},
        {"Content-Length sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", 400},
        {"Content-Length empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400},
        {"Content-Length hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\n", 400},
        {"Content-Length overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
        {"Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        {"final coding gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
        {"chunked then gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
        {"chunked then gzip on two lines",
         "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
        {"chunked twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400},
        {"chunked with a parameter", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", 400},
        {"empty Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n", 400},
        {"empty element before chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n", 400},
        {"empty element after chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n", 400},
        {"name beginning with Transfer-Encoding",
         "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encodingx: y\r\n\r\n", 400},
        {"tab after chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\t\r\n\r\n", 400},
        {"empty Transfer-Encoding value", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400},
        {"unknown coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: zstd-x, chunked\r\n\r\n", 501},
        {"xchunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 501},
        {"missing Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400},
        {"two Host", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400},
        {"two Host in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400},
        {"invalid Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
        {"Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
        {"NUL in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"s, 400},
        {"control character in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n", 400},
        {"DEL in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400},
        {"space in a name", "GET / HTTP/1.1\r\nHost: a\r\nX Y: a\r\n\r\n", 400},
        {"no colon", "GET / HTTP/1.1\r\nHost: a\r\nXY\r\n\r\n", 400},
        {"empty name", "GET / HTTP/1.1\r\nHost: a\r\n: a\r\n\r\n", 400},
    };
    for (const Case& test : cases)
    {
        EXPECT_EQ(Error(FeedAll(Request, test.head)), std::to_string(test.status)) << test.what;
        std::vector<size_t> everyByte;
        for (size_t cut = 1; cut < test.head.size(); ++cut)
            everyByte.push_back(cut);
        EXPECT_EQ(Error(FeedCut(Request, test.head, everyByte)), std::to_string(test.status)) << test.what;
    }
}

TEST(HttpStream, EveryRejectedResponseHeadIsA502AndNothingIsReported)
{
    const Prepare get = Expecting({{"GET", false}});
    struct Case
    {
        const char* what;
        std::string head;
    };
    const std::vector<Case> cases = {
        {"obs-fold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n"},
        {"whitespace-led first line", "HTTP/1.1 200 OK\r\n Content-Length: 0\r\n\r\n"},
        {"whitespace before a colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"},
        {"bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\n\n"},
        {"HTTP/2.0", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"},
        {"HTTP/1.2", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n"},
        {"status 600", "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n"},
        {"status 099", "HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n"},
        {"two-digit status", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"},
        {"Content-Length and Transfer-Encoding",
         "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"},
        {"two Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"},
        {"invalid Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 3a\r\n\r\n"},
        {"Transfer-Encoding in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
        {"unknown coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: br-x, chunked\r\n\r\n"},
        {"chunked not last", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"},
        {"name beginning with Transfer-Encoding",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding-Note: x\r\n\r\n"},
        {"control character", "HTTP/1.1 200 OK\r\nX: \x01\r\nContent-Length: 0\r\n\r\n"},
        {"unasked 101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
        {"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n"},
    };
    for (const Case& test : cases)
        EXPECT_EQ(Error(FeedAll(Response, test.head, get)), "502") << test.what;

    EXPECT_EQ(Error(FeedAll(Response, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")), "502")
        << "a response to no request";
}

TEST(HttpStream, ResponseToHeadHasNoBodyWhateverItsContentLength)
{
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    const std::string next = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    const std::string expected = Describe({
        {HttpEvent::Type::Head, head},
        {HttpEvent::Type::End},
        {HttpEvent::Type::Head, next.substr(0, next.size() - 2)},
        {HttpEvent::Type::Body, "", "hi", "hi", head.size() + next.size() - 2},
        {HttpEvent::Type::End},
    });
    ExpectSameAtEverySplit(Response, head + next, expected, Expecting({{"HEAD", false}, {"GET", false}}));
}

TEST(HttpStream, NoContentAndNotModifiedHaveNoBody)
{
    const std::string noContent = "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
    const std::string notModified = "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    const std::string expected = Describe({
        {HttpEvent::Type::Head, noContent},
        {HttpEvent::Type::End},
        {HttpEvent::Type::Head, notModified},
        {HttpEvent::Type::End},
        {HttpEvent::Type::Head, ok},
        {HttpEvent::Type::End},
    });
    ExpectSameAtEverySplit(Response, noContent + notModified + ok, expected,
                           Expecting({{"DELETE", false}, {"GET", false}, {"GET", false}}));
}

TEST(HttpStream, ContinueIsAnInterimResponseToTheSameRequest)
{
    const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
    const std::string final = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
    const std::string expected = Describe({
        {HttpEvent::Type::Head, interim},
        {HttpEvent::Type::End},
        {HttpEvent::Type::Head, final},
        {HttpEvent::Type::Body, "", "ok", "ok", interim.size() + final.size()},
        {HttpEvent::Type::End},
    });
    // One request: the 100 does not answer it, the 200 does, and a third response answers nothing.
    const Prepare one = Expecting({{"POST", false}});
    ExpectSameAtEverySplit(Response, interim + final + "ok", expected, one);
    std::vector<Seen> seen = FeedAll(Response, interim + final + "ok" + "HTTP/1.1 200 OK\r\n\r\n", one);
    EXPECT_EQ(Describe(seen), expected + "Error502 ");

    // The request side needs nothing special for Expect: 100-continue: the head is reported before its body.
    HttpStream requests(Request);
    std::vector<HttpEvent> events;
    requests.Feed("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", events);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, HttpEvent::Type::Head);
    EXPECT_TRUE(requests.MessageOpen());
}

TEST(HttpStream, SwitchingProtocolsAfterAnUpgradeRequestIsATunnelAtTheExactOffset)
{
    const std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    const std::string frame = "\x81\x05hello";
    const std::string expected = Describe({
        {HttpEvent::Type::Head, head},
        {HttpEvent::Type::End},
        {HttpEvent::Type::Tunnel, "", "", "", head.size()},
    });
    const Prepare upgrade = Expecting({{"GET", true}});
    ExpectSameAtEverySplit(Response, head + frame, expected, upgrade);
    ExpectSameAtEverySplit(Response, head, expected, upgrade); // the head alone: the tunnel starts at the next read

    HttpStream stream(Response);
    upgrade(stream);
    std::vector<HttpEvent> events;
    const std::string both = head + frame;
    stream.Feed(both, events);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].head.status, 101);
    EXPECT_EQ(both.substr(events[2].offset), frame);
    stream.Feed("\x81\x01!", events);
    EXPECT_TRUE(events.empty());
    stream.Finish(events);
    EXPECT_TRUE(events.empty());
}

TEST(HttpStream, SwitchingProtocolsThatWasNotAskedForIsA502)
{
    const std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    EXPECT_EQ(Error(FeedAll(Response, head, Expecting({{"GET", false}}))), "502");
    EXPECT_EQ(Error(FeedAll(Response, "HTTP/1.1 101 Switching Protocols\r\n\r\n", Expecting({{"GET", true}}))), "502")
        << "a 101 without Upgrade";
}

TEST(HttpStream, UpgradeRequestStopsTheStreamUntilTheAnswerIsKnown)
{
    const std::string upgrade = "GET /ws HTTP/1.1\r\nHost: engine\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const std::string next = "GET /status HTTP/1.1\r\nHost: engine\r\n\r\n";
    const std::string input = upgrade + next;
    const std::string expected = Describe({
        {HttpEvent::Type::Head, upgrade},
        {HttpEvent::Type::End},
        {HttpEvent::Type::Upgrade, "", "", "", upgrade.size()},
    });
    ExpectSameAtEverySplit(Request, input, expected);

    HttpStream stream(Request);
    std::vector<HttpEvent> events;
    stream.Feed(input, events);
    ASSERT_EQ(events.size(), 3u);
    ASSERT_EQ(events[2].type, HttpEvent::Type::Upgrade);
    const size_t held = events[2].offset;
    EXPECT_EQ(held, upgrade.size());
    EXPECT_TRUE(events[0].head.IsWebSocketUpgrade());
    stream.Feed("more", events);
    EXPECT_TRUE(events.empty()) << "nothing is taken while the answer is awaited";

    // Not a 101: the held bytes are HTTP again.
    stream.ResumeHttp();
    stream.Feed(std::string_view(input).substr(held), events);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].type, HttpEvent::Type::Head);
    EXPECT_EQ(events[0].head.target, "/status");
    EXPECT_EQ(events[1].type, HttpEvent::Type::End);

    // An Upgrade in an HTTP/1.0 request is ignored (and 1.0 closes the connection).
    std::vector<Seen> old = FeedAll(Request, "GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
    ASSERT_EQ(old.size(), 2u);
    EXPECT_EQ(old[1].type, HttpEvent::Type::End);
}

TEST(HttpStream, ResponseWithoutLengthIsReadUntilClose)
{
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n";
    const std::string expected = Describe({
        {HttpEvent::Type::Head, head},
        {HttpEvent::Type::Body, "", "abcdef", "abcdef", head.size()},
        {HttpEvent::Type::End},
    });
    ExpectSameAtEverySplit(Response, head + "abcdef", expected, Expecting({{"GET", false}}), true);

    HttpStream stream(Response);
    stream.ExpectResponseTo("GET", false);
    std::vector<HttpEvent> events;
    stream.Feed(head + "abc", events);
    EXPECT_TRUE(stream.MessageOpen());
    EXPECT_TRUE(stream.CloseAfterMessage());
    stream.Finish(events);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, HttpEvent::Type::End);
    EXPECT_FALSE(stream.MessageOpen());

    // A final coding other than chunked also reads until close in a response.
    std::vector<Seen> gzip = FeedAll(Response, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b",
                                     Expecting({{"GET", false}}), true);
    ASSERT_EQ(gzip.size(), 3u);
    EXPECT_EQ(gzip[1].data, "\x1f\x8b");
    EXPECT_EQ(gzip[2].type, HttpEvent::Type::End);
}

TEST(HttpStream, ClosingMessagesEndTheStream)
{
    // HTTP/1.0 closes even with keep-alive (RFC 9112 §9.3); later bytes are ignored.
    HttpStream stream(Request);
    std::vector<HttpEvent> events;
    stream.Feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n", events);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_TRUE(stream.CloseAfterMessage());
    stream.Feed("garbage", events);
    EXPECT_TRUE(events.empty());
    stream.Finish(events);
    EXPECT_TRUE(events.empty());

    std::vector<Seen> close = FeedAll(Request, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /x");
    EXPECT_EQ(close.size(), 2u);

    HttpStream responses(Response);
    responses.ExpectResponseTo("GET", false);
    responses.ExpectResponseTo("GET", false);
    responses.Feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", events);
    EXPECT_FALSE(responses.CloseAfterMessage());
    responses.Feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", events);
    EXPECT_EQ(events.size(), 2u);
    EXPECT_TRUE(responses.CloseAfterMessage());
}

TEST(HttpStream, FinishInTheMiddleOfAMessageIsAnError)
{
    std::vector<Seen> seen =
        FeedCut(Request, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc", {}, {}, true);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[2].type, HttpEvent::Type::Error);
    EXPECT_EQ(seen[2].status, 0);
    EXPECT_EQ(seen[2].reason, "connection closed in the middle of a request body");

    seen = FeedCut(Request, "GET / HTTP/1.1\r\nHo", {}, {}, true);
    EXPECT_EQ(Error(seen), "0");

    seen = FeedCut(Response, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", {},
                   Expecting({{"GET", false}}), true);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[2].status, 502);

    // Nothing open: no event, even after empty lines.
    EXPECT_TRUE(FeedCut(Request, "GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n", {}, {}, true).size() == 2);
    HttpStream idle(Request);
    std::vector<HttpEvent> events;
    idle.Finish(events);
    EXPECT_TRUE(events.empty());
}

TEST(HttpStream, HeadLargerThanTheLimitIs431)
{
    const std::string small = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"; // 27 bytes
    EXPECT_EQ(FeedCut(Request, small, {}, {}, false, small.size()).size(), 2u) << "a head of exactly the limit";
    EXPECT_EQ(Error(FeedCut(Request, small, {}, {}, false, small.size() - 1)), "431");

    const std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(100000, 'x') + "\r\n\r\n";
    std::vector<Seen> seen = FeedCut(Request, big, {1000, 2000, 70000}, {}, false, 64 * 1024);
    EXPECT_EQ(Error(seen), "431");
    EXPECT_EQ(Error(FeedCut(Response, "HTTP/1.1 200 OK\r\nX: " + std::string(500, 'y') + "\r\n\r\n", {},
                            Expecting({{"GET", false}}), false, 256)),
              "502");
    // No end of line at all counts too.
    EXPECT_EQ(Error(FeedCut(Request, std::string(300, 'G'), {}, {}, false, 256)), "431");
}

TEST(HttpStream, EmptyLinesBeforeARequestAreDropped)
{
    const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    const std::string expected = Describe({{HttpEvent::Type::Head, head}, {HttpEvent::Type::End}});
    ExpectSameAtEverySplit(Request, "\r\n\r\n" + head, expected);
    EXPECT_EQ(Error(FeedAll(Request, "\n" + head)), "400");
}

TEST(HttpStream, MovedStreamKeepsItsState)
{
    HttpStream first(Request);
    std::vector<HttpEvent> events;
    first.Feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab", events);
    HttpStream second(std::move(first));
    second.Feed("cd", events);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].type, HttpEvent::Type::Body);
    EXPECT_EQ(events[1].type, HttpEvent::Type::End);
}
