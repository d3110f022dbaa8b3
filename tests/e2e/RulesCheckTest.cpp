// `dapscope rules check`: exit 0 for a valid file, 2 with file:line:column for a bad one or an unreadable path.

#include "support/TestProcess.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace dapscope
{
namespace
{

using namespace std::chrono_literals;

struct Result
{
    int status = -1;
    std::string output;
};

Result Check(const std::string& path)
{
    test::TestProcess process({test::BinPath("dapscope"), "rules", "check", path}, {}, true);
    auto status = process.Wait(60s);
    while (process.ReadLine(1s))
    {
    }
    return {status.value_or(-1), process.Output()};
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
    Result r = Check(dir.File("rules.yaml"));
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
    Result r = Check(path);
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
    Result r = Check(dir.File("absent.yaml"));
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("cannot read rules file " + dir.File("absent.yaml")), std::string::npos) << r.output;
}

} // namespace
} // namespace dapscope
