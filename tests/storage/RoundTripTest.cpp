// export -> import -> export keeps every message: bytes (binary, empty, 1 MiB and more, text that is not UTF-8),
// directions, order, timestamps, close and pong frames, partly captured messages, and the session's facts.

#include "cli/Capture.hpp"
#include "cli/Format.hpp"
#include "inspector/Redactor.hpp"
#include "mock/DemoSession.hpp"
#include "storage/Export.hpp"
#include "storage/Import.hpp"
#include "storage/ImportParse.hpp"
#include "storage/Ingestor.hpp"
#include "storage/Store.hpp"
#include "support/HttpUpstream.hpp"
#include "support/MockEngine.hpp"
#include "support/TestProcess.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <random>

using namespace dapscope;
using capture::TapRecord;
using inspector::Direction;
using inspector::Opcode;

namespace
{
constexpr int64_t kStart = 1795752440087117123; // ns that are not whole microseconds

std::string ReadAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// A message as the relay reports it.
struct Sent
{
    Direction dir;
    Opcode opcode;
    std::string bytes;    // captured bytes
    int64_t durNs = 0;    // last chunk this long after the first
    uint64_t missing = 0; // wire bytes the capture did not keep
    bool elided = false;  // dropped because the writer fell behind
};

std::string Random(size_t size, unsigned seed)
{
    std::mt19937 rng(seed);
    std::string bytes(size, '\0');
    for (char& c : bytes)
        c = static_cast<char>(rng());
    return bytes;
}

// 1 MiB of JSON text with multi-byte characters.
std::string BigText()
{
    constexpr size_t kSize = 1u << 20;
    std::string text = R"({"type":"event","seq":3,"event":"output","body":{"output":")";
    while (text.size() + 16 < kSize)
        text += "caf\xC3\xA9 \xE2\x9C\x93 ";
    text.append(kSize - 3 - text.size(), '.');
    return text + "\"}}";
}

std::vector<Sent> FirstSession()
{
    return {
        {Direction::ClientToServer, Opcode::Text,
         R"({"type":"request","command":"rrext_ping","seq":1,"arguments":{}})"},
        {Direction::ServerToClient, Opcode::Text,
         R"({"type":"response","seq":1,"request_seq":1,"command":"rrext_ping","success":true,"body":{"pong":true}})"},
        {Direction::ClientToServer, Opcode::Binary, Random(256, 1) + std::string("\0\x01\xFF", 3)},
        {Direction::ClientToServer, Opcode::Text, ""},
        {Direction::ServerToClient, Opcode::Binary, ""},
        {Direction::ClientToServer, Opcode::Text, BigText()},
        {Direction::ServerToClient, Opcode::Binary, Random((1u << 20) + (3u << 20) / 2, 2)}, // beyond kInspectBytes
        {Direction::ClientToServer, Opcode::Text, "{\"note\":\"caf\xE9 \xFF\xFE\"}"},        // Latin-1, not UTF-8
        {Direction::ServerToClient, Opcode::Pong, "keepalive"},
        {Direction::ServerToClient, Opcode::Text, R"({"type":"event","seq":2,"event":"apaevt_status_update"})",
         123456789},
        {Direction::ClientToServer, Opcode::Text, R"({"type":"request","seq":2,"command":"exec)", 0, 4000},
        {Direction::ServerToClient, Opcode::Binary, "", 0, 512, true},
        {Direction::ClientToServer, Opcode::Close, std::string("\x03\xE8", 2) + "bye"},
    };
}

