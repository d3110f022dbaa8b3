#include "ServeCore.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

namespace dapscope::replay
{

namespace
{

using inspector::Direction;
using inspector::Kind;
using inspector::Opcode;

// Unused recorded requests compared with an incoming one: the closest wins, the earliest on a tie.
constexpr size_t kMatchWindow = 32;

std::string_view Subcommand(const json::value& request)
{
    const json::value* arguments = Member(request, "arguments");
    return arguments ? StringMember(*arguments, "subcommand") : std::string_view();
}

} // namespace

// [SECTION] ServeScript

ServeScript::ServeScript(const Recording& recording)
{
    const auto& messages = recording.messages;
    std::unordered_map<size_t, size_t> entryOfMessage; // request message index -> entry
    std::set<std::string> presented;                   // markers the original client sent
    for (const RecordedMessage& message : messages)
        if (message.dir == Direction::ClientToServer)
            for (std::string& marker : MarkersIn(message.bytes))
                presented.insert(std::move(marker));

    std::set<std::string> noted;
    std::optional<size_t> owner; // the entry engine messages are attributed to: the last request
    int64_t ownerNs = 0;         // when that request came
    for (size_t i = 0; i < messages.size(); ++i)
    {
        const RecordedMessage& message = messages[i];
        if (message.opcode == Opcode::Close)
            continue;
        Frame frame = ParseFrame(message.opcode == Opcode::Binary, message.bytes);
        if (!frame.doc.is_object())
            continue; // nothing a client could make sense of
        if (message.dir == Direction::ClientToServer)
        {
            if (message.kind != Kind::Request)
                continue;
            Entry entry;
            entry.command = message.command;
            entry.subcommand = std::string(Subcommand(frame.doc));
            entry.request = std::move(frame);
            auto [list, added] = m_listOf.try_emplace({entry.command, entry.subcommand}, m_lists.size());
            if (added)
                m_lists.emplace_back();
            m_lists[list->second].push_back(m_entries.size());
            owner = entryOfMessage[i] = m_entries.size();
            ownerNs = message.tsNs;
            m_entries.push_back(std::move(entry));
            continue;
        }

        Reply reply;
        reply.frame = m_frames.size();
        if (message.kind == Kind::Response)
        {
            auto request = message.pair ? entryOfMessage.find(*message.pair) : entryOfMessage.end();
            if (request == entryOfMessage.end())
                continue; // an orphan: nothing asked for it
            Entry& entry = m_entries[request->second];
            reply.response = !entry.answered;
            entry.answered = true;
            reply.delayNs = message.tsNs - messages[*message.pair].tsNs;
            entry.replies.push_back(reply);
        }
        else if (owner)
        {
            reply.delayNs = message.tsNs - ownerNs;
            m_entries[*owner].replies.push_back(reply);
        }
        else
        {
            reply.delayNs = message.tsNs - recording.session.startedNs;
            m_greeting.push_back(reply);
        }

        std::vector<MarkerAt> markers;
        std::string path = "$";
        if (message.bytes.find("[redacted:") != std::string::npos)
            FindMarkers(frame.doc, path, markers);
        for (const MarkerAt& at : markers)
        {
            if (presented.count(at.marker) || !noted.insert(at.marker).second)
                continue;
            const std::string what = message.kind == Kind::Event ? "the " + message.event + " event"
                                                                 : "the " + message.command + " response";
            m_notes.push_back(at.marker + " at " + at.path + " of " + what + " (message " + std::to_string(message.id) +
                              ") has no counterpart among the client's values: it is served as the marker");
        }
        m_frames.push_back(std::move(frame));
    }
}

// [SECTION] ServeSession

ServeSession::ServeSession(const ServeScript& script, double timing)
    : m_script(script), m_timing(timing), m_used(script.m_entries.size(), false), m_cursor(script.m_lists.size(), 0)
{
}

void ServeSession::Schedule(int64_t dueNs, Pending pending)
{
    m_queue.emplace(std::make_pair(dueNs, m_order++), std::move(pending));
}

void ServeSession::OnOpen(int64_t nowNs)
{
    for (const auto& reply : m_script.m_greeting)
        Schedule(nowNs + static_cast<int64_t>(std::llround(static_cast<double>(reply.delayNs) * m_timing)),
                 {&m_script.m_frames[reply.frame], std::nullopt, {}});
}

void ServeSession::Refuse(int64_t nowNs, std::optional<int64_t> seq, std::string_view command, std::string message)
{
    json::object error{{"type", "response"},
                       {"request_seq", seq ? json::value(*seq) : json::value(nullptr)},
                       {"command", command},
                       {"success", false},
                       {"message", std::move(message)},
                       {"trace", json::object{{"file", "serve-replay"}, {"lineno", 0}}}};
    Schedule(nowNs, {nullptr, std::nullopt, std::move(error)});
}

void ServeSession::OnMessage(int64_t nowNs, bool binary, std::string_view bytes)
{
    const Frame live = ParseFrame(binary, bytes);
    if (StringMember(live.doc, "type") != "request")
        return; // the engine ignores anything else
    const std::string command(StringMember(live.doc, "command"));
    const std::string subcommand(Subcommand(live.doc));
    const std::optional<int64_t> seq = IntMember(live.doc, "seq");
    const std::string name = command + (subcommand.empty() ? "" : " " + subcommand);

    const size_t index = Match(command, subcommand, live);
    if (index == SIZE_MAX)
    {
        Refuse(nowNs, seq, command, "serve-replay: the capture has no " + name + " request to answer this with");
        return;
    }
    m_used[index] = true;
    const ServeScript::Entry& entry = m_script.m_entries[index];
    // What this client presents where the original client presented something else (its key, its ids).
    m_remap.Learn(entry.request.doc, live.doc);
    for (const auto& reply : entry.replies)
        Schedule(nowNs + static_cast<int64_t>(std::llround(static_cast<double>(reply.delayNs) * m_timing)),
                 {&m_script.m_frames[reply.frame], reply.response ? seq : std::nullopt, {}});
    if (!entry.answered) // never leave a client waiting
        Refuse(nowNs, seq, command, "serve-replay: the capture holds this " + name + " request but not its response");
}

size_t ServeSession::Match(const std::string& command, const std::string& subcommand, const Frame& live)
{
    auto list = m_script.m_listOf.find({command, subcommand});
    if (list == m_script.m_listOf.end())
        return SIZE_MAX;
    const std::vector<size_t>& candidates = m_script.m_lists[list->second];
    size_t& cursor = m_cursor[list->second];
    while (cursor < candidates.size() && m_used[candidates[cursor]])
        ++cursor;

    size_t best = SIZE_MAX;
    size_t bestDistance = SIZE_MAX;
    size_t compared = 0;
    for (size_t i = cursor; i < candidates.size() && compared < kMatchWindow; ++i)
    {
        if (m_used[candidates[i]])
            continue;
        ++compared;
        const size_t distance = Distance(m_script.m_entries[candidates[i]].request.doc, live.doc) +
                                (m_script.m_entries[candidates[i]].request.payload != live.payload);
        if (distance < bestDistance)
        {
            best = candidates[i];
            bestDistance = distance;
        }
        if (distance == 0)
            break;
    }
    if (best != SIZE_MAX)
        return best;
    // Every recorded one was used: answer as the closest of the latest ones did (a client polling more often).
    for (size_t i = candidates.size(); i-- > 0 && compared < kMatchWindow; ++compared)
    {
        const size_t distance = Distance(m_script.m_entries[candidates[i]].request.doc, live.doc);
        if (distance < bestDistance)
        {
            best = candidates[i];
            bestDistance = distance;
        }
    }
    return best;
}

size_t ServeSession::Distance(const json::value& recorded, const json::value& live) const
{
    if (const auto* object = recorded.if_object())
    {
        const auto* other = live.if_object();
        if (!other)
            return 1;
        size_t distance = 0;
        for (const auto& member : *object)
        {
            if (member.key() == "seq")
                continue; // every client numbers its own requests
            const json::value* value = other->if_contains(member.key());
            distance += value ? Distance(member.value(), *value) : 1;
        }
        for (const auto& member : *other)
            distance += !object->contains(member.key());
        return distance;
    }
    if (const auto* array = recorded.if_array())
    {
        const auto* other = live.if_array();
        if (!other)
            return 1;
        size_t distance = std::max(array->size(), other->size()) - std::min(array->size(), other->size());
        for (size_t i = 0; i < std::min(array->size(), other->size()); ++i)
            distance += Distance((*array)[i], (*other)[i]);
        return distance;
    }
    if (const auto* text = recorded.if_string())
    {
        if (!live.is_string())
            return 1;
        if (*text == live.get_string() || IsMarker(*text))
            return 0; // a secret: any value fits
        const std::string* now = m_remap.Lookup(*text);
        return now && *now == live.get_string() ? 0 : 1;
    }
    if (recorded.is_number() && live.is_number())
        return recorded.to_number<double>() == live.to_number<double>() ? 0 : 1;
    return recorded == live ? 0 : 1;
}

std::vector<ServedMessage> ServeSession::TakeDue(int64_t nowNs)
{
    std::vector<ServedMessage> out;
    while (!m_queue.empty() && m_queue.begin()->first.first <= nowNs)
    {
        Pending pending = std::move(m_queue.begin()->second);
        m_queue.erase(m_queue.begin());
        Frame frame;
        if (pending.recorded)
        {
            frame = *pending.recorded;
            m_remap.Apply(frame.doc, {});
            m_remap.ApplyToMarkers(frame.payload);
        }
        else
            frame.doc = std::move(pending.error);
        auto& object = frame.doc.as_object();
        object["seq"] = ++m_seq;
        if (pending.requestSeq)
            object["request_seq"] = *pending.requestSeq;
        out.push_back({frame.binary, SerializeFrame(frame)});
    }
    return out;
}

std::optional<int64_t> ServeSession::NextDueNs() const
{
    if (m_queue.empty())
        return std::nullopt;
    return m_queue.begin()->first.first;
}

} // namespace dapscope::replay
