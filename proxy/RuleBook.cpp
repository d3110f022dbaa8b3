#include "RuleBook.hpp"

#include "rules/RuleParser.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dapscope::proxy
{

RuleBook::RuleBook(std::string path) : m_path(std::move(path))
{
    m_stamp = Look();
    m_rules = Load();
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

std::shared_ptr<const rules::RuleSet> RuleBook::Load() const
{
    std::ifstream in(m_path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf()))
        throw std::runtime_error(m_path + ": cannot read the rules file");
    try
    {
        return std::make_shared<const rules::RuleSet>(rules::ParseRules(text.str()));
    }
    catch (const rules::RuleError& e)
    {
        throw std::runtime_error(m_path + ":" + e.what());
    }
}

std::string RuleBook::Refresh(bool force)
{
    Stamp now = Look();
    if (!force && now == m_stamp)
        return {};
    m_stamp = now; // a bad file is reported once, not at every look
    try
    {
        m_rules = Load();
        ++m_generation;
        return "rules: reloaded " + m_path + " (" + std::to_string(m_rules->rules.size()) + " rules)";
    }
    catch (const std::exception& e)
    {
        return std::string("rules: refused, the previous rules stay in force: ") + e.what();
    }
}

} // namespace dapscope::proxy
