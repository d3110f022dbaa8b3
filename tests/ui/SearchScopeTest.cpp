// The filter bar's "All sessions" scope over a store of three SDK fixture sessions (Python, TypeScript, Python
// again): the results are the messages of every session holding the text, found here by reading every stored
// message, and clicking one opens it in its session.

#include "UiTestSupport.hpp"
#include "storage/Import.hpp"
#include "storage/TraceReader.hpp"
#include "ui/App.hpp"
#include "ui/platform/HeadlessPlatform.hpp"
#include "ui/views/MessageTableView.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

namespace dapscope::ui
{
namespace
{

// Only the Python SDK sends `"provider": null` (with a space: it writes JSON with Python's separators).
constexpr const char* kText = "\"provider\": null";

// Lines of a fixture file holding `text` (a line is one message).
size_t FixtureLinesWith(const std::string& name, const std::string& text)
{
    std::ifstream in(std::string(DAPSCOPE_FIXTURES) + "/" + name);
    EXPECT_TRUE(in.good()) << name;
    // The file holds the frame as a JSON string: its quotes are escaped there.
    std::string escaped;
    for (char c : text)
        escaped += c == '"' ? std::string("\\\"") : std::string(1, c);
    size_t count = 0;
    for (std::string line; std::getline(in, line);)
        count += line.find(escaped) != std::string::npos ? 1 : 0;
    return count;
}

// Every stored message holding `text`, by reading each session's messages and their bytes.
std::vector<std::pair<int64_t, int64_t>> StoredMessagesWith(const std::string& store, const std::string& text)
{
    storage::TraceReader reader(store);
    std::vector<std::pair<int64_t, int64_t>> found; // session, message
    for (const storage::SessionSummary& s : reader.Sessions())
        for (const storage::StoredMessage& m : reader.MessagesWithData(s.id, 0, 100000))
            if (m.data.find(text) != std::string::npos)
                found.emplace_back(s.id, m.summary.id);
    std::sort(found.begin(), found.end());
    return found;
}

TEST(SearchScopeTest, AllSessionsListsTheMatchesOfEverySessionAndAClickOpensOne)
{
    test::TempDir dir;
    const std::string store = dir.File("sdks.db");
    for (const char* file : {"python-sdk-session.jsonl", "typescript-sdk-session.jsonl", "python-sdk-session.jsonl"})
        storage::ImportFile(store, std::string(DAPSCOPE_FIXTURES) + "/" + file);
    const std::vector<std::pair<int64_t, int64_t>> expected = StoredMessagesWith(store, kText);
    const size_t perPython = FixtureLinesWith("python-sdk-session.jsonl", kText);
    ASSERT_GT(perPython, 0u);
    ASSERT_EQ(FixtureLinesWith("typescript-sdk-session.jsonl", kText), 0u);
    ASSERT_EQ(expected.size(), 2 * perPython);
    EXPECT_EQ(std::count_if(expected.begin(), expected.end(), [](const auto& e) { return e.first == 3; }),
              static_cast<long>(perPython));

    HeadlessPlatform platform(ImVec2(1400, 850));
    AppOptions options;
    options.storePath = store;
    options.session = 2; // the TypeScript session, which holds no match
    App app(options, [] {});
    ASSERT_TRUE(platform.RunUntilIdle(app));
    auto* table = app.FindView<MessageTableView>();
    ASSERT_TRUE(table);
    storage::MessageFilter filter;
    filter.text = kText;
    table->Filters().Set(filter);
    table->Filters().SetAllSessions(true);
    ASSERT_TRUE(platform.RunUntilIdle(app));

    // The results: those messages, in session then id order, from sessions 1 and 3 only.
    ASSERT_TRUE(table->Search().Error().empty()) << table->Search().Error();
    EXPECT_TRUE(table->Search().Complete());
    std::vector<std::pair<int64_t, int64_t>> found;
    for (const storage::SearchHit& hit : table->Search().Hits())
    {
        found.emplace_back(hit.message.session, hit.message.id);
        EXPECT_NE(hit.excerpt.find(kText), std::string::npos) << hit.excerpt;
    }
    EXPECT_EQ(found, expected);
    const auto& drawn = table->DrawnHits();
    ASSERT_EQ(drawn.size(), expected.size()); // few enough to be on screen
    EXPECT_EQ(app.State().session, 2);        // searching did not change the session shown

    // Clicking the first result of session 3 opens it there, back in the one-session table.
    const auto target = std::find_if(drawn.begin(), drawn.end(), [](const auto& h) { return h.session == 3; });
    ASSERT_NE(target, drawn.end());
    const int64_t message = target->id;
    platform.Click(target->center);
    ASSERT_TRUE(platform.RunUntilIdle(app));
    EXPECT_EQ(app.State().session, 3);
    EXPECT_EQ(app.State().message, message);
    EXPECT_FALSE(table->Filters().AllSessions());
    EXPECT_TRUE(table->DrawnHits().empty());
    const auto& rows = table->Drawn();
    EXPECT_TRUE(std::any_of(rows.begin(), rows.end(), [&](const auto& r) { return r.id == message; }))
        << "the opened message is not in the table";
    // The message table of session 3 keeps the filter: its matches only.
    for (const auto& r : rows)
        EXPECT_TRUE(std::binary_search(expected.begin(), expected.end(), std::make_pair(int64_t{3}, r.id))) << r.id;
}

} // namespace
} // namespace dapscope::ui
