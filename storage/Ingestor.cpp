#include "Ingestor.hpp"

#include "wire/Http.hpp"

#include <cstdio>

namespace dapscope::storage
{

using capture::TapRecord;
using inspector::Direction;
using inspector::Opcode;

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
                    IsProblem(decoded.state) || (decoded.http && decoded.http->status >= 400);
    entry.latencyNs = decoded.latencyNs.value_or(-1);
    return entry;
}

uint32_t MarkFlags(capture::RuleMark::Outcome outcome)
{
    using Outcome = capture::RuleMark::Outcome;
    switch (outcome)
    {
    case Outcome::Dropped:
        return MessageFlag::Dropped;
    case Outcome::Replaced:
        return MessageFlag::Replaced;
    case Outcome::Rewritten:
        return MessageFlag::Rewritten;
    default:
        return 0; // Forwarded: as received; Synthesized: the generated flag says it
    }
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
        Log(session.label + " -> " + session.upstream + " connected");
        break;
    case TapRecord::Type::Chunk:
        AddChunk(session, record);
        break;
    case TapRecord::Type::HttpHead:
        AddHttpHead(session, record);
        break;
    case TapRecord::Type::HttpBody:
        AddHttpBody(session, record);
        break;
    case TapRecord::Type::HttpEnd:
        EndHttp(session, record);
        break;
    case TapRecord::Type::WsBytes:
        AddWireBytes(session, record);
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
    Session session{.inspector = inspector::SessionInspector(m_options.redaction)};
    std::string path = session.inspector.RedactTarget(record.path); // ?auth=KEY is a credential
    SessionRow row;
    row.startedNs = record.ns;
    row.client = record.client;
    row.path = path;
    row.upstream = record.upstream;
    row.userAgent = record.userAgent;
    row.source = m_options.source;
    row.replayOf = m_options.replayOf;
    row.protocol = record.protocol;
    row.rules = record.actsOnTraffic;
    session.id = m_nextSessionId++;
    m_ops.push_back(op::BeginSession{session.id, std::move(row)});
    session.upstream = record.upstream;
    session.label = "session " + std::to_string(session.id) + "  " + record.client + "  " + path;
    m_storeIds[record.session] = session.id;
    m_sessions.insert_or_assign(record.session, std::move(session));
    ++m_stats.sessions;
}

namespace
{
Opcode OpcodeOf(wire::WsOpcode opcode)
{
    switch (opcode)
    {
    case wire::WsOpcode::Binary:
    case wire::WsOpcode::Continuation: // bytes of no message the decoder saw start (lost, resynchronising)
        return Opcode::Binary;
    case wire::WsOpcode::Close:
        return Opcode::Close;
    case wire::WsOpcode::Ping:
        return Opcode::Ping;
    case wire::WsOpcode::Pong:
        return Opcode::Pong;
    default:
        return Opcode::Text;
    }
}

bool IsControl(Opcode opcode)
{
    return opcode == Opcode::Close || opcode == Opcode::Ping || opcode == Opcode::Pong;
}

// HTTP/1.0 upgrades are ignored (RFC 9110 §7.8), as the relay ignores them.
bool IsUpgradeRequest(const wire::HttpHead& head)
{
    return head.versionMinor == 1 && head.Find("Upgrade") && head.HasToken("Connection", "upgrade");
}
} // namespace

void Ingestor::Keep(Session& session, InFlight& message, std::string_view bytes)
{
    // Bytes past --max-capture-bytes are counted, not kept.
    uint64_t kept = message.head.size() + message.streamed;
    if (kept + bytes.size() > m_options.maxCaptureBytes)
    {
        message.truncated = true;
        bytes = bytes.substr(0, kept >= m_options.maxCaptureBytes ? 0 : m_options.maxCaptureBytes - kept);
    }
    // Keep the first kInspectBytes in memory for the inspector; stream the rest so memory stays bounded.
    if (message.head.empty() && bytes.size() >= (64u << 10))
        message.head.reserve(kInspectBytes); // a big message: one allocation instead of copies as it grows
    size_t room = message.chunks == 0 && message.head.size() < kInspectBytes ? kInspectBytes - message.head.size() : 0;
    if (bytes.size() <= room)
        message.head += bytes;
    else
    {
        message.head += bytes.substr(0, room);
        std::string rest(bytes.substr(room));
        session.inspector.ScrubKnownSecrets(rest);
        message.streamed += rest.size();
        m_ops.push_back(op::AppendChunk{message.id, ++message.chunks, std::move(rest)});
    }
}

