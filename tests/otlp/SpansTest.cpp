// The mapping from messages to spans (otlp/Spans) and its OTLP JSON (otlp/OtlpJson), on hand-made sessions whose
// expected spans follow from the mapping's rules.

#include "otlp/OtlpExporter.hpp"
#include "otlp/OtlpJson.hpp"
#include "otlp/Spans.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

using namespace dapscope;
using namespace dapscope::otlp;
using inspector::Kind;
namespace json = boost::json;

namespace
{

constexpr int64_t kSession = 7;
constexpr int64_t kStart = 1'700'000'000'000'000'000;

SessionInfo Info()
{
    return SessionInfo{kSession, kStart, "127.0.0.1:5000", "/task/service", "ws://127.0.0.1:5565", "sdk/1", "websocket"};
}

TracedMessage Request(int64_t id, int64_t ts, std::string command, std::string task = "")
{
    TracedMessage m;
    m.id = id;
    m.tsNs = kStart + ts;
    m.kind = Kind::Request;
    m.command = std::move(command);
    m.seq = id;
    m.task = std::move(task);
    return m;
}

TracedMessage Response(int64_t id, int64_t ts, int64_t request, bool success, std::string message = "",
                       std::string trace = "")
{
    TracedMessage m;
    m.id = id;
    m.tsNs = kStart + ts;
    m.kind = Kind::Response;
    m.pairId = request;
    m.success = success;
    m.message = std::move(message);
    m.trace = std::move(trace);
    return m;
}

TracedMessage Event(int64_t id, int64_t ts, std::string name, std::string task, std::string flowJson = "")
{
    TracedMessage m;
    m.id = id;
    m.tsNs = kStart + ts;
    m.kind = Kind::Event;
    m.event = std::move(name);
    m.task = std::move(task);
    m.flowJson = std::move(flowJson);
    return m;
}

std::vector<Span> AllSpans(TraceBuilder& builder)
{
    std::vector<Span> spans;
    for (SessionSpans& s : builder.TakeFinished())
        for (Span& span : s.spans)
            spans.push_back(std::move(span));
    return spans;
}

const Span& Named(const std::vector<Span>& spans, const std::string& name)
{
    auto it = std::find_if(spans.begin(), spans.end(), [&](const Span& s) { return s.name == name; });
    if (it == spans.end())
        throw std::runtime_error("no span " + name);
    return *it;
}

const AttributeValue* Attr(const Span& span, const std::string& key)
{
    for (const Attribute& a : span.attributes)
        if (a.key == key)
            return &a.value;
    return nullptr;
}

} // namespace

TEST(Spans, AnExchangeIsASpanFinishedByItsResponseUnderItsTask)
{
    TraceBuilder builder;
    builder.BeginSession(Info());
    builder.Message(kSession, Request(1, 100, "execute", "abc.webhook_1"));
    EXPECT_TRUE(AllSpans(builder).empty()); // nothing finished yet
    builder.Message(kSession, Response(2, 300, 1, true));
    std::vector<Span> spans = AllSpans(builder);
    ASSERT_EQ(spans.size(), 1u);
    const Span execute = spans[0];
    EXPECT_EQ(execute.name, "execute");
    EXPECT_EQ(execute.kind, SpanKind::Client);
    EXPECT_EQ(execute.traceId, TaskTraceId("abc.webhook_1"));
    EXPECT_EQ(execute.startNs, kStart + 100);
    EXPECT_EQ(execute.endNs, kStart + 300);
    EXPECT_FALSE(execute.error);
    ASSERT_TRUE(Attr(execute, "rocketride.success"));
    EXPECT_EQ(std::get<bool>(*Attr(execute, "rocketride.success")), true);

    builder.EndSession(kSession, kStart + 1000);
    spans = AllSpans(builder);
    const Span& task = Named(spans, "task abc.webhook_1");
    EXPECT_EQ(task.traceId, execute.traceId);
    EXPECT_EQ(execute.parentSpanId, task.spanId);
    EXPECT_TRUE(task.parentSpanId.empty());
    const Span& session = Named(spans, "session 7 /task/service");
    EXPECT_EQ(session.traceId, SessionTraceId(Info()));
    EXPECT_NE(session.traceId, task.traceId);
}

TEST(Spans, AFailedResponseIsAnErrorWithItsMessageAndTrace)
{
    TraceBuilder builder;
    builder.BeginSession(Info());
    builder.Message(kSession, Request(1, 0, "rrext_get_nodes"));
    builder.Message(kSession, Response(2, 10, 1, false, "Invalid command", "task_engine.py:120"));
    std::vector<Span> spans = AllSpans(builder);
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_TRUE(spans[0].error);
    EXPECT_EQ(spans[0].statusMessage, "Invalid command");
    EXPECT_EQ(std::get<std::string>(*Attr(spans[0], "code.filepath")), "task_engine.py");
    EXPECT_EQ(std::get<int64_t>(*Attr(spans[0], "code.lineno")), 120);
    // Outside any task: a child of the session's span, in the session's trace.
    EXPECT_EQ(spans[0].traceId, SessionTraceId(Info()));
}

