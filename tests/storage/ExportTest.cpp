// Export: the HAR readers expect (Chrome's WebSocket entries), JSONL with the keys of `show --json`, private
// files, no secrets, the progress bar, and the `export` / `import` commands as users run them.

#include "storage/Export.hpp"
#include "cli/Format.hpp"
#include "cli/Progress.hpp"
#include "storage/CaptureFields.hpp"
#include "storage/Import.hpp"
#include "storage/Ingestor.hpp"
#include "storage/Store.hpp"
#include "support/TestProcess.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

using namespace dapscope;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace
{
const std::string kFixtures = DAPSCOPE_FIXTURES;

std::string ReadAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// A session with every kind of frame, imported (import is tested on its own in ImportTest.cpp).
const char* const kSession =
    R"({"type":"session","client":"127.0.0.1:50001","path":"/task/service?trace=1&v","upstream":"ws://127.0.0.1:5565",)"
    R"("user_agent":"rocketride-python/1.1.0","upstream_ok":true,"close_code":1000,"closed_by":"client",)"
    R"("started_ns":1795752440000000000,"ended_ns":1795752441250000000})"
    "\n"
    R"({"dir":"c2s","opcode":"text","ts_ns":1795752440100000000,"data":"{\"type\":\"request\",\"command\":\"rrext_ping\",\"seq\":1}"})"
    "\n"
    R"({"dir":"s2c","opcode":"text","ts_ns":1795752440200500999,"data":"{\"type\":\"response\",\"seq\":1,\"request_seq\":1,\"command\":\"rrext_ping\",\"success\":true}"})"
    "\n"
    R"({"dir":"c2s","opcode":"binary","ts_ns":1795752440300000000,"data_b64":"AAH/"})"
    "\n"
    R"({"dir":"c2s","opcode":"text","ts_ns":1795752440400000000,"data_b64":"/w=="})"
    "\n"
    R"({"dir":"s2c","opcode":"pong","ts_ns":1795752440500000000,"data_b64":""})"
    "\n"
    R"({"dir":"c2s","opcode":"close","ts_ns":1795752440600000000,"data_b64":"A+g="})"
    "\n";

struct ExportFixture : ::testing::Test
{
    test::TempDir dir;
    std::string db = dir.File("traces.db");

    void SetUp() override
    {
        std::ofstream(dir.File("session.jsonl")) << kSession;
        storage::ImportFile(db, dir.File("session.jsonl"));
    }

    std::string Export(storage::ExportFormat format, const std::string& name = "out")
    {
        storage::TraceReader reader(db);
        cli::ExportSessions(reader, {1}, format, dir.File(name));
        return ReadAll(dir.File(name));
    }
};

// Run a process to its end, reading all its output; its exit status.
std::optional<int> Finish(test::TestProcess& process)
{
    while (process.ReadLine(30s))
    {
    }
    return process.Wait(30s);
}

std::vector<json::object> Lines(const std::string& text)
{
    std::vector<json::object> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(json::parse(line).as_object());
    return lines;
}
} // namespace

