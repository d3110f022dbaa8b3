#include "HttpStream.hpp"

#include <http_parser.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace dapscope::wire
{

namespace
{

enum class Phase : uint8_t
{
    Head,     // gathering the next head
    Body,     // inside a message body
    Upgraded, // Request role: held after an upgrade request until ResumeHttp
    Tunnel,   // Response role: after a 101
    Closed,   // after a message that ends the connection: later bytes are ignored
    Failed,   // after an Error
    Finished, // after Finish
};

enum class Framing : uint8_t
{
    None,       // the message ends with its head
    Length,     // Content-Length
    Chunked,    // Transfer-Encoding: ..., chunked
    UntilClose, // a response that ends when the server closes
};

bool IsTchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsToken(std::string_view text)
{
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return IsTchar(c); });
}

bool IsWhitespace(char c)
{
    return c == ' ' || c == '\t';
}

// field-vchar, SP or HT: what a field value, a reason phrase or a trailer value may contain.
bool IsFieldChar(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7F);
}

int HexValue(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(),
                      [](char x, char y)
                      {
                          auto lower = [](char c)
                          { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
                          return lower(x) == lower(y);
                      });
}

std::string_view TrimOws(std::string_view text)
{
    while (!text.empty() && IsWhitespace(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && IsWhitespace(text.back()))
        text.remove_suffix(1);
    return text;
}

// Validates a chunked body (RFC 9112 §7.1) where Debian's http-parser does not: chunk-size then an optional
// chunk-ext (BWS only around ";" and "="), CRLF, the data, exactly CRLF, and a trailer section of well-formed
// field lines. http-parser runs over the same bytes afterwards; the two must agree on where the body ends.
class ChunkedFraming
{
  public:
    explicit ChunkedFraming(size_t maxLineBytes = 0) : m_maxLineBytes(maxLineBytes) {}

    // Check the body bytes at the start of `bytes`; returns how many belong to this message (all of them unless
    // it ends inside). `done`: it ended there; `data`: chunk-data bytes among them; `error`: why the framing is
    // invalid (the return value then means nothing).
    size_t Scan(std::string_view bytes, bool& done, uint64_t& data, const char*& error)
    {
        done = false;
        data = 0;
        error = nullptr;
        size_t i = 0;
        while (i < bytes.size())
        {
            if (m_state == State::Data)
            {
                const size_t take = static_cast<size_t>(std::min<uint64_t>(m_size, bytes.size() - i));
                i += take;
                data += take;
                m_size -= take;
                if (m_size == 0)
                    m_state = State::DataCr;
                continue;
            }
            const auto c = static_cast<unsigned char>(bytes[i++]);
            if (++m_lineBytes > m_maxLineBytes)
            {
                error = m_state >= State::TrailerStart ? "trailer section too large" : "chunk size line too long";
                return i;
            }
            error = Step(c);
            if (error)
                return i;
            if (m_state == State::Done)
            {
                done = true;
                return i;
            }
        }
        return i;
    }

  private:
    enum class State : uint8_t
    {
        SizeStart,
        Size,
        ExtBws, // whitespace after the size or a value: only ";" may follow
        ExtNameStart,
        ExtName,
        ExtAfterName,
        ExtValueStart,
        ExtToken,
        ExtQuoted,
        ExtQuotedPair,
        ExtAfterQuoted,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        TrailerName,
        TrailerValue,
        TrailerLf,
        FinalLf,
        Done,
    };

    const char* Step(unsigned char c)
    {
        constexpr const char* badExtension = "invalid chunk extension";
        switch (m_state)
        {
        case State::SizeStart:
            if (HexValue(c) < 0)
                return "invalid chunk size";
            m_size = static_cast<uint64_t>(HexValue(c));
            m_state = State::Size;
            return nullptr;
        case State::Size:
            if (HexValue(c) >= 0)
            {
                // http-parser's own bound, so both accept the same sizes.
                if (m_size > (std::numeric_limits<uint64_t>::max() - 16) / 16)
                    return "chunk size too large";
                m_size = m_size * 16 + static_cast<uint64_t>(HexValue(c));
                return nullptr;
            }
            if (c == ';')
                m_state = State::ExtNameStart;
            else if (IsWhitespace(static_cast<char>(c)))
                m_state = State::ExtBws;
            else if (c == '\r')
                m_state = State::SizeLf;
            else
                return "invalid chunk size";
            return nullptr;
        case State::ExtBws:
            if (c == ';')
                m_state = State::ExtNameStart;
            else if (!IsWhitespace(static_cast<char>(c)))
                return badExtension;
            return nullptr;
        case State::ExtNameStart:
            if (IsTchar(c))
                m_state = State::ExtName;
            else if (!IsWhitespace(static_cast<char>(c)))
                return badExtension;
            return nullptr;
        case State::ExtName:
            if (IsTchar(c))
                return nullptr;
            return EndOfExtensionItem(c, State::ExtAfterName);
        case State::ExtAfterName:
            if (c == '=')
                m_state = State::ExtValueStart;
            else if (c == ';')
                m_state = State::ExtNameStart;
            else if (!IsWhitespace(static_cast<char>(c)))
                return badExtension;
            return nullptr;
        case State::ExtValueStart:
            if (IsTchar(c))
                m_state = State::ExtToken;
            else if (c == '"')
                m_state = State::ExtQuoted;
            else if (!IsWhitespace(static_cast<char>(c)))
                return badExtension;
            return nullptr;
        case State::ExtToken:
            if (IsTchar(c))
                return nullptr;
            if (c == '=')
                return badExtension;
            return EndOfExtensionItem(c, State::ExtBws);
        case State::ExtQuoted:
            if (c == '"')
                m_state = State::ExtAfterQuoted;
            else if (c == '\\')
                m_state = State::ExtQuotedPair;
            else if (!IsFieldChar(c))
                return badExtension;
            return nullptr;
        case State::ExtQuotedPair:
            if (!IsFieldChar(c))
                return badExtension;
            m_state = State::ExtQuoted;
            return nullptr;
        case State::ExtAfterQuoted:
            return EndOfExtensionItem(c, State::ExtBws);
        case State::SizeLf:
            if (c != '\n')
                return "CR without LF in a chunk size line";
            m_state = m_size == 0 ? State::TrailerStart : State::Data;
            m_lineBytes = 0;
            return nullptr;
        case State::DataCr:
            if (c != '\r')
                return "chunk data not followed by CRLF";
            m_state = State::DataLf;
            return nullptr;
        case State::DataLf:
            if (c != '\n')
                return "chunk data not followed by CRLF";
            m_state = State::SizeStart;
            m_lineBytes = 0;
            return nullptr;
        case State::TrailerStart:
            if (c == '\r')
                m_state = State::FinalLf;
            else if (IsTchar(c))
                m_state = State::TrailerName;
            else
                return IsWhitespace(static_cast<char>(c)) ? "obs-fold in the trailer section" : "invalid trailer field";
            return nullptr;
        case State::TrailerName:
            if (c == ':')
                m_state = State::TrailerValue;
            else if (!IsTchar(c))
                return IsWhitespace(static_cast<char>(c)) ? "whitespace before a trailer field colon"
                                                          : "invalid trailer field";
            return nullptr;
        case State::TrailerValue:
            if (c == '\r')
                m_state = State::TrailerLf;
            else if (!IsFieldChar(c))
                return "control character in a trailer field";
            return nullptr;
        case State::TrailerLf:
        case State::FinalLf:
            if (c != '\n')
                return "CR without LF in the trailer section";
            m_state = m_state == State::TrailerLf ? State::TrailerStart : State::Done;
            return nullptr;
        case State::Data:
        case State::Done:
            break;
        }
        return "invalid chunked framing";
    }

    // After an extension name or value: whitespace (state `afterWhitespace`), ";", "=" after a name, or CR.
    const char* EndOfExtensionItem(unsigned char c, State afterWhitespace)
    {
        if (c == ';')
            m_state = State::ExtNameStart;
        else if (c == '=' && m_state == State::ExtName)
            m_state = State::ExtValueStart;
        else if (c == '\r')
            m_state = State::SizeLf;
        else if (IsWhitespace(static_cast<char>(c)))
            m_state = afterWhitespace;
        else
            return "invalid chunk extension";
        return nullptr;
    }

    State m_state = State::SizeStart;
    uint64_t m_size = 0;       // the current chunk's size; in Data, its bytes still to come
    size_t m_lineBytes = 0;    // bytes of the current chunk-size line, or of the trailer section so far
    size_t m_maxLineBytes = 0; // bound on both, as for a head
};

const char* CheckRequestLine(std::string_view line)
{
    const size_t firstSpace = line.find(' ');
    const size_t secondSpace = firstSpace == std::string_view::npos ? firstSpace : line.find(' ', firstSpace + 1);
    if (secondSpace == std::string_view::npos)
        return "malformed request line";
    const std::string_view method = line.substr(0, firstSpace);
    const std::string_view target = line.substr(firstSpace + 1, secondSpace - firstSpace - 1);
    const std::string_view version = line.substr(secondSpace + 1);
    if (!IsToken(method))
        return "invalid method";
    if (target.empty())
        return "malformed request line";
    for (unsigned char c : target)
        if (c <= 0x20 || c == 0x7F)
            return "invalid character in the request target";
    if (method == "PRI" && target == "*" && version == "HTTP/2.0")
        return "HTTP/2 connection preface";
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return "unsupported HTTP version";
    if (method == "CONNECT")
        return "CONNECT is not supported";
    return nullptr;
}

const char* CheckStatusLine(std::string_view line)
{
    if (line.size() < 12 || line[8] != ' ')
        return "malformed status line";
    if (line.substr(0, 8) != "HTTP/1.1" && line.substr(0, 8) != "HTTP/1.0")
        return "unsupported HTTP version";
    for (size_t i = 9; i < 12; ++i)
        if (line[i] < '0' || line[i] > '9')
            return "invalid status code";
    if (line[9] < '1' || line[9] > '5')
        return "invalid status code";
    if (line.size() > 12 && line[12] != ' ')
        return "malformed status line";
    for (size_t i = 13; i < line.size(); ++i)
        if (!IsFieldChar(static_cast<unsigned char>(line[i])))
            return "control character in the reason phrase";
    return nullptr;
}

// The field lines of a head that ends with its first CRLF CRLF: the checks http-parser skips (RFC 9112 §2.2,
// §5.1, §5.2) plus those it makes, so that every rejection has a reason.
const char* CheckFieldLines(std::string_view raw)
{
    size_t pos = raw.find("\r\n") + 2;
    for (bool first = true;; first = false)
    {
        const size_t eol = raw.find("\r\n", pos);
        const std::string_view line = raw.substr(pos, eol - pos);
        pos = eol + 2;
        if (line.empty())
            return nullptr;
        if (IsWhitespace(line[0]))
            return first ? "whitespace-led line after the start line" : "obs-fold (a field line continued)";
        size_t i = 0;
        for (; i < line.size() && line[i] != ':'; ++i)
        {
            if (IsWhitespace(line[i]))
                return "whitespace in a header name or before its colon";
            if (!IsTchar(static_cast<unsigned char>(line[i])))
                return "invalid character in a header name";
        }
        if (i == line.size())
            return "header line without a colon";
        if (i == 0)
            return "empty header name";
        const std::string_view name = line.substr(0, i);
        const std::string_view value = line.substr(i + 1);
        for (unsigned char c : value)
            if (!IsFieldChar(c))
                return "control character in a header value";
        // Debian's http-parser takes every name that begins with "Transfer-Encoding" for one, and such a field
        // makes it forget an earlier chunked; the upstream would see an unrelated field.
        if (name.size() > 17 && EqualsIgnoreCase(name.substr(0, 17), "Transfer-Encoding"))
            return "field name beginning with Transfer-Encoding";
        // A tab is OWS, but after "chunked" it makes http-parser read the coding as another one.
        if (EqualsIgnoreCase(name, "Transfer-Encoding") && value.find('\t') != std::string_view::npos)
            return "tab in Transfer-Encoding";
    }
}

// 1*DIGIT within http-parser's own bound.
bool ParseContentLength(std::string_view text, uint64_t& length)
{
    if (text.empty())
        return false;
    length = 0;
    for (char c : text)
    {
        if (c < '0' || c > '9' || length > (std::numeric_limits<uint64_t>::max() - 10) / 10)
            return false;
        length = length * 10 + static_cast<uint64_t>(c - '0');
    }
    return true;
}

// uri-host [ ":" port ] characters (RFC 3986 reg-name, IP-literal, IPv4), or empty (RFC 9112 §3.2).
bool IsValidHost(std::string_view host)
{
    for (unsigned char c : host)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              std::strchr("-._~%!$&'()*+,;=:[]", c) != nullptr) ||
            c == 0)
            return false;
    return true;
}