// Write two sessions the way the recorder does: chunks through an Ingestor over a TraceWriter.
void WriteCapture(const std::string& path)
{
    SQLite::Database db = storage::OpenForWriting(path);
    storage::TraceWriter writer(db);
    writer.Begin();
    storage::Ingestor ingestor(writer, {});
    std::vector<std::vector<Sent>> sessions = {FirstSession(), {{Direction::ClientToServer, Opcode::Text, "{}"}}};
    int64_t ns = kStart;
    for (uint64_t id = 1; id <= sessions.size(); ++id)
    {
        TapRecord open{.type = TapRecord::Type::SessionOpen, .session = id, .ns = ns};
        open.client = "127.0.0.1:" + std::to_string(50000 + id);
        open.path = id == 1 ? "/task/service?trace=1&v=2" : "/task/service";
        open.upstream = "ws://127.0.0.1:5565";
        open.userAgent = id == 1 ? "rocketride-python/1.1.0" : "";
        ingestor.Apply(open);
        TapRecord upstream{.type = TapRecord::Type::UpstreamOpen, .session = id, .ns = ns + 1000};
        ingestor.Apply(upstream);
        for (const Sent& sent : sessions[id - 1])
        {
            ns += 1234567;
            TapRecord chunk{.type = TapRecord::Type::Chunk, .session = id, .ns = ns, .dir = sent.dir};
            chunk.opcode = sent.opcode;
            chunk.first = true;
            chunk.final = sent.durNs == 0;
            chunk.wireBytes = sent.bytes.size() + sent.missing;
            chunk.bytes = capture::SharedBytes(sent.bytes);
            chunk.elided = sent.elided;
            ingestor.Apply(chunk);
            if (sent.durNs)
            {
                TapRecord last{.type = TapRecord::Type::Chunk, .session = id, .ns = ns + sent.durNs, .dir = sent.dir};
                last.opcode = sent.opcode;
                last.final = true;
                ingestor.Apply(last);
            }
        }
        TapRecord close{.type = TapRecord::Type::SessionClose, .session = id, .ns = ns += 777};
        close.closeCode = id == 1 ? 1000 : 1006;
        close.closeReason = id == 1 ? "bye" : "";
        close.closedBy = id == 1 ? "client" : "upstream";
        close.error = id == 1 ? "" : "client vanished";
        ingestor.Apply(close);
    }
    ingestor.Flush();
    writer.Commit();
}

// What a message is, whatever store or file it is in.
struct Stored
{
    Direction dir;
    Opcode opcode;
    int64_t tsNs;
    int64_t durNs;
    int64_t size;
    uint32_t flags; // truncated, elided
    std::string kind;
    std::string command;
    std::string state;
    std::string data;
    bool operator==(const Stored&) const = default;
};

std::vector<std::vector<Stored>> StoredMessages(const std::string& db)
{
    storage::TraceReader reader(db);
    std::vector<std::vector<Stored>> sessions;
    for (const auto& session : reader.Sessions())
    {
        auto& messages = sessions.emplace_back();
        for (const auto& m : reader.Messages(session.id, {}, 0, 1000000))
            messages.push_back({m.dir, m.opcode, m.tsNs, m.durNs, m.size, m.flags & 3u,
                                std::string(inspector::ToString(m.kind)), m.command,
                                std::string(inspector::ToString(m.state)), reader.MessageData(m.id)});
    }
    return sessions;
}

std::vector<std::vector<Stored>> FileMessages(const std::string& path)
{
    std::vector<std::vector<Stored>> sessions;
    for (const auto& session : storage::ParseImport(ReadAll(path), path))
    {
        auto& messages = sessions.emplace_back();
        for (const auto& m : session.messages)
            messages.push_back({m.dir, m.opcode, m.tsNs, m.durNs, static_cast<int64_t>(m.size), m.elided ? 2u : 0u, "",
                                "", "", m.data});
    }
    return sessions;
}

class RoundTrip : public ::testing::TestWithParam<storage::ExportFormat>
{
};
} // namespace

