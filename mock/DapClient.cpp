#include "DapClient.hpp"

namespace dapscope::mock
{

std::unique_ptr<DapClient> DapClient::Connect(const std::string& url)
{
    net::WsClientOptions options;
    options.url = url;
    auto client = std::unique_ptr<DapClient>(new DapClient());
    client->m_socket = net::WsClient::Connect(options);
    return client;
}

int64_t DapClient::Send(const std::string& command, boost::json::object arguments,
                        const std::optional<std::string>& payload)
{
    int64_t seq = m_nextSeq++;
    boost::json::object request{{"type", "request"}, {"seq", seq}, {"command", command}};
    request["arguments"] = std::move(arguments);
    std::string text = boost::json::serialize(request);
    if (payload)
        m_socket->Send(net::FrameType::Binary, text + "\n" + *payload);
    else
        m_socket->Send(net::FrameType::Text, std::move(text));
    return seq;
}

bool DapClient::ReceiveOne(std::chrono::milliseconds timeout)
{
    auto message = m_socket->Receive(timeout);
    if (!message)
        return false;
    if (message->type == net::FrameType::Pong)
        return true;
    std::string_view json = message->data;
    std::string payload;
    if (message->type == net::FrameType::Binary)
        if (size_t newline = json.find('\n'); newline != std::string_view::npos)
        {
            payload = std::string(json.substr(newline + 1));
            json = json.substr(0, newline);
        }
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(json, ec);
    if (ec || !value.is_object())
        return true;
    boost::json::object& object = value.as_object();
    const boost::json::value* type = object.if_contains("type");
    if (type && type->is_string() && type->as_string() == "response")
    {
        const boost::json::value* requestSeq = object.if_contains("request_seq");
        if (requestSeq && requestSeq->is_int64())
            m_responses[requestSeq->as_int64()] = {std::move(object), std::move(payload)};
    }
    else if (type && type->is_string() && type->as_string() == "event")
        m_events.push_back(std::move(object));
    return true;
}

std::optional<boost::json::object> DapClient::Wait(int64_t seq, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true)
    {
        auto found = m_responses.find(seq);
        if (found != m_responses.end())
        {
            boost::json::object response = std::move(found->second.first);
            m_lastPayload = std::move(found->second.second);
            m_responses.erase(found);
            return response;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !ReceiveOne(left))
            return std::nullopt;
    }
}

std::optional<boost::json::object> DapClient::Call(const std::string& command, boost::json::object arguments,
                                                   const std::optional<std::string>& payload)
{
    return Wait(Send(command, std::move(arguments), payload));
}

void DapClient::Close(uint16_t code, const std::string& reason)
{
    m_socket->Close(code, reason);
    m_socket->WaitClosed(std::chrono::seconds(5));
}

} // namespace dapscope::mock
