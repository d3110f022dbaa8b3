#pragma once
// Big stores for the GUI benchmark and scale tests, made from a real capture: a session's own messages are copied
// again and again at the end of it (new ids, timestamps shifted by the session's length, pairs remapped, one task
// per copy, payloads over 2 KiB truncated and flagged so the store stays a realistic size per message).
// Writes through storage::OpenForWriting, the single-writer connection.

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <functional>
#include <string>

namespace dapscope::ui
{

// The messages to copy: a session's messages as they are now.
struct CopyTemplate
{
    int64_t session = 0; // where they are
    int64_t firstId = 0; // id range (only this range is copied, even after the session grew)
    int64_t lastId = 0;
    int64_t count = 0;   // messages in the range
    int64_t firstTs = 0; // time range
    int64_t lastTs = 0;
};
CopyTemplate TemplateOf(SQLite::Database& db, int64_t session);

// Append `copies` copies of the template's messages to `session`, after its last message. Returns the messages
// added.
int64_t AppendCopies(SQLite::Database& db, int64_t session, const CopyTemplate& source, int64_t copies);

// A real capture, made in this process like `dapscope demo`: mock engine, capturing proxy, scripted SDK sessions.
// Returns "" or an error.
std::string MakeDemoStore(const std::string& storePath, int sessions = 1);

// Grow `session` (its own messages are the template) to at least `target` messages.
// `progress(done, total)` is called after each batch. Returns the messages added.
int64_t GrowSession(const std::string& storePath, int64_t session, int64_t target,
                    const std::function<void(int64_t, int64_t)>& progress = {});

} // namespace dapscope::ui
