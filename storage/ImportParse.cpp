#include "ImportParse.hpp"

#include "CaptureFields.hpp"
#include "ExportEncoding.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <cctype>
#include <utility>

namespace dapscope::storage
{

namespace json = boost::json;
using inspector::Direction;
using inspector::Opcode;

namespace
{
// Chrome nests async initiator stacks deeply; payloads are strings, so nesting never grows with the traffic.
constexpr unsigned kMaxDepth = 200;

// A value of the wrong shape; `path` ("._webSocketMessages[4]") is filled in as the error leaves each level.
struct ShapeError : std::runtime_error
{
    explicit ShapeError(const std::string& what) : std::runtime_error(what) {}
    std::string path;
};

[[noreturn]] void Bad(const std::string& what)
{
    throw ShapeError(what);
}

// Run `read` with `step` put in front of the path of any ShapeError it throws.
template <class F> decltype(auto) Within(const std::string& step, F&& read)
{
    try
    {
        return read();
    }
    catch (ShapeError& e)
    {
        e.path.insert(0, step);
        throw;
    }
}

std::string Index(std::string_view member, size_t index)
{
    return std::string(member) + "[" + std::to_string(index) + "]";
}

// "log.entries[2]._dapscope: " (the leading dot of a path is dropped), or "" at the top.
std::string Where(const std::string& path)
{
    return path.empty() ? "" : (path[0] == '.' ? path.substr(1) : path) + ": ";
}

// ---- Field access: absent and null read the same; any other type is a shape error naming the field. ----

const json::value* Find(const json::object& o, std::string_view key)
{
    const json::value* v = o.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
}

std::string Quoted(std::string_view key)
{
    return "\"" + std::string(key) + "\"";
}

const json::object& AsObject(const json::value& v)
{
    if (!v.is_object())
        Bad("expected a JSON object");
    return v.get_object();
}

const json::array& ArrayField(const json::object& o, std::string_view key)
{
    static const json::array kEmpty;
    const json::value* v = Find(o, key);
    if (v && !v->is_array())
        Bad(Quoted(key) + " must be an array");
    return v ? v->get_array() : kEmpty;
}

const json::object& ObjectField(const json::object& o, std::string_view key)
{
    const json::value* v = Find(o, key);
    if (!v || !v->is_object())
        Bad(Quoted(key) + " must be an object");
    return v->get_object();
}

std::optional<std::string> String(const json::object& o, std::string_view key)
{
    const json::value* v = Find(o, key);
    if (!v)
        return std::nullopt;
    if (!v->is_string())
        Bad(Quoted(key) + " must be a string");
    return std::string(v->get_string());
}

std::optional<int64_t> Integer(const json::object& o, std::string_view key)
{
    const json::value* v = Find(o, key);
    if (!v)
        return std::nullopt;
    if (v->is_int64())
        return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= uint64_t(INT64_MAX))
        return static_cast<int64_t>(v->get_uint64());
    Bad(Quoted(key) + " must be an integer");
}

std::optional<double> Number(const json::object& o, std::string_view key)
{
    const json::value* v = Find(o, key);
    if (!v)
        return std::nullopt;
    if (!v->is_number())
        Bad(Quoted(key) + " must be a number");
    return v->to_number<double>();
}

std::optional<bool> Bool(const json::object& o, std::string_view key)
{
    const json::value* v = Find(o, key);
    if (!v)
        return std::nullopt;
    if (!v->is_bool())
        Bad(Quoted(key) + " must be true or false");
    return v->get_bool();
}

int64_t NsField(int64_t ns, std::string_view key)
{
    if (ns < 0 || ns > kMaxTimeNs)
        Bad(Quoted(key) + " is out of range");
    return ns;
}

int64_t SecondsField(double seconds, std::string_view key)
{
    std::optional<int64_t> ns = NsFromEpochSeconds(seconds);
    if (!ns)
        Bad(Quoted(key) + " is not a time in epoch seconds");
    return *ns;
}

std::string Base64Field(const std::string& text, std::string_view key)
{
    std::optional<std::string> bytes = Base64Decode(text);
    if (!bytes)
        Bad(Quoted(key) + " is not valid base64");
    return std::move(*bytes);
}

// ---- Records shared by JSONL and HAR ----

// dapscope's capture fields (CaptureFields.hpp): what the exporting store knew beyond the bytes.
void ReadCaptureFields(const json::object& o, ImportedMessage& m)
{
    MessageCapture f;
    try
    {
        f = ReadMessageCapture(o);
    }
    catch (const CaptureFieldError& e)
    {
        Bad(e.what());
    }
    if (f.tsNs)
        m.tsNs = *f.tsNs;
    if (f.durNs)
        m.durNs = *f.durNs;
    // Redaction changes the length of the stored bytes, so a size is taken as the file gives it.
    m.size = f.size.value_or(m.data.size());
    m.wireSize = f.wireSize;
    m.truncated = f.truncated;
    m.elided = f.elided;
    m.redacted = f.redacted;
    m.generated = f.generated;
    m.http = f.kind;
    m.head = f.headers;
}

// A dapscope message record: a JSONL line, a HAR control frame, a line of the shared sample sessions.
ImportedMessage ReadRecord(const json::object& o)
{
    ImportedMessage m;
    auto dir = inspector::ParseDirection(String(o, "dir").value_or(""));
    if (!dir)
        Bad("\"dir\" must be \"c2s\" or \"s2c\"");
    m.dir = *dir;
    std::string kind = String(o, "kind").value_or("");
    if (kind != "http_request" && kind != "http_response") // HTTP messages have no opcode
    {
        auto opcode = inspector::ParseOpcode(String(o, "opcode").value_or(""));
        if (!opcode)
            Bad("\"opcode\" must be text, binary, close, ping or pong");
        m.opcode = *opcode;
    }
    if (auto ns = Integer(o, "ts_ns"))
        m.tsNs = NsField(*ns, "ts_ns");
    else if (auto seconds = Number(o, "t"))
        m.tsNs = SecondsField(*seconds, "t");
    else
        Bad("no time (\"ts_ns\" or \"t\")");
    auto text = String(o, "data");
    auto base64 = String(o, "data_b64");
    if (text && base64)
        Bad("both \"data\" and \"data_b64\"");
    if (!text && !base64)
        Bad("no \"data\" or \"data_b64\"");
    m.data = text ? std::move(*text) : Base64Field(*base64, "data_b64");
    ReadCaptureFields(o, m);
    return m;
}

// Session fields of a JSONL header or a HAR entry's `_dapscope`. A field that is there wins, even when null
// (unknown, or empty text); an absent one keeps what `s` has (from the HAR's request and response).
void ReadSessionFields(const json::object& o, ImportedSession& s)
{
    auto text = [&o](std::string_view key, std::string& field)
    {
        if (o.contains(key))
            field = String(o, key).value_or("");
    };
    text("client", s.client);
    text("path", s.path);
    text("upstream", s.upstream);
    text("user_agent", s.userAgent);
    text("close_reason", s.closeReason);
    text("closed_by", s.closedBy);
    text("error", s.error);
    if (o.contains("upstream_ok"))
        s.upstreamOk = Bool(o, "upstream_ok");
    if (auto code = Integer(o, "close_code"))
    {
        if (*code < 0 || *code > 65535)
            Bad("\"close_code\" must be 0..65535");
        s.closeCode = static_cast<uint16_t>(*code);
    }
    if (auto ns = Integer(o, "started_ns"))
        s.startedNs = NsField(*ns, "started_ns");
    if (auto ns = Integer(o, "ended_ns"))
        s.endedNs = NsField(*ns, "ended_ns");
    try
    {
        SessionCapture capture = ReadSessionCapture(o);
        if (!capture.protocol.empty())
            s.protocol = capture.protocol;
        if (!capture.handshake.empty())
            s.handshake = capture.handshake;
    }
    catch (const CaptureFieldError& e)
    {
        Bad(e.what());
    }
}

// ---- JSON text ----

// "3:14" for a byte offset in a multi-line document.
std::string LineColumn(std::string_view text, size_t offset)
{
    offset = std::min(offset, text.size());
    size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
    size_t lineStart = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    size_t column = lineStart == std::string_view::npos || offset == 0 ? offset + 1 : offset - lineStart;
    return std::to_string(line) + ":" + std::to_string(column);
}

// Parse `text` as exactly one JSON value; on failure, `ec` says why and `offset` where.
json::value Parse(std::string_view text, json::error_code& ec, size_t& offset)
{
    json::parse_options options;
    options.max_depth = kMaxDepth;
    json::stream_parser parser({}, options);
    offset = parser.write(text.data(), text.size(), ec);
    if (!ec)
        parser.finish(ec);
    return ec ? json::value() : parser.release();
}

// Parse `text` as exactly one JSON value, or throw a FormatError starting with `position(offset)`.
template <class Position> json::value ParseValue(std::string_view text, Position&& position)
{
    json::error_code ec;
    size_t offset = 0;
    json::value value = Parse(text, ec, offset);
    if (!ec)
        return value;
    std::string why;
    if (ec == json::error::incomplete)
        why = "truncated: the JSON ends in the middle of a value";
    else if (ec == json::error::extra_data)
        why = "more than one JSON value";
    else if (ec == json::error::too_deep)
        why = "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels";
    else
        why = "not JSON (" + ec.message() + ")";
    throw FormatError(position(offset) + ": " + why);
}

void CheckSize(std::string_view bytes, const std::string& name)
{
    if (bytes.size() > kMaxImportBytes)
        throw FormatError(name + ": larger than the import limit of " + std::to_string(kMaxImportBytes >> 20) + " MiB");
}

// ---- HAR ----

// ws[s]://host:port and the path from a HAR request URL (mitmproxy writes http[s]:// for WebSockets).
void ReadUrl(const std::string& url, ImportedSession& s)
{
    size_t scheme = url.find("://");
    if (scheme == std::string::npos)
        Bad("\"url\" is not a URL");
    std::string name = url.substr(0, scheme);
    if (name == "http")
        name = "ws";
    else if (name == "https")
        name = "wss";
    size_t pathStart = url.find_first_of("/?", scheme + 3);
    std::string authority = url.substr(scheme + 3, pathStart - (scheme + 3));
    s.upstream = name + "://" + authority;
    s.path = pathStart == std::string::npos ? "/" : url.substr(pathStart);
    if (s.path.starts_with('?'))
        s.path.insert(0, "/");
}

// Call `read(item)` for each item of `items`, with "member[i]" in the path of any shape error.
template <class F> void ForEach(const json::array& items, std::string_view member, F&& read)
{
    for (size_t i = 0; i < items.size(); ++i)
        Within(Index(member, i), [&] { read(items[i]); });
}

bool IsUserAgent(std::string_view name)
{
    return std::ranges::equal(name, std::string_view("user-agent"),
                              [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

void ReadRequest(const json::object& request, ImportedSession& s)
{
    if (auto url = String(request, "url"))
        ReadUrl(*url, s);
    for (const json::value& header : ArrayField(request, "headers"))
    {
        // Only the User-Agent is used, so other headers of odd shapes are not this import's business.
        const json::object* h = header.if_object();
        const json::value* name = h ? h->if_contains("name") : nullptr;
        const json::value* value = h ? h->if_contains("value") : nullptr;
        if (name && value && name->is_string() && value->is_string() && IsUserAgent(name->get_string()))
            s.userAgent = value->get_string();
    }
}

// A control frame of a dapscope HAR: a message record and its position in the session.
struct ControlFrame
{
    int64_t index = 0;       // position among all the session's messages
    ImportedMessage message; // the frame
};

std::vector<ControlFrame> ReadControlFrames(const json::array& frames)
{
    std::vector<ControlFrame> controls;
    ForEach(frames, ".control_frames",
            [&](const json::value& item)
            {
                const json::object& frame = AsObject(item);
                auto index = Integer(frame, "index");
                if (!index)
                    Bad("no \"index\"");
                controls.push_back({*index, ReadRecord(frame)});
            });
    return controls;
}

// What dapscope adds to a `_webSocketMessages` item: exact times, the real opcode, partial captures.
void ReadMessageExtra(const json::object& d, ImportedMessage& m)
{
    if (auto ns = Integer(d, "ts_ns"))
        m.tsNs = NsField(*ns, "ts_ns");
    if (auto real = String(d, "opcode"))
    {
        // Text that is not UTF-8 travels as opcode 2 (base64) with opcode "text" here.
        auto parsed = inspector::ParseOpcode(*real);
        if (parsed != Opcode::Text && parsed != Opcode::Binary)
            Bad("\"opcode\" must be text or binary");
        m.opcode = *parsed;
    }
    ReadCaptureFields(d, m);
}

// Builds the messages of one entry from `_webSocketMessages`, putting dapscope's control frames back in place.
class HarMessages
{
  public:
    explicit HarMessages(std::vector<ControlFrame> controls) : m_controls(std::move(controls)) {}

    void Add(const json::object& o)
    {
        std::string type = String(o, "type").value_or("");
        if (type == "error")
            return; // Chrome's note that a frame failed, not a message
        if (type != "send" && type != "receive")
            Bad("\"type\" must be send or receive");
        ImportedMessage m;
        m.dir = type == "send" ? Direction::ClientToServer : Direction::ServerToClient;
        auto time = Number(o, "time");
        if (!time)
            Bad("no \"time\"");
        m.tsNs = SecondsField(*time, "time");
        int64_t opcode = Integer(o, "opcode").value_or(1);
        if (opcode < 0 || opcode > 2)
            Bad("\"opcode\" " + std::to_string(opcode) + " is not 1 (text), 2 (binary) or 0 (continuation)");
        auto data = String(o, "data");
        if (!data)
            Bad("no \"data\"");
        const size_t side = static_cast<size_t>(m.dir);
        bool base64 = opcode == 2 || (opcode == 0 && m_lastBase64[side]);
        m.data = base64 ? Base64Field(*data, "data") : std::move(*data);
        if (opcode == 0)
            return Continue(side, m);

        m.opcode = opcode == 1 ? Opcode::Text : Opcode::Binary;
        m.size = m.data.size();
        if (const json::value* extra = Find(o, "_dapscope"))
            Within("._dapscope", [&] { ReadMessageExtra(AsObject(*extra), m); });
        PlaceControls();
        m_last[side] = m_all.size();
        m_lastBase64[side] = opcode == 2;
        m_all.push_back(std::move(m));
    }

    std::vector<ImportedMessage> Finish()
    {
        PlaceControls();
        if (m_next < m_controls.size())
            Within(Index("._dapscope.control_frames", m_next),
                   [&] { Bad("\"index\" " + std::to_string(m_controls[m_next].index) + " is out of order"); });
        return std::move(m_all);
    }

  private:
    // Chrome lists each frame of a fragmented message (opcode 0 after the first): join them again.
    void Continue(size_t side, const ImportedMessage& frame)
    {
        if (!m_last[side])
            Bad("a continuation (opcode 0) with no message to continue");
        ImportedMessage& message = m_all[*m_last[side]];
        message.data += frame.data;
        message.size += frame.data.size();
        message.durNs = std::max(message.durNs, frame.tsNs - message.tsNs);
    }

    void PlaceControls()
    {
        while (m_next < m_controls.size() && m_controls[m_next].index == static_cast<int64_t>(m_all.size()))
            m_all.push_back(std::move(m_controls[m_next++].message));
    }

    std::vector<ImportedMessage> m_all;          // the session's messages so far
    std::vector<ControlFrame> m_controls;        // dapscope's close/ping/pong frames, by position
    size_t m_next = 0;                           // first control frame not placed yet
    std::array<std::optional<size_t>, 2> m_last; // latest data message per direction, for continuations
    std::array<bool, 2> m_lastBase64 = {};       // its HAR data was base64 (opcode 2)
};

std::optional<ImportedSession> ReadHarEntry(const json::object& entry)
{
    if (!Find(entry, "_webSocketMessages") && String(entry, "_resourceType") != "websocket")
        return std::nullopt; // an ordinary HTTP request of the page
    ImportedSession s;
    if (const json::value* request = Find(entry, "request"))
        Within(".request", [&] { ReadRequest(AsObject(*request), s); });
    if (const json::value* response = Find(entry, "response"))
        if (auto status = Within(".response", [&] { return Integer(AsObject(*response), "status"); }))
            s.upstreamOk = *status == 101;
    if (auto started = String(entry, "startedDateTime"))
    {
        s.startedNs = ParseIsoTime(*started);
        if (!s.startedNs)
            Bad("\"startedDateTime\" is not an ISO 8601 time");
    }
    std::vector<ControlFrame> controls;
    if (const json::value* extra = Find(entry, "_dapscope"))
        Within("._dapscope",
               [&]
               {
                   ReadSessionFields(AsObject(*extra), s);
                   controls = ReadControlFrames(ArrayField(AsObject(*extra), "control_frames"));
               });
    HarMessages messages(std::move(controls));
    ForEach(ArrayField(entry, "_webSocketMessages"), "._webSocketMessages",
            [&](const json::value& item) { messages.Add(AsObject(item)); });
    s.messages = messages.Finish();
    return s;
}

// A body as dapscope's HAR writes it: `text`, base64 when `encodingKey` says "base64".
std::string HarBody(const json::object& holder, std::string_view encodingKey)
{
    std::string text = String(holder, "text").value_or("");
    return String(holder, encodingKey) == "base64" ? Base64Field(text, "text") : text;
}

// One HTTP message of a dapscope HAR entry: its capture fields, with the body from the HAR part that holds it.
ImportedMessage ReadHttpMessage(const json::object& fields, std::string body, Direction dir, std::string_view kind)
{
    ImportedMessage m;
    m.dir = dir;
    m.data = std::move(body);
    ReadCaptureFields(fields, m);
    if (m.http != kind)
        Bad("\"kind\" must be \"" + std::string(kind) + "\"");
    if (!Integer(fields, "ts_ns"))
        Bad("no \"ts_ns\"");
    return m;
}

// An HTTP exchange of a dapscope HTTP session (`_resourceType: "fetch"` with `_dapscope.request`/`response`):
// its messages join the session the entry names (`_dapscope.id`), which the first such entry starts.
void ReadHttpEntry(const json::object& entry, std::vector<ImportedSession>& sessions, std::map<int64_t, size_t>& byId)
{
    const json::object& extra = Within("._dapscope", [&]() -> const json::object& { return ObjectField(entry, "_dapscope"); });
    std::optional<int64_t> id = Within("._dapscope", [&] { return Integer(extra, "id"); });
    auto known = id ? byId.find(*id) : byId.end();
    if (known == byId.end())
    {
        ImportedSession s;
        if (const json::value* request = Find(entry, "request"))
            Within(".request", [&] { ReadRequest(AsObject(*request), s); });
        Within("._dapscope", [&] { ReadSessionFields(extra, s); });
        if (id)
            known = byId.emplace(*id, sessions.size()).first;
        sessions.push_back(std::move(s));
    }
    ImportedSession& s = id ? sessions[known->second] : sessions.back();
    if (const json::value* q = Find(extra, "request"))
    {
        const json::object& request = ObjectField(entry, "request");
        std::string body;
        if (const json::value* post = Find(request, "postData"))
            body = Within(".request.postData", [&] { return HarBody(AsObject(*post), "_encoding"); });
        s.messages.push_back(Within("._dapscope.request", [&] {
            return ReadHttpMessage(AsObject(*q), std::move(body), Direction::ClientToServer, "http_request");
        }));
    }
    ForEach(ArrayField(extra, "informational"), "._dapscope.informational",
            [&](const json::value& item) { s.messages.push_back(ReadRecord(AsObject(item))); });
    if (const json::value* r = Find(extra, "response"))
    {
        const json::object& response = ObjectField(entry, "response");
        std::string body;
        if (const json::value* content = Find(response, "content"))
            body = Within(".response.content", [&] { return HarBody(AsObject(*content), "encoding"); });
        s.messages.push_back(Within("._dapscope.response", [&] {
            return ReadHttpMessage(AsObject(*r), std::move(body), Direction::ServerToClient, "http_response");
        }));
    }
}

bool IsDapscopeHttpEntry(const json::object& entry)
{
    const json::value* extra = Find(entry, "_dapscope");
    return !Find(entry, "_webSocketMessages") && String(entry, "_resourceType") != "websocket" && extra &&
           extra->is_object() && (extra->get_object().contains("request") || extra->get_object().contains("response"));
}

bool IsBlank(std::string_view line)
{
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}
} // namespace

std::vector<ImportedSession> ParseHar(std::string_view bytes, const std::string& name)
{
    CheckSize(bytes, name);
    json::value doc = ParseValue(bytes, [&](size_t offset) { return name + ":" + LineColumn(bytes, offset); });
    const json::value* log = doc.is_object() ? Find(doc.get_object(), "log") : nullptr;
    const json::value* entries = log && log->is_object() ? Find(log->get_object(), "entries") : nullptr;
    if (!entries || !entries->is_array())
        throw FormatError(name + ": not a HAR file (no log.entries array)");

    std::vector<ImportedSession> sessions;
    std::map<int64_t, size_t> byId; // the exporting store's session id -> its place in `sessions`
    try
    {
        ForEach(entries->get_array(), "log.entries",
                [&](const json::value& item)
                {
                    const json::object& entry = AsObject(item);
                    if (IsDapscopeHttpEntry(entry))
                        return ReadHttpEntry(entry, sessions, byId);
                    if (auto session = ReadHarEntry(entry))
                    {
                        if (const json::value* extra = Find(entry, "_dapscope"); extra && extra->is_object())
                            if (auto id = Integer(extra->get_object(), "id"))
                                byId.emplace(*id, sessions.size());
                        sessions.push_back(std::move(*session));
                    }
                });
    }
    catch (const ShapeError& e)
    {
        throw FormatError(name + ": " + Where(e.path) + e.what());
    }
    if (sessions.empty())
        throw FormatError(name + ": no WebSocket entries (with _webSocketMessages) to import");
    // HTTP exchanges are entries of their own: put a session's messages back in the order their first bytes came.
    for (ImportedSession& s : sessions)
        if (std::ranges::any_of(s.messages, [](const ImportedMessage& m) { return !m.http.empty(); }))
            std::ranges::stable_sort(s.messages, {}, &ImportedMessage::tsNs);
    return sessions;
}

std::vector<ImportedSession> ParseJsonl(std::string_view bytes, const std::string& name)
{
    CheckSize(bytes, name);
    std::vector<ImportedSession> sessions;
    std::optional<int64_t> current; // the `id` of the current session in the exporting store, when known
    size_t lineNumber = 0;
    for (size_t pos = 0; pos < bytes.size();)
    {
        size_t end = std::min(bytes.find('\n', pos), bytes.size());
        std::string_view line = bytes.substr(pos, end - pos);
        pos = end + 1;
        const std::string where = name + ":" + std::to_string(++lineNumber);
        if (IsBlank(line))
            continue;
        json::value value = ParseValue(line, [&](size_t offset) { return where + ":" + std::to_string(offset + 1); });
        try
        {
            const json::object& o = AsObject(value);
            if (String(o, "type") == "session")
            {
                ReadSessionFields(o, sessions.emplace_back());
                current = Integer(o, "id");
                continue;
            }
            ImportedMessage message = ReadRecord(o);
            std::optional<int64_t> session = Integer(o, "session");
            if (sessions.empty() || (session && current && *session != *current))
                sessions.emplace_back();
            if (session)
                current = session;
            sessions.back().messages.push_back(std::move(message));
        }
        catch (const ShapeError& e)
        {
            throw FormatError(where + ": " + Where(e.path) + e.what());
        }
    }
    if (sessions.empty())
        throw FormatError(name + ": nothing to import (no sessions or messages)");
    return sessions;
}

std::vector<ImportedSession> ParseImport(std::string_view bytes, const std::string& name)
{
    CheckSize(bytes, name);
    if (bytes.starts_with("\xEF\xBB\xBF"))
        bytes.remove_prefix(3); // a byte order mark some Windows tools write
    size_t first = bytes.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        throw FormatError(name + ": empty file, nothing to import");
    std::string_view firstLine = bytes.substr(first, bytes.find('\n', first) - first);

    json::error_code ec;
    size_t offset = 0;
    json::value value = Parse(firstLine, ec, offset);
    bool har = ec || (value.is_object() && value.get_object().contains("log"));
    return har ? ParseHar(bytes, name) : ParseJsonl(bytes, name);
}

} // namespace dapscope::storage
