#pragma once
// Import of HAR files (Chrome DevTools, mitmproxy, Proxyman, dapscope) and dapscope JSONL into new sessions,
// decoded by the inspector exactly like live captures. All or nothing: a bad file leaves the store untouched.

#include "Export.hpp"
#include "inspector/Redactor.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dapscope::storage
{

// A file that cannot be imported; what() names the file and the position ("file.har: entry 3: ...",
// "file.jsonl:17: ...").
class ImportError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

struct ImportResult
{
    std::vector<int64_t> sessions; // new session ids, in file order
    uint64_t messages = 0;
};

// Import `file` into the store at `storePath` (created if missing). Redaction applies as for a capture.
ImportResult ImportFile(const std::string& storePath, const std::string& file,
                        const inspector::RedactionPolicy& redaction = {}, const ProgressFn& progress = {});
// The formats, their detection and the limits (256 MiB per file, kMaxImportBytes) are described in
// ImportParse.hpp; the whole file is parsed and checked before the store is opened.

} // namespace dapscope::storage
