// `dapscope rules check FILE`: validate a rules file without starting anything (docs/rules.md).

#include "Commands.hpp"
#include "rules/RuleParser.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace dapscope::cli
{

namespace
{

// Read and parse a rules file; throws RuleError for its content, std::runtime_error when it cannot be read.
rules::RuleSet LoadRulesFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read rules file " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return rules::ParseRules(text.str());
}

int RunCheck(const std::string& path)
{
    rules::RuleSet set;
    try
    {
        set = LoadRulesFile(path);
    }
    catch (const rules::RuleError& e)
    {
        return Fail(path + ":" + e.what());
    }
    catch (const std::runtime_error& e)
    {
        return Fail(e.what());
    }
    std::printf("%s: valid, %zu rule%s\n", path.c_str(), set.rules.size(), set.rules.size() == 1 ? "" : "s");
    for (const auto& rule : set.rules)
        std::printf("  %s (line %d): %s\n", rule.name.c_str(), rule.line, rules::ActionName(rule.action));
    return kExitOk;
}

} // namespace

void AddRulesCommand(CLI::App& app, CommandAction& run)
{
    CLI::App* rules = app.add_subcommand("rules", "Fault and rewrite rules on live traffic (docs/rules.md)");
    rules->require_subcommand(1);
    CLI::App* check = rules->add_subcommand(
        "check", "Validate a rules file: exit 0 when valid, 2 with line:column and the problem when not");
    auto path = std::make_shared<std::string>();
    check->add_option("file", *path, "The rules file (YAML)")->required();
    check->callback([&run, path] { run = [path] { return RunCheck(*path); }; });
}

} // namespace dapscope::cli
