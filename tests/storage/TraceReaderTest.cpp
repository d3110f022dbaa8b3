// The read API the GUI and replay use (TraceReader), checked against stores written the way the recorder writes
// them and against the plain Messages() listing; and the one definition of a problem, which the "failed only"
// filter must agree with.

#include "storage/TraceReader.hpp"
#include "bench/SyntheticTraffic.hpp"
#include "inspector/SessionInspector.hpp"
#include "storage/Ingestor.hpp"
#include "storage/Problems.hpp"
#include "storage/Store.hpp"
#include "support/TestProcess.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

using namespace dapscope;

namespace
{
using capture::TapRecord;
using Type = TapRecord::Type;
constexpr auto kUp = inspector::Direction::ClientToServer;
constexpr auto kDown = inspector::Direction::ServerToClient;
const char* const kTask = "5d41402a.webhook_1";

// Records of one relay session, fed to an Ingestor and written at once.
class Writer
{
  public:
    explicit Writer(const std::string& path)
        : m_db(storage::OpenForWriting(path)), m_writer(m_db), m_ingestor(m_writer, {})
    {
    }

    void Open(uint64_t session, const std::string& protocol = "websocket")
    {
        TapRecord& r = Add(Type::SessionOpen, session);
        r.client = "127.0.0.1:40000";
        r.path = "/task/service";
        r.upstream = "ws://127.0.0.1:5565";
        r.protocol = protocol;
    }
    // A whole WebSocket message.
    void Message(uint64_t session, inspector::Direction dir, std::string text,
                 inspector::Opcode opcode = inspector::Opcode::Text)
    {
        TapRecord& r = Add(Type::Chunk, session, dir);
        r.opcode = opcode;
        r.first = r.final = true;
        r.wireBytes = text.size();
        r.bytes = capture::SharedBytes(std::move(text));
    }
    // A whole HTTP message (head only).
    void Http(uint64_t session, inspector::Direction dir, const std::string& head)
    {
        TapRecord& h = Add(Type::HttpHead, session, dir);
        h.head = head;
        h.wireBytes = head.size();
        Add(Type::HttpEnd, session, dir);
    }
    void Close(uint64_t session) { Add(Type::SessionClose, session).closedBy = "client"; }

    // Write what was added, in one transaction.
    void Commit()
    {
        m_writer.Begin();
        for (TapRecord& record : m_records)
            m_ingestor.Apply(record);
        m_ingestor.Flush();
        m_writer.Commit();
        m_records.clear();
    }
    int64_t StoreSession(uint64_t session) const { return m_ingestor.StoreSession(session); }

  private:
    TapRecord& Add(Type type, uint64_t session, inspector::Direction dir = kUp)
    {
        TapRecord& r = m_records.emplace_back();
        r.type = type;
        r.session = session;
        r.ns = m_now += 1'000'000;
        r.dir = dir;
        return r;
    }

    int64_t m_now = 1'790'000'000'000'000'000;
    SQLite::Database m_db;
    storage::TraceWriter m_writer;
    storage::Ingestor m_ingestor;
    std::vector<TapRecord> m_records;
};

std::string Request(int seq, const std::string& command, const std::string& arguments = "{}")
{
    return R"({"type":"request","seq":)" + std::to_string(seq) + R"(,"command":")" + command + R"(","arguments":)" +
           arguments + "}";
}

std::string Response(int seq, int requestSeq, const std::string& command, bool success)
{
    return R"({"type":"response","seq":)" + std::to_string(seq) + R"(,"request_seq":)" + std::to_string(requestSeq) +
           R"(,"command":")" + command + R"(","success":)" + (success ? "true" : "false") + "}";
}

std::string Flow(int seq, const std::string& op, const std::string& pipes)
{
    return R"({"type":"event","seq":)" + std::to_string(seq) + R"(,"event":"apaevt_flow","body":{"id":0,"op":")" + op +
           R"(","pipes":)" + pipes + R"(,"trace":{},"__id":")" + kTask + R"("}})";
}

// One session of every kind of message and of every problem, and a plain HTTP connection with a 404 and a 502.
struct ProblemStore
{
    int64_t ws = 0;
    int64_t http = 0;
};

