#include "Import.hpp"

#include "ImportParse.hpp"
#include "Ingestor.hpp"
#include "Store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

namespace dapscope::storage
{

namespace
{
using capture::TapRecord;
using inspector::Direction;

// Messages are handed to the Ingestor in pieces of this size, as the relay hands over what lws delivers.
constexpr size_t kPieceBytes = 64 * 1024;
// The Ingestor buffers rows until Flush(): flush this often, in messages and in their bytes, to bound memory (the
// transaction stays open).
constexpr uint64_t kFlushEvery = 1000;
constexpr uint64_t kFlushBytes = uint64_t(8) << 20;

// The file being imported, read with pread so that the two passes over a HAR each keep their own position. A
// pipe (or anything else that cannot be read twice) is first copied to an unnamed temporary file.
class FileSource : public ImportSource
{
  public:
    explicit FileSource(const std::string& file) : m_file(file)
    {
        m_fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (m_fd < 0)
            throw ImportError(file + ": cannot open (" + std::strerror(errno) + ")");
        struct stat info = {};
        if (::fstat(m_fd, &info) == 0 && S_ISREG(info.st_mode))
            m_size = static_cast<uint64_t>(info.st_size);
        else
            Spool();
    }
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;
    ~FileSource() override { ::close(m_fd); }

    size_t ReadAt(uint64_t offset, char* buffer, size_t size) override
    {
        for (;;)
        {
            ssize_t n = ::pread(m_fd, buffer, size, static_cast<off_t>(offset));
            if (n >= 0)
                return static_cast<size_t>(n);
            if (errno != EINTR)
                throw FormatError(m_file + ": cannot read (" + std::strerror(errno) + ")");
        }
    }

    uint64_t Size() const { return m_size; }

  private:
    void Spool()
    {
        std::unique_ptr<std::FILE, int (*)(std::FILE*)> copy(std::tmpfile(), std::fclose);
        if (!copy)
            throw ImportError(m_file + ": cannot make a temporary copy (" + std::strerror(errno) + ")");
        std::vector<char> buffer(size_t(1) << 20);
        for (;;)
        {
            ssize_t n = ::read(m_fd, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                throw ImportError(m_file + ": cannot read (" + std::strerror(errno) + ")");
            if (n == 0)
                break;
            if (std::fwrite(buffer.data(), 1, static_cast<size_t>(n), copy.get()) != static_cast<size_t>(n))
                throw ImportError(m_file + ": cannot make a temporary copy (" + std::strerror(errno) + ")");
            m_size += static_cast<uint64_t>(n);
        }
        if (std::fflush(copy.get()) != 0)
            throw ImportError(m_file + ": cannot make a temporary copy (" + std::strerror(errno) + ")");
        int fd = ::dup(::fileno(copy.get()));
        if (fd < 0)
            throw ImportError(m_file + ": cannot make a temporary copy (" + std::strerror(errno) + ")");
        ::close(m_fd);
        m_fd = fd; // the copy is unlinked already: it goes when this closes
    }

    std::string m_file;
    int m_fd = -1;
    uint64_t m_size = 0;
};

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
        open.actsOnTraffic = s.rules;
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
            chunk.bytes = capture::SharedBytes(std::string(piece));
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
        body.bytes = capture::SharedBytes(m.data);
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
        if (!m.action.empty())
            record.mark = capture::RuleMark{m.rule, m.action, OutcomeOf(m.outcome)};
    }

