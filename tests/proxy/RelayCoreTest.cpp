// Playbook tests of the sans-io relay core (mitmproxy's style): feed events, then assert the whole sequence of
// commands that comes out (an extra or missing command fails) and the exact bytes each side is given.

#include "proxy/RelayCore.hpp"
#include "wire/Mask.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace dapscope::proxy;

namespace
{
using Type = RelayCommand::Type;

struct Command
{
    Type type;
    Side side = Side::Client;
    bool enable = false;
    int64_t ms = 0;
    bool operator==(const Command&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Command& c)
{
    const char* names[] = {"Connect", "Flush", "SetRx", "Drop", "SetTimer"};
    out << names[static_cast<int>(c.type)] << (c.side == Side::Client ? "(client" : "(upstream");
    if (c.type == Type::SetRx)
        out << (c.enable ? ", on" : ", off");
    if (c.type == Type::SetTimer)
        out << ", " << c.ms << " ms";
    return out << ")";
}

Command Connect()
{
    return {Type::Connect, Side::Client};
}
Command Flush(Side side)
{
    return {Type::Flush, side};
}
Command Rx(Side side, bool enable)
{
    return {Type::SetRx, side, enable};
}
Command Drop(Side side)
{
    return {Type::Drop, side};
}
Command Timer(int64_t ms)
{
    return {Type::SetTimer, Side::Client, false, ms};
}

const char* const kUpgrade = "GET /task/service?x=1 HTTP/1.1\r\n"
                             "Host: 127.0.0.1:5566\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n"
                             "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                             "\r\n";
const char* const kSwitching = "HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                               "\r\n";

// A frame as an endpoint writes it: FIN, opcode, 7/16-bit length, masked with a fixed key when `masked`.
std::string Frame(uint8_t first, const std::string& payload, bool masked)
{
    std::string out(1, static_cast<char>(first));
    uint8_t maskBit = masked ? 0x80 : 0;
    if (payload.size() < 126)
        out += static_cast<char>(maskBit | payload.size());
    else
    {
        out += static_cast<char>(maskBit | 126);
        out += static_cast<char>(payload.size() >> 8);
        out += static_cast<char>(payload.size() & 0xFF);
    }
    std::string body = payload;
    if (masked)
    {
        dapscope::wire::MaskKey key{1, 2, 3, 4};
        out.append(reinterpret_cast<const char*>(key.data()), 4);
        dapscope::wire::ApplyMask(reinterpret_cast<uint8_t*>(body.data()), body.size(), key, 0);
    }
    return out + body;
}

struct Fixture
{
    TapQueue tap{1u << 30};
    RelaySettings settings = [] {
        RelaySettings s;
        s.upstreamHost = "engine:5565";
        s.upstreamUri = "ws://engine:5565";
        s.limits.highWatermark = 1000;
        s.limits.lowWatermark = 400;
        return s;
    }();
    std::unique_ptr<RelayCore> core = std::make_unique<RelayCore>(7, settings, tap);

    std::vector<Command> Take()
    {
        std::vector<Command> out;
        for (const RelayCommand& c : core->Commands())
            out.push_back({c.type, c.side, c.enable, c.ms});
        core->Commands().clear();
        return out;
    }
    // Everything the core has for `side`, as the glue would write it.
    std::string Written(Side side)
    {
        std::string out;
        SharedBytes bytes;
        while (core->NextWrite(side, bytes))
            out += bytes.View();
        return out;
    }
    std::vector<TapRecord> Tapped()
    {
        std::vector<TapRecord> out;
        tap.PopAll(out, std::chrono::milliseconds(0));
        return out;
    }
    void Client(const std::string& bytes, int64_t now = 10) { core->Received(Side::Client, SharedBytes(bytes), now); }
    void Engine(const std::string& bytes, int64_t now = 20) { core->Received(Side::Upstream, SharedBytes(bytes), now); }

