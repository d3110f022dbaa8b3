// get_message's view of a message: its row, its payload decoded within bounds, its pair.

#include "StoreViews.hpp"

#include "cli/Format.hpp"
#include "inspector/Utf8.hpp"

#include <openssl/evp.h>

namespace dapscope::mcp
{

namespace
{
constexpr size_t kPayloadText = 16 * 1024; // payload text shown at most
constexpr size_t kPayloadHead = 64;        // bytes of a binary payload shown in hex

std::string Hex(std::string_view bytes)
{
    static const char* const kDigits = "0123456789abcdef";
    std::string hex;
    for (unsigned char byte : bytes)
    {
        hex += kDigits[byte >> 4];
        hex += kDigits[byte & 15];
    }
    return hex;
}

std::string Sha256(std::string_view bytes)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
    return Hex(std::string_view(reinterpret_cast<const char*>(digest), size));
}

json::object Payload(const storage::MessageSummary& m, const std::string& data)
{
    json::object payload{{"bytes", static_cast<int64_t>(data.size())}};
    bool text = m.opcode == inspector::Opcode::Text || m.kind == inspector::Kind::HttpRequest ||
                m.kind == inspector::Kind::HttpResponse;
    size_t invalid = inspector::FindInvalidUtf8(data);
    // Text cut within its last character is still text.
    if (text && (invalid == std::string::npos || (data.size() - invalid < 4 && invalid > kPayloadText)))
    {
        if (data.size() <= kPayloadText)
        {
            boost::system::error_code error;
            json::value parsed = json::parse(data, error);
            if (!error)
            {
                payload["json"] = std::move(parsed);
                return payload;
            }
        }
        size_t cut = std::min(data.size(), kPayloadText);
        while (cut < data.size() && cut > 0 && (static_cast<unsigned char>(data[cut]) & 0xC0) == 0x80)
            --cut; // not inside a character
        payload["text"] = data.substr(0, cut);
        payload["text_truncated"] = cut < data.size();
        return payload;
    }
    payload["sha256"] = Sha256(data);
    payload["head_hex"] = Hex(std::string_view(data).substr(0, kPayloadHead));
    return payload;
}
} // namespace

json::object PayloadJson(Store& store, const storage::MessageSummary& message)
{
    return Payload(message, store.reader.MessageData(message.id));
}

json::object MessageDetailJson(Store& store, const storage::MessageSummary& message)
{
    json::object detail = cli::MessageJson(message);
    detail["payload"] = PayloadJson(store, message);
    if (message.pairId)
        if (std::optional<storage::MessageSummary> pair = store.reader.Message(*message.pairId))
            detail["pair"] = cli::MessageJson(*pair);
    return detail;
}

} // namespace dapscope::mcp
