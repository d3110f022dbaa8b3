// `dapscope import FILE`: a HAR (Chrome DevTools, mitmproxy, Proxyman, dapscope) or JSONL file into new sessions,
// decoded, redacted and correlated like a capture. All or nothing.

#include "Commands.hpp"
#include "Format.hpp"
#include "inspector/Redactor.hpp"
#include "storage/Import.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
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

// "importing trace.har  [#####---------------] 61.2 MiB/240.0 MiB" on stderr when it is a terminal and the
// import takes a while: the bytes of the file read so far.
storage::ProgressFn ImportProgress(std::string label)
{
    if (!::isatty(STDERR_FILENO))
        return {};
    using Clock = std::chrono::steady_clock;
    struct Bar
    {
        std::string label;
        Clock::time_point start = Clock::now();
        Clock::time_point drawn; // last redraw
        bool visible = false;    // something was drawn
        bool complete = false;   // the last line was drawn and ended
        ~Bar()
        {
            if (visible && !complete)
                std::fputc('\n', stderr); // failed: the error starts on a line of its own
        }
    };
    auto bar = std::make_shared<Bar>();
    bar->label = std::move(label);
    return [bar](uint64_t done, uint64_t total)
    {
        using namespace std::chrono_literals;
        Clock::time_point now = Clock::now();
        bool last = done >= total;
        // Quick imports show nothing; then redraw at most 10 times a second, and always the final state.
        if ((!bar->visible && now - bar->start < 300ms) || (!last && now - bar->drawn < 100ms) || bar->complete)
            return;
        constexpr int kWidth = 20;
        int filled = total ? static_cast<int>(kWidth * std::min(done, total) / total) : kWidth;
        std::fprintf(stderr, "\r%s  [%s%s] %s/%s%s", bar->label.c_str(), std::string(filled, '#').c_str(),
                     std::string(kWidth - filled, '-').c_str(), HumanBytes(static_cast<int64_t>(done)).c_str(),
                     HumanBytes(static_cast<int64_t>(total)).c_str(), last ? "\n" : "");
        std::fflush(stderr);
        bar->drawn = now;
        bar->visible = true;
        bar->complete = last;
    };
}

int RunImport(const ImportArgs& args)
{
    for (const std::string& rule : args.redact)
        if (auto problem = inspector::ValidateRedactionRule(rule))
            return Fail("--redact " + rule + ": " + *problem);
    if (args.maxMessageBytes == 0)
        return Fail("--max-message-bytes must be more than 0");
    try
    {
        inspector::RedactionPolicy redaction{!args.noRedact, args.redact};
        storage::ImportOptions options;
        options.maxMessageBytes = args.maxMessageBytes;
        storage::ImportResult result =
            storage::ImportFile(args.db, args.file, redaction, ImportProgress("importing " + args.file), options);
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