    // Accepted, upgraded and tunnelling, with every command and write so far taken.
    void Tunnel()
    {
        core->Accepted(1, "10.0.0.9:4000");
        Client(kUpgrade);
        core->UpstreamConnected(2);
        Engine(kSwitching);
        Take();
        Written(Side::Upstream);
        Written(Side::Client);
        Tapped();
    }
};
} // namespace

TEST(RelayCore, UpgradeIsForwardedRewrittenAndTheTunnelSharesTheBuffersItWasGiven)
{
    Fixture f;
    f.core->Accepted(1, "10.0.0.9:4000");
    EXPECT_EQ(f.Take(), (std::vector<Command>{Timer(10000)}));

    f.Client(kUpgrade);
    EXPECT_EQ(f.Take(), (std::vector<Command>{Timer(0), Flush(Side::Upstream), Connect(), Timer(10000),
                                              Rx(Side::Client, false)}));
    EXPECT_EQ(f.Written(Side::Upstream), "") << "nothing goes out before the engine is connected";

    f.core->UpstreamConnected(2);
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Upstream)})); // the deadline now covers the answer
    EXPECT_EQ(f.Written(Side::Upstream), "GET /task/service?x=1 HTTP/1.1\r\n"
                                         "Host: engine:5565\r\n"
                                         "Upgrade: websocket\r\n"
                                         "Connection: Upgrade\r\n"
                                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                         "Sec-WebSocket-Version: 13\r\n"
                                         "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                                         "X-Forwarded-For: 10.0.0.9\r\n"
                                         "X-Forwarded-Proto: http\r\n"
                                         "\r\n");

    std::string hello = Frame(0x81, "{\"type\":\"event\"}", false);
    f.Engine(kSwitching + hello);
    EXPECT_EQ(f.Take(), (std::vector<Command>{Timer(0), Flush(Side::Client), Rx(Side::Client, true)}));
    EXPECT_EQ(f.Written(Side::Client), kSwitching + hello);

    // Tunnel: the write queue holds the very buffer the read produced (no copy), and so does the tap.
    SharedBytes request(Frame(0x81, "{\"type\":\"request\",\"seq\":1}", true));
    f.core->Received(Side::Client, request, 30);
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Upstream)}));
    SharedBytes out;
    ASSERT_TRUE(f.core->NextWrite(Side::Upstream, out));
    EXPECT_EQ(out.data(), request.data());
    EXPECT_EQ(out.size(), request.size());

    auto records = f.Tapped();
    std::vector<TapRecord::Type> types;
    for (const auto& r : records)
        types.push_back(r.type);
    using T = TapRecord::Type;
    EXPECT_EQ(types, (std::vector<T>{T::SessionOpen, T::HttpHead, T::HttpEnd, T::UpstreamOpen, T::HttpHead, T::HttpEnd,
                                     T::WsBytes, T::WsBytes}));
    EXPECT_EQ(records[0].path, "/task/service?x=1");
    EXPECT_EQ(records[0].client, "10.0.0.9:4000");
    EXPECT_EQ(records[0].protocol, "http");
    EXPECT_EQ(records[4].head, kSwitching);
    EXPECT_EQ(records[6].bytes.View(), hello);
    EXPECT_EQ(records[6].offset, 0u);
    EXPECT_EQ(records[6].firstHeader, 0u);
    EXPECT_EQ(records[7].bytes.data(), request.data()) << "the tap shares the read buffer";
}

