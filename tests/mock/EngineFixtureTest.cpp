// Replays the client side of the recorded SDK sessions through one EngineConnection and compares every server
// message with the recording: same order, seq, types, event names, ids, success flags and the fields that are
// deterministic (tokens, counters, texts). Store handles are remapped like a replay tool would.

#include "EngineTestUtil.hpp"

#include <map>

namespace dapscope::mock::test
{
namespace
{

void ReplaceAll(std::string& text, const std::string& from, const std::string& to)
{
    for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
        text.replace(pos, from.size(), to);
}

const boost::json::value* Member(const boost::json::object& object, std::string_view key)
{
    return object.if_contains(key);
}

// Compare the listed body members of two messages.
void ExpectSameMembers(const Frame& actual, const Frame& recorded, std::initializer_list<std::string_view> keys,
                       const std::string& where)
{
    for (auto key : keys)
    {
        const auto* a = Member(actual.Body(), key);
        const auto* r = Member(recorded.Body(), key);
        ASSERT_TRUE(r != nullptr) << where << " recording lacks " << key;
        ASSERT_TRUE(a != nullptr) << where << " missing body." << key;
        EXPECT_EQ(*a, *r) << where << " body." << key;
    }
}

void CompareEvent(const Frame& actual, const Frame& recorded, const std::string& where)
{
    const std::string event = recorded.Str("event");
    ASSERT_EQ(actual.Str("event"), event) << where;
    ExpectSameMembers(actual, recorded, {"__id"}, where);
    if (event == "apaevt_status_update")
    {
        ExpectSameMembers(actual, recorded,
                          {"name", "project_id", "source", "state", "status", "completed", "serviceUp", "totalSize",
                           "totalCount", "completedSize", "completedCount", "wordsSize", "wordsCount", "pipeflow"},
                          where);
        EXPECT_EQ(actual.Body().size(), recorded.Body().size()) << where << " TASK_STATUS member count";
    }
    else if (event == "apaevt_task")
    {
        ExpectSameMembers(actual, recorded, {"action"}, where);
        if (recorded.Body().contains("tasks"))
            ExpectSameMembers(actual, recorded, {"tasks"}, where);
        else
            ExpectSameMembers(actual, recorded, {"name", "projectId", "source"}, where);
    }
    else if (event == "apaevt_flow")
    {
        ExpectSameMembers(actual, recorded, {"id", "op", "pipes", "project_id", "source"}, where);
        const auto& trace = actual.Body().at("trace").as_object();
        const auto& recordedTrace = recorded.Body().at("trace").as_object();
        EXPECT_EQ(trace.if_contains("lane") != nullptr, recordedTrace.if_contains("lane") != nullptr) << where;
        if (recordedTrace.contains("lane"))
        {
            EXPECT_EQ(trace.at("lane"), recordedTrace.at("lane")) << where;
        }
    }
    else if (event == "output")
    {
        ExpectSameMembers(actual, recorded, {"category", "output"}, where);
    }
    else if (event == "apaevt_sse")
    {
        ExpectSameMembers(actual, recorded, {"pipe_id", "type"}, where);
    }
}

void CompareResponse(const Frame& actual, const Frame& recorded, const std::string& where)
{
    EXPECT_EQ(actual.json.at("request_seq"), recorded.json.at("request_seq")) << where;
    EXPECT_EQ(actual.Str("command"), recorded.Str("command")) << where;
    ASSERT_EQ(actual.Success(), recorded.Success()) << where << ": " << actual.raw;
    EXPECT_EQ(actual.binary, recorded.binary) << where;
    EXPECT_EQ(actual.HasBody(), recorded.HasBody()) << where << ": " << actual.raw;
    if (!recorded.Success())
    {
        EXPECT_EQ(actual.Str("message"), recorded.Str("message")) << where;
        const auto& trace = actual.json.at("trace").as_object();
        EXPECT_TRUE(trace.at("file").is_string() && trace.at("lineno").is_int64()) << where;
        return;
    }
    const std::string command = recorded.Str("command");
    // Fully deterministic answers must match the recording exactly.
    if (command == "auth" || command == "rrext_ping" || command == "execute" || command == "deauth" ||
        command == "terminate" || command == "rrext_monitor")
    {
        EXPECT_EQ(actual.json, recorded.json)
            << where << "\n actual:   " << actual.raw << "\n recorded: " << recorded.raw;
        return;
    }
    // Otherwise: same body members, and the values that do not depend on time or random ids.
    for (const auto& member : recorded.Body())
        EXPECT_TRUE(actual.Body().contains(member.key())) << where << " missing body." << member.key();
    for (auto key : {"size", "bytesWritten", "exists", "type", "count", "pipe_id", "state", "completedCount",
                     "completedSize", "wordsCount", "result_types"})
    {
        const auto* r = Member(recorded.Body(), key);
        const auto* a = Member(actual.Body(), key);
        const bool chatAnswer = command == "rrext_process" && std::string_view(key) == "result_types" &&
                                recorded.Body().contains("answers");
        if (r && a && !chatAnswer)
        {
            EXPECT_EQ(*a, *r) << where << " body." << key;
        }
    }
    if (const auto* text = Member(recorded.Body(), "text"))
    {
        EXPECT_EQ(actual.Body().at("text"), *text) << where;
    }
    if (recorded.Body().contains("answers"))
    {
        EXPECT_EQ(actual.Body().at("result_types"), boost::json::parse(R"({"answers":"answers"})")) << where;
    }
    if (recorded.binary)
    {
        EXPECT_EQ(actual.json.at("arguments"), boost::json::object()) << where;
        EXPECT_EQ(actual.payload.size(), recorded.payload.size()) << where;
    }
}

class FixtureReplay : public ::testing::TestWithParam<const char*>
{
};

TEST_P(FixtureReplay, EveryRequestGetsTheRecordedAnswerAndEvents)
{
    const auto messages = LoadFixture(GetParam());
    ASSERT_GT(messages.size(), 100u);
    EngineState state;
    EngineConnection connection({}, state);
    std::map<std::string, std::string> handles; // recorded store handle -> mock handle
    std::string written;                        // payload of the last fs_write
    size_t requests = 0;
    size_t binaryReads = 0;

    for (size_t i = 0; i < messages.size();)
    {
        const auto& message = messages[i++];
        ASSERT_TRUE(message.fromClient) << "fixture line " << i << " is not a client message";
        std::vector<Frame> recorded;
        for (; i < messages.size() && !messages[i].fromClient; ++i)
            recorded.push_back(DecodeFrame({messages[i].binary, messages[i].bytes, 0}));

        std::string bytes = message.bytes;
        const size_t headerEnd = message.binary ? bytes.find('\n') : bytes.size();
        std::string header = bytes.substr(0, headerEnd);
        for (const auto& [from, to] : handles)
            ReplaceAll(header, from, to);
        bytes = header + bytes.substr(headerEnd);
        const auto request = boost::json::parse(header).as_object();
        const int64_t seq = request.at("seq").as_int64();
        const std::string command(request.at("command").as_string());
        const std::string subcommand =
            request.contains("arguments") && request.at("arguments").as_object().contains("subcommand")
                ? std::string(request.at("arguments").at("subcommand").as_string())
                : "";
        const std::string where =
            std::string(GetParam()) + " request seq " + std::to_string(seq) + " " + command + " " + subcommand;
        ++requests;

        const auto frames = DecodeAll(connection.OnMessage(message.binary, bytes));

        // Exactly one response, correlated by request_seq, echoing the command.
        int responses = 0;
        for (const auto& frame : frames)
        {
            if (!frame.IsResponse())
                continue;
            ++responses;
            EXPECT_EQ(frame.Int("request_seq"), seq) << where;
            EXPECT_EQ(frame.Str("command"), command) << where;
        }
        ASSERT_EQ(responses, 1) << where;

        // Same messages in the same order with the same per-socket seq as the recording.
        ASSERT_EQ(frames.size(), recorded.size()) << where << " first actual: " << frames.front().raw;
        for (size_t k = 0; k < frames.size(); ++k)
        {
            const std::string at = where + " message " + std::to_string(k);
            ASSERT_EQ(frames[k].Str("type"), recorded[k].Str("type")) << at << ": " << frames[k].raw;
            EXPECT_EQ(frames[k].Int("seq"), recorded[k].Int("seq")) << at;
            if (frames[k].IsEvent())
                CompareEvent(frames[k], recorded[k], at);
            else
                CompareResponse(frames[k], recorded[k], at);
        }

        const auto& response = TestClient::ResponseOf(frames);
        if (command == "rrext_store" && subcommand == "fs_open")
        {
            for (const auto& frame : recorded)
                if (frame.IsResponse())
                    handles[std::string(frame.Body().at("handle").as_string())] =
                        std::string(response.Body().at("handle").as_string());
        }
        if (command == "rrext_store" && subcommand == "fs_write")
            written = bytes.substr(headerEnd + 1);
        if (command == "rrext_store" && subcommand == "fs_read" && response.Body().at("size").as_int64() > 0)
        {
            ++binaryReads;
            EXPECT_TRUE(response.binary);
            EXPECT_EQ(response.payload, written) << "fs_read must return the bytes written before";
        }
    }
    EXPECT_EQ(requests, 50u);
    EXPECT_EQ(binaryReads, 1u);
}

INSTANTIATE_TEST_SUITE_P(Sdk, FixtureReplay,
                         ::testing::Values("python-sdk-session.jsonl", "typescript-sdk-session.jsonl"));

} // namespace
} // namespace dapscope::mock::test