TEST_F(ExportFixture, HarHasChromesWebSocketEntryShape)
{
    json::value har = json::parse(Export(storage::ExportFormat::Har));
    const json::object& log = har.at("log").as_object();
    EXPECT_EQ(log.at("version"), "1.2");
    EXPECT_EQ(log.at("creator").at("name"), "dapscope");
    ASSERT_EQ(log.at("entries").as_array().size(), 1u);
    const json::object& entry = log.at("entries").at(0).as_object();

    EXPECT_EQ(entry.at("_resourceType"), "websocket");
    EXPECT_EQ(entry.at("startedDateTime"), "2026-11-27T04:07:20.000000Z");
    EXPECT_EQ(entry.at("time"), 1250);
    const json::object& request = entry.at("request").as_object();
    EXPECT_EQ(request.at("method"), "GET");
    EXPECT_EQ(request.at("url"), "ws://127.0.0.1:5565/task/service?trace=1&v");
    EXPECT_EQ(request.at("httpVersion"), "HTTP/1.1");
    EXPECT_EQ(request.at("queryString"), json::parse(R"([{"name":"trace","value":"1"},{"name":"v","value":""}])"));
    EXPECT_EQ(request.at("cookies"), json::array());
    EXPECT_EQ(request.at("headersSize"), -1);
    EXPECT_EQ(request.at("bodySize"), 0);
    json::array headers = request.at("headers").as_array();
    EXPECT_NE(std::find(headers.begin(), headers.end(),
                        json::value{{"name", "User-Agent"}, {"value", "rocketride-python/1.1.0"}}),
              headers.end());
    EXPECT_NE(std::find(headers.begin(), headers.end(), json::value{{"name", "Host"}, {"value", "127.0.0.1:5565"}}),
              headers.end());
    EXPECT_EQ(entry.at("response"), json::parse(R"({"status":101,"statusText":"Switching Protocols",
        "httpVersion":"HTTP/1.1","headers":[],"cookies":[],"content":{"size":0,"mimeType":""},"redirectURL":"",
        "headersSize":-1,"bodySize":-1})"));
    EXPECT_TRUE(entry.at("timings").at("wait").is_number());
    EXPECT_TRUE(entry.at("cache").is_object());

    // Text as-is, binary as base64, text that is not UTF-8 as base64 with its real opcode under _dapscope.
    const json::array& messages = entry.at("_webSocketMessages").as_array();
    ASSERT_EQ(messages.size(), 4u);
    EXPECT_EQ(messages[0].at("type"), "send");
    EXPECT_EQ(messages[0].at("opcode"), 1);
    EXPECT_EQ(messages[0].at("data"), R"({"type":"request","command":"rrext_ping","seq":1})");
    EXPECT_EQ(messages[1].at("type"), "receive");
    EXPECT_EQ(messages[1].at("time").to_number<double>(), 1795752440.2005); // epoch seconds, to the microsecond
    EXPECT_EQ(messages[2].at("opcode"), 2);
    EXPECT_EQ(messages[2].at("data"), "AAH/");
    EXPECT_EQ(messages[3].at("opcode"), 2);
    EXPECT_EQ(messages[3].at("data"), "/w==");
    EXPECT_EQ(messages[3].at("_dapscope").at("opcode"), "text");

    // dapscope's decoded fields, under _dapscope.
    const json::object& decoded = messages[0].at("_dapscope").as_object();
    EXPECT_EQ(decoded.at("kind"), "request");
    EXPECT_EQ(decoded.at("command"), "rrext_ping");
    EXPECT_EQ(decoded.at("state"), "answered");
    EXPECT_EQ(decoded.at("ts_ns"), 1795752440100000000);
    EXPECT_EQ(messages[1].at("_dapscope").at("latency_ms").to_number<double>(), 100.500999);
    const json::object& session = entry.at("_dapscope").as_object();
    EXPECT_EQ(session.at("client"), "127.0.0.1:50001");
    EXPECT_EQ(session.at("close_code"), 1000);
    EXPECT_EQ(session.at("ended_ns"), 1795752441250000000);

    // Close and pong frames, which Chrome does not list, stay with their position among the messages.
    const json::array& controls = session.at("control_frames").as_array();
    ASSERT_EQ(controls.size(), 2u);
    EXPECT_EQ(controls[0].at("index"), 4);
    EXPECT_EQ(controls[0].at("opcode"), "pong");
    EXPECT_EQ(controls[1].at("index"), 5);
    EXPECT_EQ(controls[1].at("opcode"), "close");
    EXPECT_EQ(controls[1].at("data_b64"), "A+g=");
}

TEST_F(ExportFixture, JsonlLinesAreShowJsonPlusThePayload)
{
    std::vector<json::object> lines = Lines(Export(storage::ExportFormat::Jsonl));
    ASSERT_EQ(lines.size(), 7u);
    storage::TraceReader reader(db);

    auto session = reader.Session(1);
    json::object header = cli::SessionJson(*session);
    header["started_ns"] = 1795752440000000000;
    header["ended_ns"] = 1795752441250000000;
    storage::WriteSessionCapture({session->protocol, session->extensions, session->subprotocol, session->handshake},
                                 header);
    EXPECT_EQ(lines[0].at("type"), "session");
    lines[0].erase("type");
    EXPECT_EQ(lines[0], header);

    auto messages = reader.Messages(1, {}, 0, 100);
    ASSERT_EQ(messages.size(), 6u);
    const char* payloads[] = {"data", "data", "data_b64", "data_b64", "data_b64", "data_b64"};
    for (size_t i = 0; i < messages.size(); ++i)
    {
        json::object& line = lines[i + 1];
        EXPECT_TRUE(line.contains(payloads[i])) << "line " << i + 2;
        EXPECT_EQ(line.erase("data") + line.erase("data_b64"), 1u);
        EXPECT_EQ(line.at("dur_ns"), messages[i].durNs);
        line.erase("dur_ns");
        EXPECT_EQ(line, cli::MessageJson(messages[i])) << "line " << i + 2;
    }
    EXPECT_EQ(Lines(Export(storage::ExportFormat::Jsonl))[4].at("data_b64"), "/w=="); // not UTF-8: base64
}