TEST(Spans, RequestsStillUnansweredEndWithTheSessionAsErrors)
{
    TraceBuilder builder;
    builder.BeginSession(Info());
    builder.Message(kSession, Request(1, 0, "rrext_ping"));
    builder.EndSession(kSession, kStart + 5000);
    const std::vector<Span> spans = AllSpans(builder);
    const Span& ping = Named(spans, "rrext_ping");
    EXPECT_TRUE(ping.error);
    EXPECT_EQ(ping.statusMessage, "unanswered");
    EXPECT_EQ(ping.endNs, kStart + 5000);
}

TEST(Spans, EventsAreSpanEventsOfTheirTaskAndMoveThereWhenLinkedLater)
{
    TraceBuilder builder;
    builder.BeginSession(Info());
    builder.Message(kSession, Event(1, 10, "apaevt_task", ""));
    builder.Message(kSession, Event(2, 20, "apaevt_status_update", "t.src"));
    builder.Linked(1, "t.src", std::nullopt); // the inspector learnt the first one's task afterwards
    builder.EndSession(kSession, kStart + 100);
    std::vector<Span> spans = AllSpans(builder);
    const Span& task = Named(spans, "task t.src");
    ASSERT_EQ(task.events.size(), 2u);
    EXPECT_EQ(task.events[0].name, "apaevt_task"); // in message order
    EXPECT_EQ(task.events[1].name, "apaevt_status_update");
    EXPECT_EQ(task.startNs, kStart + 10);
    EXPECT_TRUE(Named(spans, "session 7 /task/service").events.empty());
}

TEST(Spans, ARequestLinkedToATaskLaterIsUnderThatTask)
{
    TraceBuilder builder;
    builder.BeginSession(Info());
    builder.Message(kSession, Request(1, 0, "rrext_process"));
    builder.Linked(1, "t.src", int64_t{4});
    builder.Message(kSession, Response(2, 10, 1, true));
    const Span process = AllSpans(builder).at(0);
    EXPECT_EQ(process.traceId, TaskTraceId("t.src"));
    EXPECT_EQ(std::get<int64_t>(*Attr(process, "rocketride.pipe_id")), 4);
}

