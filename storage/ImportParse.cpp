#include "ImportParse.hpp"

#include "CaptureFields.hpp"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <deque>
#include <exception>
#include <queue>
#include <utility>

namespace dapscope::storage
{

namespace json = boost::json;
using inspector::Direction;
using inspector::Opcode;

size_t MemorySource::ReadAt(uint64_t offset, char* buffer, size_t size)
{
    if (offset >= m_bytes.size())
        return 0;
    size_t n = static_cast<size_t>(std::min<uint64_t>(size, m_bytes.size() - offset));
    if (m_nextBlock)
        n = std::clamp<size_t>(m_nextBlock(), 1, n);
    std::memcpy(buffer, m_bytes.data() + offset, n);
    return n;
}

namespace
{
// Chrome nests async initiator stacks deeply; payloads are strings, so nesting never grows with the traffic.
constexpr unsigned kMaxDepth = 200;
// A continuation (opcode 0) may extend a message until this many messages, or this many bytes, wait behind it.
constexpr size_t kContinuationWindow = 4096;
constexpr uint64_t kContinuationWindowBytes = uint64_t(16) << 20;

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

// The bytes of one message against --max-message-bytes.
void CheckMessageSize(uint64_t bytes, uint64_t limit)
{
    if (bytes > limit)
        Bad("the message is " + std::to_string(bytes) + " bytes, over the limit of " + std::to_string(limit) +
            " (--max-message-bytes)");
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
    m.rule = f.rule;
    m.action = f.action;
    m.outcome = f.outcome;
    m.http = f.kind;
    m.head = f.headers;
}

// A dapscope message record: a JSONL line, a HAR control frame, a line of the shared sample sessions.
ImportedMessage ReadRecord(const json::object& o, uint64_t limit)
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
    CheckMessageSize(m.data.size(), limit);
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
        s.rules = capture.rules;
    }
    catch (const CaptureFieldError& e)
    {
        Bad(e.what());
    }
}

// ---- Sessions on their way to the sink ----

// One session open at a time, in file order. The messages of a HAR's HTTP exchanges (entries of their own) are
// put in time order: each waits until an exchange that starts later comes, or the session ends. The exchanges
// of dapscope's HARs come in the order their requests came, so this is the order of the whole session.
class Sessions
{
  public:
    explicit Sessions(ImportSink& sink) : m_sink(sink) {}

    void Begin(const ImportedSession& s, std::optional<int64_t> id = std::nullopt)
    {
        End();
        m_sink.BeginSession(s);
        m_open = true;
        m_id = id;
        ++m_count;
    }
    // The exporting store's id of the open session (a HAR WebSocket entry says it after its messages).
    void SetId(std::optional<int64_t> id) { m_id = id; }
    // True when an HTTP entry of session `id` belongs to the open session.
    bool Joins(std::optional<int64_t> id) const { return m_open && id && m_id == id; }
    bool Open() const { return m_open; }
    size_t Count() const { return m_count; }

    void Message(ImportedMessage& m) { m_sink.Message(m); }

    // The messages of one HTTP exchange.
    void Exchange(std::vector<ImportedMessage>& messages)
    {
        if (messages.empty())
            return;
        int64_t first = std::ranges::min_element(messages, {}, &ImportedMessage::tsNs)->tsNs;
        Release(first);
        for (ImportedMessage& m : messages)
            m_waiting.push({m.tsNs, m_order++, std::move(m)});
    }

    void End()
    {
        if (!m_open)
            return;
        Release(INT64_MAX);
        m_sink.EndSession();
        m_open = false;
    }

  private:
    struct Waiting
    {
        int64_t tsNs;
        uint64_t order; // file order, for messages of the same time
        ImportedMessage message;
        bool operator>(const Waiting& other) const { return std::tie(tsNs, order) > std::tie(other.tsNs, other.order); }
    };

    // Hand over the waiting messages no later than `tsNs`, in time order.
    void Release(int64_t tsNs)
    {
        while (!m_waiting.empty() && m_waiting.top().tsNs <= tsNs)
        {
            ImportedMessage m = std::move(const_cast<Waiting&>(m_waiting.top()).message);
            m_waiting.pop();
            m_sink.Message(m);
        }
    }

    ImportSink& m_sink;
    bool m_open = false;
    std::optional<int64_t> m_id; // the open session's id in the exporting store, when the file says
    size_t m_count = 0;          // sessions begun
    std::priority_queue<Waiting, std::vector<Waiting>, std::greater<>> m_waiting;
    uint64_t m_order = 0;
};

// ---- Reading and parsing in blocks ----

json::parse_options JsonOptions()
{
    json::parse_options options;
    options.max_depth = kMaxDepth;
    return options;
}

// The blocks of a source from `offset` on.
class Reader
{
  public:
    Reader(ImportSource& source, size_t blockBytes, uint64_t offset)
        : m_source(source), m_buffer(std::max<size_t>(blockBytes, 1)), m_offset(offset)
    {
    }

    // The next block; empty at the end. Blocks end between UTF-8 sequences: Boost.JSON 1.81 garbles a long string
    // when a sequence is split between two write_some calls (a byte goes missing, another appears).
    std::string_view Next()
    {
        m_offset += m_size;
        m_size = m_source.ReadAt(m_offset, m_buffer.data(), m_buffer.size());
        for (size_t start = IncompleteTail(); start < m_size;)
        {
            if (start > 0)
            {
                m_size = start; // the sequence starts the next block
                break;
            }
            // The block is one partial sequence (a source of tiny blocks): read on until it is whole.
            size_t more = m_size < m_buffer.size()
                              ? m_source.ReadAt(m_offset + m_size, m_buffer.data() + m_size, m_buffer.size() - m_size)
                              : 0;
            if (more == 0)
                break;
            m_size += more;
            start = IncompleteTail();
        }
        return {m_buffer.data(), m_size};
    }
    uint64_t Offset() const { return m_offset; } // where the latest block starts
    uint64_t End() const { return m_offset + m_size; }

