#include "Ingestor.hpp"

#include <cstdio>

namespace dapscope::storage
{

using proxy::TapRecord;

namespace
{
std::string HumanBytes(uint64_t bytes)
{
    char text[32];
    if (bytes < 1024)
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
    else if (bytes < (1u << 20))
        std::snprintf(text, sizeof text, "%.1f KiB", bytes / 1024.0);
    else
        std::snprintf(text, sizeof text, "%.1f MiB", bytes / 1048576.0);
    return text;
}
} // namespace

namespace
{
// The exchange states the "failed only" filter shows (with failed responses and malformed messages).
bool IsProblem(inspector::ExchangeState state)
{
    using inspector::ExchangeState;
    return state == ExchangeState::Unanswered || state == ExchangeState::Orphan ||
           state == ExchangeState::DuplicateSeq || state == ExchangeState::CommandMismatch;
}

BlockEntry BlockEntryOf(int64_t id, const inspector::InspectedMessage& decoded)
{
    BlockEntry entry;
    entry.id = id;
    entry.command = decoded.envelope.command;
    entry.event = decoded.envelope.event;
    entry.task = decoded.task;
    entry.problem = decoded.envelope.success == false || decoded.envelope.kind == inspector::Kind::Malformed ||
                    IsProblem(decoded.state);
    entry.latencyNs = decoded.latencyNs.value_or(-1);
    return entry;
}
} // namespace

Ingestor::Ingestor(TraceWriter& writer, IngestOptions options)
    : m_writer(writer), m_options(std::move(options)), m_nextMessageId(writer.NextMessageId()),
      m_nextSessionId(writer.NextSessionId())
{
}

int64_t Ingestor::StoreSession(uint64_t relaySession) const
{
    auto it = m_storeIds.find(relaySession);
    return it == m_storeIds.end() ? 0 : it->second;
}

void Ingestor::Log(const std::string& line) const
{
    if (m_options.log)
        m_options.log(line);
}

void Ingestor::Apply(TapRecord& record)
{
    if (record.type == TapRecord::Type::SessionOpen)
    {
        OpenSession(record);
        return;
    }
    auto it = m_sessions.find(record.session);
    if (it == m_sessions.end())
        return; // the session began before this recorder started
    Session& session = it->second;
    switch (record.type)
    {
    case TapRecord::Type::UpstreamOpen:
        m_ops.push_back(op::UpstreamResult{session.id, true, {}});
        session.upstreamOk = true;
        Log(session.label + " -> " + session.upstream + " connected");
        break;
    case TapRecord::Type::Chunk:
        AddChunk(session, record);
        break;
    case TapRecord::Type::SessionClose:
        CloseSession(session, record);
        m_sessions.erase(it);
        break;
    default:
        break;
    }
}

void Ingestor::OpenSession(TapRecord& record)
{
    SessionRow row;
    row.startedNs = record.ns;
    row.client = record.client;
    row.path = record.path;
    row.upstream = record.upstream;
    row.userAgent = record.userAgent;
    row.source = m_options.source;
    row.replayOf = m_options.replayOf;
    Session session{.inspector = inspector::SessionInspector(m_options.redaction)};
    session.id = m_nextSessionId++;
    m_ops.push_back(op::BeginSession{session.id, std::move(row)});
    session.upstream = record.upstream;
    session.label = "session " + std::to_string(session.id) + "  " + record.client + "  " + record.path;
    m_storeIds[record.session] = session.id;
    m_sessions.insert_or_assign(record.session, std::move(session));
    ++m_stats.sessions;
}

void Ingestor::AddChunk(Session& session, TapRecord& record)
{
    InFlight& message = session.inFlight[static_cast<size_t>(record.dir)];
    if (record.first || !message.active)
    {
        if (message.active)
            Complete(session, message); // the previous message never saw its final chunk
        message = InFlight{};
        message.active = true;
        message.id = m_nextMessageId++;
        message.dir = record.dir;
        message.opcode = record.opcode;
        message.firstNs = record.ns;
    }
    message.lastNs = record.ns;
    message.size += record.wireBytes;
    ++message.fragments;
    message.elided |= record.elided;
    message.truncated |= !record.elided && record.bytes.size() < record.wireBytes;

    // Keep the first kInspectBytes in memory for the inspector; stream the rest so memory stays bounded.
    size_t room = message.chunks == 0 && message.head.size() < kInspectBytes ? kInspectBytes - message.head.size() : 0;
    std::string_view bytes = record.bytes;
    if (bytes.size() <= room)
        message.head += bytes;
    else
    {
        message.head += bytes.substr(0, room);
        std::string rest(bytes.substr(room));
        session.inspector.ScrubKnownSecrets(rest);
        m_ops.push_back(op::AppendChunk{message.id, ++message.chunks, std::move(rest)});
    }
    if (record.final)
        Complete(session, message);
}

void Ingestor::Complete(Session& session, InFlight& message)
{
    inspector::WireMessage wire;
    wire.dir = message.dir;
    wire.opcode = message.opcode;
    wire.firstByteNs = message.firstNs;
    wire.lastByteNs = message.lastNs;
    wire.bytes = message.head;
    wire.size = message.size;
    wire.truncated = message.chunks > 0 || message.truncated || message.elided;
    inspector::FeedResult result = session.inspector.Feed(message.id, wire);

    MessageRow row;
    row.id = message.id;
    row.session = session.id;
    row.dir = wire.dir;
    row.opcode = message.opcode;
    row.size = message.size;
    row.tsNs = message.firstNs;
    row.durNs = message.lastNs - message.firstNs;
    row.fragments = message.fragments;
    row.flags = (message.truncated ? MessageFlag::Truncated : 0u) | (message.elided ? MessageFlag::Elided : 0u) |
                (result.message.redactedBytes ? MessageFlag::Redacted : 0u);
    // The insert stays editable until the batch is taken: most requests are answered within the same batch,
    // and updating the pending row costs nothing while an UPDATE statement costs as much as the insert.
    op::InsertMessage insert;
    insert.row = row;
    insert.data = result.message.redactedBytes ? std::move(*result.message.redactedBytes) : std::move(message.head);
    result.message.redactedBytes.reset();
    insert.decoded = std::move(result.message);
    m_blocks[session.id].Add(BlockEntryOf(insert.row.id, insert.decoded));
    m_inserts[row.id] = m_ops.size();
    bool auth = insert.decoded.envelope.command == "auth";
    m_ops.push_back(std::move(insert));
    for (const inspector::MessageUpdate& update : result.updates)
        Update(session.id, update);

    if (auth)
        session.factsDirty = true;
    ++session.pendingMessages;
    session.pendingBytes += message.size;
    session.pendingElided += message.elided ? 1 : 0;
    ++m_stats.messages;
    m_stats.elided += message.elided ? 1 : 0;
    message = InFlight{};
}

void Ingestor::CloseSession(Session& session, const TapRecord& record)
{
    for (InFlight& message : session.inFlight)
        if (message.active)
        {
            message.truncated = true; // the connection ended mid-message
            Complete(session, message);
        }
    for (const inspector::MessageUpdate& update : session.inspector.Finish())
        Update(session.id, update);
    m_endedSessions.push_back(session.id);
    session.factsDirty = true;
    SessionEnd end;
    end.endedNs = record.ns;
    end.closeCode = record.closeCode;
    end.closeReason = record.closeReason;
    end.closedBy = record.closedBy;
    end.error = record.error;
    if (!session.upstreamOk && record.error.starts_with("upstream:"))
        m_ops.push_back(op::UpstreamResult{session.id, false, record.error});
    FlushSession(session);
    m_ops.push_back(op::EndSession{session.id, end});

    std::string summary = session.label;
    if (!record.error.empty())
        summary += "  " + record.error;
    else
        summary += "  closed " + std::to_string(record.closeCode) + " by " + record.closedBy;
    Log(summary + "  (" + std::to_string(session.totalMessages) + " messages, " + HumanBytes(session.totalBytes) + ")");
}

void Ingestor::FlushSession(Session& session)
{
    if (session.pendingMessages || session.pendingElided)
    {
        m_ops.push_back(
            op::SessionTotals{session.id, session.pendingMessages, session.pendingBytes, session.pendingElided});
        session.totalMessages += session.pendingMessages;
        session.totalBytes += session.pendingBytes;
        session.pendingMessages = session.pendingBytes = session.pendingElided = 0;
    }
    if (session.factsDirty)
    {
        m_ops.push_back(op::SessionFacts{session.id, session.inspector.Facts()});
        session.factsDirty = false;
    }
}

void Ingestor::Update(int64_t session, const inspector::MessageUpdate& update)
{
    BlockEntry entry;
    entry.id = update.id;
    entry.task = update.task;
    entry.problem = IsProblem(update.state);
    entry.latencyNs = update.latencyNs.value_or(-1);
    m_blocks[session].Update(entry);

    auto it = m_inserts.find(update.id);
    if (it == m_inserts.end())
    {
        m_ops.push_back(op::UpdateMessage{update});
        return;
    }
    inspector::InspectedMessage& decoded = std::get<op::InsertMessage>(m_ops[it->second]).decoded;
    decoded.state = update.state;
    if (update.pairId)
        decoded.pairId = update.pairId;
    if (update.latencyNs)
        decoded.latencyNs = update.latencyNs;
    if (update.pipeId)
        decoded.pipeId = update.pipeId;
    if (!update.task.empty())
        decoded.task = update.task;
}

StoreOps Ingestor::TakeBatch()
{
    for (auto& [relayId, session] : m_sessions)
        FlushSession(session);
    for (auto& [session, blocks] : m_blocks)
        for (const BlockSummary* block : blocks.TakeDirty())
            m_ops.push_back(op::UpsertBlock{session, *block});
    for (int64_t session : m_endedSessions)
        m_blocks.erase(session);
    m_endedSessions.clear();
    m_inserts.clear();
    StoreOps batch;
    batch.swap(m_ops);
    return batch;
}

void Ingestor::Flush()
{
    m_writer.Apply(TakeBatch());
}

void Ingestor::FinishAll(int64_t nowNs, const std::string& why)
{
    while (!m_sessions.empty())
    {
        auto it = m_sessions.begin();
        TapRecord record;
        record.type = TapRecord::Type::SessionClose;
        record.session = it->first;
        record.ns = nowNs;
        record.error = why;
        CloseSession(it->second, record);
        m_sessions.erase(it);
    }
}

} // namespace dapscope::storage