bool IsKnownCoding(std::string_view coding)
{
    for (std::string_view known : {"chunked", "gzip", "x-gzip", "deflate", "compress", "x-compress"})
        if (EqualsIgnoreCase(coding, known))
            return true;
    return false;
}

struct Expected
{
    std::string method;
    bool upgrade = false;
};

// What a validated head means for its message, or why it is rejected.
struct Verdict
{
    const char* error = nullptr; // set: the head is rejected with `status`
    int status = 0;
    Framing framing = Framing::None;
    uint64_t length = 0;  // Framing::Length
    bool close = false;   // the connection ends after this message
    bool upgrade = false; // Request: asks for an upgrade; Response: a 101
    bool interim = false; // a 1xx other than 101: the request is still unanswered
};

// RFC 9112 §6.1-6.3 and §3.2 on a parsed head. `answering` (responses): the request it answers, if any.
Verdict Judge(const HttpHead& head, const Expected* answering)
{
    Verdict verdict;
    const int bad = head.request ? 400 : 502;
    auto reject = [&](const char* why, int status)
    {
        verdict.error = why;
        verdict.status = status;
        return verdict;
    };

    size_t lengths = 0;
    size_t codingLines = 0;
    size_t hosts = 0;
    const std::string* lengthValue = nullptr;
    for (const HttpHeader& header : head.headers)
    {
        if (EqualsIgnoreCase(header.name, "Content-Length"))
        {
            ++lengths;
            lengthValue = &header.value;
        }
        else if (EqualsIgnoreCase(header.name, "Transfer-Encoding"))
            ++codingLines;
        else if (EqualsIgnoreCase(header.name, "Host"))
            ++hosts;
    }
    const bool http10 = head.versionMinor == 0;
    if (lengths > 0 && codingLines > 0)
        return reject("both Content-Length and Transfer-Encoding", bad);
    if (lengths > 1)
        return reject("more than one Content-Length", bad);
    uint64_t length = 0;
    if (lengthValue && !ParseContentLength(*lengthValue, length))
        return reject("invalid Content-Length", bad);

    bool chunked = false;
    if (codingLines > 0)
    {
        if (http10)
            return reject("Transfer-Encoding in an HTTP/1.0 message", bad);
        for (const HttpHeader& header : head.headers)
        {
            if (!EqualsIgnoreCase(header.name, "Transfer-Encoding"))
                continue;
            const std::string_view list = header.value;
            for (size_t pos = 0; pos <= list.size();)
            {
                size_t comma = list.find(',', pos);
                if (comma == std::string_view::npos)
                    comma = list.size();
                const std::string_view coding = TrimOws(list.substr(pos, comma - pos));
                pos = comma + 1;
                // RFC 9110 §5.6.1 says to ignore empty list elements, but http-parser does not ("chunked," is
                // not chunked for it) and the upstream's parser may not either: such a message is refused.
                if (coding.empty())
                    return reject(list.empty() ? "empty Transfer-Encoding" : "empty element in Transfer-Encoding", bad);
                if (!IsToken(coding))
                    return reject("invalid Transfer-Encoding", bad);
                if (!IsKnownCoding(coding))
                    return reject("unknown transfer coding", head.request ? 501 : 502);
                const bool isChunked = EqualsIgnoreCase(coding, "chunked");
                if (chunked)
                    return reject(
                        isChunked ? "chunked applied more than once" : "chunked is not the final transfer coding", bad);
                chunked = isChunked;
            }
        }
        if (!chunked && head.request)
            return reject("chunked is not the final transfer coding", 400);
    }

    if (head.request)
    {
        if (hosts > 1)
            return reject("more than one Host", 400);
        if (hosts == 0 && !http10)
            return reject("missing Host", 400);
        if (hosts == 1 && !IsValidHost(*head.Find("Host")))
            return reject("invalid Host", 400);
        verdict.framing = chunked ? Framing::Chunked : length > 0 ? Framing::Length : Framing::None;
        verdict.length = length;
        // An Upgrade in an HTTP/1.0 request is ignored (RFC 9110 §7.8).
        verdict.upgrade = !http10 && head.Find("Upgrade") && head.HasToken("Connection", "upgrade");
        // A proxy keeps no persistent connection with an HTTP/1.0 client (RFC 9112 §9.3).
        verdict.close = http10 || head.HasToken("Connection", "close");
        return verdict;
    }

    if (!answering)
        return reject("a response to no request", 502);
    const int status = head.status;
    if (status == 101)
    {
        if (!answering->upgrade)
            return reject("101 Switching Protocols to a request that asked for no upgrade", 502);
        if (!head.Find("Upgrade"))
            return reject("101 Switching Protocols without Upgrade", 502);
        verdict.upgrade = true;
    }
    verdict.interim = status < 200 && status != 101;
    if (answering->method == "HEAD" || status < 200 || status == 204 || status == 304)
        verdict.framing = Framing::None;
    else if (chunked)
        verdict.framing = Framing::Chunked;
    else if (codingLines > 0 || lengths == 0)
        verdict.framing = Framing::UntilClose;
    else
        verdict.framing = length > 0 ? Framing::Length : Framing::None;
    verdict.length = length;
    verdict.close = !verdict.interim &&
                    (head.HasToken("Connection", "close") || (http10 && !head.HasToken("Connection", "keep-alive")) ||
                     verdict.framing == Framing::UntilClose);
    return verdict;
}

