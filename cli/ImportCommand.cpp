// `dapscope import FILE`: a HAR (Chrome DevTools, mitmproxy, Proxyman, dapscope) or JSONL file into new sessions,
// decoded, redacted and correlated like a capture. All or nothing.

#include "Commands.hpp"
#include "Format.hpp"
#include "ParseOption.hpp"
#include "Progress.hpp"
#include "inspector/Redactor.hpp"
#include "storage/Import.hpp"

#include <algorithm>
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
    uint64_t maxMessageBytes = storage::kMaxMessageBytes;
};

int RunImport(const ImportArgs& args)
{
    if (!ValidRedactRules(args.redact))
        return kExitUsage;
    if (args.maxMessageBytes == 0)
        return Fail("--max-message-bytes must be more than 0");
    try
    {
        inspector::RedactionPolicy redaction{!args.noRedact, args.redact};
        storage::ImportOptions options;
        options.maxMessageBytes = args.maxMessageBytes;
        storage::ImportResult result = storage::ImportFile(
            args.db, args.file, redaction,
            TerminalProgress(
                "importing " + args.file, [](uint64_t done, uint64_t total)
                { return HumanBytes(static_cast<int64_t>(done)) + "/" + HumanBytes(static_cast<int64_t>(total)); }),
            options);
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
        "import", "Read a HAR (Chrome DevTools, mitmproxy, Proxyman, dapscope) or dapscope JSONL file of any size "
                  "into new sessions (a bad file changes nothing)");
    command->add_option("FILE", args->file, "The .har or .jsonl file")->required();
    AddDbOption(*command, args->db);
    command->add_option("--redact", args->redact,
                        "Also redact the value at this JSON path (repeatable), e.g. "
                        "'$.arguments.pipeline.config.key' or '$..password'");
    command->add_flag("--no-redact", args->noRedact, "Store secrets (API keys, tokens) as they are in the file");
    command
        ->add_option("--max-message-bytes", args->maxMessageBytes,
                     "Refuse a file with a message larger than this (e.g. 250MiB, the engine's own limit); it bounds "
                     "the memory the import takes")
        ->transform(CLI::AsSizeValue(false))
        ->capture_default_str();
    command->callback([&run, args] { run = [args] { return RunImport(*args); }; });
}

} // namespace dapscope::cli
