// `dapscope import FILE`: a HAR (Chrome DevTools, mitmproxy, Proxyman, dapscope) or JSONL file into new sessions,
// decoded, redacted and correlated like a capture. All or nothing.

#include "Commands.hpp"
#include "inspector/Redactor.hpp"
#include "storage/Import.hpp"

#include <cstdio>
#include <memory>

namespace dapscope::cli
{

namespace
{
struct ImportArgs
{
    std::string db;
    std::string file;
    std::vector<std::string> redact;
    bool noRedact = false;
};

int RunImport(const ImportArgs& args)
{
    for (const std::string& rule : args.redact)
        if (auto problem = inspector::ValidateRedactionRule(rule))
            return Fail("--redact " + rule + ": " + *problem);
    try
    {
        inspector::RedactionPolicy redaction{!args.noRedact, args.redact};
        storage::ImportResult result =
            storage::ImportFile(args.db, args.file, redaction, storage::TerminalProgress("importing " + args.file));
        std::string ids;
        for (int64_t id : result.sessions)
            ids += " " + std::to_string(id);
        std::printf("imported %zu session(s), %llu message(s) from %s into %s; new session id(s):%s\n",
                    result.sessions.size(), static_cast<unsigned long long>(result.messages), args.file.c_str(),
                    args.db.c_str(), ids.c_str());
        return kExitOk;
    }
    catch (const std::exception& e)
    {
        return FailStore(args.db, e);
    }
}
} // namespace

void AddImportCommand(CLI::App& app, CommandAction& run)
{
    auto args = std::make_shared<ImportArgs>();
    CLI::App* command = app.add_subcommand(
        "import", "Read a HAR (Chrome DevTools, mitmproxy, Proxyman, dapscope) or dapscope JSONL file into new "
                  "sessions (at most 256 MiB; a bad file changes nothing)");
    command->add_option("FILE", args->file, "The .har or .jsonl file")->required();
    AddDbOption(*command, args->db);
    command->add_option("--redact", args->redact,
                        "Also redact the value at this JSON path (repeatable), e.g. "
                        "'$.arguments.pipeline.config.key' or '$..password'");
    command->add_flag("--no-redact", args->noRedact, "Store secrets (API keys, tokens) as they are in the file");
    command->callback([&run, args] { run = [args] { return RunImport(*args); }; });
}

} // namespace dapscope::cli