  private:
    // Where a UTF-8 sequence that the block does not hold whole starts (m_size: none does).
    size_t IncompleteTail() const
    {
        const auto* b = reinterpret_cast<const unsigned char*>(m_buffer.data());
        for (size_t i = m_size; i > 0 && m_size - i < 4; --i)
        {
            const unsigned char c = b[i - 1];
            if ((c & 0xC0) == 0x80)
                continue; // a continuation byte: its lead is further back
            const size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return m_size - (i - 1) < length ? i - 1 : m_size;
        }
        return m_size;
    }

    ImportSource& m_source;
    std::vector<char> m_buffer;
    uint64_t m_offset;
    size_t m_size = 0;
};

// "3:14": line and column of byte `offset` in a text that starts at `base` (read again: errors only).
std::string LineColumn(ImportSource& source, uint64_t base, uint64_t offset)
{
    uint64_t line = 1, lineStart = base;
    std::vector<char> buffer(1 << 16);
    for (uint64_t at = base; at < offset;)
    {
        size_t n =
            source.ReadAt(at, buffer.data(), static_cast<size_t>(std::min<uint64_t>(buffer.size(), offset - at)));
        if (n == 0)
            break;
        for (size_t i = 0; i < n; ++i)
            if (buffer[i] == '\n')
            {
                ++line;
                lineStart = at + i + 1;
            }
        at += n;
    }
    return std::to_string(line) + ":" + std::to_string(offset - lineStart + 1);
}

// Why a parse stopped: the handler's own reason (a limit), or the JSON error.
std::string Why(const json::error_code& ec, const std::string& problem)
{
    if (!problem.empty())
        return problem;
    if (ec == json::error::incomplete)
        return "truncated: the JSON ends in the middle of a value";
    if (ec == json::error::extra_data)
        return "more than one JSON value";
    if (ec == json::error::too_deep)
        return "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels";
    return "not JSON (" + ec.message() + ")";
}

// Builds one JSON value from parser events (Boost.JSON's value_stack), refusing strings and values larger than
// any message under the limit can take (base64 makes a message's text 4/3 of its bytes).
class Builder
{
  public:
    explicit Builder(uint64_t maxMessageBytes)
        : m_limit(maxMessageBytes), m_maxString((std::min(maxMessageBytes, kNoLimit) + 2) / 3 * 4),
          m_maxValue(2 * m_maxString + (uint64_t(64) << 20))
    {
    }

    void Begin()
    {
        m_stack.reset();
        m_text.clear();
        m_string = 0;
        m_value = 0;
    }
    json::value Release() { return m_stack.release(); }
    const std::string& Problem() const { return m_problem; }

    // Part of a key or string; a whole key or string (after its parts); a number, true, false or null. False when
    // the limit is passed.
    bool Chars(std::string_view s) { return Grow(s) && (m_text.append(s), true); }
    bool Key(std::string_view s) { return Last(s) && (m_stack.push_key(Whole(s)), true); }
    bool String(std::string_view s) { return Last(s) && (m_stack.push_string(Whole(s)), true); }
    bool Int64(int64_t i) { return Node() && (m_stack.push_int64(i), true); }
    bool Uint64(uint64_t u) { return Node() && (m_stack.push_uint64(u), true); }
    bool Double(double d) { return Node() && (m_stack.push_double(d), true); }
    bool Bool(bool b) { return Node() && (m_stack.push_bool(b), true); }
    bool Null() { return Node() && (m_stack.push_null(), true); }
    // An array or object begins (its elements come next) and ends.
    bool Node() { return Grow(kNodeBytes); }
    void Array(size_t n) { m_stack.push_array(n); }
    void Object(size_t n) { m_stack.push_object(n); }

  private:
    static constexpr uint64_t kNodeBytes = 32;              // about what a value costs besides its text
    static constexpr uint64_t kNoLimit = uint64_t(1) << 60; // more than any file: a limit this high is none

    // A key or string whose last part is `last`. Its earlier parts are gathered here, not with value_stack's
    // push_chars: Boost.JSON 1.81 garbles a long string built that way (a byte goes missing, another appears).
    std::string_view Whole(std::string_view last)
    {
        if (m_text.empty())
            return last;
        m_text.append(last);
        m_whole.swap(m_text);
        m_text.clear();
        return m_whole;
    }

    // The last part of a key or string: counted with the rest of it, and the next one starts from nothing.
    bool Last(std::string_view s)
    {
        const bool ok = Grow(s) && Node();
        m_string = 0;
        return ok;
    }
    bool Grow(std::string_view s)
    {
        m_string += s.size();
        if (m_string > m_maxString)
            return Fail("a JSON string", m_maxString);
        return Grow(s.size());
    }
    bool Grow(uint64_t bytes)
    {
        m_value += bytes;
        return m_value <= m_maxValue || Fail("a JSON value", m_maxValue);
    }
    bool Fail(const std::string& what, uint64_t max)
    {
        m_problem = what + " of more than " + std::to_string(max) + " bytes, more than a message under the limit of " +
                    std::to_string(m_limit) + " may need (--max-message-bytes)";
        return false;
    }

    json::value_stack m_stack;
    uint64_t m_limit;     // --max-message-bytes
    uint64_t m_maxString; // the longest string a message can need
    uint64_t m_maxValue;  // the most one value (a message, an entry with two bodies) can need
    uint64_t m_string = 0;
    uint64_t m_value = 0;
    std::string m_problem;
    std::string m_text;  // the parts so far of the key or string being read
    std::string m_whole; // the last one read whole (push_key/push_string copy it)
};

