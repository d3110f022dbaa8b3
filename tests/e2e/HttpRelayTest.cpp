// Plain HTTP on the proxy port (issue 11): requests are forwarded to the engine and its responses come back as
// the engine wrote them, keep-alive, bodies of any size, chunked, HTTP/1.0 and Expect: 100-continue included;
// requests a proxy must reject get 400 and never reach the engine; every exchange is stored, secrets redacted.
// Against test::HttpUpstream (a scriptable engine) through an in-process capture or the real `dapscope proxy`.

#include "cli/Capture.hpp"
#include "storage/TraceReader.hpp"
#include "storage/TraceWriter.hpp"
#include "support/HttpUpstream.hpp"
#include "support/ProxyProcess.hpp"
#include "support/TestProcess.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;

namespace
{
std::string RandomBytes(size_t size, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::string bytes(size, '\0');
    for (char& c : bytes)
        c = static_cast<char>(rng() & 0xFF);
    return bytes;
}

std::string ReadFile(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    return bytes.str();
}

// The head as the engine must receive it: the client's, with Host rewritten and X-Forwarded-For/-Proto appended.
std::string Forwarded(const std::string& clientHead, int enginePort)
{
    std::string head = clientHead;
    size_t host = head.find("\r\nHost: ");
    size_t end = head.find("\r\n", host + 2);
    head.replace(host + 2, end - host - 2, "Host: 127.0.0.1:" + std::to_string(enginePort));
    head.insert(head.size() - 2, "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\n");
    return head;
}

// An engine that answers every request with 200 and a body naming it.
test::HttpReply NameTheRequest(const test::ReceivedRequest& request)
{
    return {test::HttpResponseBytes(200, "OK", "answer to " + request.head.method + " " + request.head.target,
                                    {"Content-Type: text/plain"}),
            false};
}

struct HttpRelay : ::testing::Test
{
    test::TempDir dir;
    std::unique_ptr<test::HttpUpstream> engine;
    std::unique_ptr<cli::Capture> capture;

    void StartCapture(int enginePort, uint64_t maxCaptureBytes = 64u << 20)
    {
        cli::CaptureOptions options;
        options.storePath = dir.File("traces.db");
        options.relay.listenPort = 0;
        options.relay.upstream = net::NormaliseEngineUri("127.0.0.1:" + std::to_string(enginePort));
        options.captureBufferBytes = 256u << 20; // these tests check stored bytes: let the writer lag behind
        options.maxCaptureBytes = maxCaptureBytes;
        capture = std::make_unique<cli::Capture>(std::move(options));
    }
    void Start(test::HttpUpstream::Handler handler = NameTheRequest)
    {
        engine = std::make_unique<test::HttpUpstream>(std::move(handler));
        StartCapture(engine->Port());
    }

    storage::TraceReader Finish()
    {
        capture->Stop(5s);
        return storage::TraceReader(dir.File("traces.db"));
    }
    static std::vector<storage::MessageSummary> Messages(storage::TraceReader& reader, int64_t session)
    {
        return reader.Messages(session, {}, 0, 100000);
    }
};
} // namespace