HttpEvent MakeEvent(HttpEvent::Type type, size_t offset = 0)
{
    HttpEvent event;
    event.type = type;
    event.offset = offset;
    return event;
}

} // namespace

struct HttpStream::State
{
    State(Role role, size_t maxHeadBytes) : role(role), maxHead(maxHeadBytes) {}

    const Role role;
    const size_t maxHead;
    Phase phase = Phase::Head;

    std::string head;          // the head being gathered
    size_t emptyLineBytes = 0; // CRLFs dropped before it
    bool emptyLineCr = false;  // a CR of such a CRLF was the last byte

    std::deque<Expected> expected; // Response role: the requests still to be answered, oldest first

    // The current message.
    Framing framing = Framing::None;
    uint64_t remaining = 0; // Framing::Length: body bytes still to come
    bool open = false;      // its Head was reported, its End not yet
    bool close = false;     // the last final message ends the connection
    bool upgrade = false;
    bool interim = false;
    ChunkedFraming chunked;

    http_parser parser{};
    // Set by http-parser's callbacks during one Run.
    bool skipBody = false;
    bool headersComplete = false;
    bool messageComplete = false;
    uint64_t dataBytes = 0;
    std::vector<std::string_view>* data = nullptr;

    bool IsRequest() const { return role == Role::Request; }
    int Bad() const { return IsRequest() ? 400 : 502; }

