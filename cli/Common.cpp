#include "Commands.hpp"

#include "storage/Store.hpp"

#include <cstdio>

namespace dapscope::cli
{

CLI::Option* AddDbOption(CLI::App& command, std::string& path)
{
    path = storage::DefaultStorePath();
    return command
        .add_option("--db", path, "Trace store (default: $DAPSCOPE_DB, else $XDG_DATA_HOME/dapscope/traces.db)")
        ->capture_default_str();
}

int FailStore(const std::string& db, const std::exception& error)
{
    return Fail(storage::DescribeStoreError(db, error));
}

int Fail(const std::string& message)
{
    std::fprintf(stderr, "dapscope: %s\n", message.c_str());
    return kExitUsage;
}

} // namespace dapscope::cli