TEST_F(HttpRelay, KeepAliveCarriesThreeRequestsOnOneConnectionAndEachExchangeIsStored)
{
    Start();
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Connected());
    const std::string body = R"({"pipeline":{"name":"demo"}})";
    const std::vector<std::string> requests = {
        "GET /ping HTTP/1.1\r\nHost: localhost:5565\r\n\r\n",
        "GET /status?verbose=1 HTTP/1.1\r\nHost: localhost:5565\r\nAccept: application/json\r\n\r\n",
        "POST /task HTTP/1.1\r\nHost: localhost:5565\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body,
    };
    const std::vector<std::string> answers = {"answer to GET /ping", "answer to GET /status?verbose=1",
                                              "answer to POST /task"};
    for (size_t i = 0; i < requests.size(); ++i)
    {
        ASSERT_TRUE(client.Send(requests[i]));
        auto response = client.Read(10s);
        ASSERT_TRUE(response) << "request " << i << " got no response";
        EXPECT_EQ(response->raw, test::HttpResponseBytes(200, "OK", answers[i], {"Content-Type: text/plain"}));
    }
    EXPECT_EQ(engine->Accepted(), 1u) << "the three requests must share one upstream connection";
    auto received = engine->Requests();
    ASSERT_EQ(received.size(), 3u);
    for (size_t i = 0; i < received.size(); ++i)
    {
        EXPECT_EQ(received[i].connection, 0u);
        size_t headEnd = requests[i].find("\r\n\r\n") + 4;
        EXPECT_EQ(received[i].rawHead, Forwarded(requests[i].substr(0, headEnd), engine->Port()));
        EXPECT_EQ(received[i].rawBody, requests[i].substr(headEnd));
    }
    EXPECT_EQ(received[2].body, body);

    auto reader = Finish();
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].protocol, "http");
    auto stored = Messages(reader, sessions[0].id);
    ASSERT_EQ(stored.size(), 6u);
    const char* methods[] = {"GET", "GET", "POST"};
    const char* paths[] = {"/ping", "/status?verbose=1", "/task"};
    for (size_t i = 0; i < 3; ++i)
    {
        const auto& request = stored[2 * i];
        const auto& response = stored[2 * i + 1];
        EXPECT_EQ(request.kind, inspector::Kind::HttpRequest) << "exchange " << i;
        EXPECT_EQ(request.dir, inspector::Direction::ClientToServer);
        EXPECT_EQ(request.method, methods[i]);
        EXPECT_EQ(request.path, paths[i]);
        EXPECT_EQ(response.kind, inspector::Kind::HttpResponse) << "exchange " << i;
        EXPECT_EQ(response.dir, inspector::Direction::ServerToClient);
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.pairId, request.id);
        EXPECT_EQ(request.pairId, response.id);
        ASSERT_TRUE(response.latencyNs.has_value()) << "exchange " << i;
        EXPECT_GE(*response.latencyNs, 0);
        EXPECT_EQ(reader.MessageData(response.id), answers[i]);
        EXPECT_EQ(response.flags & storage::MessageFlag::Generated, 0u);
    }
    EXPECT_EQ(reader.MessageData(stored[4].id), body);
    EXPECT_EQ(stored[4].size, static_cast<int64_t>(body.size()));
}

TEST_F(HttpRelay, AMegabytePostArrivesByteExactAndIsStored)
{
    Start(
        [](const test::ReceivedRequest& request) {
            return test::HttpReply{test::HttpResponseBytes(201, "Created", std::to_string(request.body.size())), false};
        });
    const std::string body = RandomBytes(1u << 20, 42);
    const std::string head = "POST /task/data?token=abc HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n";
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send(head + body));
    auto response = client.Read(20s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 201);
    EXPECT_EQ(response->body, "1048576");

    auto received = engine->Requests();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].rawBody.size(), body.size());
    EXPECT_TRUE(received[0].rawBody == body) << "the body changed on its way";
    EXPECT_TRUE(received[0].body == body);

    auto reader = Finish();
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    auto stored = Messages(reader, sessions[0].id);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].kind, inspector::Kind::HttpRequest);
    EXPECT_EQ(stored[0].size, 1 << 20);
    EXPECT_EQ(stored[0].flags & (storage::MessageFlag::Truncated | storage::MessageFlag::Elided), 0u);
    EXPECT_TRUE(reader.MessageData(stored[0].id) == body) << "stored body differs";
    ASSERT_TRUE(stored[0].wireSize.has_value());
    EXPECT_GT(*stored[0].wireSize, 1 << 20); // body plus head
}

