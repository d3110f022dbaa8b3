#include "Recording.hpp"

#include <unordered_map>

namespace dapscope::replay
{

Recording LoadRecording(storage::TraceReader& reader, int64_t id)
{
    try
    {
        Recording recording;
        auto session = reader.Session(id);
        if (!session)
            throw ReplayError("no session " + std::to_string(id) + " in the store (see dapscope sessions)");
        if (session->protocol == "http")
            throw ReplayError(
                "session " + std::to_string(id) +
                " is a plain HTTP connection, not a WebSocket session: replay re-sends DAP messages only");
        recording.session = *session;
        // Summaries and bytes are read in bulk, a page at a time (MessageData prepares two statements per message).
        std::unordered_map<int64_t, size_t> indexById;
        std::vector<std::pair<size_t, int64_t>> pairs; // (index, paired message id)
        for (int64_t after = 0;;)
        {
            auto page = reader.MessagesWithData(id, after, 5000);
            if (page.empty())
                break;
            after = page.back().summary.id;
            for (auto& [summary, bytes] : page)
            {
                if (summary.opcode == inspector::Opcode::Ping || summary.opcode == inspector::Opcode::Pong ||
                    summary.kind == inspector::Kind::HttpRequest || summary.kind == inspector::Kind::HttpResponse)
                    continue; // HTTP exchanges before an upgrade are not part of the DAP conversation
                RecordedMessage message;
                message.id = summary.id;
                message.dir = summary.dir;
                message.opcode = summary.opcode;
                message.kind = summary.kind;
                message.tsNs = summary.tsNs;
                message.bytes = std::move(bytes);
                message.complete = (summary.flags & 3) == 0; // not truncated or elided (redaction changes sizes)
                message.seq = summary.seq;
                message.command = std::move(summary.command);
                message.subcommand = std::move(summary.subcommand);
                message.event = std::move(summary.event);
                message.task = std::move(summary.task);
                message.success = summary.success;
                message.latencyNs = summary.latencyNs;
                indexById[summary.id] = recording.messages.size();
                if (summary.pairId)
                    pairs.emplace_back(recording.messages.size(), *summary.pairId);
                recording.messages.push_back(std::move(message));
            }
        }
        for (auto [index, pairId] : pairs)
            if (auto it = indexById.find(pairId); it != indexById.end())
                recording.messages[index].pair = it->second;
        return recording;
    }
    catch (const ReplayError&)
    {
        throw;
    }
    catch (const std::exception& e)
    {
        throw ReplayError("cannot read session " + std::to_string(id) + ": " + e.what());
    }
}

std::pair<uint16_t, std::string> DecodeClose(std::string_view payload)
{
    if (payload.size() < 2)
        return {1005, ""};
    const auto code =
        static_cast<uint16_t>((static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]));
    return {code, std::string(payload.substr(2))};
}

} // namespace dapscope::replay
