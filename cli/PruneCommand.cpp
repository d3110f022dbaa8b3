// `dapscope prune`: not written yet.

#include "Commands.hpp"

namespace dapscope::cli
{

void AddPruneCommand(CLI::App&, CommandAction&) {}

} // namespace dapscope::cli
