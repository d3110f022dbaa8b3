#include "Export.hpp"

#include "CaptureFields.hpp"
#include "ExportEncoding.hpp"
#include "ExportFile.hpp"
#include "dapscope/Version.hpp"

#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <stdexcept>

namespace dapscope::storage
{

namespace json = boost::json;

namespace
{
constexpr int64_t kPageSize = 1000; // messages read per query

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
bool IsHttp(inspector::Kind kind)
{
    return kind == inspector::Kind::HttpRequest || kind == inspector::Kind::HttpResponse;
}

// The session's JSON, with what import needs to restore it exactly (CaptureFields.hpp).
json::object SessionRecord(const ExportSpec& spec, const SessionSummary& s)
{
    json::object o = spec.sessionJson(s);
    o["started_ns"] = s.startedNs;
    o["ended_ns"] = s.endedNs ? json::value(*s.endedNs) : json::value(nullptr);
    WriteSessionCapture({s.protocol, s.extensions, s.subprotocol, s.handshake, s.rules}, o);
    return o;
}

// The message's JSON, with what import needs to restore it exactly: sizes, flags, times, HTTP head.
json::object MessageFields(const ExportSpec& spec, const MessageSummary& m)
{
    json::object o = spec.messageJson(m);
    MessageCapture capture;
    capture.tsNs = m.tsNs;
    capture.durNs = m.durNs;
    capture.size = static_cast<uint64_t>(m.size);
    if (m.wireSize)
        capture.wireSize = static_cast<uint64_t>(*m.wireSize);
    capture.truncated = (m.flags & 1) != 0;
    capture.elided = (m.flags & 2) != 0;
    capture.redacted = (m.flags & 4) != 0;
    capture.generated = (m.flags & 8) != 0;
    if (!m.action.empty())
    {
        capture.rule = m.rule;
        capture.action = m.action;
        capture.outcome = (m.flags & 16)   ? "dropped"
                          : (m.flags & 32) ? "replaced"
                          : (m.flags & 64) ? "rewritten"
                          : (m.flags & 8)  ? "synthesized"
                                           : "forwarded";
    }
    if (IsHttp(m.kind))
    {
        capture.kind = std::string(inspector::ToString(m.kind));
        capture.headers = m.headers;
    }
    WriteMessageCapture(capture, o);
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
    JsonlExporter(ExportFile& out, const ExportSpec& spec) : m_out(out), m_spec(spec) {}

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

    ExportFile& m_out;
    const ExportSpec& m_spec;
};

// Milliseconds, the unit of HAR times.
double Ms(int64_t ns)
{
    return static_cast<double>(ns) / 1e6;
}

// The name/value list of HAR for the arguments of a path's query (as written, not decoded).
json::array QueryString(std::string_view path)
{
    json::array query;
    for (size_t pos = path.find('?'); pos != std::string_view::npos;)
    {
        size_t end = path.find('&', pos + 1);
        std::string_view param = path.substr(pos + 1, end == std::string_view::npos ? end : end - pos - 1);
        size_t equals = param.find('=');
        query.push_back(json::object{{"name", param.substr(0, equals)},
                                     {"value", equals == std::string_view::npos ? "" : param.substr(equals + 1)}});
        pos = end;
    }
    return query;
}

json::array HarHeaders(const HeadFields& head)
{
    json::array headers;
    for (const auto& [name, value] : head.headers)
        headers.push_back(json::object{{"name", name}, {"value", value}});
    return headers;
}

// Word `index` (0-based) of a start line; the rest of the line from there on when `rest`.
std::string StartLineWord(std::string_view line, size_t index, bool rest = false)
{
    for (size_t i = 0; i < index; ++i)
    {
        size_t space = line.find(' ');
        if (space == std::string_view::npos)
            return "";
        line.remove_prefix(space + 1);
    }
    return std::string(rest ? line : line.substr(0, line.find(' ')));
}

// "http[s]://host:port" for the HTTP exchanges of a session with this engine address (ws[s]:// or http[s]://).
std::string HttpOrigin(std::string_view upstream)
{
    size_t scheme = upstream.find("://");
    std::string_view name = scheme == std::string_view::npos ? "" : upstream.substr(0, scheme);
    std::string_view host = scheme == std::string_view::npos ? upstream : upstream.substr(scheme + 3);
    host = host.substr(0, host.find('/'));
    return std::string(name == "wss" || name == "https" ? "https://" : "http://") +
           std::string(host.empty() ? "unknown" : host);
}

// A body as a HAR text: as-is when it is UTF-8, else base64 (then `encoding` is set).
void PutBody(json::object& o, std::string_view data, std::string_view encodingKey)
{
    if (IsUtf8Text(data))
        o["text"] = data;
    else
    {
        o["text"] = Base64Encode(data);
        o[encodingKey] = "base64";
    }
}

// HAR 1.2 in the shape Chrome DevTools writes. A WebSocket session is one entry with its messages in
// `_webSocketMessages` (streamed: one line per entry head and per message); each HTTP exchange (a request and its
// response) is an entry of its own, written once its response has been read.
class HarExporter : public Exporter
{
  public:
    HarExporter(ExportFile& out, const ExportSpec& spec) : m_out(out), m_spec(spec)
    {
        json::object creator{{"name", "dapscope"}, {"version", kVersion}};
        m_out.Write("{\"log\":{\"version\":\"1.2\",\"creator\":" + json::serialize(creator) + ",\"entries\":[");
    }