    static capture::RuleMark::Outcome OutcomeOf(const std::string& outcome)
    {
        using Outcome = capture::RuleMark::Outcome;
        return outcome == "rewritten"     ? Outcome::Rewritten
               : outcome == "replaced"    ? Outcome::Replaced
               : outcome == "dropped"     ? Outcome::Dropped
               : outcome == "synthesized" ? Outcome::Synthesized
                                          : Outcome::Forwarded;
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

// Parsed sessions to the store, as the relay would have reported them, in batches.
class StoreSink : public ImportSink
{
  public:
    explicit StoreSink(Ingestor& ingestor) : m_ingestor(ingestor) {}

    void BeginSession(const ImportedSession& s) override
    {
        m_session = s;
        m_feeder.emplace(m_ingestor, ++m_relayId);
        m_opened = false;
    }

    void Message(ImportedMessage& m) override
    {
        if (!m_opened)
            Open(m.tsNs);
        m_endNs = std::max(m_endNs, m.tsNs + m.durNs);
        m_feeder->Message(m);
        m_batchBytes += m.data.size() + m.head.size();
        if (++m_result.messages % kFlushEvery == 0 || m_batchBytes >= kFlushBytes)
        {
            m_ingestor.Flush();
            m_batchBytes = 0;
        }
    }

    void EndSession() override
    {
        if (!m_opened)
            Open(0);
        m_feeder->Close(m_session, m_session.endedNs.value_or(m_endNs));
        m_result.sessions.push_back(m_ingestor.StoreSession(m_relayId));
    }

    const ImportResult& Result() const { return m_result; }

  private:
    // The session is written when its first message (or its end) is known: without a start time in the file,
    // it starts with that message.
    void Open(int64_t firstNs)
    {
        const int64_t startedNs = m_session.startedNs.value_or(firstNs);
        m_feeder->Open(m_session, startedNs);
        m_endNs = startedNs;
        m_opened = true;
    }

    Ingestor& m_ingestor;
    ImportedSession m_session;             // the session being written (its fields)
    std::optional<SessionFeeder> m_feeder; // and its records
    uint64_t m_relayId = 0;                // its id as the relay would have numbered it
    bool m_opened = false;                 // its SessionOpen went to the Ingestor
    int64_t m_endNs = 0;                   // the end of its latest message
    uint64_t m_batchBytes = 0;             // bytes given to the Ingestor since the last flush
    ImportResult m_result;
};

// Parse and write in one transaction: the store gets every session of the file or, on any error, none.
ImportResult Write(SQLite::Database& db, FileSource& source, const std::string& file,
                   const inspector::RedactionPolicy& redaction, const ProgressFn& progress,
                   const ImportOptions& options)
{
    TraceWriter writer(db);
    writer.Begin();
    try
    {
        // Markers in the bytes mean the exporting store redacted them, whether or not the file says so.
        Ingestor ingestor(writer,
                          IngestOptions{.redaction = redaction, .source = "import", .markersMeanRedacted = true});
        StoreSink sink(ingestor);
        const uint64_t size = source.Size();
        ParseOptions parse;
        parse.maxMessageBytes = options.maxMessageBytes;
        parse.blockBytes = options.blockBytes;
        if (progress)
            parse.progress = [&](uint64_t bytes) { progress(std::min(bytes, size), size); };
        ParseImport(source, file, sink, parse);
        ingestor.Flush();
        writer.Commit();
        if (progress)
            progress(size, size);
        return sink.Result();
    }
    catch (const FormatError& e)
    {
        writer.Rollback();
        throw ImportError(e.what());
    }
    catch (...)
    {
        writer.Rollback();
        throw;
    }
}

// A store that an import created and that stayed empty goes again.
void RemoveStore(const std::string& path)
{
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        std::filesystem::remove(path + suffix, ignored);
}
} // namespace

ImportResult ImportFile(const std::string& storePath, const std::string& file,
                        const inspector::RedactionPolicy& redaction, const ProgressFn& progress,
                        const ImportOptions& options)
{
    FileSource source(file); // before the store: a file that is not there creates nothing
    std::error_code unknown;
    const bool existed = std::filesystem::exists(storePath, unknown) || unknown;
    try
    {
        SQLite::Database db = OpenForWriting(storePath);
        return Write(db, source, file, redaction, progress, options);
    }
    catch (...)
    {
        if (!existed)
            RemoveStore(storePath);
        throw;
    }
}

} // namespace dapscope::storage