TEST_P(RoundTrip, ExportImportExportKeepsEveryMessage)
{
    test::TempDir dir;
    const std::string original = dir.File("original.db"), imported = dir.File("imported.db");
    const std::string first = dir.File("first.out"), second = dir.File("second.out");
    WriteCapture(original);
    {
        storage::TraceReader reader(original);
        cli::ExportSessions(reader, {1, 2}, GetParam(), first);
    }
    storage::ImportResult result = storage::ImportFile(imported, first);
    ASSERT_EQ(result.sessions, (std::vector<int64_t>{1, 2}));
    {
        storage::TraceReader reader(imported);
        cli::ExportSessions(reader, result.sessions, GetParam(), second);
    }

    // The store after the trip holds what the capture stored, decoded the same way.
    auto before = StoredMessages(original);
    ASSERT_EQ(before.size(), 2u);
    ASSERT_EQ(before[0].size(), FirstSession().size());
    EXPECT_TRUE(StoredMessages(imported) == before); // (not EXPECT_EQ: a failure would print MiBs)
    EXPECT_EQ(before[0][10].flags, 1u);              // truncated, and kept so
    EXPECT_EQ(before[0][11].flags, 2u);              // elided
    EXPECT_EQ(before[0][0].state, "answered");

    // Both exports say the same about every message.
    auto once = FileMessages(first);
    EXPECT_TRUE(FileMessages(second) == once);
    ASSERT_EQ(once.size(), 2u);
    ASSERT_EQ(once[0].size(), before[0].size());
    for (size_t i = 0; i < once[0].size(); ++i)
    {
        EXPECT_EQ(once[0][i].data, before[0][i].data) << "message " << i;
        EXPECT_EQ(once[0][i].tsNs, before[0][i].tsNs) << "message " << i;
    }

    // The sessions' own facts survive too.
    storage::TraceReader a(original), b(imported);
    for (int64_t id : {1, 2})
    {
        auto s = a.Session(id), t = b.Session(id);
        ASSERT_TRUE(s && t);
        EXPECT_EQ(t->source, "import");
        EXPECT_EQ(std::tie(s->startedNs, s->endedNs, s->client, s->path, s->upstream, s->userAgent, s->upstreamOk,
                           s->closeCode, s->closeReason, s->closedBy, s->error, s->messages, s->bytes, s->elided),
                  std::tie(t->startedNs, t->endedNs, t->client, t->path, t->upstream, t->userAgent, t->upstreamOk,
                           t->closeCode, t->closeReason, t->closedBy, t->error, t->messages, t->bytes, t->elided))
            << "session " << id;
    }
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTrip,
                         ::testing::Values(storage::ExportFormat::Har, storage::ExportFormat::Jsonl),
                         [](const auto& info) { return info.param == storage::ExportFormat::Har ? "Har" : "Jsonl"; });

// What Chrome DevTools (or any reader that drops `_dapscope`) keeps: the data messages, to the microsecond.
TEST(ForeignRoundTrip, HarWithoutDapscopeMembersKeepsDataMessagesToTheMicrosecond)
{
    test::TempDir dir;
    WriteCapture(dir.File("original.db"));
    {
        storage::TraceReader reader(dir.File("original.db"));
        cli::ExportSessions(reader, {1}, storage::ExportFormat::Har, dir.File("full.har"));
    }
    boost::json::value har = boost::json::parse(ReadAll(dir.File("full.har")));
    for (auto& entry : har.at("log").at("entries").as_array())
    {
        entry.as_object().erase("_dapscope");
        for (auto& message : entry.at("_webSocketMessages").as_array())
            message.as_object().erase("_dapscope");
    }
    std::ofstream(dir.File("plain.har")) << boost::json::serialize(har);

    auto sessions = storage::ParseImport(ReadAll(dir.File("plain.har")), "plain.har");
    ASSERT_EQ(sessions.size(), 1u);
    std::vector<Sent> sent = FirstSession();
    std::erase_if(sent, [](const Sent& s) { return s.opcode == Opcode::Pong || s.opcode == Opcode::Close; });
    auto stored = StoredMessages(dir.File("original.db"))[0];
    std::erase_if(stored, [](const Stored& s) { return s.opcode == Opcode::Pong || s.opcode == Opcode::Close; });
    const auto& messages = sessions[0].messages;
    ASSERT_EQ(messages.size(), sent.size());
    for (size_t i = 0; i < messages.size(); ++i)
    {
        EXPECT_EQ(messages[i].data, sent[i].bytes) << "message " << i;
        EXPECT_EQ(messages[i].dir, sent[i].dir) << "message " << i;
        EXPECT_EQ(messages[i].tsNs, stored[i].tsNs / 1000 * 1000) << "message " << i;
    }
    EXPECT_EQ(messages[7].opcode, Opcode::Binary); // text that is not UTF-8 travels as binary without `_dapscope`
}