TEST_F(ExportFixture, FilesAreCreatedPrivateEvenOverAnExistingFile)
{
    std::ofstream(dir.File("old.har")) << "old";
    ::chmod(dir.File("old.har").c_str(), 0644);
    for (const char* name : {"new.har", "old.har"})
    {
        Export(storage::ExportFormat::Har, name);
        struct stat info = {};
        ASSERT_EQ(::stat(dir.File(name).c_str(), &info), 0);
        EXPECT_EQ(info.st_mode & 0777, 0600u) << name;
    }
}

TEST_F(ExportFixture, AnUnknownSessionFailsBeforeAnyFileIsCreated)
{
    storage::TraceReader reader(db);
    EXPECT_THROW(cli::ExportSessions(reader, {1, 7}, storage::ExportFormat::Har, dir.File("x.har")),
                 std::runtime_error);
    EXPECT_FALSE(std::filesystem::exists(dir.File("x.har")));
}

TEST_F(ExportFixture, ProgressReachesTheTotal)
{
    storage::TraceReader reader(db);
    std::vector<std::pair<uint64_t, uint64_t>> calls;
    cli::ExportSessions(reader, {1}, storage::ExportFormat::Jsonl, dir.File("x.jsonl"),
                        [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); });
    ASSERT_FALSE(calls.empty());
    EXPECT_EQ(calls.back(), (std::pair<uint64_t, uint64_t>{6, 6}));
}

TEST(TerminalProgress, DrawsOnATerminalOnlyAndOnlyForLongWork)
{
    int master = -1, slave = -1;
    ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
    int pipeFds[2];
    ASSERT_EQ(::pipe(pipeFds), 0);
    const int savedStderr = ::dup(STDERR_FILENO);

    ::dup2(pipeFds[1], STDERR_FILENO);
    const auto messages = [](uint64_t done, uint64_t total)
    { return cli::Grouped(done) + "/" + cli::Grouped(total) + " messages"; };
    const bool onPipe = static_cast<bool>(cli::TerminalProgress("exporting", messages));
    ::dup2(slave, STDERR_FILENO);
    storage::ProgressFn progress = cli::TerminalProgress("exporting 3 session(s)", messages);
    ASSERT_TRUE(progress);
    progress(10, 50000); // quick work draws nothing
    std::this_thread::sleep_for(350ms);
    progress(12345, 50000);
    progress(50000, 50000);
    ::dup2(savedStderr, STDERR_FILENO);

    EXPECT_FALSE(onPipe);
    // The terminal may hand the drawing over in more than one read: read until it has gone quiet.
    const std::string expected = "\rexporting 3 session(s)  [####----------------] 12,345/50,000 messages"
                                 "\rexporting 3 session(s)  [####################] 50,000/50,000 messages\r\n";
    std::string drawn;
    for (pollfd ready{master, POLLIN, 0}; drawn.size() < expected.size() && ::poll(&ready, 1, 2000) > 0;)
    {
        char chunk[4096];
        ssize_t n = ::read(master, chunk, sizeof chunk);
        if (n <= 0)
            break;
        drawn.append(chunk, static_cast<size_t>(n));
    }
    EXPECT_EQ(drawn, expected);
    for (int fd : {master, slave, pipeFds[0], pipeFds[1], savedStderr})
        ::close(fd);
}

