// `dapscope rules check`: exit 0 for a valid file, 2 with file:line:column for a bad one or an unreadable path.

#include "support/TestProcess.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace dapscope
{
namespace
{

using namespace std::chrono_literals;

test::CommandResult Check(const std::string& path)
{
    return test::RunDapscope({"rules", "check", path});
}

void Write(const std::string& path, const std::string& text)
{
    std::ofstream(path) << text;
}

TEST(RulesCheck, ValidFileExitsZeroAndListsTheRules)
{
    test::TempDir dir;
    Write(dir.File("rules.yaml"), "rules:\n  - name: slow\n    match: {command: launch}\n    delay: 2s\n"
                                  "  - {name: gone, match: {event: output}, drop: true}\n");
    test::CommandResult r = Check(dir.File("rules.yaml"));
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("valid, 2 rules"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("slow (line 2): delay"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("gone (line 5): drop"), std::string::npos) << r.output;
}

TEST(RulesCheck, BadFileExitsTwoWithLineAndColumn)
{
    test::TempDir dir;
    std::string path = dir.File("rules.yaml");
    Write(path, "rules:\n  - name: slow\n    match: {command: launch}\n    delya: 2s\n");
    test::CommandResult r = Check(path);
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("dapscope: " + path + ":4:5: unknown key 'delya'"), std::string::npos) << r.output;

    Write(path, "rules:\n  - name: [unclosed\n");
    r = Check(path);
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find(path + ":3:1: "), std::string::npos) << r.output;
}

TEST(RulesCheck, MissingFileExitsTwo)
{
    test::TempDir dir;
    test::CommandResult r = Check(dir.File("absent.yaml"));
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("cannot read rules file " + dir.File("absent.yaml")), std::string::npos) << r.output;
}

} // namespace
} // namespace dapscope