// Sessions imported from files that did not say where they went still export as valid HAR, and come back as
// they were.
TEST(ForeignRoundTrip, SessionsWithoutAProperUpstreamOrPath)
{
    test::TempDir dir;
    std::ofstream(dir.File("in.jsonl")) << R"({"type":"session","upstream":"localhost:5565","path":"task"})"
                                           "\n"
                                        << R"({"dir":"c2s","opcode":"text","t":1795752440.5,"data":"{}"})"
                                           "\n"
                                        << R"({"type":"session"})"
                                           "\n";
    storage::ImportFile(dir.File("a.db"), dir.File("in.jsonl"));
    {
        storage::TraceReader reader(dir.File("a.db"));
        cli::ExportSessions(reader, {1, 2}, storage::ExportFormat::Har, dir.File("out.har"));
    }
    boost::json::value har = boost::json::parse(ReadAll(dir.File("out.har")));
    EXPECT_EQ(har.at("log").at("entries").at(0).at("request").at("url"), "ws://localhost:5565/task");
    EXPECT_EQ(har.at("log").at("entries").at(1).at("request").at("url"), "ws://unknown/");

    storage::ImportFile(dir.File("b.db"), dir.File("out.har"));
    storage::TraceReader a(dir.File("a.db")), b(dir.File("b.db"));
    for (int64_t id : {1, 2})
    {
        auto s = a.Session(id), t = b.Session(id);
        ASSERT_TRUE(s && t);
        EXPECT_EQ(std::tie(s->upstream, s->path, s->upstreamOk, s->startedNs, s->endedNs),
                  std::tie(t->upstream, t->path, t->upstreamOk, t->startedNs, t->endedNs));
    }
    EXPECT_EQ(b.Session(1)->upstream, "localhost:5565");
    EXPECT_EQ(b.Session(2)->upstreamOk, std::nullopt);
}