    static int OnHeadersComplete(http_parser* parser)
    {
        auto* state = static_cast<State*>(parser->data);
        state->headersComplete = true;
        return state->skipBody ? 1 : 0; // 1: no body, whatever the head says (RFC 9112 §6.3 rule 1)
    }

    static int OnBody(http_parser* parser, const char* at, size_t length)
    {
        auto* state = static_cast<State*>(parser->data);
        if (length > 0)
            state->data->emplace_back(at, length);
        state->dataBytes += length;
        return 0;
    }

    static int OnMessageComplete(http_parser* parser)
    {
        auto* state = static_cast<State*>(parser->data);
        state->messageComplete = true;
        // Stop right after the message: the next one gets a fresh parser, and http-parser must not read on
        // after a message that closes the connection or switches protocols.
        http_parser_pause(parser, 1);
        return 0;
    }

    static const http_parser_settings& Settings()
    {
        static const http_parser_settings settings = []
        {
            http_parser_settings s;
            http_parser_settings_init(&s);
            s.on_headers_complete = &State::OnHeadersComplete;
            s.on_body = &State::OnBody;
            s.on_message_complete = &State::OnMessageComplete;
            return s;
        }();
        return settings;
    }

    // http-parser over `size` bytes; the bytes it took, or npos after an error.
    size_t Run(const char* bytes, size_t size, std::vector<std::string_view>& views)
    {
        messageComplete = false;
        dataBytes = 0;
        data = &views;
        const size_t used = http_parser_execute(&parser, &Settings(), bytes, size);
        data = nullptr;
        const auto error = HTTP_PARSER_ERRNO(&parser);
        if (error != HPE_OK && !(error == HPE_PAUSED && messageComplete))
            return std::string_view::npos;
        return used;
    }

