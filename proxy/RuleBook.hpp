#pragma once
// The rules file of `dapscope proxy --rules`: read at start, where a bad file is an error, and read again when it
// changes or when asked (SIGHUP). A file that does not parse then is refused, with its line and column, and the
// rules in force stay. Used on the relay's loop thread only.

#include "rules/Rule.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace dapscope::proxy
{

class RuleBook
{
  public:
    // Throws std::runtime_error "PATH:LINE:COLUMN: why" (or "PATH: cannot read ...").
    explicit RuleBook(std::string path);

    std::shared_ptr<const rules::RuleSet> Current() const { return m_rules; }
    uint64_t Generation() const { return m_generation; } // grows with every reload that took
    const std::string& Path() const { return m_path; }

    // Read the file again if it changed since the last read (or in any case when `force`). Returns a line for the
    // log ("" when nothing happened).
    std::string Refresh(bool force);

  private:
    struct Stamp
    {
        int64_t mtimeNs = 0;
        int64_t size = -1;
        uint64_t inode = 0;
        bool operator==(const Stamp&) const = default;
    };
    Stamp Look() const;
    // Read and parse; throws as the constructor does.
    std::shared_ptr<const rules::RuleSet> Load() const;

    std::string m_path;
    std::shared_ptr<const rules::RuleSet> m_rules;
    uint64_t m_generation = 1;
    Stamp m_stamp;
};

} // namespace dapscope::proxy
