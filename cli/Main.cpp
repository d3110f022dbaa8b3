// dapscope: the command-line entry point. Subcommands live in one file each (cli/*Command.cpp).

#include "Commands.hpp"
#include "dapscope/Version.hpp"

#include <csignal>
#include <cstdio>

int main(int argc, char** argv)
{
    // Past a file-size limit, writes must fail (the store reports it and capture pauses) instead of killing us.
    std::signal(SIGXFSZ, SIG_IGN);
    using namespace dapscope::cli;
    CLI::App app{"dapscope: a protocol traffic debugger for the RocketRide engine.\n"
                 "Point an SDK at `dapscope proxy` instead of the engine, then look at what was said with "
                 "`dapscope sessions`, `show` and `stats`, or in the GUI, `dapscope-ui`. Share it with `export`, "
                 "check an engine against it with `replay`, or stand it in for the engine with `serve-replay`.",
                 "dapscope"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("dapscope ") + dapscope::kVersion);
    CommandAction run;
    AddProxyCommand(app, run);
    AddSessionsCommand(app, run);
    AddShowCommand(app, run);
    AddSearchCommand(app, run);
    AddStatsCommand(app, run);
    AddMockEngineCommand(app, run);
    AddDemoCommand(app, run);
    AddExportCommand(app, run);
    AddImportCommand(app, run);
    AddReplayCommand(app, run);
    AddServeReplayCommand(app, run);
    AddDiffCommand(app, run);
    AddPruneCommand(app, run);
    AddMcpCommand(app, run);
    AddRulesCommand(app, run);
    AddControlCommands(app, run);
    try
    {
        app.parse(argc, argv);
    }
    catch (const CLI::ParseError& e)
    {
        int code = app.exit(e);
        return code == 0 ? kExitOk : kExitUsage;
    }
    return run ? run() : kExitUsage;
}
