#include "SyntheticTraffic.hpp"

namespace dapscope::bench
{

namespace
{
const char* const kToken = "tk_5d41402abc4b2a76b9719d911017c592";
const char* const kTask = "5d41402a.webhook_1";
} // namespace

proxy::TapRecord SyntheticTraffic::Message(proxy::Direction dir, std::string text)
{
    m_now += 50'000;
    proxy::TapRecord record;
    record.type = proxy::TapRecord::Type::Chunk;
    record.session = m_session;
    record.ns = m_now;
    record.dir = dir;
    record.opcode = proxy::Opcode::Text;
    record.first = record.final = true;
    record.wireBytes = text.size();
    m_payloadBytes += text.size();
    record.bytes = proxy::CapturedBytes(std::move(text));
    return record;
}

std::vector<proxy::TapRecord> SyntheticTraffic::Open()
{
    std::vector<proxy::TapRecord> out;
    proxy::TapRecord open;
    open.type = proxy::TapRecord::Type::SessionOpen;
    open.session = m_session;
    open.ns = m_now;
    open.client = "127.0.0.1:40000";
    open.path = "/task/service";
    open.upstream = "ws://127.0.0.1:5565";
    out.push_back(std::move(open));
    proxy::TapRecord upstream;
    upstream.type = proxy::TapRecord::Type::UpstreamOpen;
    upstream.session = m_session;
    upstream.ns = m_now;
    out.push_back(std::move(upstream));
    out.push_back(Message(proxy::Direction::ClientToServer,
                          R"({"type": "request", "command": "auth", "seq": )" + std::to_string(m_seq) +
                              R"(, "arguments": {"auth": "sk-bench-0000-0000", "clientName": "Python SDK"}})"));
    out.push_back(
        Message(proxy::Direction::ServerToClient,
                R"({"type":"response","seq":)" + std::to_string(m_serverSeq++) + R"(,"request_seq":)" +
                    std::to_string(m_seq++) +
                    R"(,"command":"auth","success":true,"body":{"userToken":"sk-bench-0000-0000","userId":"local"}})"));
    return out;
}

void SyntheticTraffic::Next(size_t count, std::vector<proxy::TapRecord>& out)
{
    using proxy::Direction;
    while (count > 0)
    {
        // Pattern of 5 messages: write request, status event, response, sse event, and every 10th a failure.
        int64_t seq = m_seq;
        std::string pipe = std::to_string(m_step % 4);
        switch (m_step++ % 5)
        {
        case 0:
            out.push_back(
                Message(Direction::ClientToServer,
                        R"({"type": "request", "seq": )" + std::to_string(seq) +
                            R"(, "command": "rrext_process", "arguments": {"subcommand": "write", "pipe_id": )" + pipe +
                            R"(, "token": ")" + kToken + R"(", "data": "chunk of text for the pipeline"}})"));
            break;
        case 1:
            out.push_back(Message(Direction::ServerToClient,
                                  R"({"type":"event","seq":)" + std::to_string(m_serverSeq++) +
                                      R"(,"event":"apaevt_status_update","body":{"state":3,"completedCount":)" +
                                      std::to_string(m_step) + R"(,"status":"Running","__id":")" + kTask + R"("}})"));
            break;
        case 2:
        {
            bool fail = m_step % 50 == 3;
            out.push_back(Message(Direction::ServerToClient,
                                  R"({"type":"response","seq":)" + std::to_string(m_serverSeq++) +
                                      R"(,"request_seq":)" + std::to_string(m_seq++) +
                                      R"(,"command":"rrext_process","success":)" +
                                      (fail ? R"(false,"message":"Write pipe with id )" + pipe +
                                                  R"( not found","trace":{"file":"task_server.py","lineno":674}})"
                                            : std::string(R"(true})"))));
            break;
        }
        case 3:
            out.push_back(
                Message(Direction::ServerToClient, R"({"type":"event","seq":)" + std::to_string(m_serverSeq++) +
                                                       R"(,"event":"apaevt_sse","body":{"pipe_id":)" + pipe +
                                                       R"(,"type":"thinking","data":{"step":)" +
                                                       std::to_string(m_step) + R"(},"__id":")" + kTask + R"("}})"));
            break;
        default:
            out.push_back(Message(Direction::ClientToServer,
                                  R"({"type": "request", "seq": )" + std::to_string(m_seq) +
                                      R"(, "command": "rrext_ping", "arguments": {"token": ")" + kToken + R"("}})"));
            out.push_back(Message(Direction::ServerToClient,
                                  R"({"type":"response","seq":)" + std::to_string(m_serverSeq++) +
                                      R"(,"request_seq":)" + std::to_string(m_seq++) +
                                      R"(,"command":"rrext_ping","success":true,"body":{"pong":true}})"));
            count = count > 1 ? count - 1 : 1;
            break;
        }
        --count;
    }
}

proxy::TapRecord SyntheticTraffic::Close()
{
    proxy::TapRecord close;
    close.type = proxy::TapRecord::Type::SessionClose;
    close.session = m_session;
    close.ns = m_now + 1000;
    close.closeCode = 1000;
    close.closedBy = "client";
    return close;
}

} // namespace dapscope::bench
