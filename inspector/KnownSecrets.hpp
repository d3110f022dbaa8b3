#pragma once
// The secrets learned in one session and their textual scrubbing from raw bytes.

#include <boost/json.hpp>

#include <bitset>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::inspector
{

// Shorter secrets are not searched for in raw bytes: replacing every "abc" would shred unrelated data.
inline constexpr size_t MinScrubLength = 4;

class KnownSecrets
{
  public:
    // Remember `secret` (ignored when shorter than MinScrubLength or already known).
    void Add(std::string_view secret);

    bool Empty() const { return m_secrets.empty(); }

    // Copy `in` to `out` with every known secret (raw, or JSON-escaped as PY and TS write it) replaced by its
    // marker; when `cut` (the bytes are a truncated prefix) a trailing partial secret is replaced too.
    // Returns false, leaving `out` untouched, when nothing had to be replaced.
    bool Scrub(std::string_view in, std::string& out, bool cut = false) const;

    // Whether the JSON text holds an escape sequence that decodes to a character of some secret, so that an
    // occurrence could be spelled in a way Scrub does not search for.
    bool MayHideInEscapes(std::string_view json) const;

    // Whether any string or key of the document contains a known secret.
    bool Contains(const boost::json::value& value) const;

    // Replace known secrets inside every string and key of the document.
    void ScrubDocument(boost::json::value& value) const;

  private:
    struct Pattern
    {
        std::string text;   // one spelling of a secret as it can appear in bytes
        std::string marker; // what replaces it
    };

    std::vector<Pattern> m_secrets;  // each secret as decoded text (what a parsed JSON string holds)
    std::vector<Pattern> m_patterns; // every spelling of every secret in raw bytes, longest first
    std::bitset<128> m_asciiChars;   // ASCII characters that occur in some secret
    bool m_nonAscii = false;         // some secret has a non-ASCII character
};

} // namespace dapscope::inspector