ProblemStore WriteProblemStore(const std::string& path)
{
    Writer w(path);
    w.Open(1);
    w.Message(1, kUp, Request(1, "auth", R"({"clientName":"test"})"));
    w.Message(1, kDown, Response(1, 1, "auth", true));
    w.Message(1, kUp, Request(2, "execute", R"({"token":"tk_5d41402abc4b2a76b9719d911017c592","source":"webhook_1"})"));
    w.Message(1, kDown, Response(2, 2, "execute", false)); // failed
    w.Message(1, kDown, Flow(3, "begin", R"(["webhook_1"])"));
    w.Message(1, kDown, Flow(4, "enter", R"(["webhook_1","parse_1"])"));
    w.Message(1, kDown,
              R"({"type":"event","seq":5,"event":"apaevt_status_update","body":{"__id":")" + std::string(kTask) +
                  R"("}})");
    w.Message(1, kUp, "not json at all");                     // malformed
    w.Message(1, kDown, Response(6, 99, "rrext_ping", true)); // orphan
    w.Message(1, kUp, Request(3, "rrext_ping"));
    w.Message(1, kUp, Request(3, "rrext_ping")); // duplicate seq while the first is pending
    w.Message(1, kDown, Response(7, 3, "rrext_ping", true));
    w.Message(1, kUp, Request(4, "rrext_store"));
    w.Message(1, kDown, Response(8, 4, "rrext_other", true)); // command mismatch
    w.Message(1, kUp, std::string("\x03\xE8", 2), inspector::Opcode::Close);
    w.Message(1, kUp, Request(5, "rrext_ping")); // unanswered when the session ends
    w.Close(1);
    w.Open(2, "http");
    w.Http(2, kUp, "GET /task HTTP/1.1\r\nHost: engine\r\n\r\n");
    w.Http(2, kDown, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    w.Http(2, kUp, "GET /ping HTTP/1.1\r\nHost: engine\r\n\r\n");
    w.Http(2, kDown, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    w.Http(2, kUp, "GET /version HTTP/1.1\r\nHost: engine\r\n\r\n");
    w.Http(2, kDown, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    w.Close(2);
    w.Commit();
    return {w.StoreSession(1), w.StoreSession(2)};
}

// A store of `messages` synthetic messages in one session (bench/SyntheticTraffic), in batches.
void WriteSynthetic(const std::string& path, size_t messages)
{
    SQLite::Database db = storage::OpenForWriting(path);
    storage::TraceWriter writer(db);
    storage::Ingestor ingestor(writer, {});
    bench::SyntheticTraffic traffic;
    std::vector<TapRecord> records = traffic.Open();
    while (ingestor.Stats().messages < messages)
    {
        traffic.Next(std::min<size_t>(1000, messages - ingestor.Stats().messages), records);
        writer.Begin();
        for (auto& record : records)
            ingestor.Apply(record);
        ingestor.Flush();
        writer.Commit();
        records.clear();
    }
    records.push_back(traffic.Close());
    writer.Begin();
    ingestor.Apply(records.back());
    ingestor.Flush();
    writer.Commit();
}

std::vector<storage::MessageSummary> All(storage::TraceReader& reader, int64_t session)
{
    return reader.Messages(session, {}, 0, 1'000'000);
}

std::vector<int64_t> Sorted(std::vector<int64_t> values)
{
    std::sort(values.begin(), values.end());
    return values;
}

std::vector<int64_t> Ids(const std::vector<storage::MessageSummary>& messages)
{
    std::vector<int64_t> ids;
    for (const auto& m : messages)
        ids.push_back(m.id);
    return ids;
}
} // namespace

TEST(Problems, TheFailedOnlyFilterShowsExactlyTheProblems)
{
    test::TempDir dir;
    const ProblemStore store = WriteProblemStore(dir.File("t.db"));
    storage::TraceReader reader(dir.File("t.db"));
    std::map<inspector::ExchangeState, int> states;
    std::vector<int64_t> problems;
    int failed = 0, malformed = 0, httpFailures = 0;
    for (int64_t session : {store.ws, store.http})
        for (const storage::MessageSummary& m : All(reader, session))
        {
            ++states[m.state];
            failed += m.success == false;
            malformed += m.kind == inspector::Kind::Malformed;
            httpFailures += m.status >= 400;
            if (storage::IsProblem(m))
                problems.push_back(m.id);
        }
    // The store holds one of each problem (an HTTP connection: two failures).
    EXPECT_EQ(failed, 1);
    EXPECT_EQ(malformed, 1);
    EXPECT_EQ(httpFailures, 2);
    EXPECT_GE(states[inspector::ExchangeState::Unanswered], 1);
    EXPECT_GE(states[inspector::ExchangeState::Orphan], 1);
    EXPECT_GE(states[inspector::ExchangeState::DuplicateSeq], 1);
    EXPECT_GE(states[inspector::ExchangeState::CommandMismatch], 1);

    // The SQL filter (with the block summaries that let it skip blocks) finds the same messages.
    storage::MessageFilter filter;
    filter.failedOnly = true;
    std::vector<int64_t> filtered;
    for (int64_t session : {store.ws, store.http})
        for (int64_t id : Ids(reader.Messages(session, filter, 0, 1000)))
            filtered.push_back(id);
    EXPECT_EQ(filtered, problems);
    // ...and so does the plain scan the GUI's message index runs.
    std::vector<int64_t> scanned;
    for (int64_t session : {store.ws, store.http})
        for (int64_t id : reader.MessageIds(session, filter, {0, INT64_MAX}))
            scanned.push_back(id);
    EXPECT_EQ(scanned, problems);
}

TEST(Problems, DefinitionOnTheFields)
{
    using inspector::ExchangeState;
    using inspector::Kind;
    EXPECT_TRUE(storage::IsFailedResponse(false, std::nullopt));
    EXPECT_FALSE(storage::IsFailedResponse(true, std::nullopt));
    EXPECT_FALSE(storage::IsFailedResponse(std::nullopt, std::nullopt)); // no success: the SDKs read success
    EXPECT_TRUE(storage::IsFailedResponse(std::nullopt, 400));
    EXPECT_FALSE(storage::IsFailedResponse(std::nullopt, 399));
    EXPECT_TRUE(storage::IsProblem(Kind::Malformed, std::nullopt, ExchangeState::None, std::nullopt));
    EXPECT_TRUE(storage::IsProblem(Kind::Request, std::nullopt, ExchangeState::Unanswered, std::nullopt));
    EXPECT_FALSE(storage::IsProblem(Kind::Request, std::nullopt, ExchangeState::Pending, std::nullopt));
    EXPECT_FALSE(storage::IsProblem(Kind::Response, true, ExchangeState::Answered, std::nullopt));
    EXPECT_TRUE(storage::IsProblem(Kind::HttpResponse, std::nullopt, ExchangeState::Answered, 502));

    // The inspector's decoded fields give the same answer as the stored row.
    inspector::InspectedMessage decoded;
    decoded.envelope.kind = Kind::HttpResponse;
    decoded.state = ExchangeState::Answered;
    decoded.http = inspector::HttpFields{};
    decoded.http->status = 404;
    EXPECT_TRUE(storage::IsProblem(decoded));
    decoded.http->status = 200;
    EXPECT_FALSE(storage::IsProblem(decoded));
    decoded.envelope.kind = Kind::Response;
    decoded.http.reset();
    decoded.envelope.success = false;
    EXPECT_TRUE(storage::IsProblem(decoded));
}

TEST(TraceReader, MessagesWithDataHaveTheSummariesAndTheBytesOfEachMessage)
{
    test::TempDir dir;
    const std::string path = dir.File("t.db");
    int64_t session = 0;
    {
        Writer w(path);
        w.Open(1);
        w.Message(1, kUp, Request(1, "auth"));
        // Over 1 MiB: its tail is stored in message_chunks.
        w.Message(1, kUp, Request(2, "rrext_store", R"({"data":")" + std::string(3u << 20, 'x') + R"("})"));
        w.Message(1, kDown, Response(1, 1, "auth", true));
        w.Message(1, kDown, Response(2, 2, "rrext_store", true));
        w.Close(1);
        w.Commit();
        session = w.StoreSession(1);
    }
    storage::TraceReader reader(path);
    const auto all = All(reader, session);
    ASSERT_EQ(all.size(), 4u);
    std::vector<storage::StoredMessage> read;
    for (int64_t after = 0;;)
    {
        auto page = reader.MessagesWithData(session, after, 3);
        if (page.empty())
            break;
        EXPECT_LE(page.size(), 3u);
        after = page.back().summary.id;
        for (auto& m : page)
            read.push_back(std::move(m));
    }
    ASSERT_EQ(read.size(), all.size());
    for (size_t i = 0; i < all.size(); ++i)
    {
        EXPECT_EQ(read[i].summary.id, all[i].id);
        EXPECT_EQ(read[i].summary.command, all[i].command);
        EXPECT_EQ(read[i].summary.kind, all[i].kind);
        EXPECT_EQ(read[i].data, reader.MessageData(all[i].id)) << "message " << all[i].id;
    }
    EXPECT_GT(read[1].data.size(), 3u << 20);
    EXPECT_TRUE(reader.MessagesWithData(session, read.back().summary.id, 10).empty());
}

TEST(TraceReader, MessageIdWindowsAddUpToTheFilteredListing)
{
    test::TempDir dir;
    const std::string path = dir.File("t.db");
    WriteSynthetic(path, 5000);
    storage::TraceReader reader(path);
    const int64_t session = reader.Sessions().front().id;
    const auto all = All(reader, session);

    const auto range = reader.MessageIdRange(session, 0);
    ASSERT_TRUE(range);
    EXPECT_EQ(range->after, all.front().id - 1);
    EXPECT_EQ(range->last, all.back().id);
    const auto tail = reader.MessageIdRange(session, all[100].id);
    ASSERT_TRUE(tail);
    EXPECT_EQ(tail->after, all[101].id - 1);
    EXPECT_FALSE(reader.MessageIdRange(session, all.back().id));
    EXPECT_FALSE(reader.MessageIdRange(session + 1, 0));

    std::vector<storage::MessageFilter> filters(4);
    filters[1].command = "rrext_process";
    filters[2].failedOnly = true;
    filters[3].text = "thinking";
    for (const storage::MessageFilter& filter : filters)
    {
        std::vector<int64_t> windows;
        for (int64_t lo = range->after; lo < range->last; lo += 333)
            for (int64_t id : reader.MessageIds(session, filter, {lo, std::min(range->last, lo + 333)}))
                windows.push_back(id);
        EXPECT_EQ(windows, Ids(reader.Messages(session, filter, 0, 1'000'000))) << storage::FilterConditions(filter);
        EXPECT_FALSE(windows.empty());
    }
}

TEST(TraceReader, DistinctNamesAreTheSessionsOwnSorted)
{
    test::TempDir dir;
    const std::string path = dir.File("t.db");
    WriteSynthetic(path, 3000);
    storage::TraceReader reader(path);
    const int64_t session = reader.Sessions().front().id;
    std::set<std::string> commands, events, tasks;
    for (const auto& m : All(reader, session))
    {
        if (!m.command.empty())
            commands.insert(m.command);
        if (!m.event.empty())
            events.insert(m.event);
        if (!m.task.empty())
            tasks.insert(m.task);
    }
    using storage::NameColumn;
    EXPECT_EQ(reader.DistinctNames(session, NameColumn::Command),
              std::vector<std::string>(commands.begin(), commands.end()));
    EXPECT_EQ(reader.DistinctNames(session, NameColumn::Event), std::vector<std::string>(events.begin(), events.end()));
    EXPECT_EQ(reader.DistinctNames(session, NameColumn::Task), std::vector<std::string>(tasks.begin(), tasks.end()));
    EXPECT_NE(commands.count("rrext_process"), 0u);
    EXPECT_NE(events.count("apaevt_sse"), 0u);
    EXPECT_EQ(reader.DistinctNames(session, NameColumn::Command, 1).size(), 1u);
    EXPECT_TRUE(reader.DistinctNames(session + 1, NameColumn::Command).empty());
}

TEST(TraceReader, TimelineMessagesCarryWhatTheTimelineDraws)
{
    test::TempDir dir;
    const ProblemStore store = WriteProblemStore(dir.File("t.db"));
    storage::TraceReader reader(dir.File("t.db"));
    for (int64_t session : {store.ws, store.http})
    {
        const auto all = All(reader, session);
        size_t i = 0;
        reader.ForEachTimelineMessage(session, 0,
                                      [&](const storage::TimelineMessage& t)
                                      {
                                          EXPECT_LT(i, all.size());
                                          if (i >= all.size())
                                              return false;
                                          const storage::MessageSummary& m = all[i++];
                                          EXPECT_EQ(t.id, m.id);
                                          EXPECT_EQ(t.tsNs, m.tsNs);
                                          EXPECT_EQ(t.kind, m.kind);
                                          EXPECT_EQ(t.state, m.state);
                                          EXPECT_EQ(t.pairId, m.pairId.value_or(0));
                                          EXPECT_EQ(t.success, m.success);
                                          EXPECT_EQ(t.status, m.status);
                                          EXPECT_EQ(t.opcode, m.opcode);
                                          EXPECT_EQ(t.command, m.command);
                                          EXPECT_EQ(t.subcommand, m.subcommand);
                                          EXPECT_EQ(t.event, m.event);
                                          EXPECT_EQ(t.method, m.method);
                                          EXPECT_EQ(t.path, m.path);
                                          return true;
                                      });
        EXPECT_EQ(i, all.size());
        // From an id on, and stopped early.
        int visited = 0;
        reader.ForEachTimelineMessage(session, all[2].id,
                                      [&](const storage::TimelineMessage& t)
                                      {
                                          EXPECT_EQ(t.id, all[3].id);
                                          return ++visited < 1;
                                      });
        EXPECT_EQ(visited, 1);
    }
}

TEST(TraceReader, TasksGroupTheSessionsMessagesByTask)
{
    test::TempDir dir;
    const std::string path = dir.File("t.db");
    const ProblemStore store = WriteProblemStore(path);
    storage::TraceReader reader(path);
    const auto all = All(reader, store.ws);
    std::vector<storage::MessageSummary> linked;
    for (const auto& m : all)
        if (m.task == kTask)
            linked.push_back(m);
    ASSERT_GE(linked.size(), 4u); // execute, its response, the flow events, the status update

    const auto tasks = reader.Tasks(store.ws);
    ASSERT_EQ(tasks.size(), 1u);
    const storage::TaskSummary& t = tasks[0];
    EXPECT_EQ(t.task, kTask);
    EXPECT_EQ(t.messages, static_cast<int64_t>(linked.size()));
    EXPECT_EQ(t.first, linked.front().tsNs);
    EXPECT_EQ(t.last, linked.back().tsNs);
    EXPECT_EQ(t.requests, std::count_if(linked.begin(), linked.end(),
                                        [](const auto& m) { return m.kind == inspector::Kind::Request; }));
    EXPECT_EQ(t.events, std::count_if(linked.begin(), linked.end(),
                                      [](const auto& m) { return m.kind == inspector::Kind::Event; }));
    EXPECT_EQ(t.failures, 1); // the failed execute
    EXPECT_TRUE(reader.Tasks(store.http).empty());

    size_t i = 0;
    int flows = 0;
    reader.ForEachTaskMessage(store.ws, kTask,
                              [&](const storage::TaskMessage& m, std::string_view flow)
                              {
                                  EXPECT_LT(i, linked.size());
                                  if (i >= linked.size())
                                      return false;
                                  const storage::MessageSummary& s = linked[i++];
                                  EXPECT_EQ(m.id, s.id);
                                  EXPECT_EQ(m.kind, s.kind);
                                  EXPECT_EQ(m.command, s.command);
                                  EXPECT_EQ(m.event, s.event);
                                  EXPECT_EQ(m.state, s.state);
                                  EXPECT_EQ(m.success, s.success);
                                  EXPECT_EQ(m.pairId, s.pairId.value_or(0));
                                  if (s.event == "apaevt_flow")
                                  {
                                      ++flows;
                                      EXPECT_EQ(flow, reader.MessageData(s.id));
                                  }
                                  else
                                      EXPECT_TRUE(flow.empty());
                                  return true;
                              });
    EXPECT_EQ(i, linked.size());
    EXPECT_EQ(flows, 2);
}

TEST(TraceReader, RequestLatenciesAreThoseOfTheAnsweredRequestsOfACommand)
{
    test::TempDir dir;
    const std::string path = dir.File("t.db");
    WriteSynthetic(path, 3000);
    WriteSynthetic(path, 1000);
    storage::TraceReader reader(path);
    const auto sessions = reader.Sessions();
    ASSERT_EQ(sessions.size(), 2u);
    std::vector<int64_t> all;
    for (const auto& s : sessions)
    {
        std::vector<int64_t> expected;
        for (const auto& m : All(reader, s.id))
            if (m.kind == inspector::Kind::Request && m.command == "rrext_ping" && m.latencyNs)
                expected.push_back(*m.latencyNs);
        ASSERT_FALSE(expected.empty());
        EXPECT_EQ(Sorted(reader.RequestLatencies({s.id}, "rrext_ping")), Sorted(expected));
        all.insert(all.end(), expected.begin(), expected.end());
    }
    EXPECT_EQ(Sorted(reader.RequestLatencies({}, "rrext_ping")), Sorted(all));
    EXPECT_TRUE(reader.RequestLatencies({}, "no_such_command").empty());
}

TEST(TraceReader, DataVersionChangesWhenAnotherConnectionCommits)
{
    test::TempDir dir;
    const std::string path = dir.File("t.db");
    WriteSynthetic(path, 100);
    storage::TraceReader reader(path);
    const int64_t before = reader.DataVersion();
    EXPECT_EQ(reader.DataVersion(), before);
    WriteSynthetic(path, 100);
    EXPECT_NE(reader.DataVersion(), before);
}

TEST(TraceReader, ASnapshotSeesOneStateOfTheStore)
{
    test::TempDir dir;
    const std::string path = dir.File("t.db");
    WriteSynthetic(path, 100);
    storage::TraceReader reader(path);
    {
        storage::TraceReader::Snapshot snapshot(reader);
        EXPECT_EQ(reader.Sessions().size(), 1u);
        WriteSynthetic(path, 100);
        EXPECT_EQ(reader.Sessions().size(), 1u);
    }
    EXPECT_EQ(reader.Sessions().size(), 2u);
}
