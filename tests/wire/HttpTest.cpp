#include "wire/Http.hpp"
#include "wire/HttpStream.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace dapscope::wire;

namespace
{

HttpHead MustParse(std::string_view raw, bool request = true)
{
    std::optional<HttpHead> head = ParseHead(raw, request);
    EXPECT_TRUE(head.has_value()) << raw;
    return head.value_or(HttpHead{});
}

RequestRewrite ProxyRewrite()
{
    RequestRewrite rewrite;
    rewrite.host = "127.0.0.1:5565";
    rewrite.forwardedFor = "203.0.113.7";
    rewrite.forwardedProto = "https";
    rewrite.dropHeaders = {"X-Dapscope-Token"};
    rewrite.dropQueryArg = "dapscope_token";
    return rewrite;
}

std::string Rewritten(std::string_view raw)
{
    return RewriteRequestHead(raw, MustParse(raw), ProxyRewrite());
}

// The request line of the rewritten head of a request for `target`.
std::string RewrittenTarget(const std::string& target)
{
    const std::string out = Rewritten("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
    return out.substr(4, out.find(" HTTP/1.1") - 4);
}

} // namespace

TEST(Http, ParseHeadSplitsTheStartLineAndFieldLines)
{
    const HttpHead request = MustParse("GET /api/ws?a=1 HTTP/1.1\r\nHost: engine:5565\r\nX-Empty:\r\n"
                                       "X-Spaced: \t inner  value \t\r\nset-cookie: a\r\nSet-Cookie: b\r\n\r\n");
    EXPECT_TRUE(request.request);
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.target, "/api/ws?a=1");
    EXPECT_EQ(request.versionMajor, 1);
    EXPECT_EQ(request.versionMinor, 1);
    ASSERT_EQ(request.headers.size(), 5u);
    EXPECT_EQ(request.headers[0].name, "Host");
    EXPECT_EQ(request.headers[0].value, "engine:5565");
    EXPECT_EQ(request.headers[1].value, "");
    EXPECT_EQ(request.headers[2].value, "inner  value");
    EXPECT_EQ(request.headers[3].name, "set-cookie"); // case kept
    EXPECT_EQ(*request.Find("SET-COOKIE"), "a");
    EXPECT_EQ(request.Joined("Set-Cookie"), "a, b");
    EXPECT_EQ(request.Joined("Absent"), "");
    EXPECT_EQ(request.Find("Absent"), nullptr);

