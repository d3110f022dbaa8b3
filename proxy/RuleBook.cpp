#include "RuleBook.hpp"

#include "rules/RuleParser.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dapscope::proxy
{

RuleBook::RuleBook(std::string path) : m_path(std::move(path))
{
    if (!m_path.empty())
    {
        m_stamp = Look();
        m_file = Load();
    }
    Combine();
}

RuleBook::Stamp RuleBook::Look() const
{
    struct stat st
    {
    };
    if (stat(m_path.c_str(), &st) != 0)
        return {};
    return {static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, static_cast<int64_t>(st.st_size),
            static_cast<uint64_t>(st.st_ino)};
}

rules::RuleSet RuleBook::Load() const
{
    std::ifstream in(m_path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf()))
        throw std::runtime_error(m_path + ": cannot read the rules file");
    try
    {
        return rules::ParseRules(text.str());
    }
    catch (const rules::RuleError& e)
    {
        throw std::runtime_error(m_path + ":" + e.what());
    }
}

void RuleBook::Combine()
{
    auto combined = std::make_shared<rules::RuleSet>();
    combined->seed = m_file.seed;
    combined->rules = m_breakpoints;
    combined->rules.insert(combined->rules.end(), m_file.rules.begin(), m_file.rules.end());
    m_rules = std::move(combined);
    ++m_generation;
}

std::string RuleBook::Refresh(bool force)
{
    if (m_path.empty())
        return {};
    Stamp now = Look();
    if (!force && now == m_stamp)
        return {};
    m_stamp = now; // a bad file is reported once, not at every look
    try
    {
        m_file = Load();
        Combine();
        return "rules: reloaded " + m_path + " (" + std::to_string(m_file.rules.size()) + " rules)";
    }
    catch (const std::exception& e)
    {
        return std::string("rules: refused, the previous rules stay in force: ") + e.what();
    }
}

void RuleBook::AddBreakpoint(const std::string& rule)
{
    rules::RuleSet parsed;
    try
    {
        parsed = rules::ParseRules("rules:\n  - " + rule + "\n");
    }
    catch (const rules::RuleError& e)
    {
        throw std::runtime_error("breakpoint: " + e.message);
    }
    rules::Rule& added = parsed.rules.front();
    if (added.action != rules::ActionKind::Break)
        throw std::runtime_error("breakpoint: its action must be break");
    auto sameName = [&](const rules::Rule& r) { return r.name == added.name; };
    if (std::ranges::any_of(m_breakpoints, sameName) || std::ranges::any_of(m_file.rules, sameName))
        throw std::runtime_error("breakpoint: a rule named '" + added.name + "' exists already");
    m_breakpoints.push_back(std::move(added));
    Combine();
}

bool RuleBook::RemoveBreakpoint(const std::string& name)
{
    auto removed = std::erase_if(m_breakpoints, [&](const rules::Rule& r) { return r.name == name; });
    if (removed)
        Combine();
    return removed > 0;
}

} // namespace dapscope::proxy