TEST_F(HttpRelay, ABodyBeyondMaxCaptureBytesIsForwardedWholeAndStoredTruncated)
{
    engine = std::make_unique<test::HttpUpstream>();
    StartCapture(engine->Port(), 1000);
    const std::string body = RandomBytes(100000, 43);
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + body));
    auto response = client.Read(10s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    ASSERT_TRUE(engine->WaitForRequests(1, 5s));
    EXPECT_TRUE(engine->Requests()[0].rawBody == body);

    auto reader = Finish();
    auto stored = Messages(reader, reader.Sessions().at(0).id);
    ASSERT_GE(stored.size(), 1u);
    EXPECT_EQ(stored[0].size, 100000);
    EXPECT_NE(stored[0].flags & storage::MessageFlag::Truncated, 0u);
    EXPECT_EQ(reader.MessageData(stored[0].id), body.substr(0, 1000));
}

TEST_F(HttpRelay, AChunkedResponsePassesByteExactAndIsStoredDechunked)
{
    const std::string big(100000, 'z');
    // Written by hand: a chunk extension, upper-case hex, a trailer field.
    const std::string chunked = "HTTP/1.1 200 OK\r\n"
                                "Content-Type: application/json\r\n"
                                "Transfer-Encoding: chunked\r\n"
                                "\r\n"
                                "8;part=one\r\n{\"data\":\r\n"
                                "186A2\r\n\"" +
                                big +
                                "\"\r\n"
                                "1\r\n}\r\n"
                                "0\r\n"
                                "X-Checksum: none\r\n"
                                "\r\n";
    const std::string dechunked = "{\"data\":\"" + big + "\"}";
    Start([&](const test::ReceivedRequest&) { return test::HttpReply{chunked, false}; });
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send("GET /services HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto response = client.Read(10s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->raw.size(), chunked.size());
    EXPECT_TRUE(response->raw == chunked) << "the chunked response changed on its way";
    EXPECT_TRUE(response->body == dechunked);
    // The connection stays usable after a chunked response.
    ASSERT_TRUE(client.Send("GET /services HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(client.Read(10s));

    auto reader = Finish();
    auto stored = Messages(reader, reader.Sessions().at(0).id);
    ASSERT_EQ(stored.size(), 4u);
    EXPECT_EQ(stored[1].kind, inspector::Kind::HttpResponse);
    EXPECT_EQ(stored[1].status, 200);
    EXPECT_EQ(stored[1].size, static_cast<int64_t>(dechunked.size()));
    EXPECT_TRUE(reader.MessageData(stored[1].id) == dechunked) << "stored body is not the de-chunked one";
    EXPECT_EQ(stored[1].wireSize, static_cast<int64_t>(chunked.size()));
}

TEST_F(HttpRelay, AChunkedRequestArrivesWithItsFramingAndIsStoredDechunked)
{
    Start();
    const std::string framing = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    const std::string head = "POST /task/data HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send(head));
    std::this_thread::sleep_for(50ms); // the body in a later read than the head
    ASSERT_TRUE(client.Send(framing));
    auto response = client.Read(10s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    auto received = engine->Requests();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].rawHead, Forwarded(head, engine->Port()));
    EXPECT_EQ(received[0].rawBody, framing);
    EXPECT_EQ(received[0].body, "hello world");

    auto reader = Finish();
    auto stored = Messages(reader, reader.Sessions().at(0).id);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].size, 11);
    EXPECT_EQ(reader.MessageData(stored[0].id), "hello world");
}

