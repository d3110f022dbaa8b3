#pragma once
// Builds a replay::Recording in memory, message by message, as the store would hand it over: decoded columns
// filled from the JSON, requests and responses paired. For the sans-io tests of Replayer and ServeSession.

#include "replay/Recording.hpp"

#include <boost/json.hpp>

#include <string>

namespace dapscope::test
{

class RecordingBuilder
{
  public:
    // Every message arrives `stepNs` after the previous one unless At() says otherwise.
    RecordingBuilder& At(int64_t ns)
    {
        m_ns = ns;
        return *this;
    }

    size_t Request(const std::string& json, const std::string& payload = "", bool binary = false)
    {
        return Add(inspector::Direction::ClientToServer, json, payload, binary || !payload.empty());
    }
    size_t Response(size_t request, const std::string& json, const std::string& payload = "")
    {
        size_t index = Add(inspector::Direction::ServerToClient, json, payload, !payload.empty());
        m_recording.messages[index].pair = request;
        m_recording.messages[request].pair = index;
        return index;
    }
    size_t Event(const std::string& json) { return Add(inspector::Direction::ServerToClient, json, "", false); }
    void Close(uint16_t code, const std::string& reason)
    {
        replay::RecordedMessage message;
        message.id = ++m_id;
        message.opcode = inspector::Opcode::Close;
        message.kind = inspector::Kind::Control;
        message.tsNs = Next();
        message.bytes = std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)} + reason;
        m_recording.messages.push_back(std::move(message));
    }

    replay::Recording& Get() { return m_recording; }

  private:
    int64_t Next()
    {
        int64_t now = m_ns;
        m_ns += 1'000'000;
        return now;
    }

    size_t Add(inspector::Direction dir, const std::string& json, const std::string& payload, bool binary)
    {
        auto doc = boost::json::parse(json).as_object();
        replay::RecordedMessage message;
        message.id = ++m_id;
        message.dir = dir;
        message.opcode = binary ? inspector::Opcode::Binary : inspector::Opcode::Text;
        message.tsNs = Next();
        message.bytes = json + (binary ? "\n" + payload : "");
        std::string type(doc.at("type").as_string());
        message.kind = type == "request"    ? inspector::Kind::Request
                       : type == "response" ? inspector::Kind::Response
                                            : inspector::Kind::Event;
        if (auto* seq = doc.if_contains("seq"))
            message.seq = seq->to_number<int64_t>();
        if (auto* command = doc.if_contains("command"))
            message.command = command->as_string();
        if (auto* event = doc.if_contains("event"))
            message.event = event->as_string();
        if (auto* success = doc.if_contains("success"))
            message.success = success->as_bool();
        if (auto* arguments = doc.if_contains("arguments"); arguments && arguments->is_object())
            if (auto* sub = arguments->as_object().if_contains("subcommand"))
                message.subcommand = sub->as_string();
        m_recording.messages.push_back(std::move(message));
        return m_recording.messages.size() - 1;
    }

    replay::Recording m_recording;
    int64_t m_ns = 1'000'000'000; // captured time of the next message
    int64_t m_id = 0;             // store ids
};

} // namespace dapscope::test
