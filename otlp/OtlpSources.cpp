#include "OtlpSources.hpp"

#include "inspector/Envelope.hpp"

namespace dapscope::otlp
{
namespace
{

constexpr std::string_view kFlowEvent = "apaevt_flow";

SessionInfo Info(int64_t id, int64_t startedNs, const std::string& client, const std::string& path,
                 const std::string& upstream, const std::string& userAgent, const std::string& protocol)
{
    return SessionInfo{id, startedNs, client, path, upstream, userAgent, protocol};
}

} // namespace

std::vector<SessionSpans> BatchTracer::Observe(const storage::StoreOps& batch)
{
    using namespace storage::op;
    for (const storage::StoreOp& op : batch)
    {
        if (const auto* begin = std::get_if<BeginSession>(&op))
        {
            const storage::SessionRow& r = begin->row;
            m_builder.BeginSession(Info(begin->id, r.startedNs, r.client, r.path, r.upstream, r.userAgent, r.protocol));
        }
        else if (const auto* upgrade = std::get_if<SessionUpgrade>(&op))
            m_builder.Upgraded(upgrade->session);
        else if (const auto* facts = std::get_if<SessionFacts>(&op))
            m_builder.ClientIdentified(facts->session, facts->facts.clientName, facts->facts.clientVersion);
        else if (const auto* insert = std::get_if<InsertMessage>(&op))
        {
            const inspector::InspectedMessage& d = insert->decoded;
            const inspector::Envelope& e = d.envelope;
            TracedMessage m;
            m.id = insert->row.id;
            m.tsNs = insert->row.tsNs;
            m.durNs = insert->row.durNs;
            m.kind = e.kind;
            m.command = e.command;
            m.subcommand = e.subcommand;
            m.event = e.event;
            m.seq = e.seq;
            m.success = e.success;
            m.message = e.message;
            if (!e.traceFile.empty())
                m.trace = e.traceFile + ":" + std::to_string(e.traceLine);
            m.task = d.task;
            m.pipeId = d.pipeId;
            m.pairId = d.pairId;
            if (d.http)
            {
                m.method = d.http->method;
                m.target = d.http->target;
                if (d.http->status)
                    m.status = d.http->status;
            }
            if (m.event == kFlowEvent)
                m.flowJson = std::string(inspector::SplitFrame(insert->row.opcode, insert->data).json);
            m_builder.Message(insert->row.session, m);
        }
        else if (const auto* update = std::get_if<UpdateMessage>(&op))
        {
            if (!update->update.task.empty() || update->update.pipeId)
                m_builder.Linked(update->update.id, update->update.task, update->update.pipeId);
        }
        else if (const auto* end = std::get_if<EndSession>(&op))
            m_builder.EndSession(end->session, end->end.endedNs);
    }
    return m_builder.TakeFinished();
}

std::vector<SessionSpans> StoredSessionSpans(storage::TraceReader& reader, int64_t session)
{
    storage::TraceReader::Snapshot snapshot(reader);
    auto s = reader.Session(session);
    if (!s)
        return {};
    TraceBuilder builder;
    builder.BeginSession(Info(s->id, s->startedNs, s->client, s->path, s->upstream, s->userAgent, s->protocol));
    builder.ClientIdentified(s->id, s->clientName, s->clientVersion);
    int64_t after = 0;
    int64_t last = s->startedNs;
    for (;;)
    {
        std::vector<storage::MessageSummary> page = reader.Messages(session, {}, after, 5000);
        if (page.empty())
            break;
        for (const storage::MessageSummary& r : page)
        {
            TracedMessage m;
            m.id = r.id;
            m.tsNs = r.tsNs;
            m.durNs = r.durNs;
            m.kind = r.kind;
            m.command = r.command;
            m.subcommand = r.subcommand;
            m.event = r.event;
            m.seq = r.seq;
            m.success = r.success;
            m.message = r.error;
            m.trace = r.trace;
            m.task = r.task;
            m.pipeId = r.pipeId;
            m.pairId = r.pairId;
            m.method = r.method;
            m.target = r.path;
            m.status = r.status;
            if (m.event == kFlowEvent)
                m.flowJson = std::string(inspector::SplitFrame(r.opcode, reader.MessageData(r.id)).json);
            builder.Message(session, m);
            last = std::max(last, r.tsNs + r.durNs);
            after = r.id;
        }
    }
    builder.EndSession(session, s->endedNs.value_or(last));
    return builder.TakeFinished();
}

} // namespace dapscope::otlp
