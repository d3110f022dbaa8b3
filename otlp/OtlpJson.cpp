#include "OtlpJson.hpp"

#include "dapscope/Version.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace dapscope::otlp
{
namespace
{

namespace json = boost::json;

json::object AnyValue(const AttributeValue& value)
{
    json::object v;
    if (const auto* s = std::get_if<std::string>(&value))
        v["stringValue"] = *s;
    else if (const auto* i = std::get_if<int64_t>(&value))
        v["intValue"] = std::to_string(*i); // int64 is a string in proto3's JSON mapping
    else
        v["boolValue"] = std::get<bool>(value);
    return v;
}

json::array Attributes(const std::vector<Attribute>& attributes)
{
    json::array out;
    for (const Attribute& a : attributes)
        out.push_back(json::object{{"key", a.key}, {"value", AnyValue(a.value)}});
    return out;
}

std::string Nanos(int64_t ns)
{
    return std::to_string(ns < 0 ? 0 : ns);
}

json::object SpanJson(const Span& span)
{
    json::object s;
    s["traceId"] = span.traceId;
    s["spanId"] = span.spanId;
    if (!span.parentSpanId.empty())
        s["parentSpanId"] = span.parentSpanId;
    s["name"] = span.name;
    s["kind"] = static_cast<int>(span.kind);
    s["startTimeUnixNano"] = Nanos(span.startNs);
    s["endTimeUnixNano"] = Nanos(span.endNs);
    s["attributes"] = Attributes(span.attributes);
    if (!span.events.empty())
    {
        json::array events;
        for (const SpanEvent& e : span.events)
            events.push_back(
                json::object{{"timeUnixNano", Nanos(e.tsNs)}, {"name", e.name}, {"attributes", Attributes(e.attributes)}});
        s["events"] = std::move(events);
    }
    if (span.droppedEvents)
        s["droppedEventsCount"] = span.droppedEvents;
    json::object status;
    status["code"] = span.error ? 2 : 0; // STATUS_CODE_ERROR, STATUS_CODE_UNSET
    if (span.error && !span.statusMessage.empty())
        status["message"] = span.statusMessage;
    s["status"] = std::move(status);
    return s;
}

json::object Resource(const SessionInfo& session)
{
    std::vector<Attribute> attributes{{"service.name", std::string("rocketride-client")},
                                      {"dapscope.session.id", session.id},
                                      {"network.protocol.name", session.protocol}};
    if (!session.client.empty())
        attributes.push_back({"client.address", session.client});
    if (!session.path.empty())
        attributes.push_back({"url.path", session.path});
    if (!session.upstream.empty())
        attributes.push_back({"server.address", session.upstream});
    if (!session.userAgent.empty())
        attributes.push_back({"user_agent.original", session.userAgent});
    return json::object{{"attributes", Attributes(attributes)}};
}

} // namespace

std::string ExportRequestJson(const std::vector<SessionSpans>& sessions)
{
    json::array resourceSpans;
    for (const SessionSpans& session : sessions)
    {
        json::array spans;
        for (const Span& span : session.spans)
            spans.push_back(SpanJson(span));
        json::object scope{{"name", "dapscope"}, {"version", kVersion}};
        resourceSpans.push_back(json::object{
            {"resource", Resource(session.session)},
            {"scopeSpans", json::array{json::object{{"scope", std::move(scope)}, {"spans", std::move(spans)}}}}});
    }
    return json::serialize(json::object{{"resourceSpans", std::move(resourceSpans)}});
}

} // namespace dapscope::otlp