// The commands as users run them: a capture made with an API key (`dapscope demo`), exported and imported.
TEST(ExportCommand, ExportsOfACaptureWithAKeyHoldNoKeyAndAreImportedBack)
{
    const std::string key = "sk-demo-0000-not-a-real-key"; // the key `dapscope demo` authenticates with
    test::TempDir dir;
    const std::string db = dir.File("traces.db");
    test::TestProcess demo({test::BinPath("dapscope"), "demo", "--db", db});
    ASSERT_EQ(Finish(demo), 0) << demo.Output();

    for (const char* name : {"demo.har", "demo.jsonl"}) // the format comes from the extension
    {
        test::TestProcess exporter({test::BinPath("dapscope"), "export", "1", "-o", dir.File(name), "--db", db});
        ASSERT_EQ(Finish(exporter), 0) << name;
        std::string text = ReadAll(dir.File(name));
        EXPECT_NE(text.find("\"auth\""), std::string::npos) << name; // the auth exchange is there...
        EXPECT_NE(text.find("[redacted:"), std::string::npos) << name;
        EXPECT_EQ(text.find(key), std::string::npos) << name; // ...without its key
        struct stat info = {};
        ASSERT_EQ(::stat(dir.File(name).c_str(), &info), 0);
        EXPECT_EQ(info.st_mode & 0777, 0600u);
    }
    test::TestProcess toStdout({test::BinPath("dapscope"), "export", "1", "--format", "jsonl", "--db", db});
    ASSERT_EQ(Finish(toStdout), 0);
    EXPECT_NE(toStdout.Output().find("{\"type\":\"session\""), std::string::npos);
    EXPECT_EQ(toStdout.Output().find(key), std::string::npos);

    test::TestProcess importer({test::BinPath("dapscope"), "import", dir.File("demo.har"), "--db", db});
    ASSERT_EQ(Finish(importer), 0);
    EXPECT_NE(importer.Output().find("imported 1 session(s)"), std::string::npos) << importer.Output();
    EXPECT_NE(importer.Output().find("new session id(s): 2\n"), std::string::npos) << importer.Output();
}

TEST(ExportCommand, BadInputGivesOneLineAndExitCode2)
{
    test::TempDir dir;
    const std::string db = dir.File("traces.db");
    std::ofstream(dir.File("bad.jsonl")) << "{\"dir\":\"c2s\",\"t\":1,\"opcode\":\"text\",\"data\":\"x\"}\n{oops}\n";
    storage::ImportFile(db, kFixtures + "/python-sdk-session.jsonl");

    auto run = [&](const std::string& args)
    {
        test::TestProcess shell({"/bin/sh", "-c", test::BinPath("dapscope") + " " + args + " --db " + db + " 2>&1"});
        std::optional<int> status = Finish(shell);
        return std::pair{status.value_or(-1), shell.Output()};
    };
    EXPECT_EQ(run("import " + dir.File("bad.jsonl")),
              (std::pair{2, "dapscope: " + dir.File("bad.jsonl") + ":2:2: not JSON (syntax error)\n"}));
    EXPECT_EQ(run("export 9 --format har"),
              (std::pair{2, std::string("dapscope: no session 9 in the store (see dapscope sessions)\n")}));
    EXPECT_EQ(run("export 1").first, 2); // no format, no file name to guess it from
    EXPECT_EQ(run("export 1 --format csv").first, 2);
}

// ---- HTTP exchanges and negotiated WebSocket sessions, captured the way the relay hands them to the recorder ----