// A capture as users make them: through the relay, redaction on (the default), some messages cut by
// --max-capture-bytes, and a plain HTTP connection with a key in its Authorization header. Export, import and
// export again must restore every field of every message and session as the capture stored it.
namespace
{
struct Everything
{
    storage::MessageSummary m;
    std::string data;
    std::optional<size_t> pair; // position of the paired message (ids may differ between stores)
};

std::vector<std::vector<Everything>> AllFields(const std::string& db)
{
    storage::TraceReader reader(db);
    std::vector<std::vector<Everything>> out;
    for (const auto& session : reader.Sessions())
    {
        auto& messages = out.emplace_back();
        auto page = reader.Messages(session.id, {}, 0, 1000000);
        for (const auto& m : page)
            messages.push_back({m, reader.MessageData(m.id), std::nullopt});
        for (auto& e : messages)
            for (size_t i = 0; e.m.pairId && i < page.size(); ++i)
                if (page[i].id == *e.m.pairId)
                    e.pair = i;
    }
    return out;
}

// Every field but the ids (and `fragments`: how the recorder happened to receive the bytes).
void ExpectSameMessages(const std::vector<std::vector<Everything>>& a, const std::vector<std::vector<Everything>>& b)
{
    ASSERT_EQ(a.size(), b.size());
    for (size_t s = 0; s < a.size(); ++s)
    {
        ASSERT_EQ(a[s].size(), b[s].size()) << "session " << s;
        for (size_t i = 0; i < a[s].size(); ++i)
        {
            const storage::MessageSummary &x = a[s][i].m, &y = b[s][i].m;
            std::string where = "session " + std::to_string(s) + " message " + std::to_string(i);
            EXPECT_EQ(std::tie(x.tsNs, x.durNs, x.dir, x.opcode, x.size, x.wireSize, x.flags, x.kind),
                      std::tie(y.tsNs, y.durNs, y.dir, y.opcode, y.size, y.wireSize, y.flags, y.kind))
                << where;
            EXPECT_EQ(std::tie(x.seq, x.requestSeq, x.command, x.subcommand, x.event, x.success, x.error, x.trace),
                      std::tie(y.seq, y.requestSeq, y.command, y.subcommand, y.event, y.success, y.error, y.trace))
                << where;
            EXPECT_EQ(std::tie(x.task, x.pipeId, x.state, x.latencyNs, x.malformed, x.method, x.path, x.status,
                               x.headers),
                      std::tie(y.task, y.pipeId, y.state, y.latencyNs, y.malformed, y.method, y.path, y.status,
                               y.headers))
                << where;
            EXPECT_EQ(a[s][i].pair, b[s][i].pair) << where;
            EXPECT_TRUE(a[s][i].data == b[s][i].data) << where;
        }
    }
}

void ExpectSameSessions(const std::string& original, const std::string& imported)
{
    storage::TraceReader a(original), b(imported);
    auto x = a.Sessions(), y = b.Sessions();
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i)
    {
        const auto &s = x[i], &t = y[i];
        EXPECT_EQ(std::tie(s.startedNs, s.endedNs, s.client, s.path, s.upstream, s.userAgent, s.upstreamOk,
                           s.clientName, s.clientVersion, s.auth, s.closeCode, s.closeReason, s.closedBy, s.error),
                  std::tie(t.startedNs, t.endedNs, t.client, t.path, t.upstream, t.userAgent, t.upstreamOk,
                           t.clientName, t.clientVersion, t.auth, t.closeCode, t.closeReason, t.closedBy, t.error))
            << "session " << i;
        EXPECT_EQ(std::tie(s.messages, s.bytes, s.elided, s.protocol, s.extensions, s.subprotocol, s.handshake),
                  std::tie(t.messages, t.bytes, t.elided, t.protocol, t.extensions, t.subprotocol, t.handshake))
            << "session " << i;
    }
}

const char* const kApiKey = "sk-roundtrip-0123456789";

// A demo session through the relay against the mock engine, and an HTTP exchange with the key in a header.
void CaptureThroughTheRelay(const std::string& db)
{
    auto capture = [&](int upstreamPort, const std::function<void(int port)>& traffic)
    {
        cli::CaptureOptions options;
        options.storePath = db;
        options.relay.listenPort = 0;
        options.relay.upstream = net::NormaliseEngineUri("127.0.0.1:" + std::to_string(upstreamPort));
        options.maxCaptureBytes = 1000; // the demo's binary writes are cut: truncated messages
        options.captureBufferBytes = 64u << 20;
        cli::Capture proxy(std::move(options));
        traffic(proxy.Port());
        proxy.Stop(std::chrono::seconds(5));
    };
    {
        test::MockEngine engine(mock::EngineOptions{.apiKey = kApiKey});
        capture(engine.Port(),
                [](int port)
                {
                    auto report = mock::RunDemoSession("ws://127.0.0.1:" + std::to_string(port) + "/task/service",
                                                       kApiKey);
                    EXPECT_TRUE(report.problems.empty());
                });
    }
    test::HttpUpstream http(
        [](const test::ReceivedRequest&)
        { return test::HttpReply{test::HttpResponseBytes(200, "OK", "{\"ok\":1}", {"Content-Type: application/json"})}; });
    capture(http.Port(),
            [](int port)
            {
                std::string answer = test::RawExchange(
                    port,
                    "POST /task?auth=" + std::string(kApiKey) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                        kApiKey + "\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n"
                                  "{\"run\":true}",
                    std::chrono::seconds(3));
                EXPECT_EQ(answer.substr(0, 15), "HTTP/1.1 200 OK");
            });
}
} // namespace