void Ingestor::KnownFacts(const TapRecord& record, uint64_t& size, std::optional<uint64_t>& wireSize, bool& truncated,
                          bool& redacted) const
{
    if (record.knownSize)
        size = *record.knownSize;
    if (record.knownWireSize)
        wireSize = record.knownWireSize;
    truncated |= record.knownTruncated;
    redacted |= record.knownRedacted;
}

bool Ingestor::HoldsMarkers(std::string_view bytes) const
{
    return m_options.markersMeanRedacted && inspector::HoldsRedactionMarker(bytes);
}

void Ingestor::Start(InFlight& message, Direction dir, Opcode opcode, int64_t ns)
{
    message = InFlight{};
    message.active = true;
    message.id = m_nextMessageId++;
    message.dir = dir;
    message.opcode = opcode;
    message.firstNs = ns;
}

void Ingestor::AddChunk(Session& session, TapRecord& record)
{
    session.engineAnswered |= record.dir == Direction::ServerToClient;
    InFlight& message = session.inFlight[static_cast<size_t>(record.dir)];
    if (record.first || !message.active)
    {
        if (message.active)
            Complete(session, message); // the previous message never saw its final chunk
        Start(message, record.dir, record.opcode, record.ns);
    }
    message.lastNs = record.ns;
    message.size += record.wireBytes;
    ++message.fragments;
    message.elided |= record.elided;
    message.truncated |= !record.elided && record.bytes.size() < record.wireBytes;
    Keep(session, message, record.bytes);
    if (record.mark)
        message.mark = std::move(record.mark);
    if (record.final)
    {
        KnownFacts(record, message.size, message.wireSize, message.truncated, message.redacted);
        message.generated |= record.generated;
        Complete(session, message);
    }
}

void Ingestor::AddPart(Session& session, Direction dir, const wire::DecodedPart& part, int64_t ns)
{
    Opcode opcode = OpcodeOf(part.opcode);
    auto& slots = IsControl(opcode) ? session.control : session.inFlight;
    InFlight& message = slots[static_cast<size_t>(dir)];
    // Bytes that belong to no message the decoder saw start (after lost bytes) are gathered into one row until
    // the next real message, instead of a row per read.
    bool loose = part.opcode == wire::WsOpcode::Continuation;
    bool joinsLoose = loose && message.active && message.loose;
    if (!joinsLoose && (part.first || !message.active || message.loose))
    {
        if (message.active)
            Complete(session, message);
        Start(message, dir, opcode, ns);
        message.wireSize = 0;
        message.loose = loose;
    }
    message.lastNs = ns;
    message.generated |= session.feedingGenerated;
    if (session.feedingMark && !IsControl(opcode))
        message.mark = *session.feedingMark;
    message.size += part.bytes.size() + part.skipped;
    *message.wireSize += part.wireBytes + part.skipped;
    ++message.fragments;
    message.elided |= part.lost;
    if (!part.problem.empty())
    {
        message.problem = std::string(part.problem);
        message.truncated |= session.ending; // the connection ended in the middle of it
    }
    Keep(session, message, part.bytes);
    if (part.final && !loose)
    {
        if (opcode == Opcode::Close && !session.closeCode)
        {
            // The first close frame decides the session's close code (1005: a close without one).
            std::string_view payload = message.head;
            session.closeCode =
                payload.size() >= 2
                    ? static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]))
                    : uint16_t{1005};
            session.closeReason = std::string(payload.size() > 2 ? payload.substr(2) : std::string_view());
        }
        Complete(session, message);
    }
}

