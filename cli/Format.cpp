#include "Format.hpp"

#include "inspector/Envelope.hpp"
#include "storage/ExportEncoding.hpp"

#include <unistd.h>

#include <cstdlib>
#include <ctime>

namespace dapscope::cli
{

std::string IsoTime(int64_t ns)
{
    return storage::FormatIsoTime(ns);
}

std::string LocalTime(int64_t ns)
{
    std::time_t seconds = static_cast<std::time_t>(ns / 1000000000);
    std::tm local{};
    localtime_r(&seconds, &local);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    return text;
}

std::string HumanBytes(int64_t bytes)
{
    char text[32];
    if (bytes < 1024)
        std::snprintf(text, sizeof text, "%lld B", static_cast<long long>(bytes));
    else if (bytes < (1 << 20))
        std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
    else if (bytes < (int64_t(1) << 30))
        std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
    else
        std::snprintf(text, sizeof text, "%.2f GiB", static_cast<double>(bytes) / 1073741824.0);
    return text;
}

std::string HumanDuration(int64_t ns)
{
    char text[32];
    double ms = static_cast<double>(ns) / 1e6;
    if (ms < 1)
        std::snprintf(text, sizeof text, "%.3f ms", ms);
    else if (ms < 1000)
        std::snprintf(text, sizeof text, "%.1f ms", ms);
    else
        std::snprintf(text, sizeof text, "%.2f s", ms / 1000);
    return text;
}

Palette::Palette(std::FILE* stream)
{
    const char* noColor = std::getenv("NO_COLOR");
    if (!isatty(fileno(stream)) || (noColor && *noColor))
        return;
    red = "\033[31m";
    yellow = "\033[33m";
    green = "\033[32m";
    cyan = "\033[36m";
    magenta = "\033[35m";
    dim = "\033[2m";
    bold = "\033[1m";
    reset = "\033[0m";
}

namespace
{
template <class T> boost::json::value OrNull(const std::optional<T>& value)
{
    return value ? boost::json::value(*value) : boost::json::value(nullptr);
}

boost::json::value TextOrNull(const std::string& text)
{
    return text.empty() ? boost::json::value(nullptr) : boost::json::value(text);
}
} // namespace

boost::json::object SessionJson(const storage::SessionSummary& s)
{
    boost::json::object o;
    o["id"] = s.id;
    o["started"] = IsoTime(s.startedNs);
    o["ended"] = s.endedNs ? boost::json::value(IsoTime(*s.endedNs)) : boost::json::value(nullptr);
    o["client"] = s.client;
    o["client_name"] = TextOrNull(s.clientName);
    o["client_version"] = TextOrNull(s.clientVersion);
    o["user_agent"] = TextOrNull(s.userAgent);
    o["path"] = s.path;
    o["upstream"] = s.upstream;
    o["upstream_ok"] = OrNull(s.upstreamOk);
    o["auth"] = TextOrNull(s.auth);
    o["messages"] = s.messages;
    o["bytes"] = s.bytes;
    o["elided"] = s.elided;
    o["close_code"] = OrNull(s.closeCode);
    o["close_reason"] = TextOrNull(s.closeReason);
    o["closed_by"] = TextOrNull(s.closedBy);
    o["error"] = TextOrNull(s.error);
    o["source"] = s.source;
    o["replay_of"] = OrNull(s.replayOf);
    o["protocol"] = s.protocol;
    bool websocket = s.protocol == "websocket";
    o["extensions"] = websocket ? boost::json::value(s.extensions.value_or("")) : boost::json::value(nullptr);
    o["subprotocol"] = websocket ? OrNull(s.subprotocol) : boost::json::value(nullptr);
    o["rules"] = s.rules;
    return o;
}

boost::json::object MessageJson(const storage::MessageSummary& m)
{
    boost::json::object o;
    o["id"] = m.id;
    o["session"] = m.session;
    o["ts"] = IsoTime(m.tsNs);
    o["ts_ns"] = m.tsNs;
    o["dir"] = std::string(inspector::ToString(m.dir));
    bool http = m.kind == inspector::Kind::HttpRequest || m.kind == inspector::Kind::HttpResponse;
    o["opcode"] = http ? boost::json::value(nullptr) : boost::json::value(std::string(inspector::ToString(m.opcode)));
    o["size"] = m.size;
    o["wire_size"] = OrNull(m.wireSize);
    o["kind"] = std::string(inspector::ToString(m.kind));
    if (http)
    {
        o["method"] = TextOrNull(m.method);
        o["path"] = TextOrNull(m.path);
        o["status"] = OrNull(m.status);
        o["headers"] = m.headers;
    }
    o["command"] = TextOrNull(m.command);
    o["subcommand"] = TextOrNull(m.subcommand);
    o["event"] = TextOrNull(m.event);
    o["seq"] = OrNull(m.seq);
    o["request_seq"] = OrNull(m.requestSeq);
    o["success"] = OrNull(m.success);
    o["message"] = TextOrNull(m.error);
    o["trace"] = TextOrNull(m.trace);
    o["latency_ms"] =
        m.latencyNs ? boost::json::value(static_cast<double>(*m.latencyNs) / 1e6) : boost::json::value(nullptr);
    o["task"] = TextOrNull(m.task);
    o["pipe_id"] = OrNull(m.pipeId);
    o["state"] = TextOrNull(std::string(inspector::ToString(m.state)));
    o["pair_id"] = OrNull(m.pairId);
    o["malformed"] = TextOrNull(m.malformed);
    o["truncated"] = (m.flags & 1) != 0;
    o["elided"] = (m.flags & 2) != 0;
    o["redacted"] = (m.flags & 4) != 0;
    o["generated"] = (m.flags & 8) != 0;
    // What rules (or a person through the control endpoint) did to it.
    o["rule"] = TextOrNull(m.rule);
    o["action"] = TextOrNull(m.action);
    o["synthesized"] = (m.flags & 8) != 0 && !m.action.empty();
    o["dropped"] = (m.flags & 16) != 0;
    o["replaced"] = (m.flags & 32) != 0;
    o["rewritten"] = (m.flags & 64) != 0;
    return o;
}

std::string RuleMarkText(const storage::MessageSummary& m)
{
    if (m.action.empty())
        return {};
    std::string text = "[" + (m.rule.empty() ? std::string() : "rule " + m.rule + ": ") + m.action;
    if (m.flags & 16)
        text += ", not sent";
    else if (m.flags & 32)
        text += ", as received (replaced)";
    else if (m.flags & 64)
        text += ", as sent (changed)";
    else if (m.flags & 8)
        text += ", made by dapscope";
    return text + "]";
}

boost::json::object CommandStatsJson(const storage::CommandStats& c)
{
    return boost::json::object{{"command", c.command},       {"count", c.count},  {"failures", c.failures},
                               {"unanswered", c.unanswered}, {"p50_ms", c.p50Ms}, {"p95_ms", c.p95Ms},
                               {"p99_ms", c.p99Ms},          {"max_ms", c.maxMs}};
}

void PrintJsonLine(const boost::json::value& value)
{
    std::string text = boost::json::serialize(value);
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

const char* Arrow(inspector::Direction dir)
{
    return dir == inspector::Direction::ClientToServer ? "\xE2\x86\x92" : "\xE2\x86\x90"; // → / ←
}

std::string MessageName(const storage::MessageSummary& m)
{
    std::string name = m.kind == inspector::Kind::Event ? m.event : m.command;
    if (!m.subcommand.empty())
        name += " (" + m.subcommand + ")";
    if (m.kind == inspector::Kind::Control)
        name = std::string(inspector::ToString(m.opcode));
    if (m.kind == inspector::Kind::HttpRequest)
        name = m.method + " " + m.path;
    if (m.kind == inspector::Kind::HttpResponse)
        name = m.status ? std::to_string(*m.status) : "?";
    return inspector::EscapeForTerminal(name, 40);
}

void ExportSessions(storage::TraceReader& reader, const std::vector<int64_t>& sessions, storage::ExportFormat format,
                    const std::string& path, const storage::ProgressFn& progress)
{
    storage::ExportSessions(reader, sessions, storage::ExportSpec{format, SessionJson, MessageJson, progress}, path);
}

} // namespace dapscope::cli
