#pragma once
// Each `dapscope` subcommand registers itself on the CLI11 app; the chosen one stores its action in `run`.

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace dapscope::cli
{

using CommandAction = std::function<int()>;

// Exit codes shared by every command.
enum ExitCode : int
{
    kExitOk = 0,
    kExitFailure = 1, // the command ran and found a problem (e.g. replay differs)
    kExitUsage = 2,   // bad arguments, unusable store, cannot listen...
};

void AddProxyCommand(CLI::App& app, CommandAction& run);
void AddSessionsCommand(CLI::App& app, CommandAction& run);
void AddShowCommand(CLI::App& app, CommandAction& run);
void AddSearchCommand(CLI::App& app, CommandAction& run); // cli/SearchCommand.cpp
void AddStatsCommand(CLI::App& app, CommandAction& run);
void AddMockEngineCommand(CLI::App& app, CommandAction& run);
void AddDemoCommand(CLI::App& app, CommandAction& run);
void AddExportCommand(CLI::App& app, CommandAction& run);      // cli/ExportCommand.cpp
void AddImportCommand(CLI::App& app, CommandAction& run);      // cli/ImportCommand.cpp
void AddReplayCommand(CLI::App& app, CommandAction& run);      // cli/ReplayCommand.cpp
void AddServeReplayCommand(CLI::App& app, CommandAction& run); // cli/ServeReplayCommand.cpp
void AddPruneCommand(CLI::App& app, CommandAction& run);       // cli/PruneCommand.cpp
void AddDiffCommand(CLI::App& app, CommandAction& run);        // cli/DiffCommand.cpp
void AddMcpCommand(CLI::App& app, CommandAction& run);         // cli/McpCommand.cpp
void AddRulesCommand(CLI::App& app, CommandAction& run);       // cli/RulesCommand.cpp
void AddControlCommands(CLI::App& app, CommandAction& run);    // cli/ControlCommand.cpp: held, release, ...

// The `--db` option every command takes (default: the per-user store).
CLI::Option* AddDbOption(CLI::App& command, std::string& path);

// Print "dapscope: <message>" to stderr and return kExitUsage.
int Fail(const std::string& message);
// Fail() for an error met while using the store at `db` (SQLite errors are explained: corrupt, locked...).
int FailStore(const std::string& db, const std::exception& error);

} // namespace dapscope::cli
