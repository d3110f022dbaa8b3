// set / remove at JSONPaths and RFC 6902 patches.

#include "rules/JsonEdit.hpp"
#include "rules/RuleParser.hpp"

#include <gtest/gtest.h>

namespace dapscope::rules
{
namespace
{

EditAction EditOf(const std::string& yaml)
{
    return ParseRules("rules:\n  - name: e\n" + yaml).rules.at(0).edit;
}

boost::json::value Edited(const std::string& yaml, const std::string& json)
{
    boost::json::value root = boost::json::parse(json);
    auto problem = ApplyEdit(EditOf(yaml), root);
    EXPECT_FALSE(problem) << *problem;
    return root;
}

TEST(RulesJsonEdit, SetReplacesAndCreatesTheLastMember)
{
    EXPECT_EQ(Edited("    set: {\"$.arguments.mimetype\": text/x, \"$.arguments.n\": 3}\n",
                     R"({"arguments":{"mimetype":"text/plain"}})"),
              boost::json::parse(R"({"arguments":{"mimetype":"text/x","n":3}})"));
    EXPECT_EQ(Edited("    set: {\"$.a[1]\": 9, \"$.a[-1]\": 8}\n", R"({"a":[1,2,3]})"),
              boost::json::parse(R"({"a":[1,9,8]})"));
    EXPECT_EQ(Edited("    set: {\"$..token\": x}\n", R"({"token":"s","args":{"token":"t"}})"),
              boost::json::parse(R"({"token":"x","args":{"token":"x"}})"));
    // A missing parent is not invented.
    EXPECT_EQ(Edited("    set: {\"$.nope.deep\": 1}\n", R"({"a":1})"), boost::json::parse(R"({"a":1})"));
}

TEST(RulesJsonEdit, RemoveAtPaths)
{
    EXPECT_EQ(Edited("    remove: [\"$.arguments.token\", \"$.list[0]\"]\n",
                     R"({"arguments":{"token":"t","x":1},"list":[1,2]})"),
              boost::json::parse(R"({"arguments":{"x":1},"list":[2]})"));
    EXPECT_EQ(Edited("    remove: \"$..secret\"\n", R"({"secret":1,"a":{"secret":2,"b":[{"secret":3}]}})"),
              boost::json::parse(R"({"a":{"b":[{}]}})"));
}

TEST(RulesJsonEdit, Rfc6902Patch)
{
    EXPECT_EQ(Edited(R"(    patch:
      - {op: test, path: /command, value: launch}
      - {op: add, path: /arguments/list/1, value: b}
      - {op: add, path: /arguments/list/-, value: z}
      - {op: replace, path: /arguments/n, value: 2}
      - {op: copy, from: /arguments/n, path: /copied}
      - {op: move, from: /arguments/old, path: /moved}
      - {op: remove, path: "/a~1b"}
)",
                     R"({"command":"launch","a/b":0,"arguments":{"list":["a","c"],"n":1,"old":"o"}})"),
              boost::json::parse(
                  R"({"command":"launch","arguments":{"list":["a","b","c","z"],"n":2},"copied":2,"moved":"o"})"));
}

TEST(RulesJsonEdit, FailedPatchLeavesTheMessageAsItWas)
{
    boost::json::value root = boost::json::parse(R"({"command":"launch","n":1})");
    auto problem = ApplyEdit(EditOf(R"(    patch:
      - {op: replace, path: /n, value: 2}
      - {op: test, path: /command, value: attach}
)"),
                             root);
    ASSERT_TRUE(problem);
    EXPECT_NE(problem->find("test failed at '/command'"), std::string::npos) << *problem;
    EXPECT_EQ(root, boost::json::parse(R"({"command":"launch","n":1})"));

    problem = ApplyEdit(EditOf("    patch: [{op: replace, path: /missing, value: 1}]\n"), root);
    ASSERT_TRUE(problem);
    EXPECT_NE(problem->find("nothing at '/missing'"), std::string::npos) << *problem;
    problem = ApplyEdit(EditOf("    patch: [{op: move, from: /n, path: /n/x}]\n"), root);
    ASSERT_TRUE(problem);
}

} // namespace
} // namespace dapscope::rules