// The parts of a basic_parser handler every handler here has alike.
struct HandlerBase
{
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_number_part(json::string_view s, json::error_code&)
    {
        numberText.append(s.data(), s.size());
        return true;
    }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }

    // Stop the parse for `why` (read back as Problem()).
    bool Fail(std::string why, json::error_code& ec)
    {
        problem = std::move(why);
        ec = json::error::exception;
        return false;
    }
    const std::string& Problem() const { return problem; }

    // The number whose last part is `last`, read from its text: Boost.JSON 1.81 rounds a number split between two
    // blocks differently from one read whole, so an import would depend on where its blocks fall.
    double Exact(double parsed, json::string_view last)
    {
        numberText.append(last.data(), last.size());
        double d = parsed;
        std::from_chars(numberText.data(), numberText.data() + numberText.size(), d);
        numberText.clear();
        return d;
    }

    // An integer read, whose parts (if it was split) are not needed.
    template <class T> T Integer(T i)
    {
        numberText.clear();
        return i;
    }

    std::string problem;
    std::string numberText; // the parts so far of a number split between blocks
};

// One pass over a JSON document in blocks. Throws FormatError ("name:line:column: why") at the first error; a
// handler may throw too.
template <class Handler> class DocumentPass
{
  public:
    template <class... Args>
    DocumentPass(ImportSource& source, uint64_t base, const std::string& name, size_t blockBytes, Args&&... args)
        : m_source(source), m_base(base), m_name(name), m_reader(source, blockBytes, base),
          m_parser(JsonOptions(), std::forward<Args>(args)...)
    {
    }

    // Parse the next block; false once the whole file has been (a complete document).
    bool Step()
    {
        if (m_finished)
            return false;
        std::string_view block = m_reader.Next();
        json::error_code ec;
        size_t n = m_parser.write_some(!block.empty(), block.data(), block.size(), ec);
        if (!ec && n < block.size())
            ec = json::error::extra_data;
        if (ec)
            throw FormatError(m_name + ":" + LineColumn(m_source, m_base, m_reader.Offset() + n) + ": " +
                              Why(ec, m_parser.handler().Problem()));
        m_finished = block.empty();
        return !m_finished;
    }
    uint64_t Position() const { return m_reader.End(); }
    Handler& Events() { return m_parser.handler(); }

  private:
    ImportSource& m_source;
    uint64_t m_base; // where the text starts (after a byte order mark)
    const std::string& m_name;
    Reader m_reader;
    json::basic_parser<Handler> m_parser;
    bool m_finished = false;
};

// ---- HAR ----

// What a value is in a HAR, as far as streaming is concerned.
enum class Role : uint8_t
{
    Other,
    Root,     // the document, an object
    Log,      // its "log" object
    Entries,  // log.entries, an array
    Entry,    // an element of it
    Messages, // an entry's `_webSocketMessages` array
    Message,  // an element of that
};

// What the two passes over a HAR hand over.
class HarEvents
{
  public:
    virtual ~HarEvents() = default;
    // Pass 1: an entry without the items of its `_webSocketMessages` (now []); `list`: which of those arrays is
    // the member JSON keeps (1 = the first; 0 = none, the last `_webSocketMessages` is no array).
    virtual void Entry(json::value& /*entry*/, size_t /*list*/) {}
    // Pass 2: an entry begins; one of its `_webSocketMessages` arrays begins (true: stream its items); an item;
    // the entry ends.
    virtual void EntryBegin() {}
    virtual bool MessagesBegin() { return false; }
    virtual void Message(json::value& /*item*/) {}
    virtual void EntryEnd() {}
};

// Follows a HAR document through basic_parser's events and builds what its pass needs: the check of the whole
// document nothing, pass 1 each entry (without its messages), pass 2 each message (and nothing else).
class HarHandler : public HandlerBase
{
  public:
    enum class Reads
    {
        Structure, // the document is JSON with one log.entries array
        Entries,
        Messages
    };

    HarHandler(Reads reads, HarEvents& events, uint64_t maxMessageBytes)
        : m_reads(reads), m_events(events), m_builder(maxMessageBytes)
    {
    }

    bool on_object_begin(json::error_code& ec) { return Open(true, ec); }
    bool on_object_end(std::size_t n, json::error_code&) { return Close(n); }
    bool on_array_begin(json::error_code& ec) { return Open(false, ec); }
    bool on_array_end(std::size_t n, json::error_code&) { return Close(n); }
    bool on_key_part(json::string_view s, std::size_t, json::error_code& ec) { return Key(s, false, ec); }
    bool on_key(json::string_view s, std::size_t, json::error_code& ec) { return Key(s, true, ec); }
    bool on_string_part(json::string_view s, std::size_t, json::error_code& ec)
    {
        return !Building() || Check(m_builder.Chars(s), ec);
    }
    bool on_string(json::string_view s, std::size_t, json::error_code& ec)
    {
        return Scalar(ec, [&] { return m_builder.String(s); });
    }
    bool on_int64(int64_t i, json::string_view, json::error_code& ec)
    {
        i = Integer(i);
        return Scalar(ec, [&] { return m_builder.Int64(i); });
    }
    bool on_uint64(uint64_t u, json::string_view, json::error_code& ec)
    {
        u = Integer(u);
        return Scalar(ec, [&] { return m_builder.Uint64(u); });
    }
    bool on_double(double d, json::string_view s, json::error_code& ec)
    {
        d = Exact(d, s);
        return Scalar(ec, [&] { return m_builder.Double(d); });
    }
    bool on_bool(bool b, json::error_code& ec)
    {
        return Scalar(ec, [&] { return m_builder.Bool(b); });
    }
    bool on_null(json::error_code& ec)
    {
        return Scalar(ec, [&] { return m_builder.Null(); });
    }

    // The document has its log.entries array.
    bool EntriesFound() const { return m_entriesFound; }

  private:
    struct Frame
    {
        Role role;
        bool object;
    };

