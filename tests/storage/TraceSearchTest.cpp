// TraceReader::Search: a filter over every session of a store written by the real writer (through import), with
// matches in three of five sessions; paging, --since and the limit.

#include "storage/Import.hpp"
#include "storage/TraceReader.hpp"
#include "support/TestProcess.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>

using namespace dapscope;

namespace
{
constexpr int64_t kBaseSeconds = 1'790'000'000; // session k's messages start k hours later

std::string Line(int session, double t, const char* dir, const std::string& data)
{
    std::string escaped;
    for (char ch : data)
        escaped += ch == '"' ? std::string("\\\"") : std::string(1, ch);
    char time[32];
    std::snprintf(time, sizeof time, "%.6f", t);
    return R"({"session":)" + std::to_string(session) + R"(,"t":)" + time + R"(,"dir":")" + dir +
           R"(","opcode":"text","data":")" + escaped + "\"}\n";
}

// Five sessions; "needle-7" in sessions 2, 3 and 5 (twice in 3), `execute` in 1 and 4, a failure in 3 only.
struct SearchStore
{
    test::TempDir dir;
    std::string path = dir.File("traces.db");
    std::vector<int64_t> sessions; // store ids of the five sessions, in order

    SearchStore()
    {
        std::string jsonl;
        for (int s = 1; s <= 5; ++s)
        {
            double t = static_cast<double>(kBaseSeconds + 3600 * s);
            auto add = [&](const char* dir, const std::string& data) { jsonl += Line(s, t += 0.001, dir, data); };
            add("c2s", R"({"type":"request","seq":1,"command":"rrext_ping","arguments":{}})");
            add("s2c", R"({"type":"response","seq":1,"request_seq":1,"command":"rrext_ping","success":true})");
            bool needle = s == 2 || s == 3 || s == 5;
            std::string command = s == 1 || s == 4 ? "execute" : "rrext_get";
            add("c2s", R"({"type":"request","seq":2,"command":")" + command + R"(","arguments":{"name":")" +
                           (needle ? "needle-7" : "haystack") + R"("}})");
            bool fail = s == 3;
            add("s2c", R"({"type":"response","seq":2,"request_seq":2,"command":")" + command + R"(","success":)" +
                           (fail ? "false,\"message\":\"boom\"" : "true") + "}");
            if (s == 3)
                add("s2c", R"({"type":"event","seq":3,"event":"apaevt_status","body":{"note":"needle-7 again"}})");
        }
        std::string file = dir.File("sessions.jsonl");
        std::ofstream(file, std::ios::binary) << jsonl;
        sessions = storage::ImportFile(path, file).sessions;
    }
};

std::vector<int64_t> SessionsOf(const std::vector<storage::SearchHit>& hits)
{
    std::vector<int64_t> out;
    for (const auto& hit : hits)
        out.push_back(hit.message.session);
    return out;
}

TEST(TraceSearch, TextFindsExactlyTheSessionsThatContainIt)
{
    SearchStore store;
    ASSERT_EQ(store.sessions.size(), 5u);
    const auto& s = store.sessions;
    storage::TraceReader reader(store.path);
    storage::MessageFilter filter;
    filter.text = "needle-7";
    auto hits = reader.Search(filter, {}, 100);
    EXPECT_EQ(SessionsOf(hits), (std::vector<int64_t>{s[1], s[2], s[2], s[4]}));
    for (const auto& hit : hits)
    {
        EXPECT_NE(hit.excerpt.find("needle-7"), std::string::npos) << hit.excerpt;
        // Each hit is the stored message itself.
        auto m = reader.Message(hit.message.id);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->session, hit.message.session);
        EXPECT_NE(reader.MessageData(hit.message.id).find("needle-7"), std::string::npos);
    }
    EXPECT_EQ(hits[0].message.kind, inspector::Kind::Request);
    EXPECT_EQ(hits[0].message.command, "rrext_get");
    EXPECT_EQ(hits[2].message.kind, inspector::Kind::Event);
    EXPECT_EQ(hits[2].message.event, "apaevt_status");
    // Within a session, in message order.
    EXPECT_LT(hits[1].message.id, hits[2].message.id);

    filter.text = "not-anywhere";
    EXPECT_TRUE(reader.Search(filter, {}, 100).empty());
}

TEST(TraceSearch, FiltersMeanWhatTheyMeanInOneSession)
{
    SearchStore store;
    const auto& s = store.sessions;
    storage::TraceReader reader(store.path);

    storage::MessageFilter failed;
    failed.failedOnly = true;
    auto hits = reader.Search(failed, {}, 100);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].message.session, s[2]);
    EXPECT_EQ(hits[0].message.success, false);
    EXPECT_EQ(hits[0].message.error, "boom");

    storage::MessageFilter command;
    command.command = "execute";
    hits = reader.Search(command, {}, 100);
    EXPECT_EQ(SessionsOf(hits), (std::vector<int64_t>{s[0], s[0], s[3], s[3]})); // request and response
    for (int64_t session : {s[0], s[3]})
    {
        std::set<int64_t> one;
        for (const auto& m : reader.Messages(session, command))
            one.insert(m.id);
        std::set<int64_t> across;
        for (const auto& hit : hits)
            if (hit.message.session == session)
                across.insert(hit.message.id);
        EXPECT_EQ(one, across);
    }

    storage::MessageFilter event;
    event.event = "apaevt_status";
    EXPECT_EQ(SessionsOf(reader.Search(event, {}, 100)), (std::vector<int64_t>{s[2]}));

    // Filters combine: text and command.
    storage::MessageFilter both;
    both.text = "needle-7";
    both.command = "rrext_get";
    EXPECT_EQ(SessionsOf(reader.Search(both, {}, 100)), (std::vector<int64_t>{s[1], s[2], s[4]}));

    // A scope of chosen sessions.
    storage::MessageFilter text;
    text.text = "needle-7";
    storage::SearchScope scope;
    scope.sessions = {s[0], s[4]};
    EXPECT_EQ(SessionsOf(reader.Search(text, scope, 100)), (std::vector<int64_t>{s[4]}));
}