TEST_F(HttpRelay, NotFoundAndUnauthorizedPassThroughUnchanged)
{
    const std::string denied =
        test::HttpResponseBytes(401, "Unauthorized", R"({"status":"Error","error":{"error":"Access denied"}})",
                                {"Content-Type: application/json"});
    const std::string notFound = test::HttpResponseBytes(404, "Not Found", R"({"detail":"Not Found"})",
                                                         {"Content-Type: application/json", "X-Route: none"});
    Start(
        [&](const test::ReceivedRequest& request)
        {
            if (!request.head.Find("Authorization"))
                return test::HttpReply{denied, false};
            return test::HttpReply{notFound, false};
        });
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send("GET /task?id=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto first = client.Read(10s);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->raw, denied);
    ASSERT_TRUE(client.Send("GET /nowhere HTTP/1.1\r\nHost: x\r\nAuthorization: letmein\r\n\r\n"));
    auto second = client.Read(10s);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->raw, notFound);

    auto reader = Finish();
    auto session = reader.Sessions().at(0).id;
    auto stored = Messages(reader, session);
    ASSERT_EQ(stored.size(), 4u);
    EXPECT_EQ(stored[1].status, 401);
    EXPECT_EQ(stored[3].status, 404);
    EXPECT_EQ(reader.MessageData(stored[1].id), R"({"status":"Error","error":{"error":"Access denied"}})");
    EXPECT_EQ(reader.MessageData(stored[3].id), R"({"detail":"Not Found"})");
    for (const auto& m : stored)
    {
        EXPECT_EQ(m.flags & storage::MessageFlag::Generated, 0u) << "message " << m.id;
    }
    // Failures are what the failed filter finds.
    storage::MessageFilter failed;
    failed.failedOnly = true;
    auto failures = reader.Messages(session, failed);
    ASSERT_EQ(failures.size(), 2u);
    EXPECT_EQ(failures[0].id, stored[1].id);
    EXPECT_EQ(failures[1].id, stored[3].id);
}

TEST_F(HttpRelay, AnEngineThatIsDownGives502NamingIt)
{
    int deadPort = 0;
    {
        test::HttpUpstream probe; // a port that was just free: nothing listens there now
        deadPort = probe.Port();
    }
    StartCapture(deadPort);
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto response = client.Read(15s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 502);
    EXPECT_EQ(response->head.rfind("HTTP/1.1 502 Bad Gateway\r\n", 0), 0u) << response->head;
    EXPECT_NE(response->body.find("127.0.0.1:" + std::to_string(deadPort)), std::string::npos) << response->body;
    EXPECT_TRUE(client.WaitClosed(5s)) << "the proxy keeps the connection after its 502";

    auto reader = Finish();
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].protocol, "http");
    auto stored = Messages(reader, sessions[0].id);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].kind, inspector::Kind::HttpRequest);
    EXPECT_EQ(stored[0].path, "/ping");
    EXPECT_EQ(stored[1].status, 502);
    EXPECT_NE(stored[1].flags & storage::MessageFlag::Generated, 0u) << "the proxy wrote the 502";
}

TEST_F(HttpRelay, RequestsAProxyMustRejectGet400AndNeverReachTheEngine)
{
    Start();
    const std::vector<std::string> attacks = {
        // Content-Length and Transfer-Encoding: the classic smuggling pair.
        "POST /task HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\nGET /shutdown HTTP/1.1\r\nHost: x\r\n\r\n",
        // Two different lengths.
        "POST /task HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 30\r\n\r\nhello",
        // obs-fold.
        "GET /status HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
    };
    for (const std::string& attack : attacks)
    {
        test::RawHttpConnection client(capture->Port());
        ASSERT_TRUE(client.Send(attack));
        auto response = client.Read(10s);
        ASSERT_TRUE(response) << attack;
        EXPECT_EQ(response->status, 400) << attack;
        EXPECT_TRUE(client.WaitClosed(5s)) << attack;
    }
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(engine->BytesReceived(), 0u);
    EXPECT_TRUE(engine->Requests().empty());

    auto reader = Finish();
    size_t generated400 = 0;
    for (const auto& session : reader.Sessions())
    {
        for (const auto& m : Messages(reader, session.id))
        {
            if (m.kind == inspector::Kind::HttpResponse && m.status == 400 &&
                (m.flags & storage::MessageFlag::Generated))
                ++generated400;
        }
    }
    EXPECT_EQ(generated400, attacks.size());
}

TEST_F(HttpRelay, ASmugglingAttemptAfterAValidRequestStopsTheConnectionThere)
{
    Start();
    const std::string valid = "GET /version HTTP/1.1\r\nHost: x\r\n\r\n";
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send(valid));
    auto first = client.Read(10s);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    ASSERT_TRUE(client.Send("POST /task HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "0\r\n\r\nGET /shutdown HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto second = client.Read(10s);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 400);
    EXPECT_TRUE(client.WaitClosed(5s));
    std::this_thread::sleep_for(200ms);
    // The engine got the valid request and not one byte more.
    EXPECT_EQ(engine->Received(0), Forwarded(valid, engine->Port()));
    EXPECT_EQ(engine->Requests().size(), 1u);
}

