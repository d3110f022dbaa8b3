// The inspector's HTTP half: credentials in heads, queries and JSON bodies are redacted (and learned for the
// rest of the session), and responses pair with requests in order, even when they come before a request ends.

#include "inspector/Redactor.hpp"
#include "inspector/SessionInspector.hpp"

#include <gtest/gtest.h>

using namespace dapscope::inspector;

namespace
{
HttpWireMessage Request(std::string_view head, std::string_view body, int64_t first, int64_t last)
{
    HttpWireMessage m;
    m.dir = Direction::ClientToServer;
    m.head = head;
    m.body = body;
    m.firstByteNs = first;
    m.lastByteNs = last;
    return m;
}

HttpWireMessage Response(std::string_view head, int64_t first)
{
    HttpWireMessage m;
    m.dir = Direction::ServerToClient;
    m.head = head;
    m.firstByteNs = m.lastByteNs = first;
    return m;
}
} // namespace

TEST(HttpInspection, CredentialsInHeadersAndTheQueryBecomeMarkersAndEverythingElseStaysAsSent)
{
    SessionInspector inspector;
    const std::string key = "sk-live-0123456789abcdef";
    std::string head = "POST /task?auth=" + key + "&id=7 HTTP/1.1\r\n"
                       "Host: engine:5565\r\n"
                       "Authorization: Bearer " + key + "\r\n"
                       "Cookie: session=abc123def456\r\n"
                       "X-Api-Key:" + key + "\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Content-Type: application/json\r\n\r\n";
    FeedResult r = inspector.FeedHttp(1, Request(head, "{}", 10, 20));
    ASSERT_TRUE(r.message.http);
    const HttpFields& f = *r.message.http;
    std::string marker = RedactionMarker(key);
    EXPECT_EQ(f.head, "POST /task?auth=" + marker + "&id=7 HTTP/1.1\r\n"
                      "Host: engine:5565\r\n"
                      "Authorization: Bearer " + marker + "\r\n"
                      "Cookie: " + RedactionMarker("session=abc123def456") + "\r\n"
                      "X-Api-Key: " + marker + "\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Content-Type: application/json\r\n\r\n");
    EXPECT_TRUE(f.redacted);
    EXPECT_EQ(f.method, "POST");
    EXPECT_EQ(f.target, "/task?auth=" + marker + "&id=7");
    EXPECT_EQ(r.message.envelope.kind, Kind::HttpRequest);

    // Learned: the key is scrubbed wherever it shows up later in the session, here in a response body.
    HttpWireMessage later = Response("HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n", 30);
    std::string body = "{\"echo\":\"" + key + "\"}";
    later.body = body;
    FeedResult answer = inspector.FeedHttp(2, later);
    ASSERT_TRUE(answer.message.redactedBytes);
    EXPECT_EQ(answer.message.redactedBytes->find(key), std::string::npos);
    EXPECT_NE(answer.message.redactedBytes->find(marker), std::string::npos);
}

TEST(HttpInspection, JsonBodiesLoseStringsUnderSecretNamesAndTheTargetOfASessionIsRedactedToo)
{
    SessionInspector inspector;
    FeedResult r = inspector.FeedHttp(
        1, Request("POST /task HTTP/1.1\r\nHost: e\r\n\r\n",
                   R"({"pipeline":{"name":"p"},"apiKey":"abcd-1234-efgh","tokens":12,"password":"hunter22"})", 1, 2));
    ASSERT_TRUE(r.message.redactedBytes);
    EXPECT_EQ(r.message.redactedBytes->find("abcd-1234-efgh"), std::string::npos);
    EXPECT_EQ(r.message.redactedBytes->find("hunter22"), std::string::npos);
    EXPECT_NE(r.message.redactedBytes->find("\"tokens\":12"), std::string::npos) << "numbers are no credentials";
    EXPECT_EQ(inspector.RedactTarget("/status?auth=abcd-1234-efgh&x=1"),
              "/status?auth=" + RedactionMarker("abcd-1234-efgh") + "&x=1");
    EXPECT_EQ(inspector.RedactTarget("/task/service"), "/task/service");
}