TEST(Spans, PipeRunsAndTheirComponentsNestUnderTheTask)
{
    auto flow = [](const char* op, const char* pipes)
    { return std::string(R"({"event":"apaevt_flow","body":{"id":3,"op":")") + op + R"(","pipes":)" + pipes + "}}"; };
    TraceBuilder builder;
    builder.BeginSession(Info());
    builder.Message(kSession, Event(1, 10, "apaevt_flow", "t.src", flow("begin", "[]")));
    builder.Message(kSession, Event(2, 20, "apaevt_flow", "t.src", flow("enter", R"(["source_1"])")));
    builder.Message(kSession, Event(3, 30, "apaevt_flow", "t.src", flow("enter", R"(["source_1","llm_1"])")));
    builder.Message(kSession, Event(4, 40, "apaevt_flow", "t.src", flow("leave", R"(["source_1"])")));
    builder.Message(kSession, Event(5, 50, "apaevt_flow", "t.src", flow("end", "[]")));
    builder.EndSession(kSession, kStart + 100);
    std::vector<Span> spans = AllSpans(builder);
    const Span& task = Named(spans, "task t.src");
    const Span& pipe = Named(spans, "pipe 3");
    const Span& source = Named(spans, "source_1");
    const Span& llm = Named(spans, "llm_1");
    EXPECT_EQ(pipe.parentSpanId, task.spanId);
    EXPECT_EQ(source.parentSpanId, pipe.spanId);
    EXPECT_EQ(llm.parentSpanId, source.spanId);
    EXPECT_EQ(pipe.startNs, kStart + 10);
    EXPECT_EQ(pipe.endNs, kStart + 50);
    EXPECT_EQ(llm.startNs, kStart + 30);
    EXPECT_EQ(llm.endNs, kStart + 40);
    EXPECT_EQ(source.endNs, kStart + 50);
    for (const Span& s : {pipe, source, llm})
        EXPECT_EQ(s.traceId, task.traceId);
    EXPECT_EQ(task.events.size(), 5u);
}

TEST(Spans, OneTaskSeenByTwoSessionsIsOneTrace)
{
    TraceBuilder builder;
    SessionInfo other = Info();
    other.id = 8;
    builder.BeginSession(Info());
    builder.BeginSession(other);
    builder.Message(kSession, Event(1, 10, "apaevt_status_update", "t.src"));
    builder.Message(8, Event(2, 20, "apaevt_status_update", "t.src"));
    builder.EndSession(kSession, kStart + 100);
    builder.EndSession(8, kStart + 100);
    std::vector<SessionSpans> finished = builder.TakeFinished();
    ASSERT_EQ(finished.size(), 2u);
    const Span& a = Named(finished[0].spans, "task t.src");
    const Span& b = Named(finished[1].spans, "task t.src");
    EXPECT_EQ(a.traceId, b.traceId);
    EXPECT_NE(a.spanId, b.spanId);
}

TEST(Spans, EventsBeyondTheCapAreCountedNotKept)
{
    TraceBuilder builder;
    builder.BeginSession(Info());
    const int64_t n = TraceBuilder::kMaxEventsPerSpan + 5;
    for (int64_t i = 1; i <= n; ++i)
        builder.Message(kSession, Event(i, i, "output", "t.src"));
    builder.EndSession(kSession, kStart + n + 1);
    const std::vector<Span> spans = AllSpans(builder);
    const Span& task = Named(spans, "task t.src");
    EXPECT_EQ(task.events.size(), TraceBuilder::kMaxEventsPerSpan);
    EXPECT_EQ(task.droppedEvents, 5u);
}

TEST(OtlpJson, FollowsTheProtocolsJsonMapping)
{
    TraceBuilder builder;
    builder.BeginSession(Info());
    builder.Message(kSession, Request(1, 0, "rrext_ping", "t.src"));
    builder.Message(kSession, Response(2, 10, 1, false, "boom"));
    builder.EndSession(kSession, kStart + 20);
    json::value doc = json::parse(ExportRequestJson(builder.TakeFinished()));
    const json::object& resourceSpans = doc.at("resourceSpans").as_array().at(0).as_object();
    bool service = false;
    for (const auto& a : resourceSpans.at("resource").at("attributes").as_array())
        if (a.at("key") == "service.name")
            service = a.at("value").at("stringValue") == "rocketride-client";
    EXPECT_TRUE(service);
    const json::object& scope = resourceSpans.at("scopeSpans").as_array().at(0).as_object();
    EXPECT_EQ(scope.at("scope").at("name"), "dapscope");
    const json::array& spans = scope.at("spans").as_array();
    ASSERT_EQ(spans.size(), 3u); // the exchange, the task, the session
    const json::object& ping = spans[0].as_object();
    EXPECT_EQ(ping.at("traceId").as_string().size(), 32u);
    EXPECT_EQ(ping.at("spanId").as_string().size(), 16u);
    EXPECT_EQ(ping.at("parentSpanId").as_string().size(), 16u);
    EXPECT_EQ(ping.at("kind").as_int64(), 3);
    EXPECT_EQ(ping.at("startTimeUnixNano"), json::value(std::to_string(kStart))); // 64-bit values are strings
    EXPECT_EQ(ping.at("status").at("code").as_int64(), 2);
    EXPECT_EQ(ping.at("status").at("message"), "boom");
    bool seq = false;
    for (const auto& a : ping.at("attributes").as_array())
        if (a.at("key") == "rocketride.seq")
            seq = a.at("value").at("intValue") == "1";
    EXPECT_TRUE(seq);
    EXPECT_FALSE(spans[2].as_object().contains("parentSpanId")); // the session's span is a root
}

TEST(OtlpExporter, BatchesSplitAtTheSpanLimitAndKeepTheirSessions)
{
    std::deque<SessionSpans> queue;
    for (int64_t session = 1; session <= 2; ++session)
    {
        SessionSpans s;
        s.session.id = session;
        s.spans.resize(5);
        queue.push_back(std::move(s));
    }
    auto batches = SplitBatches(queue, 4);
    ASSERT_EQ(batches.size(), 3u); // 10 spans in posts of at most 4
    EXPECT_TRUE(queue.empty());
    size_t total = 0;
    for (const auto& batch : batches)
    {
        size_t spans = 0;
        for (const auto& s : batch)
            spans += s.spans.size();
        EXPECT_LE(spans, 4u);
        total += spans;
    }
    EXPECT_EQ(total, 10u);
    EXPECT_EQ(batches[1][0].session.id, 1); // the second post starts with session 1's last span
    EXPECT_EQ(batches[1][1].session.id, 2);
}

TEST(OtlpExporter, ABadUrlIsRefusedWithTheExpectedForm)
{
    ExporterOptions options;
    options.url = "collector:4318";
    try
    {
        OtlpExporter exporter(options);
        FAIL() << "accepted";
    }
    catch (const std::invalid_argument& e)
    {
        EXPECT_NE(std::string(e.what()).find("http://HOST[:PORT]"), std::string::npos) << e.what();
    }
}