TEST_F(HttpRelay, AnHttp10RequestGetsItsResponseAndTheConnectionCloses)
{
    // The engine keeps the connection open: closing the client's is the proxy's doing (RFC 9112 §9.3).
    Start();
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send("GET /version HTTP/1.0\r\nUser-Agent: old/1.0\r\n\r\n"));
    auto response = client.Read(10s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->raw, NameTheRequest(engine->Requests().at(0)).bytes);
    EXPECT_TRUE(client.WaitClosed(5s)) << "the connection to an HTTP/1.0 client must close after the response";
    auto received = engine->Requests();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].head.versionMinor, 0);
    EXPECT_EQ(received[0].rawHead.rfind("GET /version HTTP/1.0\r\n", 0), 0u);
}

TEST_F(HttpRelay, ExpectContinueGetsTheEngines100ThenTheFinalResponse)
{
    Start();
    const std::string head =
        "POST /task/data HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n";
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send(head));
    auto interim = client.Read(10s);
    ASSERT_TRUE(interim) << "no 100 Continue before the body";
    EXPECT_EQ(interim->raw, "HTTP/1.1 100 Continue\r\n\r\n");
    EXPECT_TRUE(engine->Requests().empty()) << "the body has not been sent yet";
    ASSERT_TRUE(client.Send("hello world"));
    auto final = client.Read(10s);
    ASSERT_TRUE(final);
    EXPECT_EQ(final->status, 200);
    EXPECT_EQ(final->body, "answer to POST /task/data");
    auto received = engine->Requests();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].rawHead, Forwarded(head, engine->Port()));
    EXPECT_EQ(received[0].body, "hello world");

    auto reader = Finish();
    auto stored = Messages(reader, reader.Sessions().at(0).id);
    ASSERT_FALSE(stored.empty());
    // In the store's order (ids) the request comes first, though its 100 was complete before its body.
    EXPECT_EQ(stored.front().kind, inspector::Kind::HttpRequest);
    EXPECT_EQ(reader.MessageData(stored.front().id), "hello world");
    EXPECT_EQ(stored.back().status, 200);
    EXPECT_EQ(stored.back().pairId, stored.front().id);
}

