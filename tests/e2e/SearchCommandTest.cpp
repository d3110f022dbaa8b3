// `dapscope search` as a user runs it: a store made by `dapscope import`, then grep's exit codes, the text line
// and the --json fields.

#include "support/TestProcess.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace dapscope;

namespace
{
using namespace std::chrono_literals;

// Three sessions of two messages, an hour apart (2026-09-21T15:13:20Z, 16:13:20Z, 17:13:20Z); "needle-7" in the request
// of sessions 1 and 3, session 2's response failed.
std::string Jsonl()
{
    std::string out;
    for (int s = 1; s <= 3; ++s)
    {
        std::string t = std::to_string(1'790'000'000 + 3600 * s);
        std::string arg = s == 2 ? "haystack" : "needle-7";
        out += R"({"session":)" + std::to_string(s) + R"(,"t":)" + t + R"(.001,"dir":"c2s","opcode":"text","data":)" +
               R"("{\"type\":\"request\",\"seq\":1,\"command\":\"rrext_get\",\"arguments\":{\"name\":\")" + arg +
               R"(\"}}"})" + "\n";
        out += R"({"session":)" + std::to_string(s) + R"(,"t":)" + t + R"(.002,"dir":"s2c","opcode":"text","data":)" +
               R"("{\"type\":\"response\",\"seq\":1,\"request_seq\":1,\"command\":\"rrext_get\",\"success\":)" +
               (s == 2 ? "false" : "true") + R"(}"})" + "\n";
    }
    return out;
}

struct Outcome
{
    int code = -1;
    std::vector<std::string> lines; // stdout (and stderr when merged)
};

Outcome Dapscope(std::vector<std::string> args, bool mergeStderr = false)
{
    args.insert(args.begin(), test::BinPath("dapscope"));
    test::TestProcess process(args, {"NO_COLOR=1"}, mergeStderr);
    Outcome run;
    while (auto line = process.ReadLine(20s))
        run.lines.push_back(*line);
    run.code = process.Wait(20s).value_or(-1);
    return run;
}

class SearchCommand : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        std::string file = m_dir.File("sessions.jsonl");
        std::ofstream(file, std::ios::binary) << Jsonl();
        ASSERT_EQ(Dapscope({"import", file, "--db", m_db}).code, 0);
    }

    test::TempDir m_dir;
    std::string m_db = m_dir.File("traces.db");
};

TEST_F(SearchCommand, PrintsOneLinePerMatchAndExitsZero)
{
    Outcome run = Dapscope({"search", "needle-7", "--db", m_db});
    EXPECT_EQ(run.code, 0);
    ASSERT_EQ(run.lines.size(), 2u);
    // SESSION:ID, UTC time, direction, kind, command, excerpt with the match.
    EXPECT_EQ(run.lines[0].rfind("1:1  2026-09-21T15:13:20.001", 0), 0u) << run.lines[0];
    EXPECT_EQ(run.lines[1].rfind("3:5  2026-09-21T17:13:20.001", 0), 0u) << run.lines[1];
    for (const std::string& line : run.lines)
    {
        EXPECT_NE(line.find("request"), std::string::npos) << line;
        EXPECT_NE(line.find("rrext_get"), std::string::npos) << line;
        EXPECT_NE(line.find("\"name\":\"needle-7\""), std::string::npos) << line;
    }
}

TEST_F(SearchCommand, JsonHasTheMessageFields)
{
    Outcome run = Dapscope({"search", "--failed", "--json", "--db", m_db});
    EXPECT_EQ(run.code, 0);
    ASSERT_EQ(run.lines.size(), 1u);
    boost::json::object o = boost::json::parse(run.lines[0]).as_object();
    EXPECT_EQ(o.at("session").as_int64(), 2);
    EXPECT_EQ(o.at("id").as_int64(), 4);
    EXPECT_EQ(o.at("ts").as_string(), "2026-09-21T16:13:20.002000Z");
    EXPECT_EQ(o.at("dir").as_string(), "s2c");
    EXPECT_EQ(o.at("kind").as_string(), "response");
    EXPECT_EQ(o.at("command").as_string(), "rrext_get");
    EXPECT_TRUE(o.at("event").is_null());
    EXPECT_EQ(o.at("success").as_bool(), false);
    EXPECT_NE(o.at("excerpt").as_string().find("\"success\":false"), std::string::npos);
}

