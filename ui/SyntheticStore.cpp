#include "SyntheticStore.hpp"

#include "cli/Capture.hpp"
#include "mock/DemoSession.hpp"
#include "mock/MockEngineServer.hpp"
#include "net/EngineUri.hpp"
#include "storage/Store.hpp"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>

namespace dapscope::ui
{

namespace
{
constexpr int64_t kMaxCopiedBytes = 2048;
} // namespace

CopyTemplate TemplateOf(SQLite::Database& db, int64_t session)
{
    CopyTemplate t;
    t.session = session;
    SQLite::Statement q(db, "SELECT min(id), max(id), count(*), min(ts_ns), max(ts_ns) FROM messages "
                            "WHERE session_id = ?");
    q.bind(1, session);
    if (q.executeStep() && !q.getColumn(0).isNull())
    {
        t.firstId = q.getColumn(0).getInt64();
        t.lastId = q.getColumn(1).getInt64();
        t.count = q.getColumn(2).getInt64();
        t.firstTs = q.getColumn(3).getInt64();
        t.lastTs = q.getColumn(4).getInt64();
    }
    return t;
}

int64_t AppendCopies(SQLite::Database& db, int64_t session, const CopyTemplate& source, int64_t copies)
{
    if (copies <= 0 || source.count == 0)
        return 0;
    const int64_t count = source.count;
    const int64_t span = source.lastTs - source.firstTs + 1'000'000; // one copy after the other, 1 ms apart
    const int64_t base = db.execAndGet("SELECT coalesce(max(id), 0) + 1 FROM messages").getInt64();
    // The session's last message by id (index lookup), not max(ts_ns) (a scan of the whole session).
    const int64_t lastTs =
        db.execAndGet("SELECT coalesce((SELECT ts_ns FROM messages WHERE session_id = " + std::to_string(session) +
                      " ORDER BY id DESC LIMIT 1), 0)")
            .getInt64();
    const int64_t shift0 = lastTs - source.firstTs + 1'000'000;
    // Copy k (1..copies) of template row r (0..count-1) gets id base + (k-1)*count + r; its pair is remapped the
    // same way. Tasks get a per-copy prefix ("~0000002a.webhook_1") so the Tasks view has many tasks.
    SQLite::Statement insert(
        db, "WITH RECURSIVE copies(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM copies WHERE k < :copies), "
            "t AS (SELECT m.*, row_number() OVER (ORDER BY m.id) - 1 AS r FROM messages m "
            "      WHERE m.session_id = :template AND m.id BETWEEN :first AND :last), "
            "tp AS (SELECT t.*, p.r AS pr FROM t LEFT JOIN t p ON p.id = t.pair_id) "
            "INSERT INTO messages (id, session_id, dir, opcode, size, ts_ns, dur_ns, fragments, flags, kind, seq, "
            "request_seq, command, subcommand, event, success, error, trace, task, pipe_id, state, pair_id, "
            "latency_ns, malformed, data) "
            "SELECT :base + (k - 1) * :count + r, :session, dir, opcode, size, ts_ns + :shift + (k - 1) * :span, "
            "dur_ns, fragments, flags | (CASE WHEN length(data) > :maxBytes THEN 1 ELSE 0 END), kind, seq, "
            "request_seq, command, subcommand, event, success, error, trace, "
            "CASE WHEN task IS NULL THEN NULL ELSE printf('~%08x', :base + k) || substr(task, instr(task, '.')) END, "
            "pipe_id, state, CASE WHEN pr IS NULL THEN NULL ELSE :base + (k - 1) * :count + pr END, latency_ns, "
            "malformed, CASE WHEN length(data) > :maxBytes THEN substr(data, 1, :maxBytes) ELSE data END "
            "FROM copies, tp ORDER BY k, r");
    insert.bind(":copies", copies);
    insert.bind(":template", source.session);
    insert.bind(":first", source.firstId);
    insert.bind(":last", source.lastId);
    insert.bind(":base", base);
    insert.bind(":count", count);
    insert.bind(":session", session);
    insert.bind(":shift", shift0);
    insert.bind(":span", span);
    insert.bind(":maxBytes", kMaxCopiedBytes);
    const int added = insert.exec();
    SQLite::Statement totals(db, "UPDATE sessions SET messages = messages + ?, bytes = bytes + ? WHERE id = ?");
    totals.bind(1, static_cast<int64_t>(added));
    totals.bind(2, static_cast<int64_t>(added) * 300);
    totals.bind(3, session);
    totals.exec();
    return added;
}

std::string MakeDemoStore(const std::string& storePath, int sessions)
{
    try
    {
        net::EventLoop engineLoop("demo-engine");
        mock::MockEngineServer engine(engineLoop, net::WsServerOptions{}, mock::EngineOptions{});
        cli::CaptureOptions options;
        options.storePath = storePath;
        options.relay.listenPort = 0;
        options.relay.upstream = *net::NormaliseEngineUri("127.0.0.1:" + std::to_string(engine.Port()));
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

int64_t GrowSession(const std::string& storePath, int64_t session, int64_t target,
                    const std::function<void(int64_t, int64_t)>& progress)
{
    SQLite::Database db = storage::OpenForWriting(storePath);
    db.exec("PRAGMA synchronous = OFF");
    const CopyTemplate source = TemplateOf(db, session);
    const int64_t templateCount = source.count;
    if (templateCount == 0)
        return 0;
    int64_t total = templateCount, added = 0;
    while (total < target)
    {
        const int64_t copies = std::clamp<int64_t>((target - total + templateCount - 1) / templateCount, 1, 1000);
        SQLite::Transaction transaction(db);
        const int64_t n = AppendCopies(db, session, source, copies);
        transaction.commit();
        if (n == 0)
            break;
        added += n;
        total += n;
        if (progress)
            progress(total, target);
    }
    SQLite::Statement end(db, "UPDATE sessions SET messages = (SELECT count(*) FROM messages WHERE session_id = ?1), "
                              "ended_ns = (SELECT max(ts_ns) + 1000000 FROM messages WHERE session_id = ?1) "
                              "WHERE id = ?1");
    end.bind(1, session);
    end.exec();
    return added;
}

} // namespace dapscope::ui
