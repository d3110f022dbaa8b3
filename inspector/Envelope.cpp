// Framing (DAP binary split) and envelope decoding.
#include "Envelope.hpp"
#include "MessageDecoder.hpp"
#include "Utf8.hpp"

#include <cmath>
#include <cstring>

namespace dapscope::inspector
{
namespace
{

constexpr size_t MaxQuotedChars = 40; // wire text quoted inside a malformed reason

std::string Quote(std::string_view text)
{
    return "\"" + EscapeForTerminal(text, MaxQuotedChars) + "\"";
}

// Read the integer member `key`; false (with env.malformedReason set) when present but not an integer.
bool ReadIntegerMember(const boost::json::object& root, std::string_view key, std::optional<int64_t>& out,
                       Envelope& env)
{
    const auto* value = root.if_contains(key);
    if (!value)
        return true;
    const char* error = nullptr;
    out = ReadInteger(*value, error);
    if (!out)
        env.malformedReason = std::string(key) + " " + error;
    return out.has_value();
}

// Fill the fields of a parsed JSON object; sets kind, or Malformed with a reason.
void DecodeFields(const boost::json::object& root, Envelope& env)
{
    const auto* arguments = ObjectMember(&root, "arguments");
    env.subcommand = StringMember(arguments, "subcommand");
    env.token = StringMember(arguments, "token");
    if (env.token.empty())
        env.token = StringMember(&root, "token");
    env.command = StringMember(&root, "command");
    env.event = StringMember(&root, "event");
    env.message = StringMember(&root, "message");
    if (const auto* trace = ObjectMember(&root, "trace"))
    {
        env.traceFile = StringMember(trace, "file");
        const char* error = nullptr;
        if (const auto* line = trace->if_contains("lineno"))
            env.traceLine = ReadInteger(*line, error).value_or(0);
    }

    const auto* type = root.if_contains("type");
    if (!type)
    {
        env.malformedReason = "missing type";
        return;
    }
    if (!type->is_string())
    {
        env.malformedReason = "type is not a string";
        return;
    }
    const std::string_view typeName = type->get_string();
    Kind kind;
    if (typeName == "request")
        kind = Kind::Request;
    else if (typeName == "response")
        kind = Kind::Response;
    else if (typeName == "event")
        kind = Kind::Event;
    else
    {
        env.malformedReason = "unknown type " + Quote(typeName);
        return;
    }

    if (!ReadIntegerMember(root, "seq", env.seq, env))
        return;
    switch (kind)
    {
    case Kind::Request:
        if (env.command.empty())
        {
            env.malformedReason = "request without command";
            return;
        }
        if (!env.seq)
        {
            env.malformedReason = "request without seq";
            return;
        }
        break;
    case Kind::Response:
        if (!root.contains("request_seq"))
        {
            env.malformedReason = "response without request_seq";
            return;
        }
        if (!ReadIntegerMember(root, "request_seq", env.requestSeq, env))
            return;
        if (const auto* success = root.if_contains("success"))
        {
            if (!success->is_bool())
            {
                env.malformedReason = "success is not a boolean";
                return;
            }
            env.success = success->get_bool();
        }
        break;
    default:
        if (env.event.empty())
        {
            env.malformedReason = "event without event name";
            return;
        }
        break;
    }
    env.kind = kind;
}

} // namespace

std::optional<int64_t> ReadInteger(const boost::json::value& value, const char*& error)
{
    switch (value.kind())
    {
    case boost::json::kind::int64:
        return value.get_int64();
    case boost::json::kind::uint64:
        error = "is out of range";
        return std::nullopt;
    case boost::json::kind::double_:
    {
        // Integers too big for 64 bits arrive as doubles.
        const double d = value.get_double();
        error =
            std::isfinite(d) && std::trunc(d) == d && std::fabs(d) >= 0x1p63 ? "is out of range" : "is not an integer";
        return std::nullopt;
    }
    default:
        error = "is not an integer";
        return std::nullopt;
    }
}

std::string_view StringMember(const boost::json::object* object, std::string_view key)
{
    if (!object)
        return {};
    const auto* value = object->if_contains(key);
    return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

const boost::json::object* ObjectMember(const boost::json::object* object, std::string_view key)
{
    if (!object)
        return nullptr;
    const auto* value = object->if_contains(key);
    return value ? value->if_object() : nullptr;
}

Framing SplitFrame(Opcode opcode, std::string_view bytes)
{
    Framing framing;
    if (opcode == Opcode::Text)
    {
        framing.json = bytes;
    }
    else if (opcode == Opcode::Binary)
    {
        const void* newline = bytes.empty() ? nullptr : std::memchr(bytes.data(), '\n', bytes.size());
        if (!newline)
        {
            framing.json = bytes;
        }
        else
        {
            const size_t split = static_cast<const char*>(newline) - bytes.data();
            framing.json = bytes.substr(0, split);
            framing.payload = bytes.substr(split + 1);
            framing.hasPayload = true;
        }
    }
    return framing;
}

void DecodeMessage(JsonReader& reader, Opcode opcode, std::string_view bytes, uint64_t size, bool truncated,
                   DecodedMessage& out)
{
    Envelope& env = out.envelope;
    size = std::max<uint64_t>(size, bytes.size());
    if (opcode == Opcode::Close || opcode == Opcode::Ping || opcode == Opcode::Pong)
    {
        env.kind = Kind::Control;
        env.payloadSize = size;
        return;
    }
    if (opcode != Opcode::Text && opcode != Opcode::Binary)
    {
        env.malformedReason = "unknown opcode " + std::to_string(static_cast<unsigned>(opcode));
        return;
    }
    out.framing = SplitFrame(opcode, bytes);
    const Framing& framing = out.framing;
    env.hasPayload = framing.hasPayload;
    env.jsonSize = framing.hasPayload ? framing.json.size() : size;
    env.payloadSize = framing.hasPayload ? size - framing.json.size() - 1 : 0;

    if (truncated && !framing.hasPayload)
    {
        env.malformedReason =
            "truncated: " + std::to_string(bytes.size()) + " of " + std::to_string(size) + " bytes captured";
        return;
    }
    if (framing.json.empty())
    {
        env.malformedReason = "empty message";
        return;
    }
    if (const size_t bad = FindInvalidUtf8(framing.json); bad != std::string_view::npos)
    {
        env.malformedReason = "invalid UTF-8 at byte " + std::to_string(bad);
        return;
    }
    out.document = reader.Parse(framing.json);
    if (!out.document)
    {
        env.malformedReason = reader.Error();
        return;
    }
    out.root = out.document->if_object();
    if (!out.root)
    {
        env.malformedReason = "not a JSON object";
        return;
    }
    DecodeFields(*out.root, env);
}

Envelope DecodeEnvelope(Opcode opcode, std::string_view bytes, uint64_t size, bool truncated)
{
    try
    {
        JsonReader reader;
        DecodedMessage decoded;
        DecodeMessage(reader, opcode, bytes, size, truncated, decoded);
        return std::move(decoded.envelope);
    }
    catch (...) // only allocation failures can get here
    {
        Envelope env;
        env.malformedReason = "out of memory"; // short enough not to allocate
        return env;
    }
}

} // namespace dapscope::inspector
