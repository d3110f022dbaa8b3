#include "SyntheticTraffic.hpp"

namespace dapscope::bench
{

namespace
{
const char* const kToken = "tk_5d41402abc4b2a76b9719d911017c592";
const char* const kTask = "5d41402a.webhook_1";
const char* const kOtherTask = "9f86d081.webhook_2";
} // namespace

capture::TapRecord SyntheticTraffic::Message(inspector::Direction dir, std::string text)
{
    m_now += 50'000;
    capture::TapRecord record;
    record.type = capture::TapRecord::Type::Chunk;
    record.session = m_session;
    record.ns = m_now;
    record.dir = dir;
    record.opcode = inspector::Opcode::Text;
    record.first = record.final = true;
    record.wireBytes = text.size();
    m_payloadBytes += text.size();
    record.bytes = capture::SharedBytes(std::move(text));
    return record;
}

std::vector<capture::TapRecord> SyntheticTraffic::Open()
{
    std::vector<capture::TapRecord> out;
    capture::TapRecord open;
    open.type = capture::TapRecord::Type::SessionOpen;
    open.session = m_session;
    open.ns = m_now;
    open.client = "127.0.0.1:40000";
    open.path = "/task/service";
    open.upstream = "ws://127.0.0.1:5565";
    out.push_back(std::move(open));
    capture::TapRecord upstream;
    upstream.type = capture::TapRecord::Type::UpstreamOpen;
    upstream.session = m_session;
    upstream.ns = m_now;
    out.push_back(std::move(upstream));
    out.push_back(Message(inspector::Direction::ClientToServer,
                          R"({"type": "request", "command": "auth", "seq": )" + std::to_string(m_seq) +
                              R"(, "arguments": {"auth": "sk-bench-0000-0000", "clientName": "Python SDK"}})"));
    out.push_back(
        Message(inspector::Direction::ServerToClient,
                R"({"type":"response","seq":)" + std::to_string(m_serverSeq++) + R"(,"request_seq":)" +
                    std::to_string(m_seq++) +
                    R"(,"command":"auth","success":true,"body":{"userToken":"sk-bench-0000-0000","userId":"local"}})"));
    return out;
}

void SyntheticTraffic::Next(size_t count, std::vector<capture::TapRecord>& out)
{
    using inspector::Direction;
    for (size_t emitted = 0; emitted < count;)
    {
        // A pattern of 6 messages: write request, status event, its response, sse event, ping request and
        // response; one write in 50 fails, one sse event in 500 belongs to a second task and one ping in
        // 2,000 is a status query, so selective filters have something rare to find.
        std::string seq = std::to_string(m_seq);
        std::string pipe = std::to_string(m_step % 4);
        std::string serverSeq = std::to_string(m_serverSeq++);
        switch (m_step++ % 5)
        {
        case 0:
            out.push_back(Message(Direction::ClientToServer,
                                  R"({"type": "request", "seq": )" + seq +
                                      R"(, "command": "rrext_process", "arguments": {"subcommand": "write", )" +
                                      R"("pipe_id": )" + pipe + R"(, "token": ")" + kToken +
                                      R"(", "data": "chunk of text for the pipeline"}})"));
            --m_serverSeq;
            break;
        case 1:
            out.push_back(Message(Direction::ServerToClient,
                                  R"({"type":"event","seq":)" + serverSeq +
                                      R"(,"event":"apaevt_status_update","body":{"state":3,"completedCount":)" +
                                      std::to_string(m_step) + R"(,"status":"Running","__id":")" + kTask + R"("}})"));
            break;
        case 2:
        {
            bool fail = m_step % 50 == 3;
            std::string outcome = fail ? R"(false,"message":"Write pipe with id )" + pipe +
                                             R"( not found","trace":{"file":"task_server.py","lineno":674}})"
                                       : std::string("true}");
            out.push_back(Message(Direction::ServerToClient, R"({"type":"response","seq":)" + serverSeq +
                                                                 R"(,"request_seq":)" + std::to_string(m_seq++) +
                                                                 R"(,"command":"rrext_process","success":)" + outcome));
            break;
        }
        case 3:
            out.push_back(Message(Direction::ServerToClient, R"({"type":"event","seq":)" + serverSeq +
                                                                 R"(,"event":"apaevt_sse","body":{"pipe_id":)" + pipe +
                                                                 R"(,"type":"thinking","data":{"step":)" +
                                                                 std::to_string(m_step) + R"(},"__id":")" +
                                                                 (m_step % 500 == 4 ? kOtherTask : kTask) + R"("}})"));
            break;
        default:
        {
            std::string command = m_step % 10000 == 0 ? "rrext_get_task_status" : "rrext_ping";
            out.push_back(Message(Direction::ClientToServer, R"({"type": "request", "seq": )" + seq +
                                                                 R"(, "command": ")" + command +
                                                                 R"(", "arguments": {"token": ")" + kToken + R"("}})"));
            out.push_back(Message(Direction::ServerToClient, R"({"type":"response","seq":)" + serverSeq +
                                                                 R"(,"request_seq":)" + std::to_string(m_seq++) +
                                                                 R"(,"command":")" + command +
                                                                 R"(","success":true,"body":{"pong":true}})"));
            ++emitted;
            break;
        }
        }
        ++emitted;
    }
}

capture::TapRecord SyntheticTraffic::Close()
{
    capture::TapRecord close;
    close.type = capture::TapRecord::Type::SessionClose;
    close.session = m_session;
    close.ns = m_now + 1000;
    close.closeCode = 1000;
    close.closedBy = "client";
    return close;
}

} // namespace dapscope::bench
