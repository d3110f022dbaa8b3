// `dapscope import`: not written yet.

#include "Commands.hpp"

namespace dapscope::cli
{

void AddImportCommand(CLI::App&, CommandAction&) {}

} // namespace dapscope::cli