void Ingestor::AddWireBytes(Session& session, TapRecord& record)
{
    size_t index = static_cast<size_t>(record.dir);
    std::optional<wire::WsDecoder>& decoder = session.wire[index];
    if (!decoder)
        return; // WebSocket bytes before any 101: cannot happen with the relay's records
    Direction dir = record.dir;
    int64_t ns = record.ns;
    auto sink = [this, &session, dir, ns](const wire::DecodedPart& part) { AddPart(session, dir, part, ns); };
    uint64_t& expected = session.wireOffset[index];
    if (record.offset > expected)
        decoder->Skip(record.offset - expected, sink); // records the tap queue dropped whole
    expected = record.offset + record.wireBytes;
    session.feedingGenerated = record.generated;                 // the proxy's own frames come in records of their own
    session.feedingMark = record.mark ? &*record.mark : nullptr; // as do the frames of a message a rule acted on
    if (record.elided)
        decoder->Skip(record.wireBytes, sink);
    else
        decoder->Feed(record.bytes, record.firstHeader, sink);
    session.feedingGenerated = false;
    session.feedingMark = nullptr;
}

void Ingestor::AddHttpHead(Session& session, TapRecord& record)
{
    size_t index = static_cast<size_t>(record.dir);
    HttpInFlight& message = session.http[index];
    if (message.active)
    {
        message.error = "a new message began before this one ended";
        StoreHttp(session, record.dir, message);
    }
    message = HttpInFlight{};
    message.active = true;
    message.id = m_nextMessageId++; // ids follow first bytes: a response may end before its request does
    message.firstNs = message.lastNs = record.ns;
    message.head = std::move(record.head);
    message.wireSize = record.wireBytes;
    message.generated = record.generated;
    if (record.dir == Direction::ServerToClient && !record.generated)
        session.engineAnswered = true;
    if (record.dir == Direction::ClientToServer)
    {
        // Queued for its answer now (the answer may come before the body ends); an upgrade request only if
        // the engine refuses it (EndHttp), since a 101 makes it part of the session instead.
        auto head = wire::ParseHead(message.head, true);
        if (!head || !IsUpgradeRequest(*head))
            session.inspector.HttpRequestBegins(message.id, message.firstNs);
    }
    if (record.dir == Direction::ServerToClient)
    {
        auto head = wire::ParseHead(message.head, false);
        session.upgrading = head && head->status == 101 && session.upgradeRequest;
        if (session.upgrading)
        {
            // The connection becomes a WebSocket session: the two heads describe it, they are not messages.
            auto agreed = head->Joined("Sec-WebSocket-Extensions");
            const std::string* subprotocol = head->Find("Sec-WebSocket-Protocol");
            op::SessionUpgrade upgrade;
            upgrade.session = session.id;
            upgrade.extensions = agreed;
            if (subprotocol)
                upgrade.subprotocol = *subprotocol;
            upgrade.handshake =
                session.inspector.RedactHead(session.upgradeRequest->head) + session.inspector.RedactHead(message.head);
            m_ops.push_back(std::move(upgrade));
            wire::DeflateParams deflate = wire::ParseAgreedDeflate(agreed);
            session.wire[0].emplace(true, deflate);
            session.wire[1].emplace(false, deflate);
            session.upgradeRequest.reset();
            Log(session.label + "  WebSocket" + (agreed.empty() ? std::string() : " (" + agreed + ")"));
        }
    }
}

void Ingestor::AddHttpBody(Session& session, TapRecord& record)
{
    HttpInFlight& message = session.http[static_cast<size_t>(record.dir)];
    if (!message.active)
        return;
    message.lastNs = record.ns;
    message.wireSize += record.wireBytes;
    message.bodySize += record.bytes.size() + record.elidedBytes;
    message.elided |= record.elided;
    std::string_view bytes = record.bytes;
    if (message.body.size() + bytes.size() > m_options.maxCaptureBytes)
    {
        message.truncated = true;
        bytes = bytes.substr(0, m_options.maxCaptureBytes -
                                    std::min<uint64_t>(message.body.size(), m_options.maxCaptureBytes));
    }
    message.body += bytes;
}

