#include "Compare.hpp"

namespace dapscope::replay
{

const json::value& BodyOf(const json::value& doc)
{
    static const json::value absent;
    const json::value* body = Member(doc, "body");
    return body ? *body : absent;
}

bool CompareAnswer(const RecordedMessage& request, std::string_view pipeScope, const RecordedMessage& then,
                   const Frame& now, Remap& remap, std::vector<Difference>& out)
{
    Frame expected = ParseFrame(then.opcode == inspector::Opcode::Binary, then.bytes);

    // Values handed out again: learn them first, so that this very answer compares equal.
    remap.Learn(BodyOf(expected.doc), BodyOf(now.doc));
    if (request.command == "rrext_process" && request.subcommand == "open")
    {
        auto pipeThen = IntMember(BodyOf(expected.doc), "pipe_id");
        auto pipeNow = IntMember(BodyOf(now.doc), "pipe_id");
        if (pipeThen && pipeNow)
            remap.AddPipe(pipeScope, *pipeThen, *pipeNow);
    }
    if (!then.complete)
        return false;
    remap.Apply(expected.doc, pipeScope);
    remap.ApplyToMarkers(expected.payload);

    std::string path = "$.body";
    Diff(BodyOf(expected.doc), BodyOf(now.doc), path, out, kMaxDifferences);
    if (!Succeeded(expected.doc) || !Succeeded(now.doc))
    {
        path = "$.message";
        static const json::value absent;
        const json::value* messageThen = Member(expected.doc, "message");
        const json::value* messageNow = Member(now.doc, "message");
        Diff(messageThen ? *messageThen : absent, messageNow ? *messageNow : absent, path, out, kMaxDifferences);
    }
    if ((expected.hasPayload || now.hasPayload) && expected.payload != now.payload)
        out.push_back({"$.arguments.data", std::to_string(expected.payload.size()) + " bytes",
                       std::to_string(now.payload.size()) + " bytes, other content"});
    return true;
}

} // namespace dapscope::replay