TEST_P(RoundTrip, ARelayCaptureWithRedactionKeepsEveryFieldOfEveryMessage)
{
    test::TempDir dir;
    const std::string original = dir.File("original.db"), imported = dir.File("imported.db");
    const std::string first = dir.File("first.out"), second = dir.File("second.out");
    CaptureThroughTheRelay(original);
    auto before = AllFields(original);
    ASSERT_EQ(before.size(), 2u);
    // What makes this capture a real test: redacted, truncated and HTTP messages, sizes and wire sizes.
    size_t redacted = 0, truncated = 0, http = 0, wire = 0;
    for (const auto& session : before)
        for (const auto& e : session)
        {
            redacted += (e.m.flags & 4) != 0;
            truncated += (e.m.flags & 1) != 0;
            http += e.m.kind == inspector::Kind::HttpRequest || e.m.kind == inspector::Kind::HttpResponse;
            wire += e.m.wireSize.has_value();
        }
    EXPECT_GE(redacted, 3u);
    EXPECT_GE(truncated, 1u);
    EXPECT_EQ(http, 2u);
    EXPECT_GT(wire, 10u);

    std::vector<int64_t> ids;
    for (const auto& s : storage::TraceReader(original).Sessions())
        ids.push_back(s.id);
    {
        storage::TraceReader reader(original);
        cli::ExportSessions(reader, ids, GetParam(), first);
    }
    storage::ImportResult result = storage::ImportFile(imported, first);
    ASSERT_EQ(result.sessions.size(), 2u);
    {
        storage::TraceReader reader(imported);
        cli::ExportSessions(reader, result.sessions, GetParam(), second);
    }
    ExpectSameMessages(before, AllFields(imported));
    ExpectSameSessions(original, imported);
    std::string once = ReadAll(first), twice = ReadAll(second);
    EXPECT_EQ(once.find(kApiKey), std::string::npos);
    EXPECT_EQ(twice.find(kApiKey), std::string::npos);
}

// A HAR that lost dapscope's members (a viewer saved it again): messages holding markers still count as redacted.
TEST(ForeignRoundTrip, MarkersWithoutDapscopeMembersAreRecognisedAsRedacted)
{
    test::TempDir dir;
    const std::string marker = inspector::RedactionMarker(kApiKey);
    const std::string har = R"({"log":{"version":"1.2","entries":[{"startedDateTime":"2026-11-27T04:21:00.000Z",
        "request":{"method":"GET","url":"ws://127.0.0.1:5565/task/service","headers":[]},
        "response":{"status":101,"headers":[]},"_resourceType":"websocket","_webSocketMessages":[
        {"type":"send","time":1795752440.1,"opcode":1,"data":"{\"type\":\"request\",\"seq\":1,\"command\":\"auth\",\"arguments\":{\"auth\":\")" +
                            marker + R"(\"}}"},
        {"type":"send","time":1795752440.2,"opcode":1,"data":"{\"type\":\"request\",\"seq\":2,\"command\":\"rrext_ping\"}"}]}]}})";
    std::ofstream(dir.File("viewer.har")) << har;
    auto result = storage::ImportFile(dir.File("t.db"), dir.File("viewer.har"));
    storage::TraceReader reader(dir.File("t.db"));
    auto messages = reader.Messages(result.sessions.at(0), {}, 0, 10);
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[0].flags & 4, 4u) << "the marker stays and the flag is set";
    EXPECT_NE(reader.MessageData(messages[0].id).find(marker), std::string::npos);
    EXPECT_EQ(messages[1].flags & 4, 0u);
}
