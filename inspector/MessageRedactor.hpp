#pragma once
// Redaction of one session's messages: default secrets, user rules, and every secret learned so far.

#include "JsonPath.hpp"
#include "KnownSecrets.hpp"
#include "MessageDecoder.hpp"
#include "Redactor.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::inspector
{

class MessageRedactor
{
  public:
    // Invalid user rules are skipped here; callers reject them up front with ValidateRedactionRule.
    explicit MessageRedactor(const RedactionPolicy& policy);

    bool Enabled() const { return m_enabled; }

    // Redact a decoded message in place (its document and envelope strings) and remember its secrets.
    // Returns the bytes to store instead of `bytes` when anything had to be replaced. `requestCommand` is the
    // command of the request a response answers.
    std::optional<std::string> Redact(DecodedMessage& message, std::string_view bytes, bool truncated,
                                      std::string_view requestCommand);

    // Replace every secret learned so far inside arbitrary bytes.
    bool ScrubKnownSecrets(std::string& bytes) const;

    // HTTP messages (plain HTTP on the proxy port, the heads of WebSocket upgrades): credentials in headers and
    // in the query (Authorization, Cookie, Set-Cookie, ?auth=, names with KEY/TOKEN/SECRET/PASSWORD) become
    // markers and are learned, then every known secret is scrubbed. Returns the head to store.
    std::string RedactHttpHead(std::string_view head);
    // A body: a JSON document gets the user rules and its string values under secret-looking names replaced;
    // every known secret is scrubbed. Returns the bytes to store instead of `body` when anything changed.
    std::optional<std::string> RedactHttpBody(std::string_view body, bool truncated);

  private:
    struct Found
    {
        size_t count = 0;                 // values replaced by a marker
        bool structural = false;          // some were not strings: the bytes must be re-serialised
        std::vector<std::string> strings; // the string values replaced
    };

    // Replace every secret value of `document` (default targets and user rules) by its marker.
    void RedactDocument(boost::json::value& document, const Envelope& env, std::string_view requestCommand,
                        Found& found) const;
    static void ReplaceValue(boost::json::value& value, Found& found);
    static void ReplaceContainers(boost::json::value& value, const std::vector<boost::json::value*>& targets,
                                  Found& found);
    // Whether redacted JSON text parses and holds no secret any more.
    bool IsClean(std::string_view json, const Envelope& env, std::string_view requestCommand) const;
    // Replace secrets in the decoded string fields (`replaced` also catches values too short to scrub).
    void ScrubEnvelope(Envelope& env, const std::vector<std::string>& replaced) const;

    bool m_enabled = true;         // policy.enabled
    std::vector<JsonPath> m_rules; // compiled user rules
    KnownSecrets m_secrets;        // every secret seen in this session
};

} // namespace dapscope::inspector
