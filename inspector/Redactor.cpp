// Markers, fingerprints and rule validation (the public, stateless part of redaction).
#include "Redactor.hpp"
#include "JsonPath.hpp"

#include <openssl/evp.h>

namespace dapscope::inspector
{
namespace
{

constexpr std::string_view MarkerPrefix = "[redacted:";
constexpr size_t FingerprintChars = 8;

bool IsLowerHex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

} // namespace

std::string Fingerprint(std::string_view value)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digestSize = 0;
    if (!EVP_Digest(value.data(), value.size(), digest, &digestSize, EVP_sha256(), nullptr))
        return "00000000";
    constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < FingerprintChars / 2; ++i)
    {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0x0F];
    }
    return out;
}

std::string RedactionMarker(std::string_view secret)
{
    return std::string(MarkerPrefix) + Fingerprint(secret) + "]";
}

std::optional<std::string> MarkerFingerprint(std::string_view value)
{
    if (value.size() != MarkerPrefix.size() + FingerprintChars + 1 || !value.starts_with(MarkerPrefix) ||
        value.back() != ']')
        return std::nullopt;
    const std::string_view fingerprint = value.substr(MarkerPrefix.size(), FingerprintChars);
    for (char c : fingerprint)
        if (!IsLowerHex(c))
            return std::nullopt;
    return std::string(fingerprint);
}

bool HoldsRedactionMarker(std::string_view bytes)
{
    const size_t length = MarkerPrefix.size() + FingerprintChars + 1;
    for (size_t at = bytes.find(MarkerPrefix); at != std::string_view::npos; at = bytes.find(MarkerPrefix, at + 1))
        if (MarkerFingerprint(bytes.substr(at, length)))
            return true;
    return false;
}

void ValidateRedactionRule(std::string_view rule)
{
    ParseJsonPath(rule);
}

} // namespace dapscope::inspector
