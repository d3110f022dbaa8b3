#include "Export.hpp"

#include "ExportEncoding.hpp"

#include <SQLiteCpp/Transaction.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace dapscope::storage
{

namespace json = boost::json;

namespace
{
constexpr int64_t kPageSize = 1000;      // messages read per query
constexpr size_t kFlushBytes = 1u << 20; // output buffered before each write(2)

// The export file: created 0600 (or stdout for "-"), written through a buffer, removed if the export fails.
class Output
{
  public:
    explicit Output(const std::string& path) : m_path(path == "-" ? "" : path)
    {
        if (m_path.empty())
        {
            m_fd = STDOUT_FILENO;
            return;
        }
        m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (m_fd < 0)
            Fail("cannot create");
        // An existing file keeps its mode through O_CREAT: exports hold traffic, so make it private too.
        struct stat info = {};
        if (::fstat(m_fd, &info) == 0 && S_ISREG(info.st_mode))
        {
            m_regular = true;
            ::fchmod(m_fd, 0600);
        }
    }
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    ~Output()
    {
        if (m_path.empty())
            return;
        ::close(m_fd);
        if (!m_finished && m_regular)
            ::unlink(m_path.c_str());
    }

    void Write(std::string_view text)
    {
        m_buffer += text;
        if (m_buffer.size() >= kFlushBytes)
            Flush();
    }

    // Everything is written: the file stays.
    void Finish()
    {
        Flush();
        m_finished = true;
    }

  private:
    void Flush()
    {
        for (size_t done = 0; done < m_buffer.size();)
        {
            ssize_t n = ::write(m_fd, m_buffer.data() + done, m_buffer.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                Fail("cannot write");
            done += static_cast<size_t>(n);
        }
        m_buffer.clear();
    }

    [[noreturn]] void Fail(const char* what) const
    {
        throw std::runtime_error((m_path.empty() ? "stdout" : m_path) + ": " + what + " (" + std::strerror(errno) +
                                 ")");
    }

    std::string m_path;      // "" for stdout
    int m_fd = -1;           // the open file
    bool m_regular = false;  // a regular file (removed again if the export fails)
    bool m_finished = false; // Finish() ran
    std::string m_buffer;    // bytes not written yet
};

// `text` as a JSON string (control characters escaped).
std::string Quoted(std::string_view text)
{
    return json::serialize(json::string_view(text.data(), text.size()));
}

bool IsTextPayload(const MessageSummary& m, std::string_view data)
{
    return m.opcode == inspector::Opcode::Text && IsUtf8Text(data);
}

// The session's JSON plus the exact times import restores.
json::object SessionRecord(const ExportSpec& spec, const SessionSummary& s)
{
    json::object o = spec.sessionJson(s);
    o["started_ns"] = s.startedNs;
    o["ended_ns"] = s.endedNs ? json::value(*s.endedNs) : json::value(nullptr);
    return o;
}

// The message's JSON plus its duration (import restores both).
json::object MessageFields(const ExportSpec& spec, const MessageSummary& m)
{
    json::object o = spec.messageJson(m);
    o["dur_ns"] = m.durNs;
    return o;
}

// A JSONL message line (and a HAR control frame): the message's fields and its bytes.
json::object MessageRecord(const ExportSpec& spec, const MessageSummary& m, std::string_view data)
{
    json::object o = MessageFields(spec, m);
    if (IsTextPayload(m, data))
        o["data"] = data;
    else
        o["data_b64"] = Base64Encode(data);
    return o;
}

class Exporter
{
  public:
    virtual ~Exporter() = default;
    virtual void Session(const SessionSummary& s) = 0; // a session begins
    virtual void Message(const MessageSummary& m, std::string_view data) = 0;
    virtual void EndSession() {}
    virtual void End() {}
};

class JsonlExporter : public Exporter
{
  public:
    JsonlExporter(Output& out, const ExportSpec& spec) : m_out(out), m_spec(spec) {}

    void Session(const SessionSummary& s) override
    {
        json::object header{{"type", "session"}};
        json::object record = SessionRecord(m_spec, s);
        header.insert(record.begin(), record.end());
        WriteLine(header);
    }
    void Message(const MessageSummary& m, std::string_view data) override { WriteLine(MessageRecord(m_spec, m, data)); }

  private:
    void WriteLine(const json::object& o)
    {
        m_out.Write(json::serialize(o));
        m_out.Write("\n");
    }

    Output& m_out;
    const ExportSpec& m_spec;
};

// HAR 1.2 in the shape Chrome DevTools writes for a WebSocket, one line per entry head and per message.
class HarExporter : public Exporter
{
  public:
    HarExporter(Output& out, const ExportSpec& spec) : m_out(out), m_spec(spec)
    {
        json::object creator{{"name", "dapscope"}, {"version", DAPSCOPE_VERSION}};
        m_out.Write("{\"log\":{\"version\":\"1.2\",\"creator\":" + json::serialize(creator) + ",\"entries\":[");
    }

    void Session(const SessionSummary& s) override
    {
        m_extra = SessionRecord(m_spec, s);
        m_controls.clear();
        m_index = 0;
        m_firstMessage = true;
        // Messages are streamed: the entry is written without its closing brace, then its message list.
        std::string head = json::serialize(Entry(s, m_extra));
        head.pop_back();
        m_out.Write((m_firstEntry ? "\n" : ",\n") + head + ",\"_webSocketMessages\":[");
        m_firstEntry = false;
    }

    void Message(const MessageSummary& m, std::string_view data) override
    {
        using inspector::Opcode;
        if (m.opcode != Opcode::Text && m.opcode != Opcode::Binary)
        {
            json::object frame = MessageRecord(m_spec, m, data);
            frame["index"] = m_index++;
            m_controls.push_back(std::move(frame));
            return;
        }
        ++m_index;
        bool text = IsTextPayload(m, data);
        std::string line = m_firstMessage ? "\n" : ",\n";
        line += m.dir == inspector::Direction::ClientToServer ? "{\"type\":\"send\"" : "{\"type\":\"receive\"";
        line += ",\"time\":" + EpochSeconds(m.tsNs);
        line +=
            text ? ",\"opcode\":1,\"data\":" + Quoted(data) : ",\"opcode\":2,\"data\":" + Quoted(Base64Encode(data));
        line += ",\"_dapscope\":" + json::serialize(MessageFields(m_spec, m)) + "}";
        m_out.Write(line);
        m_firstMessage = false;
    }

    void EndSession() override
    {
        m_extra["control_frames"] = std::move(m_controls);
        m_out.Write("\n],\"_dapscope\":" + json::serialize(m_extra) + "}");
    }

    void End() override { m_out.Write("\n]}}\n"); }

  private:
    static json::object Entry(const SessionSummary& s, const json::object& session)
    {
        // Always a URL, even for sessions imported without an upstream (`_dapscope` keeps the exact values).
        const size_t scheme = s.upstream.find("://");
        const std::string host = scheme != std::string::npos ? s.upstream.substr(scheme + 3)
                                 : s.upstream.empty()        ? "unknown"
                                                             : s.upstream;
        const std::string upstream = scheme != std::string::npos ? s.upstream : "ws://" + host;
        const std::string path = s.path.starts_with('/') ? s.path : "/" + s.path;
        json::array headers{json::object{{"name", "Host"}, {"value", host}},
                            json::object{{"name", "Upgrade"}, {"value", "websocket"}},
                            json::object{{"name", "Connection"}, {"value", "Upgrade"}}};
        if (!s.userAgent.empty())
            headers.push_back(json::object{{"name", "User-Agent"}, {"value", s.userAgent}});
        json::array query;
        for (size_t pos = path.find('?'); pos != std::string::npos;)
        {
            size_t end = path.find('&', pos + 1);
            std::string param = path.substr(pos + 1, end == std::string::npos ? end : end - pos - 1);
            size_t equals = param.find('=');
            query.push_back(json::object{{"name", param.substr(0, equals)},
                                         {"value", equals == std::string::npos ? "" : param.substr(equals + 1)}});
            pos = end;
        }
        json::object request{{"method", "GET"},    {"url", upstream + path}, {"httpVersion", "HTTP/1.1"},
                             {"headers", headers}, {"queryString", query},   {"cookies", json::array()},
                             {"headersSize", -1},  {"bodySize", 0}};
        json::object response{{"status", 101},
                              {"statusText", "Switching Protocols"},
                              {"httpVersion", "HTTP/1.1"},
                              {"headers", json::array()},
                              {"cookies", json::array()},
                              {"content", json::object{{"size", 0}, {"mimeType", ""}}},
                              {"redirectURL", ""},
                              {"headersSize", -1},
                              {"bodySize", -1}};
        json::object timings{{"blocked", -1}, {"dns", -1}, {"ssl", -1},   {"connect", -1},
                             {"send", 0},     {"wait", 0}, {"receive", 0}};
        return {{"startedDateTime", session.at("started")},
                {"time", s.endedNs ? (*s.endedNs - s.startedNs) / 1000000 : 0},
                {"request", request},
                {"response", response},
                {"cache", json::object()},
                {"timings", timings},
                {"_resourceType", "websocket"}};
    }

    Output& m_out;
    const ExportSpec& m_spec;
    bool m_firstEntry = true;   // no comma before the first entry
    bool m_firstMessage = true; // no comma before the session's first message
    int64_t m_index = 0;        // position of the next message in its session (control frames included)
    json::object m_extra;       // the session's `_dapscope`, written after its messages
    json::array m_controls;     // the session's close/ping/pong frames, for `_dapscope.control_frames`
};

std::string Grouped(uint64_t n)
{
    std::string digits = std::to_string(n);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
        digits.insert(static_cast<size_t>(i), ",");
    return digits;
}
} // namespace

std::optional<ExportFormat> ParseExportFormat(std::string_view name)
{
    if (name == "har")
        return ExportFormat::Har;
    if (name == "jsonl")
        return ExportFormat::Jsonl;
    return std::nullopt;
}

void ExportSessions(TraceReader& reader, const std::vector<int64_t>& ids, const ExportSpec& spec,
                    const std::string& path)
{
    // One read transaction: the export is a consistent snapshot even while a capture writes, and SQLite takes
    // its locks once instead of for every statement.
    //SQLite::Transaction snapshot(reader.Db());
    std::vector<SessionSummary> sessions;
    uint64_t total = 0;
    for (int64_t id : ids)
    {
        std::optional<SessionSummary> session = reader.Session(id);
        if (!session)
            throw std::runtime_error("no session " + std::to_string(id) + " in the store (see dapscope sessions)");
        total += static_cast<uint64_t>(session->messages);
        sessions.push_back(std::move(*session));
    }

    Output out(path);
    std::unique_ptr<Exporter> exporter;
    if (spec.format == ExportFormat::Har)
        exporter = std::make_unique<HarExporter>(out, spec);
    else
        exporter = std::make_unique<JsonlExporter>(out, spec);
    uint64_t done = 0;
    for (const SessionSummary& session : sessions)
    {
        exporter->Session(session);
        for (int64_t after = 0;;)
        {
            std::vector<MessageSummary> page = reader.Messages(session.id, {}, after, kPageSize);
            if (page.empty())
                break;
            for (const MessageSummary& m : page)
                exporter->Message(m, reader.MessageData(m.id));
            after = page.back().id;
            done += page.size();
            if (spec.progress)
                spec.progress(done, std::max(done, total)); // a live session may have grown since
        }
        exporter->EndSession();
    }
    exporter->End();
    out.Finish();
    if (spec.progress)
        spec.progress(done, done);
}

ProgressFn TerminalProgress(std::string label)
{
    if (!::isatty(STDERR_FILENO))
        return {};
    using Clock = std::chrono::steady_clock;
    // Drawing state, shared by the copies of the returned function.
    struct Bar
    {
        std::string label; // "exporting 3 sessions"
        Clock::time_point start = Clock::now();
        Clock::time_point drawn; // last redraw
        bool visible = false;    // something was drawn
        bool complete = false;   // the last line was drawn and ended
        ~Bar()
        {
            if (visible && !complete)
                std::fputc('\n', stderr); // interrupted: later messages start on a line of their own
        }
    };
    auto bar = std::make_shared<Bar>();
    bar->label = std::move(label);
    return [bar](uint64_t done, uint64_t total)
    {
        using namespace std::chrono_literals;
        Clock::time_point now = Clock::now();
        bool last = done >= total;
        // Quick work shows nothing; then redraw at most 10 times a second, and always the final state.
        if ((!bar->visible && now - bar->start < 300ms) || (!last && now - bar->drawn < 100ms) || bar->complete)
            return;
        constexpr int kWidth = 20;
        int filled = total ? static_cast<int>(kWidth * std::min(done, total) / total) : kWidth;
        std::fprintf(stderr, "\r%s  [%s%s] %s/%s messages%s", bar->label.c_str(), std::string(filled, '#').c_str(),
                     std::string(kWidth - filled, '-').c_str(), Grouped(done).c_str(), Grouped(total).c_str(),
                     last ? "\n" : "");
        std::fflush(stderr);
        bar->drawn = now;
        bar->visible = true;
        bar->complete = last;
    };
}

} // namespace dapscope::storage