    void Fail(int status, std::string reason, std::vector<HttpEvent>& events)
    {
        HttpEvent event = MakeEvent(HttpEvent::Type::Error);
        event.status = status;
        event.reason = std::move(reason);
        events.push_back(std::move(event));
        phase = Phase::Failed;
        head = std::string();
    }

    void FailParser(std::vector<HttpEvent>& events)
    {
        const auto error = HTTP_PARSER_ERRNO(&parser);
        const int status = error == HPE_HEADER_OVERFLOW ? (IsRequest() ? 431 : 502) : Bad();
        Fail(status, std::string("rejected by http-parser: ") + http_errno_description(error), events);
    }

    void FailHeadTooLarge(std::vector<HttpEvent>& events)
    {
        Fail(IsRequest() ? 431 : 502,
             std::string(IsRequest() ? "request" : "response") + " head larger than " + std::to_string(maxHead) +
                 " bytes",
             events);
    }

    // Returns the position after the bytes taken.
    size_t FeedHead(std::string_view bytes, size_t pos, std::vector<HttpEvent>& events)
    {
        // Empty lines before a head are dropped (RFC 9112 §2.2); they count towards the head's size.
        while (head.empty() && pos < bytes.size())
        {
            const char c = bytes[pos];
            if (emptyLineCr)
            {
                if (c != '\n')
                {
                    Fail(Bad(), "CR without LF before the start line", events);
                    return pos;
                }
                emptyLineCr = false;
                ++pos;
                continue;
            }
            if (c == '\n')
            {
                Fail(Bad(), "bare LF line ending", events);
                return pos;
            }
            if (c != '\r')
            {
                // Reject what cannot start a start line (a TLS ClientHello, say) without waiting for a line.
                if (IsRequest() ? !IsTchar(static_cast<unsigned char>(c)) : c != 'H')
                {
                    Fail(Bad(), IsRequest() ? "not an HTTP request" : "not an HTTP response", events);
                    return pos;
                }
                break;
            }
            emptyLineCr = true;
            ++pos;
            emptyLineBytes += 2;
            if (emptyLineBytes > maxHead)
            {
                FailHeadTooLarge(events);
                return pos;
            }
        }
        while (pos < bytes.size())
        {
            const size_t gathered = emptyLineBytes + head.size();
            if (gathered >= maxHead)
            {
                FailHeadTooLarge(events);
                return pos;
            }
            const size_t span = std::min(maxHead - gathered, bytes.size() - pos);
            const auto* lf = static_cast<const char*>(std::memchr(bytes.data() + pos, '\n', span));
            const size_t take = lf ? static_cast<size_t>(lf - (bytes.data() + pos)) + 1 : span;
            head.append(bytes.data() + pos, take);
            pos += take;
            if (!lf)
                continue;
            // Every line must end with CRLF: a bare LF could end a line for the upstream and not for us.
            if (head.size() < 2 || head[head.size() - 2] != '\r')
            {
                Fail(Bad(), "bare LF line ending", events);
                return pos;
            }
            if (head.size() >= 4 && head.compare(head.size() - 4, 4, "\r\n\r\n") == 0)
                return CompleteHead(pos, events);
        }
        return pos;
    }

