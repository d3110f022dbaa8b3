#include "Replayer.hpp"

#include "Compare.hpp"

#include "inspector/Redactor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dapscope::replay
{

namespace
{

using inspector::Direction;
using inspector::Kind;
using inspector::Opcode;

// How long the end of a replay waits for events still expected after the last answer.
constexpr int64_t kDrainGraceNs = 1'000'000'000;
// How long a close handshake may take before the replay ends anyway.
constexpr int64_t kCloseWaitNs = 2'000'000'000;
std::string Seconds(int64_t ns)
{
    char text[32];
    std::snprintf(text, sizeof text, "%g s", static_cast<double>(ns) / 1e9);
    return text;
}

} // namespace

Replayer::Replayer(const Recording& recording, ReplayOptions options)
    : m_recording(recording), m_options(std::move(options))
{
    m_report.session = recording.session.id;
    m_secrets.Add(m_options.apiKey);
    Plan();
    CheckSecrets();
}

// [SECTION] Planning: the items, what each waits for, the report rows.

void Replayer::Plan()
{
    const auto& messages = m_recording.messages;
    std::vector<size_t> responsePositions; // message index of each recorded response of an item, sorted
    for (size_t i = 0; i < messages.size(); ++i)
    {
        const RecordedMessage& message = messages[i];
        if (message.dir == Direction::ServerToClient)
        {
            if (message.kind == Kind::Event)
                ++m_events[message.event].then;
            continue;
        }
        if (message.opcode == Opcode::Close)
        {
            if (!m_recordedClose)
            {
                m_recordedClose = DecodeClose(message.bytes);
                m_recordedCloseTs = message.tsNs;
            }
            continue;
        }
        if (m_recordedClose)
            break; // nothing goes after the client's own close
        Item item;
        item.message = i;
        item.frame = ParseFrame(message.opcode == Opcode::Binary, message.bytes);
        if (!message.complete)
            throw ReplayError("message " + std::to_string(message.id) + " (" + message.command +
                              ") was not stored in full (truncated or elided at capture), so it cannot be replayed");
        if (message.kind == Kind::Request && item.frame.doc.is_object())
        {
            item.seq = IntMember(item.frame.doc, "seq").value_or(0);
            item.scope = RequestToken(item.frame.doc);
            if (message.pair && messages[*message.pair].kind == Kind::Response)
            {
                item.response = message.pair;
                responsePositions.push_back(*message.pair);
            }
            RequestResult row;
            row.index = m_report.requests.size() + 1;
            row.seq = message.seq;
            row.command = message.command;
            row.subcommand = message.subcommand;
            row.latencyThenNs = message.latencyNs;
            if (item.response)
                row.successThen = messages[*item.response].success.value_or(true);
            item.result = m_report.requests.size();
            m_report.requests.push_back(std::move(row));
        }
        m_items.push_back(std::move(item));
    }

    // Responses in the order they came, and for each item how many of them it waits for.
    std::sort(responsePositions.begin(), responsePositions.end());
    m_responseOrder.resize(responsePositions.size());
    std::vector<size_t> rankOfItem(m_items.size(), kNone);
    for (size_t i = 0; i < m_items.size(); ++i)
    {
        if (!m_items[i].response)
            continue;
        auto at = std::lower_bound(responsePositions.begin(), responsePositions.end(), *m_items[i].response);
        rankOfItem[i] = static_cast<size_t>(at - responsePositions.begin());
        m_responseOrder[rankOfItem[i]] = i;
    }
    size_t afterAuth = 0; // the engine drops sockets that send before auth is answered
    for (size_t i = 0; i < m_items.size(); ++i)
    {
        Item& item = m_items[i];
        auto before = std::lower_bound(responsePositions.begin(), responsePositions.end(), item.message);
        item.waitFor = std::max(static_cast<size_t>(before - responsePositions.begin()), afterAuth);
        if (messages[item.message].command == "auth" && rankOfItem[i] != kNone)
            afterAuth = std::max(afterAuth, rankOfItem[i] + 1);
    }
}

// [SECTION] Secrets (issue 8): the API key given now replaces the original key's marker; any other marker a
// request needs must come from an earlier response, or the replay does not start.

void Replayer::CheckSecrets()
{
    const auto& messages = m_recording.messages;
    for (const Item& item : m_items)
    {
        if (messages[item.message].command != "auth")
            continue;
        const json::value* arguments = Member(item.frame.doc, "arguments");
        std::string credential(arguments ? StringMember(*arguments, "auth") : std::string_view());
        if (inspector::MarkerFingerprint(credential))
            m_keyMarker = credential;
        if (!m_options.apiKey.empty() && !credential.empty())
            m_remap.Add(credential, m_options.apiKey);
        break;
    }

    std::vector<std::string> available; // markers that will have a value when a later request needs them
    if (!m_options.apiKey.empty() && !m_keyMarker.empty())
        available.push_back(m_keyMarker);
    size_t next = 0;
    for (size_t i = 0; i < messages.size(); ++i)
    {
        if (messages[i].dir == Direction::ServerToClient)
        {
            if (messages[i].kind == Kind::Response)
                for (std::string& marker : MarkersIn(messages[i].bytes))
                    available.push_back(std::move(marker));
            continue;
        }
        if (next >= m_items.size() || m_items[next].message != i)
            continue;
        const Item& item = m_items[next++];
        if (messages[i].bytes.find("[redacted:") == std::string::npos)
            continue;
        std::vector<MarkerAt> found;
        std::string path = "$";
        if (item.frame.doc.is_null())
            for (std::string& marker : MarkersIn(messages[i].bytes))
                found.push_back({"$", std::move(marker)});
        else
            FindMarkers(item.frame.doc, path, found);
        for (std::string& marker : MarkersIn(item.frame.payload))
            found.push_back({"$.arguments.data", std::move(marker)});
        for (const MarkerAt& at : found)
        {
            if (std::find(available.begin(), available.end(), at.marker) != available.end())
                continue;
            if (at.marker == m_keyMarker)
                throw ReplayError("the capture's API key is redacted (" + at.marker + " at " + at.path + " of " +
                                  Describe(item) + "): give the key with --apikey KEY or $ROCKETRIDE_APIKEY");
            if (m_options.allowMarkers)
                continue;
            throw ReplayError(Describe(item) + " needs the redacted value at " + at.path + " (" + at.marker +
                              "), which the capture does not hold; --allow-markers sends the marker as it is");
        }
    }
}

std::string Replayer::Describe(const Item& item) const
{
    const RecordedMessage& message = m_recording.messages[item.message];
    if (item.result == kNone)
        return "message " + std::to_string(message.id);
    std::string name = message.command + (message.subcommand.empty() ? "" : " " + message.subcommand);
    return "request " + std::to_string(item.result + 1) + " (" + name + ", seq " + std::to_string(item.seq) + ")";
}

// [SECTION] Running

int64_t Replayer::Scaled(int64_t gapNs) const
{
    return gapNs <= 0 ? 0 : static_cast<int64_t>(std::llround(static_cast<double>(gapNs) * m_options.timing));
}

int64_t Replayer::Due(const Item& item) const
{
    if (m_options.timing <= 0)
        return 0;
    const auto& messages = m_recording.messages;
    const int64_t recorded = messages[item.message].tsNs;
    int64_t due = m_startNs;
    if (m_lastSentNs >= 0)
        due = std::max(due, m_lastSentNs + Scaled(recorded - m_lastSentRecordedNs));
    if (item.waitFor > 0)
    {
        // Keep the think time after the last answer it waited for, too.
        const Item& last = m_items[m_responseOrder[item.waitFor - 1]];
        due = std::max(due, last.settledNs + Scaled(recorded - messages[*last.response].tsNs));
    }
    return due;
}

int64_t Replayer::CloseDue() const
{
    if (m_options.timing <= 0 || !m_recordedClose || m_lastSentNs < 0)
        return 0;
    return m_lastSentNs + Scaled(m_recordedCloseTs - m_lastSentRecordedNs);
}

bool Replayer::EventsComplete() const
{
    return std::all_of(m_events.begin(), m_events.end(), [](const auto& e) { return e.second.now >= e.second.then; });
}

ReplayStep Replayer::Poll(int64_t nowNs)
{
    ReplayStep step;
    if (m_startNs < 0)
        m_startNs = nowNs;
    int64_t wake = INT64_MAX;
    ExpireTimeouts(nowNs);
    while (m_settledPrefix < m_responseOrder.size() && m_items[m_responseOrder[m_settledPrefix]].settledNs >= 0)
        ++m_settledPrefix;

    while (m_phase == Phase::Sending && m_next < m_items.size())
    {
        Item& item = m_items[m_next];
        if (m_settledPrefix < item.waitFor)
            break; // an answer it may depend on is still out
        const int64_t due = Due(item);
        if (due > nowNs)
        {
            wake = due;
            break;
        }
        if (!Send(item, nowNs, step))
            break;
        ++m_next;
    }
    if (m_phase == Phase::Sending && m_next == m_items.size() && m_inFlight.empty())
    {
        m_phase = Phase::Draining;
        m_drainStartNs = nowNs;
    }
    if (m_phase == Phase::Draining)
    {
        const int64_t grace = m_drainStartNs + std::min(kDrainGraceNs, m_options.timeoutNs);
        const int64_t closeAt = std::max(EventsComplete() ? nowNs : grace, CloseDue());
        if (closeAt <= nowNs)
        {
            m_closeRequested = true;
            m_phase = Phase::Closing;
        }
        else
            wake = std::min(wake, closeAt);
    }
    if (m_closeRequested && !m_connectionClosed)
    {
        step.close = m_recordedClose && m_report.outcome != Outcome::CouldNotRun
                         ? *m_recordedClose
                         : std::pair<uint16_t, std::string>{1000, "replay done"};
        if (step.close->first == 1005 || step.close->first == 1006)
            step.close->first = 1000;
        m_closeRequested = false;
        m_closeSentNs = nowNs;
    }
    if (m_phase == Phase::Closing && (m_connectionClosed || nowNs >= m_closeSentNs + kCloseWaitNs))
        m_phase = Phase::Done;
    if (m_phase == Phase::Closing)
        wake = std::min(wake, m_closeSentNs + kCloseWaitNs);
    if (!m_inFlight.empty())
        wake = std::min(wake, m_items[m_inFlight.front()].sentNs + m_options.timeoutNs);
    step.finished = m_phase == Phase::Done;
    step.wakeNs = wake;
    return step;
}

bool Replayer::Send(Item& item, int64_t nowNs, ReplayStep& step)
{
    const RecordedMessage& message = m_recording.messages[item.message];
    const bool hasMarkers = message.bytes.find("[redacted:") != std::string::npos;
    OutgoingMessage out;
    out.binary = item.frame.binary;
    // The frame is rewritten in place: it is not needed once sent.
    const bool changed = m_remap.Apply(item.frame.doc, item.scope) | m_remap.ApplyToMarkers(item.frame.payload);
    if (item.frame.doc.is_null())
    {
        out.bytes = message.bytes;
        m_remap.ApplyToMarkers(out.bytes);
    }
    else
        out.bytes = changed ? SerializeFrame(item.frame) : message.bytes;
    item.frame = {};
    // Never send a marker by accident: one left now had no counterpart (only --allow-markers lets it go).
    if (hasMarkers && !m_options.allowMarkers)
    {
        const Frame sent = ParseFrame(out.binary, out.bytes);
        std::vector<MarkerAt> left;
        std::string path = "$";
        FindMarkers(sent.doc, path, left);
        for (std::string& marker : MarkersIn(sent.doc.is_null() ? std::string_view(out.bytes) : sent.payload))
            left.push_back({sent.doc.is_null() ? "$" : "$.arguments.data", std::move(marker)});
        if (!left.empty())
        {
            Abort(Describe(item) + " needs the redacted value at " + left.front().path + " (" + left.front().marker +
                  "), and the engine's answers gave nothing to replace it with");
            return false;
        }
    }
    step.send.push_back(std::move(out));
    item.sentNs = nowNs;
    m_lastSentNs = nowNs;
    m_lastSentRecordedNs = message.tsNs;
    const size_t index = static_cast<size_t>(&item - m_items.data());
    if (item.result != kNone)
        m_awaiting.emplace(item.seq, index);
    if (item.response)
        m_inFlight.push_back(index);
    return true;
}

void Replayer::Settle(Item& item, int64_t nowNs)
{
    if (item.settledNs >= 0)
        return;
    item.settledNs = nowNs;
    if (item.result != kNone)
        ++m_settledRequests;
}

void Replayer::ExpireTimeouts(int64_t nowNs)
{
    while (!m_inFlight.empty())
    {
        Item& item = m_items[m_inFlight.front()];
        if (item.settledNs < 0)
        {
            if (nowNs - item.sentNs < m_options.timeoutNs)
                break;
            RequestResult& row = m_report.requests[item.result];
            row.status = RequestStatus::Missing;
            row.note = "no response within " + Seconds(m_options.timeoutNs);
            Settle(item, nowNs);
        }
        m_inFlight.pop_front();
    }
}

void Replayer::Abort(std::string reason)
{
    if (m_report.outcome != Outcome::CouldNotRun)
    {
        m_report.outcome = Outcome::CouldNotRun;
        m_report.reason = std::move(reason);
    }
    if (m_phase == Phase::Closing || m_phase == Phase::Done)
        return;
    m_phase = m_connectionClosed ? Phase::Done : Phase::Closing;
    m_closeRequested = !m_connectionClosed;
}

void Replayer::OnMessage(int64_t nowNs, bool binary, std::string_view bytes)
{
    Frame live = ParseFrame(binary, bytes);
    const std::string_view type = StringMember(live.doc, "type");
    if (type == "event")
    {
        ++m_events[std::string(StringMember(live.doc, "event"))].now;
        return;
    }
    if (type != "response")
        return;
    // The first request sent with that seq (a multimap keeps equal keys in insertion order).
    const int64_t requestSeq = IntMember(live.doc, "request_seq").value_or(INT64_MIN);
    auto awaiting = m_awaiting.lower_bound(requestSeq);
    if (awaiting == m_awaiting.end() || awaiting->first != requestSeq)
    {
        ++m_report.unexpectedResponses;
        return;
    }
    Item& item = m_items[awaiting->second];
    m_awaiting.erase(awaiting);
    if (item.settledNs >= 0)
    {
        m_report.requests[item.result].note += "; answered after that";
        return;
    }
    Compare(item, live, nowNs);
    Settle(item, nowNs);
}

void Replayer::Compare(Item& item, const Frame& live, int64_t nowNs)
{
    RequestResult& row = m_report.requests[item.result];
    row.successNow = Succeeded(live.doc);
    row.latencyNowNs = nowNs - item.sentNs;
    if (!item.response)
    {
        row.status = RequestStatus::Differs;
        row.note = "answered now, unanswered in the capture";
        return;
    }
    const RecordedMessage& request = m_recording.messages[item.message];
    if (!CompareAnswer(request, item.scope, m_recording.messages[*item.response], live, m_remap, row.differences))
        row.note = "the captured response was not stored in full: only success is compared";
    // The report is printed and saved: what differs must not show a credential of the replay.
    if (request.command == "auth")
        m_secrets.Add(StringMember(BodyOf(live.doc), "userToken"));
    for (Difference& difference : row.differences)
    {
        std::string scrubbed;
        if (m_secrets.Scrub(difference.then, scrubbed))
            difference.then = std::move(scrubbed);
        if (m_secrets.Scrub(difference.now, scrubbed))
            difference.now = std::move(scrubbed);
    }
    row.status =
        row.successThen == row.successNow && row.differences.empty() ? RequestStatus::Matched : RequestStatus::Differs;
    if (request.command == "auth" && *row.successThen && !*row.successNow)
        Abort("the engine refused the credential: " + std::string(StringMember(live.doc, "message")) +
              (m_options.apiKey.empty() ? "" : " (check --apikey / $ROCKETRIDE_APIKEY)"));
}

void Replayer::OnClosed(int64_t nowNs, uint16_t code, std::string_view reason)
{
    m_connectionClosed = true;
    if (m_phase == Phase::Closing || m_phase == Phase::Done)
    {
        m_phase = Phase::Done;
        return;
    }
    const std::string why = "the engine closed the connection (" + std::to_string(code) +
                            (reason.empty() ? "" : " " + std::string(reason)) + ")";
    for (Item& item : m_items)
    {
        if (item.settledNs >= 0 || !item.response)
            continue;
        RequestResult& row = m_report.requests[item.result];
        row.status = RequestStatus::Missing;
        row.note = (item.sentNs < 0 ? "not sent: " : "no response: ") + why;
        Settle(item, nowNs);
    }
    m_inFlight.clear();
    m_phase = Phase::Done;
}

ReplayReport Replayer::TakeReport()
{
    for (Item& item : m_items)
    {
        if (item.settledNs >= 0 || !item.response)
            continue;
        RequestResult& row = m_report.requests[item.result];
        row.status = RequestStatus::Missing;
        if (row.note.empty())
            row.note = item.sentNs < 0 ? "not sent" : "no response";
    }
    m_report.events.clear();
    for (auto& [name, count] : m_events)
    {
        count.event = name;
        m_report.events.push_back(count);
    }
    m_report.Settle();
    return std::move(m_report);
}

} // namespace dapscope::replay
