#include "MessageRedactor.hpp"

#include <algorithm>
#include <cctype>

namespace dapscope::inspector
{
namespace
{

// Environment variables passed to execute/launch/restart whose values are credentials.
bool IsSecretEnvName(std::string_view name)
{
    std::string upper(name);
    for (auto& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (std::string_view word : {"KEY", "TOKEN", "SECRET", "PASSWORD"})
        if (upper.find(word) != std::string::npos)
            return true;
    return false;
}

boost::json::object* ObjectAt(boost::json::object* object, std::string_view key)
{
    auto* value = object ? object->if_contains(key) : nullptr;
    return value ? value->if_object() : nullptr;
}

// The values that hold secrets by default (§5.7: credentials, user tokens, env credentials).
void CollectDefaultTargets(boost::json::object* root, const Envelope& env, std::string_view requestCommand,
                           std::vector<boost::json::value*>& out)
{
    const auto add = [&out](boost::json::object* object, std::string_view key)
    {
        if (auto* value = object ? object->if_contains(key) : nullptr)
            out.push_back(value);
    };
    if (env.kind == Kind::Request && env.command == "auth")
    {
        add(ObjectAt(root, "arguments"), "auth");
    }
    else if (env.kind == Kind::Request &&
             (env.command == "execute" || env.command == "launch" || env.command == "restart"))
    {
        if (auto* variables = ObjectAt(ObjectAt(root, "arguments"), "env"))
            for (auto& variable : *variables)
                if (IsSecretEnvName(variable.key()))
                    out.push_back(&variable.value());
    }
    else if ((env.kind == Kind::Response && (env.command == "auth" || requestCommand == "auth")) ||
             (env.kind == Kind::Event && env.event == "apaext_account"))
    {
        add(ObjectAt(root, "body"), "userToken");
    }
}

} // namespace

MessageRedactor::MessageRedactor(const RedactionPolicy& policy) : m_enabled(policy.enabled)
{
    for (const auto& rule : policy.userRules)
        try
        {
            m_rules.push_back(ParseJsonPath(rule));
        }
        catch (const JsonPathError&)
        {
            // skipped (see the header)
        }
}

void MessageRedactor::ReplaceValue(boost::json::value& value, Found& found)
{
    std::string marker;
    if (const auto* string = value.if_string())
    {
        if (MarkerFingerprint(*string))
            return; // already redacted (e.g. a replayed capture)
        found.strings.emplace_back(*string);
        marker = RedactionMarker(found.strings.back());
    }
    else
    {
        found.structural = true;
        marker = RedactionMarker(boost::json::serialize(value));
    }
    value.emplace_string().assign(marker.data(), marker.size());
    ++found.count;
}

void MessageRedactor::ReplaceContainers(boost::json::value& value, const std::vector<boost::json::value*>& targets,
                                        Found& found)
{
    // Post-order: a container is replaced only after everything inside it.
    if (auto* object = value.if_object())
        for (auto& member : *object)
            ReplaceContainers(member.value(), targets, found);
    else if (auto* array = value.if_array())
        for (auto& element : *array)
            ReplaceContainers(element, targets, found);
    if (std::binary_search(targets.begin(), targets.end(), &value))
        ReplaceValue(value, found);
}

void MessageRedactor::RedactDocument(boost::json::value& document, const Envelope& env, std::string_view requestCommand,
                                     Found& found) const
{
    std::vector<boost::json::value*> targets;
    CollectDefaultTargets(document.if_object(), env, requestCommand, targets);
    for (const auto& rule : m_rules)
        SelectJsonPath(rule, document, targets);
    if (targets.empty())
        return;
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    // Scalars can be replaced right away; replacing a container frees what is inside it, so those go last.
    std::vector<boost::json::value*> containers;
    for (auto* target : targets)
    {
        if (target->is_structured())
            containers.push_back(target);
        else
            ReplaceValue(*target, found);
    }
    if (!containers.empty())
        ReplaceContainers(document, containers, found);
}

bool MessageRedactor::IsClean(std::string_view json, const Envelope& env, std::string_view requestCommand) const
{
    JsonReader reader;
    auto* document = reader.Parse(json);
    if (!document)
        return false;
    Found again;
    RedactDocument(*document, env, requestCommand, again);
    return again.count == 0 && !m_secrets.Contains(*document);
}

void MessageRedactor::ScrubEnvelope(Envelope& env, const std::vector<std::string>& replaced) const
{
    for (std::string* field :
         {&env.command, &env.subcommand, &env.event, &env.message, &env.traceFile, &env.token, &env.malformedReason})
    {
        if (field->empty())
            continue;
        if (std::find(replaced.begin(), replaced.end(), *field) != replaced.end())
        {
            *field = RedactionMarker(*field);
            continue;
        }
        std::string scrubbed;
        if (m_secrets.Scrub(*field, scrubbed))
            *field = std::move(scrubbed);
    }
}

std::optional<std::string> MessageRedactor::Redact(DecodedMessage& message, std::string_view bytes, bool truncated,
                                                   std::string_view requestCommand)
{
    if (!m_enabled)
        return std::nullopt;
    Envelope& env = message.envelope;
    Found found;
    if (message.document)
        RedactDocument(*message.document, env, requestCommand, found);
    for (const auto& secret : found.strings)
    {
        m_secrets.Add(secret);
        // The server strips a "Bearer " prefix from credentials: the bare key is a secret too.
        if (secret.starts_with("Bearer "))
            m_secrets.Add(std::string_view(secret).substr(7));
    }
    if (found.count == 0 && m_secrets.Empty())
        return std::nullopt;

    // Textual replacement keeps the sender's formatting; the JSON header and the payload are scrubbed apart.
    const Framing& framing = message.framing;
    const bool split = framing.hasPayload;
    const std::string_view headIn = split ? framing.json : bytes;
    std::string head;
    std::string payload;
    bool headChanged = m_secrets.Scrub(headIn, head, truncated && !split);
    const bool payloadChanged = split && m_secrets.Scrub(framing.payload, payload, truncated);
    if (message.document)
    {
        const std::string_view headNow = headChanged ? std::string_view(head) : headIn;
        // Check by parsing again when something was replaced (a secret outside a string, e.g. "1234" in a number,
        // breaks the JSON) or when an escape sequence could spell a secret that the text search missed.
        const bool suspicious = found.count > 0 || headChanged || m_secrets.MayHideInEscapes(headNow);
        if (found.structural || (suspicious && !IsClean(headNow, env, requestCommand)))
        {
            // A non-string secret or an exotic spelling: store the redacted document instead.
            m_secrets.ScrubDocument(*message.document);
            head = boost::json::serialize(*message.document);
            headChanged = true;
        }
    }
    ScrubEnvelope(env, found.strings);
    if (!headChanged && !payloadChanged)
        return std::nullopt;
    std::string out = headChanged ? std::move(head) : std::string(headIn);
    if (split)
    {
        out += '\n';
        out += payloadChanged ? std::string_view(payload) : framing.payload;
    }
    return out;
}

bool MessageRedactor::ScrubKnownSecrets(std::string& bytes) const
{
    std::string scrubbed;
    if (!m_enabled || !m_secrets.Scrub(bytes, scrubbed))
        return false;
    bytes = std::move(scrubbed);
    return true;
}

} // namespace dapscope::inspector
