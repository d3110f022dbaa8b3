// Whole recorded SDK sessions fed through the inspector.
#include "TestSupport.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <map>

namespace dapscope::inspector
{
namespace
{

struct FixtureCase
{
    std::string file;       // fixture under tests/fixtures/
    std::string apiKey;     // placeholder credential used in it
    std::string clientName; // auth arguments.clientName
};

void PrintTo(const FixtureCase& c, std::ostream* os)
{
    *os << c.file;
}

class FixtureSession : public ::testing::TestWithParam<FixtureCase>
{
  protected:
    // Feed the whole fixture; keeps each message's final state (updates applied) and stored bytes.
    void FeedAll(RedactionPolicy policy = {})
    {
        SessionInspector inspector(std::move(policy));
        const auto messages = test::LoadFixture(GetParam().file);
        MessageId id = 0;
        for (const auto& wire : messages)
        {
            const WireMessage message{wire.dir,   wire.opcode,       wire.timeNs, wire.timeNs,
                                      wire.bytes, wire.bytes.size(), false};
            FeedResult result = inspector.Feed(++id, message);
            stored[id] = test::Stored(result, wire.bytes);
            for (const auto& update : result.updates)
                Apply(update);
            inspected[id] = std::move(result.message);
        }
        for (const auto& update : inspector.Finish())
            Apply(update);
        facts = inspector.Facts();
    }

    void Apply(const MessageUpdate& update)
    {
        InspectedMessage& message = inspected.at(update.id);
        message.state = update.state;
        if (update.pairId)
            message.pairId = update.pairId;
        if (update.latencyNs)
            message.latencyNs = update.latencyNs;
        if (!update.task.empty())
            message.task = update.task;
        if (update.pipeId)
            message.pipeId = update.pipeId;
    }

    std::map<MessageId, InspectedMessage> inspected; // final view of every message
    std::map<MessageId, std::string> stored;         // bytes the store would keep
    SessionFacts facts;                              // after the session
};

TEST_P(FixtureSession, EveryRequestIsAnswered)
{
    FeedAll();
    size_t requests = 0;
    for (const auto& [id, message] : inspected)
    {
        EXPECT_NE(message.envelope.kind, Kind::Malformed) << id << ": " << message.envelope.malformedReason;
        if (message.envelope.kind != Kind::Request && message.envelope.kind != Kind::Response)
            continue;
        EXPECT_EQ(message.state, ExchangeState::Answered) << "message " << id << " " << message.envelope.command;
        ASSERT_TRUE(message.pairId) << id;
        EXPECT_EQ(inspected.at(*message.pairId).pairId, id);
        EXPECT_GE(message.latencyNs.value_or(-1), 0) << id;
        requests += message.envelope.kind == Kind::Request;
    }
    EXPECT_EQ(requests, 50u);
}

TEST_P(FixtureSession, EveryTaskEventHasATask)
{
    FeedAll();
    size_t taskEvents = 0;
    for (const auto& [id, message] : inspected)
    {
        if (message.envelope.kind != Kind::Event)
            continue;
        const auto document = boost::json::parse(stored.at(id));
        const auto* taskId = document.at("body").as_object().if_contains("__id");
        if (!taskId || taskId->as_string().empty())
            continue;
        ++taskEvents;
        EXPECT_EQ(message.task, taskId->as_string()) << id;
    }
    EXPECT_EQ(taskEvents, 36u);
}

TEST_P(FixtureSession, TaskRequestsAndPipesAreLinked)
{
    FeedAll();
    size_t pipeMessages = 0;
    for (const auto& [id, message] : inspected)
    {
        const auto& env = message.envelope;
        if (env.kind == Kind::Request && (env.command == "execute" || env.command == "rrext_process" ||
                                          env.command == "terminate" || env.command == "rrext_get_task_status"))
        {
            EXPECT_FALSE(message.task.empty()) << id << " " << env.command;
        }
        if (env.kind == Kind::Request && env.command == "rrext_process" && env.subcommand == "write" &&
            message.state == ExchangeState::Answered && inspected.at(*message.pairId).envelope.success == true)
        {
            EXPECT_EQ(message.pipeId, 0) << id;
        }
        pipeMessages += message.pipeId.has_value();
    }
    EXPECT_GT(pipeMessages, 30u);
}

TEST_P(FixtureSession, ApiKeyNeverStored)
{
    FeedAll();
    size_t redacted = 0;
    for (const auto& [id, bytes] : stored)
    {
        EXPECT_EQ(bytes.find(GetParam().apiKey), std::string::npos) << "message " << id;
        redacted += inspected.at(id).redactedBytes.has_value();
    }
    EXPECT_EQ(redacted, 2u); // the auth request and its response
}

TEST_P(FixtureSession, NoRedactStoresWireBytes)
{
    FeedAll(RedactionPolicy{false, {}});
    for (const auto& [id, message] : inspected)
        EXPECT_FALSE(message.redactedBytes) << id;
    EXPECT_NE(stored.at(1).find(GetParam().apiKey), std::string::npos);
}

TEST_P(FixtureSession, ClientNameAndAuthRecorded)
{
    FeedAll();
    EXPECT_EQ(facts.clientName, GetParam().clientName);
    EXPECT_EQ(facts.auth, AuthOutcome::Succeeded);
}

INSTANTIATE_TEST_SUITE_P(
    Inspector, FixtureSession,
    ::testing::Values(FixtureCase{"python-sdk-session.jsonl", "sk-example-python-0000", "Python SDK"},
                      FixtureCase{"typescript-sdk-session.jsonl", "sk-example-ts-0000", "TypeScript SDK"}),
    [](const auto& info) { return info.param.file.substr(0, info.param.file.find('-')); });

TEST(FixtureVersions, TypeScriptSendsClientVersion)
{
    SessionInspector inspector;
    const auto messages = test::LoadFixture("typescript-sdk-session.jsonl");
    const auto& auth = messages.at(0);
    inspector.Feed(1, test::Wire(auth.dir, auth.bytes));
    EXPECT_EQ(inspector.Facts().clientVersion, "1.1.0");
}

} // namespace
} // namespace dapscope::inspector