namespace
{
const std::string kMadeUpKey = "sk-made-up-export-0000"; // a made-up key, sent where the SDKs send theirs
constexpr int64_t kT0 = 1795752440000000000;             // 2026-11-27T04:07:20Z
const std::string kPing = R"({"type":"request","command":"rrext_ping","seq":1})";

capture::TapRecord Record(capture::TapRecord::Type type, uint64_t session, int64_t ms,
                          inspector::Direction dir = inspector::Direction::ClientToServer)
{
    capture::TapRecord r;
    r.type = type;
    r.session = session;
    r.ns = kT0 + ms * 1000000;
    r.dir = dir;
    return r;
}

// The records of one HTTP message: its head, its body (if any) and its end.
void AddHttp(std::vector<capture::TapRecord>& out, uint64_t session, int64_t ms, inspector::Direction dir,
             std::string head, std::string body = {}, bool generated = false)
{
    using T = capture::TapRecord::Type;
    capture::TapRecord h = Record(T::HttpHead, session, ms, dir);
    h.wireBytes = head.size();
    h.head = std::move(head);
    h.generated = generated;
    out.push_back(std::move(h));
    if (!body.empty())
    {
        capture::TapRecord b = Record(T::HttpBody, session, ms + 1, dir);
        b.wireBytes = body.size();
        b.bytes = capture::SharedBytes(std::move(body));
        out.push_back(std::move(b));
    }
    out.push_back(Record(T::HttpEnd, session, ms + 2, dir));
}

// A WebSocket frame with FIN set (masked with a fixed key when `masked`); payloads under 126 bytes.
std::string Frame(uint8_t opcode, std::string_view payload, bool masked)
{
    std::string frame{char(0x80 | opcode), char((masked ? 0x80 : 0) | payload.size())};
    const char key[4] = {0x11, 0x22, 0x33, 0x44};
    if (masked)
        frame.append(key, 4);
    for (size_t i = 0; i < payload.size(); ++i)
        frame += masked ? char(payload[i] ^ key[i % 4]) : payload[i];
    return frame;
}

// Session 1: a keep-alive HTTP connection with five requests (JSON, 404, binary after 100 Continue, a 502 the
// proxy wrote itself, one never answered). Session 2: a WebSocket session that negotiated permessage-deflate.
void WriteHttpStore(const std::string& path)
{
    using inspector::Direction;
    using T = capture::TapRecord::Type;
    const Direction up = Direction::ClientToServer, down = Direction::ServerToClient;
    std::vector<capture::TapRecord> r;
    capture::TapRecord open = Record(T::SessionOpen, 1, 0);
    open.client = "127.0.0.1:50002";
    open.path = "/task";
    open.upstream = "ws://127.0.0.1:5565";
    open.userAgent = "curl/7.88.1";
    open.protocol = "http";
    r.push_back(open);
    r.push_back(Record(T::UpstreamOpen, 1, 1));
    const std::string task = R"({"pipeline":{"name":"demo"},"token":")" + kMadeUpKey + R"("})";
    AddHttp(r, 1, 10, up,
            "POST /task HTTP/1.1\r\nHost: 127.0.0.1:5565\r\nAuthorization: Bearer " + kMadeUpKey +
                "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(task.size()) + "\r\n\r\n",
            task);
    AddHttp(r, 1, 20, down, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            R"({"task":"5d41402a","status":"running"})");
    AddHttp(r, 1, 30, up, "GET /task/data?apikey=" + kMadeUpKey + "&x=1 HTTP/1.1\r\nHost: 127.0.0.1:5565\r\n\r\n");
    AddHttp(r, 1, 40, down, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n",
            "no such task");
    // The 100 Continue is read before the request's body has all arrived.
    capture::TapRecord head = Record(T::HttpHead, 1, 50, up);
    head.head = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1:5565\r\nContent-Type: application/octet-stream\r\n"
                "Expect: 100-continue\r\nContent-Length: 3\r\n\r\n";
    head.wireBytes = head.head.size();
    r.push_back(head);
    AddHttp(r, 1, 51, down, "HTTP/1.1 100 Continue\r\n\r\n");
    capture::TapRecord body = Record(T::HttpBody, 1, 54, up);
    body.bytes = capture::SharedBytes(std::string("\xff\x00\x01", 3));
    body.wireBytes = 3;
    r.push_back(body);
    r.push_back(Record(T::HttpEnd, 1, 55, up));
    AddHttp(r, 1, 60, down, "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 4\r\n\r\n",
            std::string("\x89PNG", 4));
    AddHttp(r, 1, 70, up, "GET /version HTTP/1.1\r\nHost: 127.0.0.1:5565\r\n\r\n");
    AddHttp(r, 1, 80, down,
            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: close\r\n\r\n",
            "engine unreachable\n", true);
    AddHttp(r, 1, 90, up, "GET /status HTTP/1.1\r\nHost: 127.0.0.1:5565\r\n\r\n");
    capture::TapRecord close = Record(T::SessionClose, 1, 100);
    close.closedBy = "client";
    r.push_back(close);

    open.session = 2;
    open.path = "/task/service";
    open.userAgent = "rocketride-typescript/1.1.0";
    r.push_back(open);
    r.push_back(Record(T::UpstreamOpen, 2, 1));
    AddHttp(r, 2, 2, up,
            "GET /task/service HTTP/1.1\r\nHost: 127.0.0.1:5565\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n");
    AddHttp(r, 2, 3, down,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n\r\n");
    const std::string ping = Frame(1, kPing, true);
    capture::TapRecord sent = Record(T::WsBytes, 2, 10, up);
    sent.bytes = capture::SharedBytes(ping);
    sent.wireBytes = ping.size();
    sent.firstHeader = 0;
    r.push_back(sent);
    capture::TapRecord wsClose = Record(T::SessionClose, 2, 20);
    wsClose.closedBy = "client";
    r.push_back(wsClose);

    SQLite::Database db = storage::OpenForWriting(path);
    storage::TraceWriter writer(db);
    storage::Ingestor ingestor(writer, {});
    writer.Begin();
    for (auto& record : r)
        ingestor.Apply(record);
    ingestor.Flush();
    writer.Commit();
}

struct HttpExportFixture : ::testing::Test
{
    test::TempDir dir;
    std::string db = dir.File("traces.db");

    void SetUp() override { WriteHttpStore(db); }

    std::string Export(storage::ExportFormat format, std::vector<int64_t> sessions)
    {
        storage::TraceReader reader(db);
        cli::ExportSessions(reader, sessions, format, dir.File("out"));
        return ReadAll(dir.File("out"));
    }
};

const json::value* Header(const json::value& headers, std::string_view name)
{
    for (const json::value& h : headers.as_array())
        if (h.at("name").as_string() == name)
            return &h.at("value");
    return nullptr;
}
} // namespace

TEST_F(HttpExportFixture, TheStoreHoldsTheExchangesTheTestsExpect)
{
    storage::TraceReader reader(db);
    ASSERT_EQ(reader.Sessions().size(), 2u);
    EXPECT_EQ(reader.Session(1)->protocol, "http");
    EXPECT_EQ(reader.Session(2)->protocol, "websocket");
    EXPECT_EQ(reader.Session(2)->extensions, "permessage-deflate; client_no_context_takeover");
    auto messages = reader.Messages(1, {}, 0, 100);
    ASSERT_EQ(messages.size(), 10u);       // 5 requests, 4 final responses, 1 interim
    EXPECT_EQ(messages[4].method, "POST"); // ids follow first bytes: the request before its 100 Continue
    EXPECT_EQ(messages[5].status, 100);
}

TEST_F(HttpExportFixture, HarHasAnOrdinaryEntryPerHttpExchange)
{
    const std::string text = Export(storage::ExportFormat::Har, {1});
    EXPECT_EQ(text.find(kMadeUpKey), std::string::npos);
    json::value har = json::parse(text);
    const json::array& entries = har.at("log").at("entries").as_array();
    ASSERT_EQ(entries.size(), 5u); // one per request, none for the connection itself
    for (const json::value& entry : entries)
    {
        EXPECT_EQ(entry.at("_resourceType"), "fetch");
        EXPECT_EQ(entry.at("connection"), "1");
        EXPECT_FALSE(entry.as_object().contains("_webSocketMessages"));
        EXPECT_EQ(entry.at("_dapscope").at("protocol"), "http");
        // HAR 1.2: `time` is the sum of the timings, none negative.
        const json::object& t = entry.at("timings").as_object();
        double sum = 0;
        for (const char* phase : {"send", "wait", "receive"})
        {
            EXPECT_GE(t.at(phase).to_number<double>(), 0) << phase;
            sum += t.at(phase).to_number<double>();
        }
        EXPECT_DOUBLE_EQ(entry.at("time").to_number<double>(), sum);
    }

    // POST with a JSON body, answered 200 with a JSON body.
    const json::object& post = entries[0].as_object();
    EXPECT_EQ(post.at("startedDateTime"), "2026-11-27T04:07:20.010000Z");
    const json::object& request = post.at("request").as_object();
    EXPECT_EQ(request.at("method"), "POST");
    EXPECT_EQ(request.at("url"), "http://127.0.0.1:5565/task");
    EXPECT_EQ(request.at("httpVersion"), "HTTP/1.1");
    ASSERT_NE(Header(request.at("headers"), "Authorization"), nullptr);
    EXPECT_TRUE(Header(request.at("headers"), "Authorization")->as_string().starts_with("Bearer [redacted:"));
    EXPECT_EQ(*Header(request.at("headers"), "Host"), "127.0.0.1:5565");
    EXPECT_EQ(request.at("postData").at("mimeType"), "application/json");
    json::value sent = json::parse(request.at("postData").at("text").as_string());
    EXPECT_EQ(sent.at("pipeline").at("name"), "demo");
    EXPECT_TRUE(sent.at("token").as_string().starts_with("[redacted:"));
    const json::object& response = post.at("response").as_object();
    EXPECT_EQ(response.at("status"), 200);
    EXPECT_EQ(response.at("statusText"), "OK");
    EXPECT_EQ(response.at("httpVersion"), "HTTP/1.1");
    EXPECT_EQ(*Header(response.at("headers"), "Transfer-Encoding"), "chunked");
    EXPECT_EQ(response.at("content").at("mimeType"), "application/json");
    EXPECT_EQ(response.at("content").at("text"), R"({"task":"5d41402a","status":"running"})");
    EXPECT_EQ(response.at("content").at("size"), 38);
    EXPECT_FALSE(response.at("content").as_object().contains("encoding"));
    EXPECT_GT(response.at("_transferSize").to_number<int64_t>(), 38);         // the head is on the wire too
    EXPECT_DOUBLE_EQ(post.at("timings").at("wait").to_number<double>(), 8.0); // request's last byte -> response
    EXPECT_EQ(post.at("_dapscope").at("request").at("kind"), "http_request");
    EXPECT_EQ(post.at("_dapscope").at("response").at("status"), 200);
    EXPECT_EQ(post.at("_dapscope").at("response").at("pair_id"), post.at("_dapscope").at("request").at("id"));

    // The query's secret is redacted in the URL and in queryString.
    const json::object& get = entries[1].at("request").as_object();
    EXPECT_TRUE(get.at("url").as_string().starts_with("http://127.0.0.1:5565/task/data?apikey=[redacted:"));
    ASSERT_EQ(get.at("queryString").as_array().size(), 2u);
    EXPECT_EQ(get.at("queryString").at(1), (json::value{{"name", "x"}, {"value", "1"}}));
    EXPECT_FALSE(get.contains("postData"));
    EXPECT_EQ(entries[1].at("response").at("status"), 404);
    EXPECT_EQ(entries[1].at("response").at("statusText"), "Not Found");
    EXPECT_EQ(entries[1].at("response").at("content").at("text"), "no such task");

    // Bytes that are not UTF-8 are base64 both ways; the 100 Continue goes with its request.
    const json::object& binary = entries[2].as_object();
    EXPECT_EQ(binary.at("request").at("postData").at("text"), "/wAB");
    EXPECT_EQ(binary.at("request").at("postData").at("_encoding"), "base64");
    EXPECT_EQ(binary.at("response").at("content").at("text"), "iVBORw==");
    EXPECT_EQ(binary.at("response").at("content").at("encoding"), "base64");
    ASSERT_EQ(binary.at("_dapscope").at("informational").as_array().size(), 1u);
    EXPECT_EQ(binary.at("_dapscope").at("informational").at(0).at("status"), 100);

    // The proxy's own 502 says so; the unanswered request gets Chrome's status 0.
    EXPECT_EQ(entries[3].at("response").at("status"), 502);
    EXPECT_EQ(entries[3].at("_dapscope").at("response").at("generated"), true);
    EXPECT_EQ(entries[4].at("request").at("url"), "http://127.0.0.1:5565/status");
    EXPECT_EQ(entries[4].at("response").at("status"), 0);
    EXPECT_TRUE(entries[4].at("response").at("_error").is_string());
    EXPECT_TRUE(entries[4].at("_dapscope").at("response").is_null());
    EXPECT_EQ(entries[4].at("_dapscope").at("request").at("state"), "unanswered");
}

TEST_F(HttpExportFixture, HarEntriesHaveTheShapeOfChromesOwn)
{
    // Every key Chrome writes on its document entry is on ours, with a value of the same JSON type.
    json::value chrome = json::parse(ReadAll(kFixtures + "/har/chrome-websocket.har"));
    const json::object* document = nullptr;
    for (const json::value& entry : chrome.at("log").at("entries").as_array())
        if (entry.at("_resourceType") == "document")
            document = &entry.as_object();
    ASSERT_NE(document, nullptr);
    json::value har = json::parse(Export(storage::ExportFormat::Har, {1, 2}));
    const json::array& entries = har.at("log").at("entries").as_array();
    ASSERT_EQ(entries.size(), 6u);
    const json::object& ours = entries[0].as_object();
    auto sameShape = [](const json::object& theirs, const json::object& mine, const std::string& where)
    {
        for (const auto& [key, value] : theirs)
        {
            if (key.starts_with("_") || key == "pageref" || key == "serverIPAddress" || key == "compression")
                continue; // Chrome's own extensions and page facts a proxy does not have
            ASSERT_TRUE(mine.contains(key)) << where << key;
            if (value.is_number()) // an integer in one, a double in the other
                EXPECT_TRUE(mine.at(key).is_number()) << where << key;
            else
                EXPECT_EQ(mine.at(key).kind(), value.kind()) << where << key;
        }
    };
    for (const char* part : {"request", "response", "timings"})
        sameShape(document->at(part).as_object(), ours.at(part).as_object(), std::string(part) + ".");
    sameShape(document->at("response").at("content").as_object(), ours.at("response").at("content").as_object(),
              "response.content.");
    sameShape(*document, ours, "");

    // The WebSocket session after them keeps Chrome's WebSocket shape, with the handshake as the store has it.
    const json::object& ws = entries[5].as_object();
    EXPECT_EQ(ws.at("_resourceType"), "websocket");
    EXPECT_EQ(ws.at("connection"), "2");
    EXPECT_EQ(*Header(ws.at("response").at("headers"), "Sec-WebSocket-Extensions"),
              "permessage-deflate; client_no_context_takeover");
    EXPECT_EQ(*Header(ws.at("response").at("headers"), "Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_EQ(*Header(ws.at("request").at("headers"), "Sec-WebSocket-Version"), "13");
    EXPECT_EQ(ws.at("response").at("statusText"), "Switching Protocols");
    const json::array& messages = ws.at("_webSocketMessages").as_array();
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].at("data"), json::value(kPing));
    EXPECT_EQ(messages[0].at("_dapscope").at("size"), kPing.size());
    EXPECT_EQ(messages[0].at("_dapscope").at("wire_size"), kPing.size() + 6); // 2 header bytes, 4 of mask
}

TEST_F(HttpExportFixture, WebSocketEntriesWithoutAStoredHandshakeNameTheNegotiatedExtension)
{
    {
        SQLite::Database writer = storage::OpenForWriting(db);
        writer.exec("UPDATE sessions SET handshake = NULL, subprotocol = 'rocketride.v1' WHERE id = 2");
    }
    json::value har = json::parse(Export(storage::ExportFormat::Har, {2}));
    const json::value& response = har.at("log").at("entries").at(0).at("response");
    EXPECT_EQ(response.at("headers"), json::parse(R"([
        {"name":"Sec-WebSocket-Extensions","value":"permessage-deflate; client_no_context_takeover"},
        {"name":"Sec-WebSocket-Protocol","value":"rocketride.v1"}])"));
}

TEST_F(HttpExportFixture, JsonlHasEveryHttpMessageWithItsHeadAndBody)
{
    const std::string text = Export(storage::ExportFormat::Jsonl, {1});
    EXPECT_EQ(text.find(kMadeUpKey), std::string::npos);
    std::vector<json::object> lines = Lines(text);
    ASSERT_EQ(lines.size(), 11u);
    EXPECT_EQ(lines[0].at("protocol"), "http");
    EXPECT_EQ(lines[1].at("kind"), "http_request");
    EXPECT_EQ(lines[1].at("method"), "POST");
    EXPECT_NE(std::string_view(lines[1].at("headers").as_string()).find("Authorization: Bearer [redacted:"),
              std::string_view::npos);
    EXPECT_TRUE(json::parse(lines[1].at("data").as_string()).at("token").as_string().starts_with("[redacted:"));
    EXPECT_EQ(lines[2].at("status"), 200);
    EXPECT_EQ(lines[2].at("data"), R"({"task":"5d41402a","status":"running"})");
    EXPECT_EQ(lines[7].at("data_b64"), "iVBORw=="); // not UTF-8
}