    bool Building() const { return m_build >= 0 && m_skip < 0; }

    bool Check(bool ok, json::error_code& ec) { return ok || Fail(m_builder.Problem(), ec); }

    // The role of a value that begins now, from its parent and its key.
    Role ChildRole(bool container, bool object) const
    {
        if (m_frames.empty())
            return object ? Role::Root : Role::Other;
        const Frame& parent = m_frames.back();
        switch (parent.role)
        {
        case Role::Root:
            return object && m_key == "log" ? Role::Log : Role::Other;
        case Role::Log:
            return container && !object && m_key == "entries" ? Role::Entries : Role::Other;
        case Role::Entries:
            return Role::Entry;
        case Role::Entry:
            return parent.object && container && !object && m_key == "_webSocketMessages" ? Role::Messages
                                                                                          : Role::Other;
        case Role::Messages:
            return Role::Message;
        default:
            return Role::Other;
        }
    }

    bool Open(bool object, json::error_code& ec)
    {
        const Role role = ChildRole(true, object);
        const int index = static_cast<int>(m_frames.size());
        m_frames.push_back({role, object});
        if (role == Role::Entries)
            m_entriesFound = true;
        else if (role == Role::Entry && m_reads == Reads::Entries)
        {
            m_builder.Begin();
            m_build = index;
            m_lists = 0;
            m_list = 0;
        }
        else if (role == Role::Entry && m_reads == Reads::Messages)
            m_events.EntryBegin();
        else if (role == Role::Messages && m_reads == Reads::Entries)
        {
            m_skip = index; // the entry gets [] instead: its items are pass 2's
            m_list = ++m_lists;
        }
        else if (role == Role::Messages && m_reads == Reads::Messages)
            m_stream = m_events.MessagesBegin();
        else if (role == Role::Message && m_stream)
        {
            m_builder.Begin();
            m_build = index;
        }
        return !Building() || Check(m_builder.Node(), ec);
    }

    bool Close(size_t n)
    {
        const int index = static_cast<int>(m_frames.size()) - 1;
        const Frame frame = m_frames.back();
        m_frames.pop_back();
        if (index == m_skip)
        {
            m_skip = -1;
            m_builder.Array(0);
        }
        else if (Building())
            frame.object ? m_builder.Object(n) : m_builder.Array(n);
        if (index == m_build)
        {
            m_build = -1;
            json::value value = m_builder.Release();
            if (frame.role == Role::Entry)
                m_events.Entry(value, m_list);
            else
                m_events.Message(value);
        }
        if (frame.role == Role::Entry && m_reads == Reads::Messages)
            m_events.EntryEnd();
        else if (frame.role == Role::Messages)
            m_stream = false;
        return true;
    }

    bool Key(std::string_view s, bool last, json::error_code& ec)
    {
        if (Building() && !Check(last ? m_builder.Key(s) : m_builder.Chars(s), ec))
            return false;
        const Role role = m_frames.back().role;
        if (role != Role::Root && role != Role::Log && role != Role::Entry)
            return true;
        // Only short keys matter here.
        if (m_keyDone)
            m_key.clear();
        m_key.append(s.substr(0, std::min(s.size(), kKeyBytes - std::min(kKeyBytes, m_key.size()))));
        m_keyDone = last;
        if (last && role == Role::Entry && m_key == "_webSocketMessages")
            m_list = 0; // unless its value is an array
        // (Not while the whole document is checked: errors of JSON come first.)
        if (last && m_entriesFound && m_reads != Reads::Structure &&
            ((role == Role::Root && m_key == "log") || (role == Role::Log && m_key == "entries")))
            return Fail("a second \"" + m_key + "\" member (the first was imported)", ec);
        return true;
    }

    // A string, number, true, false or null.
    template <class Push> bool Scalar(json::error_code& ec, Push&& push)
    {
        if (Building())
            return Check(push(), ec);
        const Role role = ChildRole(false, false);
        json::value none; // an entry or message that is no object: only that matters
        if (role == Role::Entry && m_reads == Reads::Entries)
            m_events.Entry(none, 0);
        else if (role == Role::Entry && m_reads == Reads::Messages)
        {
            m_events.EntryBegin();
            m_events.EntryEnd();
        }
        else if (role == Role::Message && m_stream)
            m_events.Message(none);
        return true;
    }

    static constexpr size_t kKeyBytes = 32;

    Reads m_reads;
    HarEvents& m_events;
    Builder m_builder;
    std::vector<Frame> m_frames; // the open arrays and objects, outermost first
    std::string m_key;           // the latest key of the innermost root, log or entry object (cut at kKeyBytes)
    bool m_keyDone = true;       // m_key is complete: a key part starts a new one
    int m_build = -1;            // frame index of the value being built (-1: none)
    int m_skip = -1;             // frame index of the `_webSocketMessages` left out of the entry being built
    size_t m_lists = 0;          // `_webSocketMessages` arrays left out of the entry being built
    size_t m_list = 0;           // the one its last `_webSocketMessages` member is (0: none)
    bool m_stream = false;       // pass 2: the items of the current `_webSocketMessages` are wanted
    bool m_entriesFound = false;
};

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

