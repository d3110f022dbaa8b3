// libFuzzer entry point for the parsing half of import (storage/ImportParse): arbitrary bytes as a HAR, as a
// JSONL file and auto-detected, streamed to a sink. Any outcome but a FormatError or validated sessions is a bug,
// and so is a message that breaks the promises the writer relies on (times, the message limit, sink calls in
// order), base64 that does not round-trip, or a result that changes with the blocks the input is read in
// (each input is parsed whole and again in blocks of pseudo-random sizes, 1 byte and up).
#include "storage/ExportEncoding.hpp"
#include "storage/ImportParse.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

using namespace dapscope::storage;

namespace
{
// Checks every call and writes down what it got.
class CheckingSink : public ImportSink
{
  public:
    explicit CheckingSink(uint64_t limit) : m_limit(limit) {}

    void BeginSession(const ImportedSession& s) override
    {
        if (m_open || !s.messages.empty() || (s.startedNs && (*s.startedNs < 0 || *s.startedNs > kMaxTimeNs)) ||
            (s.endedNs && (*s.endedNs < 0 || *s.endedNs > kMaxTimeNs)))
            __builtin_trap();
        m_open = true;
        ++sessions;
        text += "session " + std::to_string(s.startedNs.value_or(-1)) + " " + std::to_string(s.endedNs.value_or(-1)) +
                " " + s.client + " " + s.path + " " + s.upstream + " " + s.userAgent + " " + s.protocol + " " +
                s.handshake + " " + std::to_string(s.closeCode) + s.closeReason + s.closedBy + s.error + "\n";
    }

    void Message(ImportedMessage& m) override
    {
        // (`size` may be below the bytes': dapscope's files give the size as received, before redaction.)
        if (!m_open || m.tsNs < 0 || m.tsNs > kMaxTimeNs || m.durNs < 0 || m.durNs > kMaxTimeNs ||
            m.data.size() > m_limit)
            __builtin_trap();
        if (Base64Decode(Base64Encode(m.data)) != m.data)
            __builtin_trap();
        text += std::to_string(static_cast<int>(m.dir)) + " " + std::to_string(static_cast<int>(m.opcode)) + " " +
                std::to_string(m.tsNs) + " " + std::to_string(m.durNs) + " " + std::to_string(m.size) + " " + m.http +
                " " + m.head + " " + m.data + "\n";
    }

    void EndSession() override
    {
        if (!m_open)
            __builtin_trap();
        m_open = false;
    }

    bool Open() const { return m_open; }

    std::string text; // everything given
    size_t sessions = 0;

  private:
    uint64_t m_limit;
    bool m_open = false;
};

using Parse = void (*)(ImportSource&, const std::string&, ImportSink&, const ParseOptions&);

struct Outcome
{
    std::string given; // what the sink got
    std::string error; // the FormatError, if any
};

Outcome Run(std::string_view input, Parse parse, uint64_t limit, std::function<size_t()> blocks)
{
    MemorySource source(input, std::move(blocks));
    CheckingSink sink(limit);
    ParseOptions options;
    options.maxMessageBytes = limit;
    options.blockBytes = 1 << 16;
    try
    {
        parse(source, "fuzz", sink, options);
        if (sink.Open() || sink.sessions == 0)
            __builtin_trap();
        return {std::move(sink.text), ""};
    }
    catch (const FormatError& e)
    {
        return {std::move(sink.text), e.what()};
    }
}

// "fuzz:3:14: why" as the byte offset of line 3, column 14 in `input`, and ": why" (nullopt: no line and column).
std::optional<std::pair<uint64_t, std::string>> Position(std::string_view input, const std::string& error)
{
    size_t line = error.find(':'), column = error.find(':', line + 1), why = error.find(": ", column);
    if (line == std::string::npos || column == std::string::npos || why == std::string::npos || column > why)
        return std::nullopt;
    uint64_t lines = std::strtoull(error.c_str() + line + 1, nullptr, 10);
    uint64_t offset = 0;
    while (lines-- > 1 && offset < input.size())
        offset = std::min(input.find('\n', offset), input.size()) + 1;
    return std::pair{offset + std::strtoull(error.c_str() + column + 1, nullptr, 10), error.substr(why)};
}

// Errors are the same whatever the blocks, but for their place in two cases: invalid UTF-8 (or an escape) that a
// block boundary splits is found a few bytes further on; a string over the limit is refused at the end of the part
// of it read so far, so when it is not valid JSON further on either error may come first.
bool SameError(std::string_view input, const std::string& a, const std::string& b)
{
    if (a == b)
        return true;
    auto x = Position(input, a), y = Position(input, b);
    if (!x || !y)
        return false;
    auto tooLong = [](const std::string& why)
    { return why.find("more than a message under the limit") != std::string::npos; };
    auto notJson = [](const std::string& why) { return why.starts_with(": not JSON ("); };
    const uint64_t apart = std::max(x->first, y->first) - std::min(x->first, y->first);
    if (x->second == y->second)
        return tooLong(x->second) || (notJson(x->second) && apart <= 6);
    return (tooLong(x->second) && notJson(y->second)) || (notJson(x->second) && tooLong(y->second));
}

// The same outcome whole and in blocks of pseudo-random sizes (a generator seeded by the input).
void Compare(std::string_view input, Parse parse, uint64_t limit)
{
    uint64_t state = input.size() * 0x9E3779B97F4A7C15ull + 1;
    for (unsigned char c : input.substr(0, 16))
        state = (state ^ c) * 0x100000001B3ull;
    auto blocks = [state]() mutable
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return size_t(1) + static_cast<size_t>(state % (state % 4 == 0 ? 4 : 97));
    };
    Outcome whole = Run(input, parse, limit, {});
    Outcome pieces = Run(input, parse, limit, blocks);
    if (whole.given != pieces.given || !SameError(input, whole.error, pieces.error))
        __builtin_trap();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    for (Parse parse : {Parse(&ParseHar), Parse(&ParseJsonl), Parse(&ParseImport)})
    {
        Compare(input, parse, kMaxMessageBytes);
        Compare(input, parse, 40); // a small limit: messages and strings over it
    }
    if (auto bytes = Base64Decode(input); bytes && Base64Decode(Base64Encode(*bytes)) != bytes)
        __builtin_trap();
    if (auto ns = ParseIsoTime(input); ns && (*ns < 0 || *ns > kMaxTimeNs))
        __builtin_trap();
    return 0;
}
