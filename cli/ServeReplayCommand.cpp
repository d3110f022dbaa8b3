// `dapscope serve-replay`: not written yet.

#include "Commands.hpp"

namespace dapscope::cli
{

void AddServeReplayCommand(CLI::App&, CommandAction&) {}

} // namespace dapscope::cli