    void Session(const SessionSummary& s) override
    {
        m_session = s;
        m_record = SessionRecord(m_spec, s);
        m_controls.clear();
        m_exchanges.clear();
        m_index = 0;
        m_entryOpen = false;
        m_firstMessage = true;
    }

    void Message(const MessageSummary& m, std::string_view data) override
    {
        using inspector::Opcode;
        if (IsHttp(m.kind))
        {
            HttpMessage(m, data);
            return;
        }
        OpenWebSocketEntry();
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
        // A WebSocket session has its entry even without messages; a plain HTTP connection has only its exchanges.
        if (m_session.protocol != "http" || m_entryOpen)
        {
            OpenWebSocketEntry();
            json::object extra = m_record;
            extra["control_frames"] = std::move(m_controls);
            m_out.Write("\n],\"_dapscope\":" + json::serialize(extra) + "}");
            m_entryOpen = false;
        }
        WriteExchanges(true);
    }

    void End() override { m_out.Write("\n]}}\n"); }

  private:
    // One HTTP exchange on its way to the file.
    struct Exchange
    {
        std::optional<MessageSummary> request; // nullopt: a response to no request (an orphan)
        std::string requestBody;
        std::optional<MessageSummary> response; // nullopt: not answered (yet)
        std::string responseBody;
        json::array informational; // interim 1xx responses (100 Continue) before the final one
    };

    void BeginEntry()
    {
        m_out.Write(m_firstEntry ? "\n" : ",\n");
        m_firstEntry = false;
    }

    void OpenWebSocketEntry()
    {
        if (m_entryOpen)
            return;
        // Messages are streamed: the entry is written without its closing brace, then its message list.
        std::string head = json::serialize(WebSocketEntry(m_session, m_record));
        head.pop_back();
        BeginEntry();
        m_out.Write(head + ",\"_webSocketMessages\":[");
        m_entryOpen = true;
    }

    void HttpMessage(const MessageSummary& m, std::string_view data)
    {
        if (m.kind == inspector::Kind::HttpRequest)
            m_exchanges.push_back(Exchange{m, std::string(data), std::nullopt, {}, {}});
        else if (Exchange* exchange = ExchangeOf(m))
        {
            if (m.pairId)
            {
                exchange->response = m;
                exchange->responseBody = data;
            }
            else
                exchange->informational.push_back(MessageRecord(m_spec, m, data));
        }
        else
            m_exchanges.push_back(Exchange{std::nullopt, {}, m, std::string(data), {}}); // answers no request
        WriteExchanges(false);
    }

    // The exchange a response belongs to: its request's, or for an interim one (100 Continue, which has no pair)
    // the oldest unanswered request's. nullptr when there is none.
    Exchange* ExchangeOf(const MessageSummary& response)
    {
        const bool interim = !response.pairId && response.status && *response.status >= 100 && *response.status < 200;
        for (Exchange& e : m_exchanges)
            if (e.request && !e.response && (interim || (response.pairId && e.request->id == *response.pairId)))
                return &e;
        return nullptr;
    }

