// export -> import -> export keeps every message: bytes (binary, empty, 1 MiB and more, text that is not UTF-8),
// directions, order, timestamps, close and pong frames, partly captured messages, and the session's facts.

#include "cli/Format.hpp"
#include "storage/Export.hpp"
#include "storage/Import.hpp"
#include "storage/ImportParse.hpp"
#include "storage/Ingestor.hpp"
#include "storage/Store.hpp"
#include "support/TestProcess.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

using namespace dapscope;
using inspector::Direction;
using inspector::Opcode;
using proxy::TapRecord;

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
            chunk.bytes = proxy::SharedBytes(sent.bytes);
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
