// `dapscope export`: not written yet.

#include "Commands.hpp"

namespace dapscope::cli
{

void AddExportCommand(CLI::App&, CommandAction&) {}

} // namespace dapscope::cli