void Ingestor::EndHttp(Session& session, TapRecord& record)
{
    size_t index = static_cast<size_t>(record.dir);
    HttpInFlight& message = session.http[index];
    if (!message.active)
        return;
    message.lastNs = record.ns;
    message.error = record.error;
    std::optional<uint64_t> wireSize = message.wireSize;
    KnownFacts(record, message.bodySize, wireSize, message.truncated, message.redacted);
    message.wireSize = wireSize.value_or(message.wireSize);
    message.generated |= record.generated;
    if (record.dir == Direction::ServerToClient && session.upgrading)
    {
        message = HttpInFlight{}; // the 101: already described by the session
        session.upgrading = false;
        return;
    }
    if (record.dir == Direction::ClientToServer && record.error.empty())
    {
        auto head = wire::ParseHead(message.head, true);
        if (head && IsUpgradeRequest(*head))
        {
            session.upgradeRequest = std::move(message); // stored only if the engine refuses the upgrade
            message = HttpInFlight{};
            return;
        }
    }
    if (record.dir == Direction::ServerToClient && session.upgradeRequest)
    {
        auto head = wire::ParseHead(message.head, false);
        if (!head || head->status >= 200)
        {
            // The engine refused the upgrade: it was an ordinary HTTP exchange.
            HttpInFlight request = std::move(*session.upgradeRequest);
            session.upgradeRequest.reset();
            StoreHttp(session, Direction::ClientToServer, request);
        }
    }
    StoreHttp(session, record.dir, message);
}

void Ingestor::StoreHttp(Session& session, Direction dir, HttpInFlight& message)
{
    inspector::HttpWireMessage wire;
    wire.dir = dir;
    wire.firstByteNs = message.firstNs;
    wire.lastByteNs = message.lastNs;
    wire.head = message.head;
    wire.body = message.body;
    wire.truncated = message.truncated || message.elided;
    int64_t id = message.id;
    inspector::FeedResult result = session.inspector.FeedHttp(id, wire);
    if (!message.error.empty())
        result.message.envelope.malformedReason = message.error;

    MessageRow row;
    row.id = id;
    row.session = session.id;
    row.dir = dir;
    row.opcode = Opcode::Text;
    row.size = message.bodySize;
    row.wireSize = message.wireSize;
    row.tsNs = message.firstNs;
    row.durNs = message.lastNs - message.firstNs;
    op::InsertMessage insert;
    insert.data = result.message.redactedBytes ? std::move(*result.message.redactedBytes) : std::move(message.body);
    bool redacted = result.message.redactedBytes || (result.message.http && result.message.http->redacted) ||
                    message.redacted || HoldsMarkers(insert.data) || HoldsMarkers(message.head);
    row.flags = (message.truncated ? MessageFlag::Truncated : 0u) | (message.elided ? MessageFlag::Elided : 0u) |
                (redacted ? MessageFlag::Redacted : 0u) | (message.generated ? MessageFlag::Generated : 0u);
    insert.row = row;
    result.message.redactedBytes.reset();
    insert.decoded = std::move(result.message);
    Insert(session, std::move(insert), result.updates, message.elided);
    message = HttpInFlight{};
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
    wire.problem = message.problem;
    // What a rule replaced is kept (decoded, redacted) but pairs with nothing: what was sent instead does.
    wire.aside = message.mark && message.mark->outcome == capture::RuleMark::Outcome::Replaced;
    inspector::FeedResult result = session.inspector.Feed(message.id, wire);

    MessageRow row;
    row.id = message.id;
    row.session = session.id;
    row.dir = wire.dir;
    row.opcode = message.opcode;
    row.size = message.size;
    row.wireSize = message.wireSize;
    row.tsNs = message.firstNs;
    row.durNs = message.lastNs - message.firstNs;
    row.fragments = message.fragments;
    op::InsertMessage insert;
    insert.data = result.message.redactedBytes ? std::move(*result.message.redactedBytes) : std::move(message.head);
    bool redacted = result.message.redactedBytes || message.redacted || HoldsMarkers(insert.data);
    row.flags = (message.truncated ? MessageFlag::Truncated : 0u) | (message.elided ? MessageFlag::Elided : 0u) |
                (redacted ? MessageFlag::Redacted : 0u) | (message.generated ? MessageFlag::Generated : 0u) |
                (message.mark ? MarkFlags(message.mark->outcome) : 0u);
    if (message.mark)
    {
        row.rule = message.mark->rule;
        row.action = message.mark->action;
    }
    insert.row = row;
    result.message.redactedBytes.reset();
    insert.decoded = std::move(result.message);
    Insert(session, std::move(insert), result.updates, message.elided);
    message = InFlight{};
}