TEST(HttpInspection, WithRedactionOffHeadsAreKeptAsSent)
{
    SessionInspector inspector(RedactionPolicy{.enabled = false});
    std::string head = "GET /x?auth=k-123456 HTTP/1.1\r\nAuthorization: Bearer k-123456\r\n\r\n";
    FeedResult r = inspector.FeedHttp(1, Request(head, "", 1, 1));
    EXPECT_EQ(r.message.http->head, head);
    EXPECT_FALSE(r.message.http->redacted);
}

TEST(HttpInspection, ResponsesPairInOrderAndInterimOnesPairWithNothing)
{
    SessionInspector inspector;
    inspector.FeedHttp(1, Request("GET /a HTTP/1.1\r\n\r\n", "", 100, 110));
    inspector.FeedHttp(2, Request("GET /b HTTP/1.1\r\n\r\n", "", 120, 130));
    FeedResult interim = inspector.FeedHttp(3, Response("HTTP/1.1 100 Continue\r\n\r\n", 140));
    EXPECT_EQ(interim.message.state, ExchangeState::None);
    EXPECT_FALSE(interim.message.pairId);
    FeedResult first = inspector.FeedHttp(4, Response("HTTP/1.1 200 OK\r\n\r\n", 150));
    EXPECT_EQ(first.message.pairId, 1);
    EXPECT_EQ(first.message.latencyNs, 150 - 110);
    ASSERT_EQ(first.updates.size(), 1u);
    EXPECT_EQ(first.updates[0].id, 1);
    EXPECT_EQ(first.updates[0].state, ExchangeState::Answered);
    FeedResult second = inspector.FeedHttp(5, Response("HTTP/1.1 404 Not Found\r\n\r\n", 160));
    EXPECT_EQ(second.message.pairId, 2);
    EXPECT_EQ(second.message.http->status, 404);
    FeedResult orphan = inspector.FeedHttp(6, Response("HTTP/1.1 200 OK\r\n\r\n", 170));
    EXPECT_EQ(orphan.message.state, ExchangeState::Orphan);
    inspector.FeedHttp(7, Request("GET /c HTTP/1.1\r\n\r\n", "", 180, 190));
    auto finished = inspector.Finish();
    ASSERT_EQ(finished.size(), 1u);
    EXPECT_EQ(finished[0].id, 7);
    EXPECT_EQ(finished[0].state, ExchangeState::Unanswered);
}

TEST(HttpInspection, AnAnswerThatComesBeforeItsRequestEndsStillPairsWithIt)
{
    SessionInspector inspector;
    inspector.HttpRequestBegins(1, 100); // a POST whose body is still coming
    FeedResult early = inspector.FeedHttp(2, Response("HTTP/1.1 401 Unauthorized\r\n\r\n", 130));
    EXPECT_EQ(early.message.pairId, 1);
    EXPECT_EQ(early.message.latencyNs, 30) << "from the request's first byte: it had not ended";
    EXPECT_TRUE(early.updates.empty()) << "the request's row is not written yet: it gets the pairing itself";
    FeedResult request = inspector.FeedHttp(1, Request("POST /t HTTP/1.1\r\n\r\n", "body", 100, 200));
    EXPECT_EQ(request.message.state, ExchangeState::Answered);
    EXPECT_EQ(request.message.pairId, 2);
    // The next request pairs with the next answer, not one off.
    inspector.HttpRequestBegins(3, 300);
    inspector.FeedHttp(3, Request("GET /n HTTP/1.1\r\n\r\n", "", 300, 310));
    EXPECT_EQ(inspector.FeedHttp(4, Response("HTTP/1.1 200 OK\r\n\r\n", 320)).message.pairId, 3);
}