TEST(TraceSearch, SinceSkipsOlderMessagesAndSessions)
{
    SearchStore store;
    const auto& s = store.sessions;
    storage::TraceReader reader(store.path);
    storage::MessageFilter filter;
    filter.text = "needle-7";
    // From session 3's start: session 2's match is older.
    filter.sinceNs = (kBaseSeconds + 3 * 3600) * int64_t(1'000'000'000);
    EXPECT_EQ(SessionsOf(reader.Search(filter, {}, 100)), (std::vector<int64_t>{s[2], s[2], s[4]}));
    // Inside session 3, between its request and its event: only the event.
    filter.sinceNs = (kBaseSeconds + 3 * 3600) * int64_t(1'000'000'000) + 4'000'000;
    auto hits = reader.Search(filter, {}, 100);
    ASSERT_EQ(SessionsOf(hits), (std::vector<int64_t>{s[2], s[4]}));
    EXPECT_EQ(hits[0].message.kind, inspector::Kind::Event);
    // After everything.
    filter.sinceNs = (kBaseSeconds + 6 * 3600) * int64_t(1'000'000'000);
    EXPECT_TRUE(reader.Search(filter, {}, 100).empty());
    // Since alone.
    storage::MessageFilter since;
    since.sinceNs = (kBaseSeconds + 5 * 3600) * int64_t(1'000'000'000);
    EXPECT_EQ(SessionsOf(reader.Search(since, {}, 100)), (std::vector<int64_t>(4, s[4])));
}

TEST(TraceSearch, StopsAtTheLimitAndResumesAfterTheLastHit)
{
    SearchStore store;
    const auto& s = store.sessions;
    storage::TraceReader reader(store.path);
    storage::MessageFilter filter;
    filter.text = "needle-7";
    auto all = reader.Search(filter, {}, 100);
    ASSERT_EQ(all.size(), 4u);

    auto first = reader.Search(filter, {}, 2);
    ASSERT_EQ(SessionsOf(first), (std::vector<int64_t>{s[1], s[2]}));
    EXPECT_EQ(first[1].message.id, all[1].message.id);
    EXPECT_TRUE(reader.Search(filter, {}, 0).empty());

    // Page by page, one hit at a time: the same hits, each once.
    std::vector<int64_t> paged;
    storage::SearchScope scope;
    while (true)
    {
        auto page = reader.Search(filter, scope, 1);
        if (page.empty())
            break;
        ASSERT_EQ(page.size(), 1u);
        paged.push_back(page[0].message.id);
        scope.afterSession = page[0].message.session;
        scope.afterId = page[0].message.id;
        ASSERT_LE(paged.size(), all.size());
    }
    std::vector<int64_t> ids;
    for (const auto& hit : all)
        ids.push_back(hit.message.id);
    EXPECT_EQ(paged, ids);
}

} // namespace

// The text filter skips blocks through their trigram filters: it must find what a scan of every stored byte finds,
// for texts that are there (in every position of a message) and texts that are not, over blocks of 1,024 messages.
TEST(TraceSearch, TextSearchThroughBlockFiltersFindsWhatAFullScanFinds)
{
    test::TempDir dir;
    std::mt19937 rng(5);
    const char* words[] = {"alpha", "beta", "gamma", "caf\xC3\xA9", "\xE2\x9C\x93", "rrext_ping", "Needle", "x"};
    std::vector<std::string> datas;
    std::string jsonl;
    double t = kBaseSeconds;
    for (int i = 0; i < 2500; ++i) // three blocks
    {
        std::string text = "{\"n\":" + std::to_string(i) + ",\"w\":\"";
        for (int w = 0; w < 6; ++w)
            text += std::string(words[rng() % 8]) + (rng() % 3 ? " " : "-");
        text += "\"}";
        datas.push_back(text);
        jsonl += Line(1, t += 0.001, i % 2 ? "s2c" : "c2s", text);
    }
    std::ofstream(dir.File("one.jsonl"), std::ios::binary) << jsonl;
    ASSERT_EQ(storage::ImportFile(dir.File("traces.db"), dir.File("one.jsonl")).sessions.size(), 1u);
    storage::TraceReader reader(dir.File("traces.db"));

    std::vector<std::string> needles = {"Needle-", "caf\xC3\xA9 \xE2\x9C\x93",   "\"n\":2499", "absent-text",
                                        "ammag",   "Needle Needle Needle Needle"};
    auto continuation = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; };
    for (int k = 0; k < 40; ++k) // pieces of stored messages, anywhere in them (whole characters: what users type)
    {
        const std::string& d = datas[rng() % datas.size()];
        size_t from = rng() % (d.size() - 3), end = std::min(d.size(), from + 3 + rng() % 12);
        while (from < end && continuation(d[from]))
            ++from;
        while (end < d.size() && continuation(d[end]))
            ++end;
        if (end - from >= 3)
            needles.push_back(d.substr(from, end - from));
    }
    for (const std::string& needle : needles)
    {
        size_t expected = 0;
        for (const std::string& d : datas)
            expected += d.find(needle) != std::string::npos;
        storage::MessageFilter filter;
        filter.text = needle;
        EXPECT_EQ(reader.Search(filter, {}, 10000).size(), expected) << needle;
    }
}
