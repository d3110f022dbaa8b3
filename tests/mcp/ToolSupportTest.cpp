// Arguments, pages and cursors: what every tool of `dapscope mcp` relies on to refuse bad input and stay bounded.

#include "mcp/ToolSupport.hpp"

#include <gtest/gtest.h>

#include <functional>

using namespace dapscope::mcp;

namespace
{
const json::object kSchema = ObjectSchema({{"session", IntegerProp("", 1)},
                                           {"kind", EnumProp("", {"a", "b"})},
                                           {"since", Prop("string", "")},
                                           {"ids", ArrayOf(IntegerProp("", 1), "")},
                                           {"cursor", Prop("string", "")},
                                           {"limit", IntegerProp("", 1)}},
                                          {"session"});

std::string Problem(const json::object& given, const std::function<void(const Arguments&)>& read)
{
    try
    {
        read(Arguments(given, kSchema));
    }
    catch (const ArgumentError& e)
    {
        return e.what();
    }
    return "";
}
} // namespace

TEST(McpArguments, ProblemsNameTheArgument)
{
    auto none = [](const Arguments&) {};
    EXPECT_EQ(Problem({}, none), "session: required");
    EXPECT_EQ(Problem({{"session", 1}, {"sesion", 2}}, none).substr(0, 7), "sesion:");
    auto session = [](const Arguments& a) { a.RequiredInteger("session", 1, 10); };
    EXPECT_EQ(Problem({{"session", "x"}}, session), "session: must be an integer, got \"x\"");
    EXPECT_EQ(Problem({{"session", 11}}, session), "session: must be between 1 and 10, got 11");
    EXPECT_EQ(Problem({{"session", 2.0}}, session), "");
    auto kind = [](const Arguments& a) { a.Choice("kind", {"a", "b"}); };
    EXPECT_EQ(Problem({{"session", 1}, {"kind", "c"}}, kind), "kind: must be one of a, b, got \"c\"");
    auto since = [](const Arguments& a) { a.Time("since"); };
    EXPECT_EQ(Problem({{"session", 1}, {"since", "yesterday"}}, since).substr(0, 6), "since:");
    EXPECT_EQ(Problem({{"session", 1}, {"since", "2026-11-27"}}, since), "");
    auto ids = [](const Arguments& a) { a.Integers("ids", 1); };
    EXPECT_EQ(Problem({{"session", 1}, {"ids", json::array{1, 0}}}, ids).substr(0, 4), "ids:");
    auto limit = [](const Arguments& a) { a.Limit(); };
    EXPECT_EQ(Problem({{"session", 1}, {"limit", kMaxRows + 1}}, limit).substr(0, 6), "limit:");
}

TEST(McpArguments, CursorsRoundTripAndForeignOnesAreRefused)
{
    json::object given{{"session", 1}, {"cursor", MakeCursor({3, 4567})}};
    Arguments args(given, kSchema);
    EXPECT_EQ(args.Cursor(2), (std::vector<int64_t>{3, 4567}));
    EXPECT_THROW(args.Cursor(1), ArgumentError);
    json::object foreign{{"session", 1}, {"cursor", "3.-1"}};
    EXPECT_THROW(Arguments(foreign, kSchema).Cursor(2), ArgumentError);
    json::object absent{{"session", 1}};
    EXPECT_FALSE(Arguments(absent, kSchema).Cursor(1));
    EXPECT_EQ(Arguments(absent, kSchema).Limit(), kDefaultRows);
}

TEST(McpPage, StopsAtItsRowsOrItsBytes)
{
    Page rows(3);
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(rows.Add(i));
    EXPECT_FALSE(rows.Add(4));
    EXPECT_EQ(rows.Take().size(), 3u);

    Page bytes(kMaxRows);
    std::string kilobyte(1000, 'x');
    int taken = 0;
    while (bytes.Add(json::string(kilobyte)))
        ++taken;
    EXPECT_GT(taken, 25);
    EXPECT_LE(json::serialize(bytes.Take()).size(), kMaxAnswerBytes);

    Page huge(kMaxRows);
    EXPECT_TRUE(huge.Add(json::string(std::string(kMaxAnswerBytes * 2, 'y')))); // the first row always, for progress
    EXPECT_FALSE(huge.Add(1));
}

TEST(McpListAnswer, SaysWhatWasLeftOutAndHowToGetIt)
{
    ToolAnswer answer = ListAnswer("list_messages", "messages", json::array{1, 2}, 9950, MakeCursor({2}));
    EXPECT_EQ(answer.structured.at("returned"), 2);
    EXPECT_EQ(answer.structured.at("left_out"), 9950);
    EXPECT_EQ(answer.structured.at("next_cursor"), "2");
    EXPECT_NE(answer.note.find("9950 more messages left out"), std::string::npos);
    EXPECT_NE(answer.note.find("cursor \"2\""), std::string::npos);
    ToolAnswer last = ListAnswer("list_messages", "messages", json::array{1}, 0, std::nullopt);
    EXPECT_TRUE(last.structured.at("next_cursor").is_null());
    EXPECT_EQ(last.note, "");
}
