#pragma once
// The rules in force on the relay: those of the `--rules` file, read at start (where a bad file is an error) and
// again when it changes or when asked (SIGHUP), and the breakpoints the control endpoint adds. A file that does
// not parse on a reload is refused, with its line and column, and the rules in force stay. Loop thread only.

#include "rules/Rule.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dapscope::proxy
{

class RuleBook
{
  public:
    // `path` "": no file (breakpoints only). Throws std::runtime_error "PATH:LINE:COLUMN: why" (or "PATH: cannot
    // read ...").
    explicit RuleBook(std::string path);

    // Breakpoints first, then the file's rules.
    std::shared_ptr<const rules::RuleSet> Current() const { return m_rules; }
    uint64_t Generation() const { return m_generation; } // grows with every change that took
    const std::string& Path() const { return m_path; }

    // Read the file again if it changed since the last read (or in any case when `force`). Returns a line for the
    // log ("" when nothing happened).
    std::string Refresh(bool force);

    // A breakpoint: `rule` is one rule as YAML or JSON whose action is `break`. Throws std::runtime_error.
    void AddBreakpoint(const std::string& rule);
    bool RemoveBreakpoint(const std::string& name); // false: no such breakpoint
    const std::vector<rules::Rule>& Breakpoints() const { return m_breakpoints; }

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
    rules::RuleSet Load() const;
    void Combine();

    std::string m_path;
    rules::RuleSet m_file;
    std::vector<rules::Rule> m_breakpoints;
    std::shared_ptr<const rules::RuleSet> m_rules;
    uint64_t m_generation = 1;
    Stamp m_stamp;
};

} // namespace dapscope::proxy
