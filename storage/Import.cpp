#include "Import.hpp"

#include "ExportEncoding.hpp"
#include "ImportParse.hpp"
#include "Ingestor.hpp"
#include "Store.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace dapscope::storage
{

namespace
{
using inspector::Direction;
using proxy::TapRecord;

// Messages are handed to the Ingestor in pieces of this size, as the relay hands over what lws delivers.
constexpr size_t kPieceBytes = 64 * 1024;
// The Ingestor buffers rows until Flush(): flush this often to bound memory (the transaction stays open).
constexpr uint64_t kFlushEvery = 1000;

// The file's bytes, or at most one byte past the import limit (the parser then refuses it).
std::string ReadFile(const std::string& file)
{
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"), std::fclose);
    if (!in)
        throw ImportError(file + ": cannot open (" + std::strerror(errno) + ")");
    std::string bytes;
    char buffer[1 << 16];
    while (bytes.size() <= kMaxImportBytes)
    {
        size_t n = std::fread(buffer, 1, sizeof buffer, in.get());
        bytes.append(buffer, n);
        if (n < sizeof buffer)
            break;
    }
    if (std::ferror(in.get()))
        throw ImportError(file + ": cannot read (" + std::strerror(errno) + ")");
    return bytes;
}

// Replays one parsed session into the Ingestor as the relay would have reported it.
class SessionFeeder
{
  public:
    SessionFeeder(Ingestor& ingestor, uint64_t relayId) : m_ingestor(ingestor), m_relayId(relayId) {}

    void Open(const ImportedSession& s, int64_t startedNs)
    {
        TapRecord open = Record(TapRecord::Type::SessionOpen, startedNs);
        open.client = s.client;
        open.path = s.path;
        open.upstream = s.upstream;
        open.userAgent = s.userAgent;
        open.protocol = s.protocol.empty() ? "websocket" : s.protocol;
        m_ingestor.Apply(open);
        if (s.upstreamOk == true)
        {
            TapRecord upstream = Record(TapRecord::Type::UpstreamOpen, startedNs);
            m_ingestor.Apply(upstream);
        }
        // The upgrade request and its 101, as the relay reports them: the session gets its handshake and the
        // extensions they agreed on.
        std::vector<std::string_view> heads = SplitHeads(s.handshake);
        if (heads.size() == 2)
            for (size_t i = 0; i < 2; ++i)
            {
                TapRecord head = Record(TapRecord::Type::HttpHead, startedNs);
                head.dir = i == 0 ? Direction::ClientToServer : Direction::ServerToClient;
                head.head = std::string(heads[i]);
                head.wireBytes = heads[i].size();
                m_ingestor.Apply(head);
                TapRecord end = Record(TapRecord::Type::HttpEnd, startedNs);
                end.dir = head.dir;
                m_ingestor.Apply(end);
            }
    }

    void Message(const ImportedMessage& m)
    {
        if (m.http.empty())
            WebSocketMessage(m);
        else
            HttpMessage(m);
    }

    // The message as chunks: the last one arrives at ts + dur and carries what the file knew of it.
    void WebSocketMessage(const ImportedMessage& m)
    {
        size_t pieces = std::max<size_t>(1, (m.data.size() + kPieceBytes - 1) / kPieceBytes);
        if (pieces == 1 && m.durNs > 0)
            pieces = 2; // an empty last chunk keeps the duration
        for (size_t i = 0; i < pieces; ++i)
        {
            std::string_view piece =
                std::string_view(m.data).substr(std::min(i * kPieceBytes, m.data.size()), kPieceBytes);
            TapRecord chunk = Record(TapRecord::Type::Chunk, i + 1 == pieces ? m.tsNs + m.durNs : m.tsNs);
            chunk.dir = m.dir;
            chunk.opcode = m.opcode;
            chunk.first = i == 0;
            chunk.final = i + 1 == pieces;
            chunk.bytes = proxy::SharedBytes(std::string(piece));
            chunk.wireBytes = piece.size();
            chunk.elided = m.elided;
            if (chunk.final)
                Known(m, chunk);
            m_ingestor.Apply(chunk);
        }
    }

    // As the relay reports an HTTP message: head, body, end.
    void HttpMessage(const ImportedMessage& m)
    {
        TapRecord head = Record(TapRecord::Type::HttpHead, m.tsNs);
        head.dir = m.dir;
        head.head = m.head;
        head.wireBytes = m.head.size();
        head.generated = m.generated;
        m_ingestor.Apply(head);
        TapRecord body = Record(TapRecord::Type::HttpBody, m.tsNs + m.durNs);
        body.dir = m.dir;
        body.bytes = proxy::SharedBytes(m.data);
        body.wireBytes = m.data.size();
        body.elided = m.elided;
        m_ingestor.Apply(body);
        TapRecord end = Record(TapRecord::Type::HttpEnd, m.tsNs + m.durNs);
        end.dir = m.dir;
        Known(m, end);
        m_ingestor.Apply(end);
    }

    void Close(const ImportedSession& s, int64_t endedNs)
    {
        TapRecord close = Record(TapRecord::Type::SessionClose, endedNs);
        close.closeCode = s.closeCode;
        close.closeReason = s.closeReason;
        close.closedBy = s.closedBy;
        close.error = s.error;
        m_ingestor.Apply(close);
    }

  private:
    static void Known(const ImportedMessage& m, TapRecord& record)
    {
        record.knownSize = m.size;
        record.knownWireSize = m.wireSize;
        record.knownRedacted = m.redacted;
        record.knownTruncated = m.truncated;
        record.generated = m.generated;
    }

    TapRecord Record(TapRecord::Type type, int64_t ns) const
    {
        TapRecord record;
        record.type = type;
        record.session = m_relayId;
        record.ns = ns;
        return record;
    }

    Ingestor& m_ingestor;
    uint64_t m_relayId; // the session's id as the relay would have numbered it
};

// Write every session in one transaction: the store gets all of them or, on any error, none.
ImportResult Write(SQLite::Database& db, const std::vector<ImportedSession>& sessions,
                   const inspector::RedactionPolicy& redaction, const ProgressFn& progress)
{
    uint64_t total = 0;
    for (const ImportedSession& s : sessions)
        total += s.messages.size();

    ImportResult result;
    TraceWriter writer(db);
    writer.Begin();
    try
    {
        // Markers in the bytes mean the exporting store redacted them, whether or not the file says so.
        Ingestor ingestor(writer, IngestOptions{.redaction = redaction, .source = "import", .markersMeanRedacted = true});
        for (size_t i = 0; i < sessions.size(); ++i)
        {
            const ImportedSession& s = sessions[i];
            int64_t startedNs = s.startedNs.value_or(s.messages.empty() ? 0 : s.messages.front().tsNs);
            int64_t endedNs = startedNs;
            for (const ImportedMessage& m : s.messages)
                endedNs = std::max(endedNs, m.tsNs + m.durNs);
            SessionFeeder feeder(ingestor, i + 1);
            feeder.Open(s, startedNs);
            for (const ImportedMessage& m : s.messages)
            {
                feeder.Message(m);
                if (++result.messages % kFlushEvery == 0)
                {
                    ingestor.Flush();
                    if (progress)
                        progress(result.messages, total);
                }
            }
            feeder.Close(s, s.endedNs.value_or(endedNs));
            result.sessions.push_back(ingestor.StoreSession(i + 1));
        }
        ingestor.Flush();
        writer.Commit();
    }
    catch (...)
    {
        writer.Rollback();
        throw;
    }
    if (progress)
        progress(result.messages, total);
    return result;
}
} // namespace

ImportResult ImportFile(const std::string& storePath, const std::string& file,
                        const inspector::RedactionPolicy& redaction, const ProgressFn& progress)
{
    std::vector<ImportedSession> sessions;
    try
    {
        sessions = ParseImport(ReadFile(file), file);
    }
    catch (const FormatError& e)
    {
        throw ImportError(e.what());
    }
    SQLite::Database db = OpenForWriting(storePath);
    return Write(db, sessions, redaction, progress);
}

} // namespace dapscope::storage
