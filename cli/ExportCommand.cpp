// `dapscope export SESSION... --format har|jsonl|otlp [-o FILE]`: sessions as files other tools read (see
// storage/Export.hpp for HAR and JSONL, otlp/Spans.hpp for OTLP), or `--otlp URL`: their spans posted to a
// collector.

#include "Commands.hpp"
#include "Format.hpp"
#include "Progress.hpp"
#include "otlp/OtlpExporter.hpp"
#include "otlp/OtlpJson.hpp"
#include "otlp/OtlpSources.hpp"
#include "storage/Export.hpp"
#include "storage/ExportFile.hpp"

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
    std::string otlpUrl; // post the spans to this collector instead of writing a file
};

// The sessions' spans: one OTLP JSON request per session, as the live export posted them.
std::vector<std::vector<otlp::SessionSpans>> SessionsSpans(storage::TraceReader& reader,
                                                           const std::vector<int64_t>& sessions)
{
    std::vector<std::vector<otlp::SessionSpans>> out;
    for (int64_t id : sessions)
    {
        if (!reader.Session(id))
            throw std::runtime_error("no session " + std::to_string(id) + " in the store");
        out.push_back(otlp::StoredSessionSpans(reader, id));
    }
    return out;
}

int PostSpans(storage::TraceReader& reader, const ExportArgs& args)
{
    auto sessions = SessionsSpans(reader, args.sessions);
    otlp::ExporterOptions options;
    options.url = args.otlpUrl;
    otlp::OtlpExporter exporter(std::move(options));
    size_t spans = 0;
    for (auto& session : sessions)
    {
        for (const auto& s : session)
            spans += s.spans.size();
        exporter.Submit(std::move(session));
    }
    exporter.Stop();
    otlp::ExporterCounts counts = exporter.Counts();
    if (counts.sent != spans)
        return Fail("--otlp: " + std::to_string(counts.sent) + " of " + std::to_string(spans) + " span(s) reached " +
                    exporter.Endpoint() + " (" + std::to_string(counts.failedPosts) + " failed post(s))");
    std::fprintf(stderr, "dapscope export: %zu span(s) posted to %s\n", spans, exporter.Endpoint().c_str());
    return kExitOk;
}

int WriteSpans(storage::TraceReader& reader, const ExportArgs& args)
{
    auto sessions = SessionsSpans(reader, args.sessions);
    storage::ExportFile out(args.output);
    for (const auto& session : sessions)
        if (!session.empty())
            out.Write(otlp::ExportRequestJson(session) + "\n");
    out.Finish();
    return kExitOk;
}

int RunExport(const ExportArgs& args)
{
    if (!args.otlpUrl.empty() || args.format == "otlp")
    {
        if (!args.otlpUrl.empty() && !args.format.empty())
            return Fail("--otlp posts to a collector; it does not go with --format");
        try
        {
            storage::TraceReader reader(args.db);
            return args.otlpUrl.empty() ? WriteSpans(reader, args) : PostSpans(reader, args);
        }
        catch (const std::invalid_argument& e)
        {
            return Fail(e.what());
        }
        catch (const std::exception& e)
        {
            return FailStore(args.db, e);
        }
    }
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
        "export", "Write sessions as HAR (Chrome DevTools, HAR viewers), JSONL (jq, scripts) or OTLP traces "
                  "(OpenTelemetry collectors); secrets stay redacted");
    command->add_option("SESSION", args->sessions, "Session ids (see dapscope sessions)")->required();
    command
        ->add_option("--format", args->format,
                     "har, jsonl or otlp (OTLP JSON, one request per session and line, as a collector's file "
                     "receiver reads it; default: from the -o file's extension)")
        ->check(CLI::IsMember({"har", "jsonl", "otlp"}));
    command->add_option("--otlp", args->otlpUrl,
                        "Post the sessions' spans to this OTLP/HTTP collector instead (e.g. http://127.0.0.1:4318)");
    command->add_option("-o,--output", args->output, "Output file, created mode 0600 (default: stdout)");
    AddDbOption(*command, args->db);
    command->callback([&run, args] { run = [args] { return RunExport(*args); }; });
}

} // namespace dapscope::cli