    // The head ends just before `end` in the fed bytes: validate it as a whole, then report it.
    size_t CompleteHead(size_t end, std::vector<HttpEvent>& events)
    {
        std::string raw = std::move(head);
        head.clear();
        emptyLineBytes = 0;

        const std::string_view startLine = std::string_view(raw).substr(0, raw.find("\r\n"));
        const char* why = IsRequest() ? CheckRequestLine(startLine) : CheckStatusLine(startLine);
        if (!why)
            why = CheckFieldLines(raw);
        std::optional<HttpHead> parsed;
        if (!why)
        {
            parsed = ParseHead(raw, IsRequest());
            if (!parsed)
                why = "malformed head";
        }
        if (why)
        {
            Fail(Bad(), why, events);
            return end;
        }
        const Verdict verdict = Judge(*parsed, expected.empty() ? nullptr : &expected.front());
        if (verdict.error)
        {
            Fail(verdict.status, verdict.error, events);
            return end;
        }

        // http-parser reads the same head with a parser of its own for this message; it must agree.
        http_parser_init(&parser, IsRequest() ? HTTP_REQUEST : HTTP_RESPONSE);
        parser.data = this;
        skipBody = !IsRequest() && verdict.framing == Framing::None;
        headersComplete = false;
        std::vector<std::string_view> noData;
        const size_t used = Run(raw.data(), raw.size(), noData);
        if (used == std::string_view::npos)
        {
            FailParser(events);
            return end;
        }
        const bool agrees =
            headersComplete && used == raw.size() && messageComplete == (verdict.framing == Framing::None) &&
            noData.empty() && (verdict.framing != Framing::Length || parser.content_length == verdict.length) &&
            ((verdict.framing == Framing::Chunked) == ((parser.flags & F_CHUNKED) != 0) || messageComplete);
        if (!agrees)
        {
            Fail(Bad(), "http-parser disagrees on the message framing", events);
            return end;
        }

        if (!IsRequest() && !verdict.interim)
            expected.pop_front();
        framing = verdict.framing;
        remaining = verdict.length;
        upgrade = verdict.upgrade;
        interim = verdict.interim;
        if (!interim)
            close = verdict.close;
        chunked = ChunkedFraming(maxHead);
        open = true;

        HttpEvent event = MakeEvent(HttpEvent::Type::Head);
        event.raw = std::move(raw);
        event.head = std::move(*parsed);
        events.push_back(std::move(event));
        if (framing == Framing::None)
            EndMessage(end, events);
        else
            phase = Phase::Body;
        return end;
    }

