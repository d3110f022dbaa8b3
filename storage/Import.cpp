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
        m_ingestor.Apply(open);
        if (s.upstreamOk == true)
        {
            TapRecord upstream = Record(TapRecord::Type::UpstreamOpen, startedNs);
            m_ingestor.Apply(upstream);
        }
    }

    // The message as chunks: the last one arrives at ts + dur and carries the bytes the capture did not keep.
    void Message(const ImportedMessage& m)
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
            chunk.wireBytes = piece.size() + (chunk.final ? m.size - m.data.size() : 0);
            chunk.elided = m.elided;
            m_ingestor.Apply(chunk);
        }
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
        Ingestor ingestor(writer, IngestOptions{.redaction = redaction, .source = "import"});
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