    const HttpHead response = MustParse("HTTP/1.0 404 Not Found Here\r\nContent-Length: 0\r\n\r\n", false);
    EXPECT_FALSE(response.request);
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.reason, "Not Found Here");
    EXPECT_EQ(response.versionMinor, 0);
    EXPECT_EQ(MustParse("HTTP/1.1 200\r\n\r\n", false).reason, "");

    for (const char* bad : {"", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n", "GET /\r\n\r\n",
                            "GET / HTTP/1.1\r\nNo colon\r\n\r\n", "GET / HTTP/1.1\r\n folded: x\r\n\r\n",
                            "GET / HTTP/1.1\r\nHost : a\r\n\r\n", "GET / HTTP/1.1\r\n\r\nHost: a\r\n\r\n",
                            "GET / HTTP/1.1\nHost: a\r\n\r\n", "GET / HTTP/x.1\r\n\r\n"})
        EXPECT_FALSE(ParseHead(bad, true).has_value()) << bad;
    for (const char* bad : {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1\r\n\r\n"})
        EXPECT_FALSE(ParseHead(bad, false).has_value()) << bad;
}

TEST(Http, TokensAreFoundInCommaListsWhateverTheCaseAndSpacing)
{
    const HttpHead head = MustParse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive ,\tUpgrade\r\n"
                                    "connection: x-other\r\nUpgrade: WebSocket\r\n\r\n");
    EXPECT_TRUE(head.HasToken("connection", "upgrade"));
    EXPECT_TRUE(head.HasToken("Connection", "KEEP-ALIVE"));
    EXPECT_TRUE(head.HasToken("Connection", "x-other"));
    EXPECT_FALSE(head.HasToken("Connection", "close"));
    EXPECT_FALSE(head.HasToken("Connection", "upgrad"));
    EXPECT_TRUE(head.IsWebSocketUpgrade());

    EXPECT_FALSE(MustParse("GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n").IsWebSocketUpgrade());
    EXPECT_FALSE(MustParse("POST / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
                     .IsWebSocketUpgrade());
    EXPECT_FALSE(
        MustParse("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n").IsWebSocketUpgrade());
    EXPECT_FALSE(MustParse("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n").IsWebSocketUpgrade());
}

TEST(Http, RewriteChangesOnlyHostForwardingAndTheTokenByteForByte)
{
    const std::string raw = "GET /api/ws?x=1 HTTP/1.1\r\n"
                            "hOsT:   public.example:8443  \r\n"
                            "User-Agent: test/1.0 (odd  spacing)\r\n"
                            "X-Dapscope-Token: secret\r\n"
                            "x-forwarded-for: 198.51.100.1, 10.0.0.1\r\n"
                            "Sec-WebSocket-Key:dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "x-dapscope-token: secret-again\r\n"
                            "X-Forwarded-Proto: http\r\n"
                            "X-Forwarded-For: 192.0.2.9\r\n"
                            "Connection: Upgrade\r\n"
                            "X-DAPSCOPE-TOKEN:\r\n"
                            "\r\n";
    EXPECT_EQ(Rewritten(raw), "GET /api/ws?x=1 HTTP/1.1\r\n"
                              "hOsT:   127.0.0.1:5565  \r\n"
                              "User-Agent: test/1.0 (odd  spacing)\r\n"
                              "Sec-WebSocket-Key:dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Connection: Upgrade\r\n"
                              "X-Forwarded-For: 198.51.100.1, 10.0.0.1, 192.0.2.9, 203.0.113.7\r\n"
                              "X-Forwarded-Proto: https\r\n"
                              "\r\n");

    // Without a chain from the client, only the client's address; a head without Host gets one.
    EXPECT_EQ(Rewritten("POST /x HTTP/1.0\r\nContent-Length: 2\r\n\r\n"),
              "POST /x HTTP/1.0\r\nContent-Length: 2\r\nHost: 127.0.0.1:5565\r\n"
              "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n\r\n");
}

TEST(Http, RewriteRemovesTheTokenQueryArgumentWhereverItIs)
{
    EXPECT_EQ(RewrittenTarget("/ws?dapscope_token=s&a=1&b=2"), "/ws?a=1&b=2");  // start
    EXPECT_EQ(RewrittenTarget("/ws?a=1&dapscope_token=s&b=2"), "/ws?a=1&b=2");  // middle
    EXPECT_EQ(RewrittenTarget("/ws?a=1&b=2&dapscope_token=s"), "/ws?a=1&b=2");  // end
    EXPECT_EQ(RewrittenTarget("/ws?dapscope_token=s"), "/ws");                  // only
    EXPECT_EQ(RewrittenTarget("/ws?dapscope_token=s&dapscope_token=t"), "/ws"); // every occurrence
    EXPECT_EQ(RewrittenTarget("/ws?dapscope_token"), "/ws");                    // without a value
    EXPECT_EQ(RewrittenTarget("/ws?dapscope%5Ftoken=s&a=1"), "/ws?a=1");        // percent-encoded name
    EXPECT_EQ(RewrittenTarget("/ws?dapscope_token=s#frag"), "/ws#frag");        // fragment kept
    EXPECT_EQ(RewrittenTarget("/ws?a=1&&b=%20&c"), "/ws?a=1&&b=%20&c");         // nothing to drop: as sent
    EXPECT_EQ(RewrittenTarget("/ws?x_dapscope_token=1&dapscope_tokens=2"), "/ws?x_dapscope_token=1&dapscope_tokens=2");
    EXPECT_EQ(RewrittenTarget("/dapscope_token=s"), "/dapscope_token=s"); // a path, not a query
}

TEST(Http, RewriteKeepsBareLfLineEndingsOfAHeadThatHasThem)
{
    const std::string raw = "GET / HTTP/1.1\nHost: a\nX-Forwarded-Proto: ws\n\n";
    HttpHead head;
    head.headers = {{"Host", "a"}, {"X-Forwarded-Proto", "ws"}};
    EXPECT_EQ(RewriteRequestHead(raw, head, ProxyRewrite()),
              "GET / HTTP/1.1\nHost: 127.0.0.1:5565\nX-Forwarded-For: 203.0.113.7\nX-Forwarded-Proto: https\n\n");
}

TEST(Http, GeneratedResponseIsAClosingResponseThatParsesBack)
{
    const std::string body = "dapscope proxy: the engine did not answer in time\n";
    const std::string response = GeneratedResponse(504, "Gateway Timeout", body, {"Retry-After: 5"});
    EXPECT_EQ(response, "HTTP/1.1 504 Gateway Timeout\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n"
                        "Content-Length: " +
                            std::to_string(body.size()) +
                            "\r\n"
                            "Connection: close\r\n"
                            "Retry-After: 5\r\n"
                            "\r\n" +
                            body);

    HttpStream stream(HttpStream::Role::Response);
    stream.ExpectResponseTo("GET", true);
    std::vector<HttpEvent> events;
    stream.Feed(response, events);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].type, HttpEvent::Type::Head);
    EXPECT_EQ(events[0].head.status, 504);
    EXPECT_EQ(events[0].head.reason, "Gateway Timeout");
    EXPECT_EQ(*events[0].head.Find("Retry-After"), "5");
    ASSERT_EQ(events[1].type, HttpEvent::Type::Body);
    EXPECT_EQ(response.substr(events[1].offset, events[1].length), body);
    EXPECT_EQ(events[2].type, HttpEvent::Type::End);
    EXPECT_TRUE(stream.CloseAfterMessage());

    // Line breaks smuggled into the reason or an extra header do not split the head.
    const std::string odd = GeneratedResponse(400, "Bad\r\nX-Injected: 1", "", {"X-A: 1\r\n", ""});
    const std::optional<HttpHead> head = ParseHead(odd, false);
    ASSERT_TRUE(head.has_value()) << odd;
    EXPECT_EQ(head->reason, "BadX-Injected: 1");
    EXPECT_EQ(head->Find("X-Injected"), nullptr);
    EXPECT_EQ(*head->Find("X-A"), "1");
}
