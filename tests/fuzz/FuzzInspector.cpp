// libFuzzer entry point for inspector/: arbitrary message sequences through a SessionInspector, plus the
// stateless decoders on the raw input. Input: messages separated by 0xFF 0x00; the first byte of each message
// picks direction (bit 0), opcode (bits 1-3) and truncation (bit 4). A first message that is a valid JSONPath
// rule is added to the user redaction rules.
#include "inspector/Envelope.hpp"
#include "inspector/Redactor.hpp"
#include "inspector/SessionInspector.hpp"
#include "inspector/Utf8.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace dapscope::inspector;

namespace
{

constexpr std::string_view Separator("\xFF\x00", 2);

// Printing helpers must only ever produce valid UTF-8 without control bytes.
void CheckPrintable(std::string_view text)
{
    if (FindInvalidUtf8(text) != std::string_view::npos)
        __builtin_trap();
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7F)
            __builtin_trap();
}

std::vector<std::string_view> SplitMessages(std::string_view input)
{
    std::vector<std::string_view> messages;
    for (size_t pos = 0;;)
    {
        const size_t end = input.find(Separator, pos);
        messages.push_back(input.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
        if (end == std::string_view::npos)
            return messages;
        pos = end + Separator.size();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::vector<std::string_view> messages = SplitMessages(input);

    RedactionPolicy policy{true, {"$..password", "$.arguments.*", "$..[0]", "$..token"}};
    try
    {
        ValidateRedactionRule(messages.front());
        policy.userRules.emplace_back(messages.front());
    }
    catch (const JsonPathError&)
    {
        // not a rule: the fixed ones are fuzzed alone
    }
    SessionInspector inspector(policy);

    constexpr Opcode opcodes[] = {Opcode::Text, Opcode::Binary, Opcode::Close,  Opcode::Ping,
                                  Opcode::Pong, Opcode::Text,   Opcode::Binary, static_cast<Opcode>(3)};
    MessageId id = 0;
    for (std::string_view message : messages)
    {
        if (message.empty())
            continue;
        const auto control = static_cast<uint8_t>(message[0]);
        const std::string_view bytes = message.substr(1);
        WireMessage wire;
        wire.dir = (control & 1) ? Direction::ServerToClient : Direction::ClientToServer;
        wire.opcode = opcodes[(control >> 1) & 7];
        wire.firstByteNs = id * 1000;
        wire.lastByteNs = id * 1000 + static_cast<int64_t>(control);
        wire.bytes = bytes;
        wire.truncated = (control & 0x10) != 0;
        wire.size = bytes.size() + (wire.truncated ? control : 0);
        const FeedResult result = inspector.Feed(++id, wire);
        CheckPrintable(EscapeForTerminal(result.message.envelope.malformedReason));
        std::string chunk(bytes);
        inspector.ScrubKnownSecrets(chunk);
    }
    inspector.Finish();

    DecodeEnvelope(Opcode::Text, input, size, false);
    DecodeEnvelope(Opcode::Binary, input, size + 7, true);
    CheckPrintable(EscapeForTerminal(input));
    CheckPrintable(EscapeForTerminal(input, size % 97));
    CheckPrintable(PayloadPreview(input));
    CheckPrintable(PayloadPreview(input, size % 13));
    try
    {
        ValidateRedactionRule(input);
    }
    catch (const JsonPathError&)
    {
        // the expected answer to most inputs
    }
    return 0;
}