TEST_F(SearchCommand, FiltersLimitAndSince)
{
    EXPECT_EQ(Dapscope({"search", "needle-7", "--limit", "1", "--db", m_db}).lines.size(), 1u);
    Outcome since = Dapscope({"search", "needle-7", "--since", "2026-09-21T16:30:00Z", "--json", "--db", m_db});
    EXPECT_EQ(since.code, 0);
    ASSERT_EQ(since.lines.size(), 1u);
    EXPECT_EQ(boost::json::parse(since.lines[0]).at("session").as_int64(), 3);
    // A date alone is midnight UTC; an offset is honoured (17:30+01:00 is 16:30Z); no zone is UTC.
    EXPECT_EQ(Dapscope({"search", "needle-7", "--since", "2026-09-21", "--db", m_db}).lines.size(), 2u);
    EXPECT_EQ(Dapscope({"search", "needle-7", "--since", "2026-09-22", "--db", m_db}).code, 1);
    EXPECT_EQ(Dapscope({"search", "needle-7", "--since", "2026-09-21T17:30:00+01:00", "--db", m_db}).lines.size(), 1u);
    EXPECT_EQ(Dapscope({"search", "needle-7", "--since", "2026-09-21 15:30", "--db", m_db}).lines.size(), 1u);
    // A time ago: these captures are from September 2026, more than an hour and less than 5,000 weeks ago.
    EXPECT_EQ(Dapscope({"search", "needle-7", "--since", "1h", "--db", m_db}).code, 1);
    EXPECT_EQ(Dapscope({"search", "needle-7", "--since", "5000w", "--db", m_db}).lines.size(), 2u);
    Outcome command = Dapscope({"search", "--command", "rrext_get", "--session", "2", "--json", "--db", m_db});
    EXPECT_EQ(command.code, 0);
    EXPECT_EQ(command.lines.size(), 2u);
}

TEST_F(SearchCommand, ExitsOneWhenNothingMatches)
{
    Outcome run = Dapscope({"search", "not-anywhere", "--db", m_db});
    EXPECT_EQ(run.code, 1);
    EXPECT_TRUE(run.lines.empty());
    EXPECT_EQ(Dapscope({"search", "needle-7", "--since", "2030-01-01", "--db", m_db}).code, 1);
    EXPECT_EQ(Dapscope({"search", "--event", "apaevt_status", "--db", m_db}).code, 1);
}

TEST_F(SearchCommand, ExitsTwoOnBadUsage)
{
    Outcome badDate = Dapscope({"search", "x", "--since", "yesterday-ish", "--db", m_db}, true);
    EXPECT_EQ(badDate.code, 2);
    ASSERT_FALSE(badDate.lines.empty());
    EXPECT_NE(badDate.lines[0].find("--since"), std::string::npos);
    EXPECT_EQ(Dapscope({"search", "x", "--db", m_dir.File("missing.db")}).code, 2);
    EXPECT_EQ(Dapscope({"search", "x", "--no-such-option", "--db", m_db}).code, 2);
    EXPECT_EQ(Dapscope({"search", "x", "--limit", "0", "--db", m_db}).code, 2);
    EXPECT_EQ(Dapscope({"search", "--db", m_db}).code, 2); // nothing to search for
    EXPECT_EQ(Dapscope({"search", "x", "--session", "99", "--db", m_db}).code, 2);
}

TEST_F(SearchCommand, HelpNamesTheOptionsAndExitCodes)
{
    Outcome help = Dapscope({"search", "--help"});
    EXPECT_EQ(help.code, 0);
    std::string text;
    for (const std::string& line : help.lines)
        text += line + "\n";
    for (const char* word : {"--command", "--event", "--failed", "--since", "--json", "--limit", "Exit status"})
        EXPECT_NE(text.find(word), std::string::npos) << word;
}

} // namespace