std::vector<ControlFrame> ReadControlFrames(const json::array& frames, uint64_t limit)
{
    std::vector<ControlFrame> controls;
    ForEach(frames, ".control_frames",
            [&](const json::value& item)
            {
                const json::object& frame = AsObject(item);
                auto index = Integer(frame, "index");
                if (!index)
                    Bad("no \"index\"");
                controls.push_back({*index, ReadRecord(frame, limit)});
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

// The messages of one entry from its `_webSocketMessages` items, with dapscope's control frames put back in
// place, handed on in order. A data message waits until the next one of its direction (or the entry's end): a
// continuation may still extend it. The messages behind it wait too, at most kContinuationWindow of them.
class HarMessages
{
  public:
    HarMessages(std::vector<ControlFrame> controls, uint64_t limit, Sessions& out)
        : m_controls(std::move(controls)), m_limit(limit), m_out(out)
    {
    }

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

        CheckMessageSize(m.data.size(), m_limit);
        m.opcode = opcode == 1 ? Opcode::Text : Opcode::Binary;
        m.size = m.data.size();
        if (const json::value* extra = Find(o, "_dapscope"))
            Within("._dapscope", [&] { ReadMessageExtra(AsObject(*extra), m); });
        PlaceControls();
        if (m_last[side] && *m_last[side] >= m_given)
            m_waiting[*m_last[side] - m_given].open = false; // no continuation can come for it now
        m_last[side] = m_count;
        m_lastBase64[side] = opcode == 2;
        Push(std::move(m), true);
        Drain();
    }

    void Finish()
    {
        PlaceControls();
        for (Waiting& w : m_waiting)
            w.open = false;
        Drain();
        if (m_next < m_controls.size())
            Within(Index("._dapscope.control_frames", m_next),
                   [&] { Bad("\"index\" " + std::to_string(m_controls[m_next].index) + " is out of order"); });
    }

  private:
    struct Waiting
    {
        ImportedMessage message;
        bool open; // a data message a continuation may still extend
    };

    // Chrome lists each frame of a fragmented message (opcode 0 after the first): join them again.
    void Continue(size_t side, const ImportedMessage& frame)
    {
        if (!m_last[side])
            Bad("a continuation (opcode 0) with no message to continue");
        if (*m_last[side] < m_given)
            Bad("a continuation (opcode 0) more than " + std::to_string(kContinuationWindow) + " messages or " +
                std::to_string(kContinuationWindowBytes >> 20) + " MiB after the message it continues");
        ImportedMessage& message = m_waiting[*m_last[side] - m_given].message;
        CheckMessageSize(message.data.size() + frame.data.size(), m_limit);
        message.data += frame.data;
        message.size += frame.data.size();
        message.durNs = std::max(message.durNs, frame.tsNs - message.tsNs);
        m_bytes += frame.data.size();
        Drain();
    }

    void PlaceControls()
    {
        while (m_next < m_controls.size() && m_controls[m_next].index == static_cast<int64_t>(m_count))
            Push(std::move(m_controls[m_next++].message), false);
    }

    void Push(ImportedMessage m, bool open)
    {
        m_bytes += m.data.size();
        m_waiting.push_back({std::move(m), open});
        ++m_count;
    }

    // Hand on the messages that can go: those no continuation can extend, and the first one anyway when too
    // many wait behind it.
    void Drain()
    {
        while (!m_waiting.empty())
        {
            Waiting& first = m_waiting.front();
            const bool crowded = m_waiting.size() > kContinuationWindow ||
                                 m_bytes - first.message.data.size() > kContinuationWindowBytes;
            if (first.open && !crowded)
                return;
            m_bytes -= first.message.data.size();
            m_out.Message(first.message);
            m_waiting.pop_front();
            ++m_given;
        }
    }

    std::vector<ControlFrame> m_controls;          // dapscope's close/ping/pong frames, by position
    size_t m_next = 0;                             // first control frame not placed yet
    uint64_t m_limit;                              // --max-message-bytes
    Sessions& m_out;                               // where the messages go
    std::deque<Waiting> m_waiting;                 // messages not handed on yet, in order
    uint64_t m_bytes = 0;                          // their bytes
    uint64_t m_given = 0;                          // messages handed on (the position of the first waiting)
    uint64_t m_count = 0;                          // messages so far (the position of the next)
    std::array<std::optional<uint64_t>, 2> m_last; // position of the latest data message per direction
    std::array<bool, 2> m_lastBase64 = {};         // its HAR data was base64 (opcode 2)
};

// A body as dapscope's HAR writes it: `text`, base64 when `encodingKey` says "base64".
std::string HarBody(const json::object& holder, std::string_view encodingKey)
{
    std::string text = String(holder, "text").value_or("");
    return String(holder, encodingKey) == "base64" ? Base64Field(text, "text") : text;
}

// One HTTP message of a dapscope HAR entry: its capture fields, with the body from the HAR part that holds it.
ImportedMessage ReadHttpMessage(const json::object& fields, std::string body, Direction dir, std::string_view kind,
                                uint64_t limit)
{
    ImportedMessage m;
    m.dir = dir;
    m.data = std::move(body);
    CheckMessageSize(m.data.size(), limit);
    ReadCaptureFields(fields, m);
    if (m.http != kind)
        Bad("\"kind\" must be \"" + std::string(kind) + "\"");
    if (!Integer(fields, "ts_ns"))
        Bad("no \"ts_ns\"");
    return m;
}

bool IsDapscopeHttpEntry(const json::object& entry)
{
    const json::value* extra = Find(entry, "_dapscope");
    return !Find(entry, "_webSocketMessages") && String(entry, "_resourceType") != "websocket" && extra &&
           extra->is_object() && (extra->get_object().contains("request") || extra->get_object().contains("response"));
}

// An entry import has nothing to do with and no error to find in (a page's own request): pass 1 drops it.
bool IsPlainEntry(const json::value& value)
{
    const json::object* entry = value.if_object();
    if (!entry || Find(*entry, "_webSocketMessages"))
        return false;
    const json::value* type = Find(*entry, "_resourceType");
    if (type && (!type->is_string() || type->get_string() == "websocket"))
        return false;
    const json::value* extra = Find(*entry, "_dapscope");
    return !(extra && extra->is_object() &&
             (extra->get_object().contains("request") || extra->get_object().contains("response")));
}

// Pass 1 over a HAR: each entry without its messages, read when pass 2 reaches it.
struct HarEntry
{
    json::value value;  // null for a plain entry
    bool plain = false; // nothing to import in it
    size_t list = 0;    // which of its `_webSocketMessages` arrays has its messages (1 = the first; 0 none)
};

class EntryPass : public HarEvents
{
  public:
    EntryPass(ImportSource& source, uint64_t base, const std::string& name, const ParseOptions& options)
        : m_name(name),
          m_pass(source, base, name, options.blockBytes, HarHandler::Reads::Entries, *this, options.maxMessageBytes)
    {
    }

    // The next entry. Throws FormatError for a JSON error in it (or before it). An error met further on in the
    // same block waits until its entry is wanted: what is reported does not depend on the blocks.
    HarEntry Take()
    {
        while (m_ready.empty())
        {
            if (m_error)
                std::rethrow_exception(m_error);
            try
            {
                if (!m_pass.Step())
                    throw FormatError(m_name + ": the file changed while it was imported");
            }
            catch (const FormatError&)
            {
                m_error = std::current_exception();
            }
        }
        HarEntry entry = std::move(m_ready.front());
        m_ready.pop_front();
        return entry;
    }

  private:
    void Entry(json::value& value, size_t list) override
    {
        if (IsPlainEntry(value))
            m_ready.push_back({json::value(), true, list});
        else
            m_ready.push_back({std::move(value), false, list});
    }

    const std::string& m_name;
    DocumentPass<HarHandler> m_pass;
    std::deque<HarEntry> m_ready; // entries read and not taken yet
    std::exception_ptr m_error;   // the JSON error that ended the pass, once met
};

// Pass 2 over a HAR, with pass 1 one entry ahead: sessions from the entries, streamed to the sink.
class HarImport : public HarEvents
{
  public:
    HarImport(ImportSource& source, uint64_t base, const std::string& name, ImportSink& sink,
              const ParseOptions& options)
        : m_source(source), m_base(base), m_name(name), m_options(options), m_entries(source, base, name, options),
          m_out(sink),
          m_pass(source, base, name, options.blockBytes, HarHandler::Reads::Messages, *this, options.maxMessageBytes)
    {
    }

    void Run()
    {
        // The whole file is checked first: a file that is not JSON (cut short, say) is refused before anything is
        // imported, with its first error, whatever else is wrong in it.
        HarEvents none;
        DocumentPass<HarHandler> check(m_source, m_base, m_name, m_options.blockBytes, HarHandler::Reads::Structure,
                                       none, m_options.maxMessageBytes);
        while (check.Step())
        {
        }
        if (!check.Events().EntriesFound())
            throw FormatError(m_name + ": not a HAR file (no log.entries array)");
        while (m_pass.Step())
            if (m_options.progress)
                m_options.progress(m_pass.Position());
        m_out.End();
        if (m_out.Count() == 0)
            throw FormatError(m_name + ": no WebSocket entries (with _webSocketMessages) to import");
    }

  private:
    // Shape errors of the current entry as FormatErrors with its path.
    template <class F> void AtEntry(F&& read)
    {
        try
        {
            Within(Index("log.entries", m_index), read);
        }
        catch (const ShapeError& e)
        {
            throw FormatError(m_name + ": " + Where(e.path) + e.what());
        }
    }

    void EntryBegin() override
    {
        m_entry = m_entries.Take();
        m_lists = 0;
        m_messages.reset();
        if (m_entry.plain)
            return;
        AtEntry(
            [&]
            {
                const json::object& entry = AsObject(m_entry.value);
                if (IsDapscopeHttpEntry(entry))
                    ReadHttpEntry(entry);
                else if (Find(entry, "_webSocketMessages") || String(entry, "_resourceType") == "websocket")
                    BeginWebSocketEntry(entry);
            });
    }

    bool MessagesBegin() override
    {
        m_item = 0;
        return m_messages && ++m_lists == m_entry.list; // JSON keeps the last of duplicate members
    }

    void Message(json::value& item) override
    {
        AtEntry([&] { Within(Index("._webSocketMessages", m_item++), [&] { m_messages->Add(AsObject(item)); }); });
    }

    void EntryEnd() override
    {
        if (m_messages)
            AtEntry(
                [&]
                {
                    m_messages->Finish();
                    m_messages.reset();
                    const json::object& entry = m_entry.value.get_object();
                    if (const json::value* extra = Find(entry, "_dapscope"); extra && extra->is_object())
                        if (auto id = Integer(extra->get_object(), "id"))
                            m_out.SetId(id);
                });
        m_entry = {};
        ++m_index;
    }

    // A WebSocket entry starts a session; its messages come next.
    void BeginWebSocketEntry(const json::object& entry)
    {
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
                       controls =
                           ReadControlFrames(ArrayField(AsObject(*extra), "control_frames"), m_options.maxMessageBytes);
                   });
        ArrayField(entry, "_webSocketMessages"); // its items (pass 2's) are the only thing left out of `entry`
        m_out.Begin(s);
        m_messages.emplace(std::move(controls), m_options.maxMessageBytes, m_out);
    }

    // An HTTP exchange of a dapscope HTTP session (`_resourceType: "fetch"` with `_dapscope.request`/`response`):
    // its messages join the session the entry names (`_dapscope.id`) when that is the open one, else start it.
    void ReadHttpEntry(const json::object& entry)
    {
        const uint64_t limit = m_options.maxMessageBytes;
        const json::object& extra =
            Within("._dapscope", [&]() -> const json::object& { return ObjectField(entry, "_dapscope"); });
        std::optional<int64_t> id = Within("._dapscope", [&] { return Integer(extra, "id"); });
        if (!m_out.Joins(id))
        {
            ImportedSession s;
            if (const json::value* request = Find(entry, "request"))
                Within(".request", [&] { ReadRequest(AsObject(*request), s); });
            Within("._dapscope", [&] { ReadSessionFields(extra, s); });
            m_out.Begin(s, id);
        }
        std::vector<ImportedMessage> messages;
        if (const json::value* q = Find(extra, "request"))
        {
            const json::object& request = ObjectField(entry, "request");
            std::string body;
            if (const json::value* post = Find(request, "postData"))
                body = Within(".request.postData", [&] { return HarBody(AsObject(*post), "_encoding"); });
            messages.push_back(Within("._dapscope.request",
                                      [&] {
                                          return ReadHttpMessage(AsObject(*q), std::move(body),
                                                                 Direction::ClientToServer, "http_request", limit);
                                      }));
        }
        ForEach(ArrayField(extra, "informational"), "._dapscope.informational",
                [&](const json::value& item) { messages.push_back(ReadRecord(AsObject(item), limit)); });
        if (const json::value* r = Find(extra, "response"))
        {
            const json::object& response = ObjectField(entry, "response");
            std::string body;
            if (const json::value* content = Find(response, "content"))
                body = Within(".response.content", [&] { return HarBody(AsObject(*content), "encoding"); });
            messages.push_back(Within("._dapscope.response",
                                      [&] {
                                          return ReadHttpMessage(AsObject(*r), std::move(body),
                                                                 Direction::ServerToClient, "http_response", limit);
                                      }));
        }
        m_out.Exchange(messages);
    }

    ImportSource& m_source;
    uint64_t m_base; // where the text starts
    const std::string& m_name;
    const ParseOptions& m_options;
    EntryPass m_entries; // pass 1
    Sessions m_out;
    DocumentPass<HarHandler> m_pass; // pass 2
    size_t m_index = 0;              // the entry being read
    HarEntry m_entry;
    std::optional<HarMessages> m_messages; // when the entry is a WebSocket session
    size_t m_lists = 0;                    // `_webSocketMessages` arrays of the entry so far
    size_t m_item = 0;                     // position in the one being read
};