    size_t FeedBody(std::string_view bytes, size_t pos, std::vector<HttpEvent>& events)
    {
        const size_t available = bytes.size() - pos;
        size_t take = available;
        bool done = false;
        uint64_t chunkData = 0;
        if (framing == Framing::Chunked)
        {
            const char* error = nullptr;
            take = chunked.Scan(bytes.substr(pos), done, chunkData, error);
            if (error)
            {
                Fail(Bad(), error, events);
                return bytes.size();
            }
        }
        else if (framing == Framing::Length)
        {
            take = static_cast<size_t>(std::min<uint64_t>(remaining, available));
            done = take == remaining;
            chunkData = take;
        }
        else
            chunkData = take;

        HttpEvent event = MakeEvent(HttpEvent::Type::Body, pos);
        event.length = take;
        const size_t used = Run(bytes.data() + pos, take, event.data);
        if (used == std::string_view::npos)
        {
            FailParser(events);
            return bytes.size();
        }
        if (used != take || messageComplete != done || dataBytes != chunkData)
        {
            Fail(Bad(), "http-parser disagrees on the message framing", events);
            return bytes.size();
        }
        if (framing == Framing::Length)
            remaining -= take;
        events.push_back(std::move(event));
        if (done)
            EndMessage(pos + take, events);
        return pos + take;
    }

