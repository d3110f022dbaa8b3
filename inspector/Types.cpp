#include "Types.hpp"

namespace dapscope::inspector
{

std::string_view ToString(Direction d)
{
    return d == Direction::ClientToServer ? "c2s" : "s2c";
}

std::string_view ToString(Opcode o)
{
    switch (o)
    {
    case Opcode::Text:
        return "text";
    case Opcode::Binary:
        return "binary";
    case Opcode::Close:
        return "close";
    case Opcode::Ping:
        return "ping";
    case Opcode::Pong:
        return "pong";
    }
    return "unknown";
}

std::string_view ToString(Kind k)
{
    switch (k)
    {
    case Kind::Request:
        return "request";
    case Kind::Response:
        return "response";
    case Kind::Event:
        return "event";
    case Kind::Malformed:
        return "malformed";
    case Kind::Control:
        return "control";
    case Kind::HttpRequest:
        return "http_request";
    case Kind::HttpResponse:
        return "http_response";
    }
    return "unknown";
}

std::string_view ToString(ExchangeState s)
{
    switch (s)
    {
    case ExchangeState::None:
        return "";
    case ExchangeState::Pending:
        return "pending";
    case ExchangeState::Answered:
        return "answered";
    case ExchangeState::Unanswered:
        return "unanswered";
    case ExchangeState::Orphan:
        return "orphan";
    case ExchangeState::DuplicateSeq:
        return "duplicate";
    case ExchangeState::CommandMismatch:
        return "mismatch";
    }
    return "unknown";
}

std::optional<Direction> ParseDirection(std::string_view s)
{
    if (s == "c2s")
        return Direction::ClientToServer;
    if (s == "s2c")
        return Direction::ServerToClient;
    return std::nullopt;
}

std::optional<Opcode> ParseOpcode(std::string_view s)
{
    for (Opcode o : {Opcode::Text, Opcode::Binary, Opcode::Close, Opcode::Ping, Opcode::Pong})
    {
        if (ToString(o) == s)
            return o;
    }
    return std::nullopt;
}

std::optional<Kind> ParseKind(std::string_view s)
{
    for (Kind k : {Kind::Request, Kind::Response, Kind::Event, Kind::Malformed, Kind::Control, Kind::HttpRequest,
                   Kind::HttpResponse})
    {
        if (ToString(k) == s)
            return k;
    }
    return std::nullopt;
}

} // namespace dapscope::inspector