// ---- JSONL ----

// Builds a whole JSON document (a JSONL line).
class ValueHandler : public HandlerBase
{
  public:
    explicit ValueHandler(uint64_t maxMessageBytes) : m_builder(maxMessageBytes) {}

    bool on_document_begin(json::error_code&)
    {
        m_builder.Begin();
        return true;
    }
    bool on_object_begin(json::error_code& ec) { return Check(m_builder.Node(), ec); }
    bool on_object_end(std::size_t n, json::error_code&)
    {
        m_builder.Object(n);
        return true;
    }
    bool on_array_begin(json::error_code& ec) { return Check(m_builder.Node(), ec); }
    bool on_array_end(std::size_t n, json::error_code&)
    {
        m_builder.Array(n);
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t, json::error_code& ec) { return Check(m_builder.Chars(s), ec); }
    bool on_key(json::string_view s, std::size_t, json::error_code& ec) { return Check(m_builder.Key(s), ec); }
    bool on_string_part(json::string_view s, std::size_t, json::error_code& ec)
    {
        return Check(m_builder.Chars(s), ec);
    }
    bool on_string(json::string_view s, std::size_t, json::error_code& ec) { return Check(m_builder.String(s), ec); }
    bool on_int64(int64_t i, json::string_view, json::error_code& ec) { return Check(m_builder.Int64(Integer(i)), ec); }
    bool on_uint64(uint64_t u, json::string_view, json::error_code& ec)
    {
        return Check(m_builder.Uint64(Integer(u)), ec);
    }
    bool on_double(double d, json::string_view s, json::error_code& ec)
    {
        return Check(m_builder.Double(Exact(d, s)), ec);
    }
    bool on_bool(bool b, json::error_code& ec) { return Check(m_builder.Bool(b), ec); }
    bool on_null(json::error_code& ec) { return Check(m_builder.Null(), ec); }