TEST(RelayCore, EarlyFramesWaitForTheAnswerAndARefusedUpgradeGoesOnAsHttp)
{
    Fixture f;
    f.core->Accepted(1, "10.0.0.9:4000");
    f.Client(std::string(kUpgrade) + "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    f.core->UpstreamConnected(2);
    f.Take();
    f.Written(Side::Upstream);
    EXPECT_EQ(f.Written(Side::Upstream), "") << "bytes after an upgrade request wait for its answer";

    f.Engine("HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\nno");
    EXPECT_EQ(f.Take(), (std::vector<Command>{Timer(0), Flush(Side::Client), Flush(Side::Upstream),
                                              Rx(Side::Client, true)}));
    EXPECT_EQ(f.Written(Side::Client), "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\nno");
    EXPECT_EQ(f.Written(Side::Upstream), "GET /ping HTTP/1.1\r\nHost: engine:5565\r\n"
                                         "X-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: http\r\n\r\n");
}

TEST(RelayCore, KeepAliveRequestsAreEachRewrittenAndBodiesPassUntouched)
{
    Fixture f;
    f.settings.clientTls = true;
    f.core->Accepted(1, "10.0.0.9:4000");
    f.Client("POST /task?auth=k HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\nContent-Length: 5\r\n\r\n{\"a\"}"
             "GET /status HTTP/1.1\r\nHost: a\r\n\r\n");
    f.core->UpstreamConnected(2);
    f.Take();
    EXPECT_EQ(f.Written(Side::Upstream),
              "POST /task?auth=k HTTP/1.1\r\nHost: engine:5565\r\nContent-Length: 5\r\n"
              "X-Forwarded-For: 1.2.3.4, 10.0.0.9\r\nX-Forwarded-Proto: https\r\n\r\n{\"a\"}"
              "GET /status HTTP/1.1\r\nHost: engine:5565\r\nX-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: https\r\n\r\n");
    f.Engine("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
             "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Client)}));
    EXPECT_EQ(f.Written(Side::Client), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
                                       "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    EXPECT_FALSE(f.core->CloseWhenWritten(Side::Client)) << "keep-alive";
}

TEST(RelayCore, SmugglingIsAnsweredWith400AndNothingGoesUpstream)
{
    Fixture f;
    f.core->Accepted(1, "10.0.0.9:4000");
    f.Take();
    f.Client("POST /task HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Client)}));
    EXPECT_EQ(f.Written(Side::Upstream), "");
    EXPECT_EQ(f.Written(Side::Client).substr(0, 25), "HTTP/1.1 400 Bad Request\r");
    EXPECT_TRUE(f.core->CloseWhenWritten(Side::Client));
    f.core->Closed(Side::Client, 5);
    EXPECT_TRUE(f.core->Finished());
}

TEST(RelayCore, AWrongAccessTokenIsRefusedWith401AndTheRightOneNeverGoesUpstream)
{
    Fixture f;
    f.settings.accessToken = "s3cret";
    f.core->Accepted(1, "10.0.0.9:4000");
    f.Take();
    f.Client("GET /x HTTP/1.1\r\nHost: a\r\nX-Dapscope-Token: nope\r\n\r\n");
    EXPECT_EQ(f.Take(), (std::vector<Command>{Timer(0), Flush(Side::Client)}));
    EXPECT_EQ(f.Written(Side::Client).substr(0, 26), "HTTP/1.1 401 Unauthorized\r");

    Fixture g;
    g.settings.accessToken = "s3cret";
    g.core->Accepted(1, "10.0.0.9:4000");
    g.Client("GET /x?a=1&dapscope_token=s3cret HTTP/1.1\r\nHost: a\r\nx-dapscope-token: s3cret\r\n\r\n");
    g.core->UpstreamConnected(2);
    std::string sent = g.Written(Side::Upstream);
    EXPECT_EQ(sent.find("s3cret"), std::string::npos) << sent;
    EXPECT_EQ(sent.substr(0, 21), "GET /x?a=1 HTTP/1.1\r\n");
    for (const TapRecord& r : g.Tapped())
        EXPECT_EQ(r.head.find("s3cret"), std::string::npos);
}

TEST(RelayCore, AnEngineThatCannotBeReachedGives502AndASilentOneGives504)
{
    Fixture f;
    f.core->Accepted(1, "10.0.0.9:4000");
    f.Client(kUpgrade);
    f.Take();
    f.core->UpstreamFailed(5, "connection refused");
    EXPECT_EQ(f.Take(), (std::vector<Command>{Timer(0), Flush(Side::Client)}));
    std::string answer = f.Written(Side::Client);
    EXPECT_EQ(answer.substr(0, 24), "HTTP/1.1 502 Bad Gateway");
    EXPECT_NE(answer.find("ws://engine:5565: connection refused"), std::string::npos) << answer;
    EXPECT_TRUE(f.core->CloseWhenWritten(Side::Client));

    Fixture g;
    g.core->Accepted(1, "10.0.0.9:4000");
    g.Client(kUpgrade);
    g.core->UpstreamConnected(2);
    g.Take();
    g.Written(Side::Upstream);
    g.core->Timeout(10002);
    EXPECT_EQ(g.Take(), (std::vector<Command>{Flush(Side::Client), Drop(Side::Upstream)}));
    EXPECT_EQ(g.Written(Side::Client).substr(0, 28), "HTTP/1.1 504 Gateway Timeout");
    g.core->Closed(Side::Client, 10003);
    EXPECT_TRUE(g.core->Finished());
    auto records = g.Tapped();
    EXPECT_EQ(records.back().type, TapRecord::Type::SessionClose);
    EXPECT_NE(records.back().error.find("no answer"), std::string::npos) << records.back().error;
}

TEST(RelayCore, ShutdownClosesWith1001AfterTheFrameInFlightAndDropsWhatFollows)
{
    Fixture f;
    f.Tunnel();
    std::string big = Frame(0x82, std::string(200, 'b'), false);
    f.Engine(big.substr(0, 50));
    f.Take();
    EXPECT_EQ(f.Written(Side::Client), big.substr(0, 50));

    f.core->Shutdown(30);
    // Toward the engine the stream is at a boundary: its close goes now, masked. The client waits for the frame.
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Upstream), Timer(2000)}));
    std::string toEngine = f.Written(Side::Upstream);
    ASSERT_EQ(toEngine.size(), 2u + 4 + 2 + 28);
    EXPECT_EQ(static_cast<uint8_t>(toEngine[0]), 0x88);
    EXPECT_EQ(static_cast<uint8_t>(toEngine[1]), 0x80 | 30);
    EXPECT_EQ(f.Written(Side::Client), "");

    std::string after = Frame(0x81, "later", false);
    f.Engine(big.substr(50) + after);
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Client), Timer(2000)}));
    std::string toClient = f.Written(Side::Client);
    size_t rest = big.size() - 50;
    EXPECT_EQ(toClient.substr(0, rest), big.substr(50));
    EXPECT_EQ(toClient.substr(rest, 4), std::string("\x88\x1e\x03\xe9", 4)) << "close 1001, unmasked";
    EXPECT_EQ(toClient.find("later"), std::string::npos) << "nothing after the proxy's close";

    // Both answer with their close frames and go.
    f.Client(Frame(0x88, std::string("\x03\xe9", 2), true));
    EXPECT_TRUE(f.core->CloseWhenWritten(Side::Client));
    f.core->Closed(Side::Client, 40);
    f.core->Closed(Side::Upstream, 41);
    EXPECT_TRUE(f.core->Finished());
    auto records = f.Tapped();
    EXPECT_EQ(records.back().closedBy, "proxy");
    EXPECT_EQ(records.back().closeCode, 1001);
}

