// `dapscope replay`: not written yet.

#include "Commands.hpp"

namespace dapscope::cli
{

void AddReplayCommand(CLI::App&, CommandAction&) {}

} // namespace dapscope::cli
