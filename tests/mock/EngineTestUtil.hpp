#pragma once
// Test helpers for the mock engine: a client that drives one EngineConnection and decodes what it sends back.

#include "mock/EngineModel.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::mock::test
{

// One message the engine sent, decoded.
struct Frame
{
    bool binary = false;      // binary opcode
    boost::json::object json; // the JSON (header of a binary frame)
    std::string payload;      // bytes after the first 0x0A of a binary frame
    std::string raw;          // the message exactly as sent
    int64_t delayMs = 0;      // Outgoing::delayMs

    bool IsResponse() const { return Str("type") == "response"; }
    bool IsEvent() const { return Str("type") == "event"; }
    std::string Str(std::string_view key) const
    {
        const auto* value = json.if_contains(key);
        return value && value->is_string() ? std::string(value->get_string()) : std::string();
    }
    int64_t Int(std::string_view key) const
    {
        const auto* value = json.if_contains(key);
        return value && value->is_int64() ? value->get_int64() : -1;
    }
    bool Success() const
    {
        const auto* value = json.if_contains("success");
        return value && value->is_bool() && value->get_bool();
    }
    const boost::json::object& Body() const
    {
        static const boost::json::object empty;
        const auto* value = json.if_contains("body");
        return value && value->is_object() ? value->get_object() : empty;
    }
    bool HasBody() const { return json.contains("body"); }
};

inline Frame DecodeFrame(const Outgoing& out)
{
    Frame frame;
    frame.binary = out.binary;
    frame.raw = out.bytes;
    frame.delayMs = out.delayMs;
    std::string_view json = out.bytes;
    if (out.binary)
    {
        const size_t newline = json.find('\n');
        EXPECT_NE(newline, std::string_view::npos) << "binary frame without separator";
        if (newline != std::string_view::npos)
        {
            frame.payload = std::string(json.substr(newline + 1));
            json = json.substr(0, newline);
        }
    }
    auto value = boost::json::parse(json);
    frame.json = value.as_object();
    return frame;
}

inline std::vector<Frame> DecodeAll(const Reaction& reaction)
{
    std::vector<Frame> frames;
    for (const auto& out : reaction.messages)
        frames.push_back(DecodeFrame(out));
    return frames;
}

// Drives one EngineConnection like an SDK client would.
class TestClient
{
  public:
    TestClient(EngineState& state, const EngineOptions& options = {}) : m_connection(options, state) {}

    EngineConnection& Connection() { return m_connection; }

    // Send raw bytes; the decoded frames are returned and kept in Last().
    std::vector<Frame> SendRaw(bool binary, std::string_view bytes)
    {
        m_last = m_connection.OnMessage(binary, bytes);
        return DecodeAll(m_last);
    }

    // Send a request with the next client seq. `payload` makes it a binary frame.
    std::vector<Frame> Call(std::string_view command, boost::json::object args = {},
                            std::optional<std::string> payload = std::nullopt)
    {
        boost::json::object request{{"type", "request"}, {"seq", ++m_seq}, {"command", command}};
        request["arguments"] = std::move(args);
        std::string bytes = boost::json::serialize(request);
        if (payload)
            bytes += "\n" + *payload;
        return SendRaw(payload.has_value(), bytes);
    }

    // The single response to the last Call (fails the test if there is not exactly one).
    static Frame ResponseOf(const std::vector<Frame>& frames)
    {
        std::vector<Frame> responses;
        for (const auto& frame : frames)
            if (frame.IsResponse())
                responses.push_back(frame);
        EXPECT_EQ(responses.size(), 1u);
        return responses.empty() ? Frame() : responses.front();
    }

    static std::vector<Frame> EventsOf(const std::vector<Frame>& frames, std::string_view name = {})
    {
        std::vector<Frame> events;
        for (const auto& frame : frames)
            if (frame.IsEvent() && (name.empty() || frame.Str("event") == name))
                events.push_back(frame);
        return events;
    }

    Frame Request(std::string_view command, boost::json::object args = {},
                  std::optional<std::string> payload = std::nullopt)
    {
        return ResponseOf(Call(command, std::move(args), std::move(payload)));
    }

    Frame Auth(std::string_view key = "sk-test") { return Request("auth", {{"auth", key}, {"clientName", "Test"}}); }

    const Reaction& Last() const { return m_last; }
    int64_t Seq() const { return m_seq; }

  private:
    EngineConnection m_connection; // the connection under test
    Reaction m_last;               // what the last send returned
    int64_t m_seq = 0;             // client request seq
};

// A two-component echo pipeline (webhook -> response on the text lane), as in the fixtures.
inline boost::json::object EchoPipeline(std::string_view projectId = "proj-1")
{
    return boost::json::parse(
               R"({"components":[{"id":"webhook_1","provider":"webhook","config":{"mode":"Source"}},)"
               R"({"id":"response_1","provider":"response","input":[{"lane":"text","from":"webhook_1"}]}],)"
               R"("source":"webhook_1","project_id":")" +
               std::string(projectId) + R"("})")
        .as_object();
}

inline std::string Base64Decode(std::string_view text)
{
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text)
    {
        const size_t index = alphabet.find(c);
        if (index == std::string::npos)
            continue; // '=' padding and whitespace
        buffer = (buffer << 6) | static_cast<uint32_t>(index);
        bits += 6;
        if (bits >= 8)
        {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

// One line of tests/fixtures/*.jsonl.
struct FixtureMessage
{
    bool fromClient = false; // dir == "c2s"
    bool binary = false;     // opcode == "binary"
    std::string bytes;       // the frame
};

inline std::vector<FixtureMessage> LoadFixture(const std::string& name)
{
    std::ifstream in(std::string(DAPSCOPE_FIXTURES) + "/" + name);
    EXPECT_TRUE(in.good()) << "missing fixture " << name;
    std::vector<FixtureMessage> messages;
    std::string line;
    while (std::getline(in, line))
    {
        if (line.empty())
            continue;
        const auto entry = boost::json::parse(line).as_object();
        FixtureMessage message;
        message.fromClient = entry.at("dir").as_string() == "c2s";
        message.binary = entry.at("opcode").as_string() == "binary";
        message.bytes =
            message.binary ? Base64Decode(entry.at("data_b64").as_string()) : std::string(entry.at("data").as_string());
        messages.push_back(std::move(message));
    }
    return messages;
}

} // namespace dapscope::mock::test