    json::value Release() { return m_builder.Release(); }

  private:
    bool Check(bool ok, json::error_code& ec) { return ok || Fail(m_builder.Problem(), ec); }

    Builder m_builder;
};

bool IsBlank(std::string_view line)
{
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// JSONL, line by line: each line parsed as it is read (a line is never held whole, only its value).
class JsonlImport
{
  public:
    JsonlImport(ImportSource& source, uint64_t base, const std::string& name, ImportSink& sink,
                const ParseOptions& options)
        : m_name(name), m_options(options), m_reader(source, options.blockBytes, base),
          m_parser(JsonOptions(), options.maxMessageBytes), m_out(sink)
    {
    }

    void Run()
    {
        for (std::string_view block = m_reader.Next(); !block.empty(); block = m_reader.Next())
        {
            for (size_t pos = 0; pos <= block.size();)
            {
                const size_t newline = block.find('\n', pos);
                std::string_view piece = block.substr(pos, newline == std::string_view::npos ? newline : newline - pos);
                m_content = m_content || !IsBlank(piece);
                if (m_content)
                    Feed(piece, true);
                m_lineBytes += piece.size();
                if (newline == std::string_view::npos)
                    break;
                EndLine();
                pos = newline + 1;
            }
            if (m_options.progress)
                m_options.progress(m_reader.End());
        }
        EndLine();
        m_out.End();
        if (m_out.Count() == 0)
            throw FormatError(m_name + ": nothing to import (no sessions or messages)");
    }

  private:
    std::string Line() const { return m_name + ":" + std::to_string(m_line); }

    // Parse more of the line (all of it when !more).
    void Feed(std::string_view piece, bool more)
    {
        json::error_code ec;
        size_t n = m_parser.write_some(more, piece.data(), piece.size(), ec);
        if (!ec && n < piece.size())
            ec = json::error::extra_data;
        if (ec)
            throw FormatError(Line() + ":" + std::to_string(m_lineBytes + n + 1) + ": " +
                              Why(ec, m_parser.handler().Problem()));
    }

    void EndLine()
    {
        if (m_content)
        {
            Feed({}, false);
            json::value value = m_parser.handler().Release();
            try
            {
                Read(value);
            }
            catch (const ShapeError& e)
            {
                throw FormatError(Line() + ": " + Where(e.path) + e.what());
            }
        }
        m_parser.reset();
        m_content = false;
        m_lineBytes = 0;
        ++m_line;
    }

    void Read(const json::value& value)
    {
        const json::object& o = AsObject(value);
        if (String(o, "type") == "session")
        {
            ImportedSession s;
            ReadSessionFields(o, s);
            m_out.Begin(s);
            m_current = Integer(o, "id");
            return;
        }
        ImportedMessage message = ReadRecord(o, m_options.maxMessageBytes);
        std::optional<int64_t> session = Integer(o, "session");
        if (!m_out.Open() || (session && m_current && *session != *m_current))
            m_out.Begin({});
        if (session)
            m_current = session;
        m_out.Message(message);
    }

    const std::string& m_name;
    const ParseOptions& m_options;
    Reader m_reader;
    json::basic_parser<ValueHandler> m_parser;
    Sessions m_out;
    uint64_t m_line = 1;              // the line being read
    uint64_t m_lineBytes = 0;         // its bytes so far
    bool m_content = false;           // it is not blank
    std::optional<int64_t> m_current; // the `id` of the current session in the exporting store, when known
};

// ---- Detection ----

// Looks at the first line: stops at a "log" member of the top object (a HAR).
class DetectHandler : public HandlerBase
{
  public:
    bool on_object_begin(json::error_code&) { return Open(true); }
    bool on_object_end(std::size_t, json::error_code&) { return Close(); }
    bool on_array_begin(json::error_code&) { return Open(false); }
    bool on_array_end(std::size_t, json::error_code&) { return Close(); }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&)
    {
        Key(s);
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code& ec)
    {
        Key(s);
        m_keyDone = true;
        if (m_depth == 1 && m_rootObject && m_key == "log")
            return Fail("a HAR", ec);
        return true;
    }
    bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_number_part(json::string_view, json::error_code&) { return true; } // numbers are not looked at
    bool on_int64(int64_t, json::string_view, json::error_code&) { return true; }
    bool on_uint64(uint64_t, json::string_view, json::error_code&) { return true; }
    bool on_double(double, json::string_view, json::error_code&) { return true; }
    bool on_bool(bool, json::error_code&) { return true; }
    bool on_null(json::error_code&) { return true; }

  private:
    bool Open(bool object)
    {
        if (m_depth++ == 0)
            m_rootObject = object;
        return true;
    }
    bool Close()
    {
        --m_depth;
        return true;
    }
    void Key(std::string_view s)
    {
        if (m_depth != 1)
            return;
        if (m_keyDone)
            m_key.clear();
        m_keyDone = false;
        m_key.append(s.substr(0, std::min<size_t>(s.size(), 4)));
    }

    size_t m_depth = 0;
    bool m_rootObject = false;
    std::string m_key;
    bool m_keyDone = true;
};