    // The message is complete; `offset`: the first fed byte after it.
    void EndMessage(size_t offset, std::vector<HttpEvent>& events)
    {
        events.push_back(MakeEvent(HttpEvent::Type::End));
        open = false;
        if (upgrade)
        {
            events.push_back(MakeEvent(IsRequest() ? HttpEvent::Type::Upgrade : HttpEvent::Type::Tunnel, offset));
            phase = IsRequest() ? Phase::Upgraded : Phase::Tunnel;
            return;
        }
        phase = close ? Phase::Closed : Phase::Head;
    }
};

HttpStream::HttpStream(Role role, size_t maxHeadBytes) : m_state(std::make_unique<State>(role, maxHeadBytes)) {}

HttpStream::~HttpStream() = default;
HttpStream::HttpStream(HttpStream&&) noexcept = default;
HttpStream& HttpStream::operator=(HttpStream&&) noexcept = default;

void HttpStream::ExpectResponseTo(std::string_view method, bool upgradeRequested)
{
    if (m_state && m_state->role == Role::Response)
        m_state->expected.push_back({std::string(method), upgradeRequested});
}

void HttpStream::Feed(std::string_view bytes, std::vector<HttpEvent>& events)
{
    events.clear();
    if (!m_state)
        return;
    State& state = *m_state;
    size_t pos = 0;
    while (pos < bytes.size() && (state.phase == Phase::Head || state.phase == Phase::Body))
        pos = state.phase == Phase::Head ? state.FeedHead(bytes, pos, events) : state.FeedBody(bytes, pos, events);
}

void HttpStream::Finish(std::vector<HttpEvent>& events)
{
    events.clear();
    if (!m_state)
        return;
    State& state = *m_state;
    const char* what = state.IsRequest() ? "request" : "response";
    const int status = state.IsRequest() ? 0 : 502; // nobody is left to answer a request
    if (state.phase == Phase::Head && !state.head.empty())
        state.Fail(status, std::string("connection closed in the middle of a ") + what + " head", events);
    else if (state.phase == Phase::Body && state.framing == Framing::UntilClose)
    {
        std::vector<std::string_view> noData;
        if (state.Run("", 0, noData) == std::string_view::npos || !state.messageComplete)
            state.FailParser(events);
        else
            state.EndMessage(0, events);
    }
    else if (state.phase == Phase::Body)
        state.Fail(status, std::string("connection closed in the middle of a ") + what + " body", events);
    if (state.phase != Phase::Failed)
        state.phase = Phase::Finished;
}

void HttpStream::ResumeHttp()
{
    if (m_state && m_state->phase == Phase::Upgraded)
        m_state->phase = m_state->close ? Phase::Closed : Phase::Head;
}

bool HttpStream::MessageOpen() const
{
    return m_state && m_state->open;
}

bool HttpStream::CloseAfterMessage() const
{
    return m_state && m_state->close;
}

} // namespace dapscope::wire
