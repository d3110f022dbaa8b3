#pragma once
// Import of HAR files (Chrome DevTools, mitmproxy, Proxyman, dapscope) and dapscope JSONL into new sessions,
// decoded by the inspector exactly like live captures. All or nothing: a bad file leaves the store untouched.

#include "Export.hpp"
#include "ExportEncoding.hpp"
#include "inspector/Redactor.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dapscope::storage
{

// A file that cannot be imported; what() names the file and the position ("file.har: log.entries[3]: ...",
// "file.jsonl:17: ...", "file.har:3:14: ...").
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

struct ImportOptions
{
    uint64_t maxMessageBytes = kMaxMessageBytes; // --max-message-bytes: a larger message is refused
    size_t blockBytes = size_t(1) << 20;         // bytes of the file read at a time
};

// Import `file` into the store at `storePath` (created if missing). Redaction applies as for a capture.
// `progress` gets the bytes of the file read so far and its size.
//
// The file is parsed as it is read (ImportParse.hpp describes the formats and their detection) and written in
// batches within one transaction, so memory is bounded by the batch and the largest message, not by the file.
// When any byte of it turns out bad, the transaction is rolled back (and a store the import created is
// removed): the store is as it was, and the ImportError says where the problem is.
ImportResult ImportFile(const std::string& storePath, const std::string& file,
                        const inspector::RedactionPolicy& redaction = {}, const ProgressFn& progress = {},
                        const ImportOptions& options = {});

} // namespace dapscope::storage
