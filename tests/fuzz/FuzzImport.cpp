// libFuzzer entry point for the parsing half of import (storage/ImportParse): arbitrary bytes as a HAR, as a
// JSONL file and auto-detected. Any outcome but a FormatError or validated sessions is a bug, and so is a
// parsed message that breaks the promises the writer relies on, or base64 that does not round-trip.
#include "storage/ExportEncoding.hpp"
#include "storage/ImportParse.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace dapscope::storage;

namespace
{
void Check(const std::vector<ImportedSession>& sessions)
{
    if (sessions.empty())
        __builtin_trap();
    for (const ImportedSession& session : sessions)
    {
        if ((session.startedNs && (*session.startedNs < 0 || *session.startedNs > kMaxTimeNs)) ||
            (session.endedNs && (*session.endedNs < 0 || *session.endedNs > kMaxTimeNs)))
            __builtin_trap();
        for (const ImportedMessage& m : session.messages)
        {
            if (m.tsNs < 0 || m.tsNs > kMaxTimeNs || m.durNs < 0 || m.durNs > kMaxTimeNs || m.size < m.data.size())
                __builtin_trap();
            if (Base64Decode(Base64Encode(m.data)) != m.data)
                __builtin_trap();
        }
    }
}

template <class Parse> void Try(Parse&& parse)
{
    try
    {
        Check(parse());
    }
    catch (const FormatError&)
    {
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    Try([&] { return ParseHar(input, "fuzz.har"); });
    Try([&] { return ParseJsonl(input, "fuzz.jsonl"); });
    Try([&] { return ParseImport(input, "fuzz"); });
    if (auto bytes = Base64Decode(input); bytes && Base64Decode(Base64Encode(*bytes)) != bytes)
        __builtin_trap();
    if (auto ns = ParseIsoTime(input); ns && (*ns < 0 || *ns > kMaxTimeNs))
        __builtin_trap();
    return 0;
}
