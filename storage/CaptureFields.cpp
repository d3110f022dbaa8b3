#include "CaptureFields.hpp"

#include "ExportEncoding.hpp"

namespace dapscope::storage
{

namespace json = boost::json;

namespace
{
const json::value* Find(const json::object& o, std::string_view key)
{
    const json::value* v = o.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
}

[[noreturn]] void Bad(std::string_view key, std::string_view what)
{
    throw CaptureFieldError("\"" + std::string(key) + "\" " + std::string(what));
}

std::optional<int64_t> Integer(const json::object& o, std::string_view key, int64_t max)
{
    const json::value* v = Find(o, key);
    if (!v)
        return std::nullopt;
    int64_t value = 0;
    if (v->is_int64())
        value = v->get_int64();
    else if (v->is_uint64() && v->get_uint64() <= uint64_t(INT64_MAX))
        value = static_cast<int64_t>(v->get_uint64());
    else
        Bad(key, "must be an integer");
    if (value < 0 || value > max)
        Bad(key, "is out of range");
    return value;
}

bool Flag(const json::object& o, std::string_view key)
{
    const json::value* v = Find(o, key);
    if (!v)
        return false;
    if (!v->is_bool())
        Bad(key, "must be true or false");
    return v->get_bool();
}

std::optional<std::string> Text(const json::object& o, std::string_view key)
{
    const json::value* v = Find(o, key);
    if (!v)
        return std::nullopt;
    if (!v->is_string())
        Bad(key, "must be a string");
    return std::string(v->get_string());
}

constexpr int64_t kMaxSize = int64_t(1) << 40;
} // namespace

void WriteMessageCapture(const MessageCapture& f, json::object& out)
{
    if (f.tsNs)
        out["ts_ns"] = *f.tsNs;
    if (f.durNs)
        out["dur_ns"] = *f.durNs;
    if (f.size)
        out["size"] = *f.size;
    out["wire_size"] = f.wireSize ? json::value(*f.wireSize) : json::value(nullptr);
    out["truncated"] = f.truncated;
    out["elided"] = f.elided;
    out["redacted"] = f.redacted;
    out["generated"] = f.generated;
    if (!f.action.empty())
    {
        out["rule"] = f.rule.empty() ? json::value(nullptr) : json::value(f.rule);
        out["action"] = f.action;
        out["outcome"] = f.outcome;
    }
    if (!f.kind.empty())
    {
        out["kind"] = f.kind;
        out["headers"] = f.headers;
    }
}

MessageCapture ReadMessageCapture(const json::object& in)
{
    MessageCapture f;
    f.tsNs = Integer(in, "ts_ns", kMaxTimeNs);
    f.durNs = Integer(in, "dur_ns", kMaxTimeNs);
    if (auto size = Integer(in, "size", kMaxSize))
        f.size = static_cast<uint64_t>(*size);
    if (auto wire = Integer(in, "wire_size", kMaxSize))
        f.wireSize = static_cast<uint64_t>(*wire);
    f.truncated = Flag(in, "truncated");
    f.elided = Flag(in, "elided");
    f.redacted = Flag(in, "redacted");
    f.generated = Flag(in, "generated");
    f.action = Text(in, "action").value_or("");
    if (!f.action.empty())
    {
        f.rule = Text(in, "rule").value_or("");
        f.outcome = Text(in, "outcome").value_or("forwarded");
        if (f.outcome != "forwarded" && f.outcome != "rewritten" && f.outcome != "replaced" && f.outcome != "dropped" &&
            f.outcome != "synthesized")
            Bad("outcome", "must be forwarded, rewritten, replaced, dropped or synthesized");
    }
    std::string kind = Text(in, "kind").value_or("");
    if (kind == "http_request" || kind == "http_response")
    {
        f.kind = kind;
        f.headers = Text(in, "headers").value_or("");
        if (f.headers.empty())
            Bad("headers", "is missing: an HTTP message needs its head");
    }
    return f;
}

void WriteSessionCapture(const SessionCapture& f, json::object& out)
{
    if (!f.protocol.empty())
        out["protocol"] = f.protocol;
    out["extensions"] = f.extensions ? json::value(*f.extensions) : json::value(nullptr);
    out["subprotocol"] = f.subprotocol ? json::value(*f.subprotocol) : json::value(nullptr);
    if (!f.handshake.empty())
        out["handshake"] = f.handshake;
    if (f.rules)
        out["rules"] = true;
}

SessionCapture ReadSessionCapture(const json::object& in)
{
    SessionCapture f;
    f.protocol = Text(in, "protocol").value_or("");
    if (!f.protocol.empty() && f.protocol != "websocket" && f.protocol != "http")
        Bad("protocol", "must be \"websocket\" or \"http\"");
    f.extensions = Text(in, "extensions");
    f.subprotocol = Text(in, "subprotocol");
    f.handshake = Text(in, "handshake").value_or("");
    f.rules = Flag(in, "rules");
    return f;
}

} // namespace dapscope::storage
