// `dapscope export SESSION... --format har|jsonl [-o FILE]`: sessions as files other tools read (see
// storage/Export.hpp for the formats).

#include "Commands.hpp"
#include "Format.hpp"
#include "Progress.hpp"
#include "storage/Export.hpp"

#include <memory>

namespace dapscope::cli
{

namespace
{
struct ExportArgs
{
    std::string db;
    std::vector<int64_t> sessions;
    std::string format; // "" = from the output file's extension
    std::string output = "-";
};

int RunExport(const ExportArgs& args)
{
    std::string format = args.format;
    if (format.empty() && args.output.ends_with(".har"))
        format = "har";
    else if (format.empty() && (args.output.ends_with(".jsonl") || args.output.ends_with(".ndjson")))
        format = "jsonl";
    auto parsed = storage::ParseExportFormat(format);
    if (!parsed)
        return Fail("--format har or --format jsonl is needed (or an -o file ending in .har or .jsonl)");
    try
    {
        storage::TraceReader reader(args.db);
        std::string label = "exporting " + std::to_string(args.sessions.size()) + " session(s)";
        ExportSessions(reader, args.sessions, *parsed, args.output,
                       TerminalProgress(label, [](uint64_t done, uint64_t total)
                                        { return Grouped(done) + "/" + Grouped(total) + " messages"; }));
        return kExitOk;
    }
    catch (const std::exception& e)
    {
        return FailStore(args.db, e);
    }
}
} // namespace

void AddExportCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<ExportArgs>();
    CLI::App* command = app.add_subcommand(
        "export", "Write sessions as HAR (Chrome DevTools, HAR viewers) or JSONL (jq, scripts); secrets stay redacted");
    command->add_option("SESSION", args->sessions, "Session ids (see dapscope sessions)")->required();
    command->add_option("--format", args->format, "har or jsonl (default: from the -o file's extension)")
        ->check(CLI::IsMember({"har", "jsonl"}));
    command->add_option("-o,--output", args->output, "Output file, created mode 0600 (default: stdout)");
    AddDbOption(*command, args->db);
    command->callback([&run, args] { run = [args] { return RunExport(*args); }; });
}

} // namespace dapscope::cli