    // Write the exchanges that are complete, in request order; all of them when `all` (the session ended).
    void WriteExchanges(bool all)
    {
        if (m_entryOpen)
            return; // inside the WebSocket entry's message list: after it
        while (!m_exchanges.empty() && (all || m_exchanges.front().response))
        {
            BeginEntry();
            m_out.Write(json::serialize(HttpEntry(m_exchanges.front())));
            m_exchanges.pop_front();
        }
    }

    json::object HttpEntry(const Exchange& e) const
    {
        const MessageSummary* q = e.request ? &*e.request : nullptr;
        const MessageSummary* r = e.response ? &*e.response : nullptr;
        const std::string origin = HttpOrigin(m_session.upstream);
        // HAR wants send, wait and receive (ms); `time` is their sum.
        const double send = q ? Ms(q->durNs) : 0;
        const std::optional<int64_t> latency = q && q->latencyNs ? q->latencyNs : r ? r->latencyNs : std::nullopt;
        const double wait = r && latency ? std::max(0.0, Ms(*latency)) : 0;
        const double receive = r ? Ms(r->durNs) : 0;
        json::object timings{{"blocked", -1}, {"dns", -1},    {"ssl", -1},         {"connect", -1},
                             {"send", send},  {"wait", wait}, {"receive", receive}};

        json::object extra = m_record;
        extra["request"] = q ? json::value(MessageFields(m_spec, *q)) : json::value(nullptr);
        extra["response"] = r ? json::value(MessageFields(m_spec, *r)) : json::value(nullptr);
        if (!e.informational.empty())
            extra["informational"] = e.informational;
        return {{"startedDateTime", FormatIsoTime(q ? q->tsNs : r->tsNs)},
                {"time", send + wait + receive},
                {"request", q ? HarRequest(*q, e.requestBody, origin) : OrphanRequest(*r, origin)},
                {"response", r ? HarResponse(*r, e.responseBody) : NoResponse(*q)},
                {"cache", json::object()},
                {"timings", timings},
                {"connection", std::to_string(m_session.id)},
                {"_resourceType", "fetch"},
                {"_dapscope", extra}};
    }

    static json::object HarRequest(const MessageSummary& m, std::string_view body, const std::string& origin)
    {
        const HeadFields head = ReadHead(m.headers);
        const std::string target = m.path.empty() ? "/" : m.path;
        const std::string url = target.find("://") != std::string::npos ? target
                                : target.starts_with('/')               ? origin + target
                                                                        : origin + "/" + target;
        json::object request{{"method", m.method},
                             {"url", url},
                             {"httpVersion", StartLineWord(head.startLine, 2)},
                             {"headers", HarHeaders(head)},
                             {"queryString", QueryString(target)},
                             {"cookies", json::array()}, // the Cookie header's value is redacted
                             {"headersSize", -1},
                             {"bodySize", m.size}};
        if (!body.empty() || m.size > 0)
        {
            const std::string* type = head.Find("Content-Type");
            json::object post{{"mimeType", type ? *type : ""}};
            PutBody(post, body, "_encoding"); // HAR's postData has no encoding of its own
            request["postData"] = std::move(post);
        }
        return request;
    }

    static json::object HarResponse(const MessageSummary& m, std::string_view body)
    {
        const HeadFields head = ReadHead(m.headers);
        const std::string* type = head.Find("Content-Type");
        const std::string* location = head.Find("Location");
        json::object content{{"size", m.size}, {"mimeType", type ? *type : "x-unknown"}};
        if (!body.empty())
            PutBody(content, body, "encoding");
        json::object response{{"status", m.status.value_or(0)},
                              {"statusText", StartLineWord(head.startLine, 2, true)},
                              {"httpVersion", StartLineWord(head.startLine, 0)},
                              {"headers", HarHeaders(head)},
                              {"cookies", json::array()}, // Set-Cookie values are redacted
                              {"content", content},
                              {"redirectURL", location ? *location : ""},
                              {"headersSize", -1},
                              {"bodySize", m.size}};
        if (m.wireSize)
            response["_transferSize"] = *m.wireSize;
        return response;
    }