TEST(RelayCore, AReservedOpcodeClosesBothLegsWith1002AndTheEndpointsOwnViolationsPass)
{
    Fixture f;
    f.Tunnel();
    // RSV bits, a continuation without a start, invalid UTF-8: the endpoints' business.
    std::string theirs = Frame(0xC1, "{}", true) + Frame(0x80, "cont", true) + Frame(0x81, "\xC3\x28", true);
    f.Client(theirs);
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Upstream)}));
    EXPECT_EQ(f.Written(Side::Upstream), theirs);

    f.Client(Frame(0x81, "ok", true) + Frame(0x83, "bad", true));
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Upstream), Timer(2000), Flush(Side::Client), Timer(2000)}));
    std::string toEngine = f.Written(Side::Upstream);
    EXPECT_EQ(toEngine.substr(0, 8), Frame(0x81, "ok", true));
    EXPECT_EQ(static_cast<uint8_t>(toEngine[8]), 0x88);
    std::string toClient = f.Written(Side::Client);
    EXPECT_EQ(toClient.substr(0, 4), std::string("\x88", 1) + static_cast<char>(toClient.size() - 2) + "\x03\xea");
    EXPECT_EQ(toClient.find("dapscope proxy: client sent"), 4u) << toClient;
}

TEST(RelayCore, AnEngineThatVanishesBetweenFramesGetsTheClient1011AndMidFrameOnlyATcpClose)
{
    Fixture f;
    f.Tunnel();
    f.Engine(Frame(0x81, "whole", false));
    f.Take();
    f.Written(Side::Client);
    f.core->Closed(Side::Upstream, 30);
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Client), Timer(2000)}));
    std::string close = f.Written(Side::Client);
    EXPECT_EQ(close.substr(0, 4), std::string("\x88", 1) + static_cast<char>(close.size() - 2) + "\x03\xf3");
    EXPECT_NE(close.find("upstream connection lost"), std::string::npos);

    Fixture g;
    g.Tunnel();
    g.Engine(Frame(0x82, std::string(300, 'x'), false).substr(0, 100));
    g.Take();
    g.Written(Side::Client);
    g.core->Closed(Side::Upstream, 30);
    EXPECT_EQ(g.Take(), (std::vector<Command>{Flush(Side::Client)}));
    EXPECT_EQ(g.Written(Side::Client), "");
    EXPECT_TRUE(g.core->CloseWhenWritten(Side::Client)) << "no boundary to close at: the TCP connection goes";
}

