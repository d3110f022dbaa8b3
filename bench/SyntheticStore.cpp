#include "SyntheticStore.hpp"

#include "cli/Capture.hpp"
#include "mock/DemoSession.hpp"
#include "mock/MockEngineServer.hpp"
#include "net/EngineUri.hpp"
#include "storage/Store.hpp"
#include "storage/TraceReader.hpp"

#include <algorithm>
#include <cstdio>
#include <variant>

namespace dapscope::bench
{

namespace
{
constexpr uint64_t kMaxCopiedBytes = 2048;
constexpr uint64_t kRelaySession = 1; // the copier's session in its Ingestor
constexpr int64_t kGapNs = 1'000'000; // between copies, and from the session's last message to the first copy

template <class... Fn> struct Overloaded : Fn...
{
    using Fn::operator()...;
};

storage::IngestOptions CopyOptions()
{
    storage::IngestOptions options;
    options.markersMeanRedacted = true; // the template's bytes were redacted when they were captured
    return options;
}

void ReplaceAll(std::string& text, const std::string& from, const std::string& to)
{
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}
} // namespace

std::string MakeDemoStore(const std::string& storePath, int sessions)
{
    try
    {
        net::EventLoop engineLoop("demo-engine");
        mock::MockEngineServer engine(engineLoop, net::WsServerOptions{}, mock::EngineOptions{});
        cli::CaptureOptions options;
        options.storePath = storePath;
        options.relay.listenPort = 0;
        options.relay.upstream = net::NormaliseEngineUri("127.0.0.1:" + std::to_string(engine.Port()));
        cli::Capture capture(std::move(options));
        for (int i = 0; i < sessions; ++i)
        {
            mock::DemoReport report = mock::RunDemoSession(
                "ws://127.0.0.1:" + std::to_string(capture.Port()) + "/task/service", "sk-demo-0000-not-a-real-key");
            if (!report.problems.empty())
                return "demo session: " + report.problems.front();
        }
        capture.Stop(std::chrono::seconds(3));
        return "";
    }
    catch (const std::exception& e)
    {
        return e.what();
    }
}

SessionCopier::SessionCopier(const std::string& storePath, int64_t templateSession, int64_t session,
                             int64_t maxMessages)
    : m_session(session), m_db(storage::OpenForWriting(storePath)), m_writer(m_db), m_ingestor(m_writer, CopyOptions())
{
    m_db.exec("PRAGMA synchronous = OFF"); // a made-up store need not survive a power cut
    {
        storage::TraceReader reader(storePath);
        int64_t firstNs = 0, read = 0;
        for (int64_t after = 0; read < maxMessages;)
        {
            auto page = reader.MessagesWithData(templateSession, after, std::min<int64_t>(5000, maxMessages - read));
            if (page.empty())
                break;
            after = page.back().summary.id;
            read += static_cast<int64_t>(page.size());
            for (auto& [m, data] : page)
            {
                if (m.kind == inspector::Kind::HttpRequest || m.kind == inspector::Kind::HttpResponse)
                    continue; // copies are WebSocket traffic
                if (m_template.empty())
                    firstNs = m.tsNs;
                m_template.push_back({m.dir, m.opcode, m.tsNs - firstNs, static_cast<uint64_t>(m.size),
                                      (m.flags & storage::MessageFlag::Truncated) != 0, std::move(data)});
                const std::string prefix = m.task.substr(0, m.task.find('.'));
                if (prefix.size() == 8 &&
                    std::find(m_taskPrefixes.begin(), m_taskPrefixes.end(), prefix) == m_taskPrefixes.end())
                    m_taskPrefixes.push_back(prefix);
            }
        }
        m_spanNs = (m_template.empty() ? 0 : m_template.back().offsetNs) + kGapNs;
        // After the session's last message (its start when it has none).
        const std::optional<storage::IdRange> ids = reader.MessageIdRange(session, 0);
        const std::optional<storage::MessageSummary> last = ids ? reader.Message(ids->last) : std::nullopt;
        const std::optional<storage::SessionSummary> row = reader.Session(session);
        if (!row)
            throw storage::StoreError("no session " + std::to_string(session) + " in " + storePath);
        m_lastNs = last ? last->tsNs : row->startedNs;
        m_nextNs = m_lastNs + kGapNs;
    }
    // The copies' summaries follow the session's own.
    m_blockOffset = m_writer.NextBlock(session);
    capture::TapRecord open;
    open.type = capture::TapRecord::Type::SessionOpen;
    open.session = kRelaySession;
    open.ns = m_nextNs;
    m_ingestor.Apply(open);
    m_ingestor.TakeBatch(); // its BeginSession: the copies go to an existing session
}

void SessionCopier::Flush()
{
    storage::StoreOps ops = m_ingestor.TakeBatch();
    storage::StoreOps out;
    out.reserve(ops.size());
    for (storage::StoreOp& op : ops)
        std::visit(
            Overloaded{
                [&](storage::op::InsertMessage& o)
                {
                    o.row.session = m_session;
                    // Decoded whole, stored truncated (the bytes only: the row and its summary are right).
                    if (o.data.size() > kMaxCopiedBytes)
                    {
                        o.data.resize(kMaxCopiedBytes);
                        o.row.flags |= storage::MessageFlag::Truncated;
                    }
                    out.push_back(std::move(o));
                },
                [&](storage::op::SessionTotals& o)
                {
                    o.session = m_session;
                    out.push_back(std::move(o));
                },
                [&](storage::op::UpsertBlock& o)
                {
                    o.session = m_session;
                    o.block.block += m_blockOffset;
                    out.push_back(std::move(o));
                },
                [&](storage::op::UpdateMessage& o) { out.push_back(std::move(o)); },
                [](storage::op::AppendChunk&) {}, // the tail of a message over 1 MiB: truncated too
                // The session row stays as capture wrote it: opened, upgraded, its facts and its end.
                [](storage::op::BeginSession&) {},
                [](storage::op::SessionUpgrade&) {},
                [](storage::op::UpstreamResult&) {},
                [](storage::op::SessionFacts&) {},
                [](storage::op::EndSession&) {},
            },
            op);
    m_writer.Apply(out);
}

int64_t SessionCopier::Append(int64_t copies)
{
    if (copies <= 0 || m_template.empty())
        return 0;
    int64_t added = 0;
    m_writer.Begin();
    try
    {
        for (int64_t k = 0; k < copies; ++k, ++m_copies, m_nextNs += m_spanNs)
        {
            // Task ids are the first 8 characters of the task token: a copy's own make its own tasks.
            std::vector<std::string> prefixes;
            for (size_t i = 0; i < m_taskPrefixes.size(); ++i)
            {
                char prefix[16];
                const uint64_t n = static_cast<uint64_t>(m_copies) * m_taskPrefixes.size() + i;
                std::snprintf(
                    prefix, sizeof prefix, "%08x",
                    static_cast<unsigned>(((static_cast<uint64_t>(m_session) & 0xFF) << 24) | (n & 0xFFFFFF)));
                prefixes.emplace_back(prefix);
            }
            for (const Message& m : m_template)
            {
                std::string bytes = m.bytes;
                for (size_t i = 0; i < prefixes.size(); ++i)
                    ReplaceAll(bytes, m_taskPrefixes[i], prefixes[i]);
                capture::TapRecord record;
                record.type = capture::TapRecord::Type::Chunk;
                record.session = kRelaySession;
                record.ns = m_nextNs + m.offsetNs;
                record.dir = m.dir;
                record.opcode = m.opcode;
                record.first = record.final = true;
                record.wireBytes = bytes.size();
                record.knownSize = m.size; // stored bytes may be redacted or a prefix
                record.knownTruncated = m.truncated;
                record.bytes = capture::SharedBytes(std::move(bytes));
                m_ingestor.Apply(record);
                m_lastNs = record.ns;
                if (++added % 8192 == 0)
                    Flush(); // bounded memory for big appends
            }
        }
        Flush();
        m_writer.Commit();
    }
    catch (...)
    {
        m_writer.Rollback();
        throw;
    }
    return added;
}

void SessionCopier::SetEnded(bool ended)
{
    m_writer.SetSessionEnded(m_session, ended ? std::optional<int64_t>(m_lastNs + kGapNs) : std::nullopt);
}

int64_t GrowSession(const std::string& storePath, int64_t session, int64_t target,
                    const std::function<void(int64_t, int64_t)>& progress)
{
    SessionCopier copier(storePath, session, session);
    const int64_t templateCount = copier.TemplateMessages();
    if (templateCount == 0)
        return 0;
    int64_t total = templateCount, added = 0;
    while (total < target)
    {
        const int64_t copies = std::clamp<int64_t>((target - total + templateCount - 1) / templateCount, 1, 1000);
        const int64_t n = copier.Append(copies);
        if (n == 0)
            break;
        added += n;
        total += n;
        if (progress)
            progress(total, target);
    }
    copier.SetEnded(true);
    return added;
}

} // namespace dapscope::bench