    // What Chrome writes for a request that got no response: status 0 and an error.
    static json::object NoResponse(const MessageSummary& request)
    {
        const bool pending = request.state == inspector::ExchangeState::Pending;
        return {{"status", 0},
                {"statusText", ""},
                {"httpVersion", ""},
                {"headers", json::array()},
                {"cookies", json::array()},
                {"content", json::object{{"size", 0}, {"mimeType", "x-unknown"}}},
                {"redirectURL", ""},
                {"headersSize", -1},
                {"bodySize", -1},
                {"_error", pending ? "no response yet" : "no response (the connection ended first)"}};
    }

    // The request of a response that answers none: unknown but for its origin.
    static json::object OrphanRequest(const MessageSummary& response, const std::string& origin)
    {
        return {{"method", ""},
                {"url", origin + "/"},
                {"httpVersion", StartLineWord(ReadHead(response.headers).startLine, 0)},
                {"headers", json::array()},
                {"queryString", json::array()},
                {"cookies", json::array()},
                {"headersSize", -1},
                {"bodySize", -1}};
    }

    static json::object WebSocketEntry(const SessionSummary& s, const json::object& session)
    {
        // Always a URL, even for sessions imported without an upstream (`_dapscope` keeps the exact values).
        const size_t scheme = s.upstream.find("://");
        const std::string host = scheme != std::string::npos ? s.upstream.substr(scheme + 3)
                                 : s.upstream.empty()        ? "unknown"
                                                             : s.upstream;
        const std::string upstream = scheme != std::string::npos ? s.upstream : "ws://" + host;
        const std::string path = s.path.starts_with('/') ? s.path : "/" + s.path;
        json::array requestHeaders, responseHeaders;
        std::string requestVersion = "HTTP/1.1", responseVersion = "HTTP/1.1", statusText = "Switching Protocols";
        const std::vector<std::string_view> heads = SplitHeads(s.handshake);
        if (heads.size() >= 2)
        {
            // The upgrade request as sent to the engine and its 101, as the store has them (secrets redacted).
            const HeadFields upgrade = ReadHead(heads[0]), accepted = ReadHead(heads[1]);
            requestHeaders = HarHeaders(upgrade);
            responseHeaders = HarHeaders(accepted);
            requestVersion = StartLineWord(upgrade.startLine, 2);
            responseVersion = StartLineWord(accepted.startLine, 0);
            statusText = StartLineWord(accepted.startLine, 2, true);
        }
        else
        {
            requestHeaders = {json::object{{"name", "Host"}, {"value", host}},
                              json::object{{"name", "Upgrade"}, {"value", "websocket"}},
                              json::object{{"name", "Connection"}, {"value", "Upgrade"}}};
            if (!s.userAgent.empty())
                requestHeaders.push_back(json::object{{"name", "User-Agent"}, {"value", s.userAgent}});
            // What was negotiated, when known without the heads.
            if (s.extensions && !s.extensions->empty())
                responseHeaders.push_back(json::object{{"name", "Sec-WebSocket-Extensions"}, {"value", *s.extensions}});
            if (s.subprotocol)
                responseHeaders.push_back(json::object{{"name", "Sec-WebSocket-Protocol"}, {"value", *s.subprotocol}});
        }
        json::object request{{"method", "GET"},
                             {"url", upstream + path},
                             {"httpVersion", requestVersion},
                             {"headers", requestHeaders},
                             {"queryString", QueryString(path)},
                             {"cookies", json::array()},
                             {"headersSize", -1},
                             {"bodySize", 0}};
        json::object response{{"status", 101},
                              {"statusText", statusText},
                              {"httpVersion", responseVersion},
                              {"headers", responseHeaders},
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
                {"connection", std::to_string(s.id)},
                {"_resourceType", "websocket"}};
    }

    ExportFile& m_out;
    const ExportSpec& m_spec;
    bool m_firstEntry = true;         // no comma before the first entry
    bool m_firstMessage = true;       // no comma before the session's first WebSocket message
    bool m_entryOpen = false;         // the session's WebSocket entry is written up to its message list
    int64_t m_index = 0;              // position of the next message in the WebSocket entry (control frames included)
    SessionSummary m_session;         // the session being written
    json::object m_record;            // its JSON, the `_dapscope` of its entries
    json::array m_controls;           // its close/ping/pong frames, for the WebSocket entry's `control_frames`
    std::deque<Exchange> m_exchanges; // its HTTP exchanges not written yet, in request order
};
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
    SQLite::Transaction snapshot(reader.Db());
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

    ExportFile out(path);
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

} // namespace dapscope::storage