TEST(RelayCore, AClientCloseWithoutAStatusCodeIsForwardedAsSent)
{
    Fixture f;
    f.Tunnel();
    std::string close = Frame(0x88, "", true);
    f.Client(close);
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Upstream)}));
    EXPECT_EQ(f.Written(Side::Upstream), close);
    f.Engine(Frame(0x88, "", false));
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Client)}));
    EXPECT_EQ(f.Written(Side::Client), Frame(0x88, "", false));
    f.core->Closed(Side::Upstream, 40); // the server closes TCP first
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Client)}));
    EXPECT_TRUE(f.core->CloseWhenWritten(Side::Client));
}

TEST(RelayCore, WatermarksPauseTheSourceAndResumeItOnceDrained)
{
    Fixture f;
    f.Tunnel();
    f.Engine(Frame(0x82, std::string(600, 'a'), false));
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Client)}));
    f.Engine(Frame(0x82, std::string(600, 'b'), false)); // 1,208 bytes queued > 1,000
    EXPECT_EQ(f.Take(), (std::vector<Command>{Rx(Side::Upstream, false)}));
    SharedBytes bytes;
    ASSERT_TRUE(f.core->NextWrite(Side::Client, bytes)); // 604 left: not yet under 400
    EXPECT_EQ(f.Take(), (std::vector<Command>{}));
    ASSERT_TRUE(f.core->NextWrite(Side::Client, bytes));
    EXPECT_EQ(f.Take(), (std::vector<Command>{Rx(Side::Upstream, true)}));
}

TEST(RelayCore, BytesFromTheEngineThatAnswerNoRequestEndTheConnectionWithoutA502)
{
    Fixture f;
    f.core->Accepted(1, "10.0.0.9:4000");
    f.Client("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n");
    f.core->UpstreamConnected(2);
    f.Take();
    f.Written(Side::Upstream);
    // A HEAD answered with a body it should not have (lws does this): the body answers nothing.
    f.Engine("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nsorry");
    EXPECT_EQ(f.Written(Side::Client), "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\n")
        << "the answer, as the engine wrote it, and no 502 of the proxy's after it";
    EXPECT_TRUE(f.core->CloseWhenWritten(Side::Client));
}

TEST(RelayCore, AClientThatWasSentACloseKeepsItsConnectionUntilItAnswers)
{
    // Closing a peer's TCP connection while it still sends gets it a reset, and a reset throws away what it has
    // not read yet: the close frame it is owed, among it.
    Fixture f;
    f.Tunnel();
    std::string close = Frame(0x88, std::string("\x0f\xa1", 2), false); // 4001
    f.Engine(close);
    f.core->Closed(Side::Upstream, 30); // the engine closed its side right after its close frame
    EXPECT_EQ(f.Take(), (std::vector<Command>{Flush(Side::Client), Timer(2000)}));
    EXPECT_EQ(f.Written(Side::Client), close);
    EXPECT_FALSE(f.core->CloseWhenWritten(Side::Client)) << "the client has not answered yet";
    f.Client(Frame(0x81, "still sending", true) + Frame(0x88, std::string("\x0f\xa1", 2), true));
    EXPECT_TRUE(f.core->CloseWhenWritten(Side::Client)) << "it answered: now its connection may close";
}