// Where the text starts: after a byte order mark some Windows tools write.
uint64_t TextStart(ImportSource& source)
{
    char head[3] = {};
    size_t got = 0;
    while (got < sizeof head)
    {
        size_t n = source.ReadAt(got, head + got, sizeof head - got);
        if (n == 0)
            break;
        got += n;
    }
    return got == 3 && std::memcmp(head, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

// True when the file is a HAR: its first line (from its first non-blank byte) is not a JSON value on its own,
// or is an object with a "log" member.
bool LooksLikeHar(ImportSource& source, uint64_t base, const std::string& name, size_t blockBytes)
{
    Reader reader(source, blockBytes, base);
    json::basic_parser<DetectHandler> parser(JsonOptions());
    bool started = false;
    json::error_code ec;
    for (std::string_view block = reader.Next(); !block.empty(); block = reader.Next())
    {
        if (!started)
        {
            size_t first = block.find_first_not_of(" \t\r\n");
            if (first == std::string_view::npos)
                continue;
            block.remove_prefix(first);
            started = true;
        }
        const size_t newline = block.find('\n');
        std::string_view line = block.substr(0, newline);
        size_t n = parser.write_some(true, line.data(), line.size(), ec);
        if (ec || n < line.size())
            return true;
        if (newline != std::string_view::npos)
            break;
    }
    if (!started)
        throw FormatError(name + ": empty file, nothing to import");
    parser.write_some(false, nullptr, 0, ec);
    return static_cast<bool>(ec);
}
} // namespace

void ParseHar(ImportSource& source, const std::string& name, ImportSink& sink, const ParseOptions& options)
{
    HarImport(source, 0, name, sink, options).Run();
}

void ParseJsonl(ImportSource& source, const std::string& name, ImportSink& sink, const ParseOptions& options)
{
    JsonlImport(source, 0, name, sink, options).Run();
}

void ParseImport(ImportSource& source, const std::string& name, ImportSink& sink, const ParseOptions& options)
{
    const uint64_t base = TextStart(source);
    if (LooksLikeHar(source, base, name, options.blockBytes))
        HarImport(source, base, name, sink, options).Run();
    else
        JsonlImport(source, base, name, sink, options).Run();
}

std::vector<ImportedSession> ParseHar(std::string_view bytes, const std::string& name)
{
    MemorySource source(bytes);
    CollectSink sink;
    ParseHar(source, name, sink);
    return std::move(sink.sessions);
}

std::vector<ImportedSession> ParseJsonl(std::string_view bytes, const std::string& name)
{
    MemorySource source(bytes);
    CollectSink sink;
    ParseJsonl(source, name, sink);
    return std::move(sink.sessions);
}

std::vector<ImportedSession> ParseImport(std::string_view bytes, const std::string& name)
{
    MemorySource source(bytes);
    CollectSink sink;
    ParseImport(source, name, sink);
    return std::move(sink.sessions);
}

} // namespace dapscope::storage
