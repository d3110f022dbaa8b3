// Export: the HAR readers expect (Chrome's WebSocket entries), JSONL with the keys of `show --json`, private
// files, no secrets, the progress bar, and the `export` / `import` commands as users run them.

#include "storage/Export.hpp"
#include "cli/Format.hpp"
#include "storage/Import.hpp"
#include "support/TestProcess.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
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

    json::object header = cli::SessionJson(*reader.Session(1));
    header["started_ns"] = 1795752440000000000;
    header["ended_ns"] = 1795752441250000000;
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
    const bool onPipe = static_cast<bool>(storage::TerminalProgress("exporting"));
    ::dup2(slave, STDERR_FILENO);
    storage::ProgressFn progress = storage::TerminalProgress("exporting 3 session(s)");
    ASSERT_TRUE(progress);
    progress(10, 50000); // quick work draws nothing
    std::this_thread::sleep_for(350ms);
    progress(12345, 50000);
    progress(50000, 50000);
    ::dup2(savedStderr, STDERR_FILENO);

    EXPECT_FALSE(onPipe);
    ::fcntl(master, F_SETFL, O_NONBLOCK);
    std::string drawn(4096, '\0');
    ssize_t n = ::read(master, drawn.data(), drawn.size());
    drawn.resize(n > 0 ? static_cast<size_t>(n) : 0);
    EXPECT_EQ(drawn, "\rexporting 3 session(s)  [####----------------] 12,345/50,000 messages"
                     "\rexporting 3 session(s)  [####################] 50,000/50,000 messages\r\n");
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