void Ingestor::Insert(Session& session, op::InsertMessage insert, const std::vector<inspector::MessageUpdate>& updates,
                      bool elided)
{
    // The insert stays editable until the batch is taken: most requests are answered within the same batch,
    // and updating the pending row costs nothing while an UPDATE statement costs as much as the insert.
    int64_t id = insert.row.id;
    uint64_t size = insert.row.wireSize.value_or(insert.row.size);
    BlockEntry entry = BlockEntryOf(id, insert.decoded);
    entry.text = {insert.data}; // the columns the text filter searches (TraceReader.cpp, FilterConditions)
    if (const inspector::HttpFields* http = insert.decoded.http ? &*insert.decoded.http : nullptr)
        entry.text.insert(entry.text.end(), {http->target, http->head});
    m_blocks[session.id].Add(entry);
    m_inserts[id] = m_ops.size();
    bool auth = insert.decoded.envelope.command == "auth";
    m_ops.push_back(std::move(insert));
    for (const inspector::MessageUpdate& update : updates)
        Update(session.id, update);

    if (auth)
        session.factsDirty = true;
    ++session.pendingMessages;
    session.pendingBytes += size;
    session.pendingElided += elided ? 1 : 0;
    ++m_stats.messages;
    m_stats.elided += elided ? 1 : 0;
}

void Ingestor::CloseSession(Session& session, const TapRecord& record)
{
    session.ending = true;
    for (size_t index = 0; index < 2; ++index)
    {
        Direction dir = static_cast<Direction>(index);
        if (session.wire[index])
            session.wire[index]->Finish([this, &session, dir, &record](const wire::DecodedPart& part)
                                        { AddPart(session, dir, part, record.ns); });
        if (session.http[index].active)
        {
            if (session.http[index].error.empty())
                session.http[index].error = "the connection ended in the middle of the message";
            StoreHttp(session, dir, session.http[index]);
        }
    }
    if (session.upgradeRequest)
    {
        HttpInFlight request = std::move(*session.upgradeRequest);
        session.upgradeRequest.reset();
        StoreHttp(session, Direction::ClientToServer, request); // never answered
    }
    for (auto* slots : {&session.inFlight, &session.control})
        for (InFlight& message : *slots)
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
    // A relayed WebSocket session's close code is the first close frame on the wire (the proxy's own too);
    // one that ended without any: 1006. Imported and replayed sessions say what it was.
    if (session.closeCode)
    {
        end.closeCode = *session.closeCode;
        end.closeReason = session.closeReason;
    }
    else if (record.closeCode)
    {
        end.closeCode = record.closeCode;
        end.closeReason = record.closeReason;
    }
    else if (session.wire[0])
        end.closeCode = 1006;
    end.closedBy = record.closedBy;
    end.error = record.error;
    // Connected but never answered (a silent engine, a TLS failure) is a failed upstream too.
    if (!session.engineAnswered && record.error.starts_with("upstream:"))
        m_ops.push_back(op::UpstreamResult{session.id, false, record.error});
    FlushSession(session);
    m_ops.push_back(op::EndSession{session.id, end});

    std::string summary = session.label;
    if (!record.error.empty())
        summary += "  " + record.error;
    else if (end.closeCode)
        summary += "  closed " + std::to_string(end.closeCode) + " by " + record.closedBy;
    else
        summary += "  closed by " + record.closedBy;
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