TEST_F(HttpRelay, AnAnswerThatComesBeforeTheRequestBodyIsPairedWithItsRequest)
{
    // The engine refuses an upload as soon as it sees the head; the client sends its body anyway, then asks again.
    const std::string denied =
        test::HttpResponseBytes(401, "Unauthorized", R"({"status":"Error","error":{"error":"Access denied"}})");
    test::HttpUpstreamOptions options;
    options.onHead = [&](const test::ReceivedRequest& request) -> std::optional<test::HttpReply>
    {
        if (request.head.method == "POST")
            return test::HttpReply{denied, false};
        return std::nullopt;
    };
    engine = std::make_unique<test::HttpUpstream>(NameTheRequest, options);
    StartCapture(engine->Port());
    test::RawHttpConnection client(capture->Port());
    ASSERT_TRUE(client.Send("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"));
    auto refusal = client.Read(10s);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(refusal->raw, denied);
    ASSERT_TRUE(client.Send("0123456789GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto answer = client.Read(10s);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->body, "answer to GET /ping");
    ASSERT_EQ(engine->Requests().size(), 2u);
    EXPECT_EQ(engine->Requests()[0].body, "0123456789");

    auto reader = Finish();
    auto stored = Messages(reader, reader.Sessions().at(0).id);
    ASSERT_EQ(stored.size(), 4u);
    const storage::MessageSummary* post = nullptr;
    const storage::MessageSummary* refused = nullptr;
    for (const auto& m : stored)
    {
        if (m.method == "POST")
            post = &m;
        if (m.status == 401)
            refused = &m;
    }
    ASSERT_TRUE(post && refused);
    EXPECT_EQ(reader.MessageData(post->id), "0123456789");
    EXPECT_EQ(refused->pairId, post->id) << "the 401 answers the POST";
    EXPECT_EQ(refused->state, inspector::ExchangeState::Answered);
    EXPECT_EQ(post->state, inspector::ExchangeState::Answered);
    EXPECT_LT(post->id, refused->id) << "the request comes first in the store";
    EXPECT_EQ(stored.back().status, 200);
    EXPECT_EQ(stored.back().pairId, stored[2].id);
}

// The real `dapscope proxy`, with its default redaction: the key goes to the engine as sent and is nowhere in
// the store.
TEST(HttpRelayProcess, ApiKeysInHeadersAndQueryReachTheEngineButNotTheStore)
{
    const std::string key = "sk-live-9c1e77d2b5a04f3e8d6b-http-relay-test";
    test::HttpUpstream engine(
        [&](const test::ReceivedRequest&)
        {
            return test::HttpReply{
                test::HttpResponseBytes(200, "OK", R"({"status":"OK"})", {"Set-Cookie: sid=" + key + "; HttpOnly"}),
                false};
        });
    test::TempDir dir;
    std::string db = dir.File("traces.db");
    test::ProxyProcess proxy(test::Loopback(engine.Port()), db, {}, {.mergeStderr = true});
    ASSERT_NE(proxy.Port(), 0);
    const std::string requestLine = "GET /task?auth=" + key + "&id=7 HTTP/1.1";
    const std::string request = requestLine + "\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\nX-Api-Key: " + key +
                                "\r\nCookie: session=" + key + "\r\n\r\n";
    {
        test::RawHttpConnection client(proxy.Port());
        ASSERT_TRUE(client.Send(request));
        auto response = client.Read(10s);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->Header("set-cookie"), "sid=" + key + "; HttpOnly");
    }
    auto received = engine.Requests();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].rawHead.substr(0, received[0].rawHead.find("\r\n")), requestLine);
    EXPECT_NE(received[0].rawHead.find("\r\nAuthorization: Bearer " + key + "\r\n"), std::string::npos);
    EXPECT_NE(received[0].rawHead.find("\r\nX-Api-Key: " + key + "\r\n"), std::string::npos);
    EXPECT_NE(received[0].rawHead.find("\r\nCookie: session=" + key + "\r\n"), std::string::npos);
    ASSERT_EQ(proxy.Stop(), 0);
    while (proxy.Process().ReadLine(1s))
    {
    }
    EXPECT_EQ(proxy.Process().Output().find(key), std::string::npos) << "proxy output: " << proxy.Process().Output();

    for (const char* suffix : {"", "-wal", "-shm"})
    {
        if (std::filesystem::exists(db + suffix))
        {
            std::string bytes = ReadFile(db + suffix);
            size_t at = bytes.find(key);
            EXPECT_EQ(at, std::string::npos) << "store file " << db + suffix << ": ..."
                                             << ::testing::PrintToString(bytes.substr(at < 200 ? 0 : at - 200, 400));
        }
    }

    storage::TraceReader reader(db);
    auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    auto stored = reader.Messages(sessions[0].id, {});
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].path.find(key), std::string::npos);
    EXPECT_EQ(stored[0].path.rfind("/task?auth=[redacted:", 0), 0u) << stored[0].path;
    EXPECT_NE(stored[0].path.find("id=7"), std::string::npos) << stored[0].path;
    for (const std::string field : {"Authorization", "X-Api-Key", "Cookie"})
    {
        size_t at = stored[0].headers.find(field + ":");
        ASSERT_NE(at, std::string::npos) << field << " missing from " << stored[0].headers;
        std::string value = stored[0].headers.substr(at, stored[0].headers.find("\r\n", at) - at);
        EXPECT_NE(value.find("[redacted:"), std::string::npos) << value;
    }
    EXPECT_NE(stored[1].headers.find("[redacted:"), std::string::npos) << stored[1].headers;
    EXPECT_EQ(stored[1].headers.find(key), std::string::npos);
}
