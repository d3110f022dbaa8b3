#include "TestSupport.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <fstream>
#include <stdexcept>

namespace dapscope::inspector::test
{
namespace
{

std::string DecodeBase64(std::string_view text)
{
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text)
    {
        int digit;
        if (c >= 'A' && c <= 'Z')
            digit = c - 'A';
        else if (c >= 'a' && c <= 'z')
            digit = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            digit = c - '0' + 52;
        else if (c == '+')
            digit = 62;
        else if (c == '/')
            digit = 63;
        else
            continue; // padding
        buffer = (buffer << 6) | static_cast<uint32_t>(digit);
        bits += 6;
        if (bits >= 8)
        {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

} // namespace

std::vector<FixtureMessage> LoadFixture(const std::string& name)
{
    std::ifstream file(std::string(DAPSCOPE_FIXTURES) + "/" + name);
    if (!file)
        throw std::runtime_error("cannot open fixture " + name);
    std::vector<FixtureMessage> messages;
    std::string line;
    while (std::getline(file, line))
    {
        if (line.empty())
            continue;
        const auto record = boost::json::parse(line).as_object();
        FixtureMessage message;
        message.dir = ParseDirection(record.at("dir").as_string()).value();
        message.opcode = ParseOpcode(record.at("opcode").as_string()).value();
        message.timeNs = std::llround(record.at("t").to_number<double>() * 1e9);
        if (const auto* data = record.if_contains("data"))
            message.bytes = data->as_string();
        else
            message.bytes = DecodeBase64(record.at("data_b64").as_string());
        messages.push_back(std::move(message));
    }
    return messages;
}

} // namespace dapscope::inspector::test
