#include "ClientReplay.hpp"

#include "capture/Clock.hpp"
#include "capture/TapQueue.hpp"
#include "net/EngineUri.hpp"
#include "net/WsClient.hpp"
#include "storage/Recorder.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>

namespace dapscope::replay
{

namespace
{

using inspector::Direction;
using inspector::Opcode;

// The replay's own traffic, recorded as the relay records a proxied session: the same TapRecords, one whole
// message per chunk, consumed by a Recorder writing to the store (source "replay", replay_of = original).
class ReplayCapture
{
  public:
    ReplayCapture(const std::string& storePath, int64_t replayOf)
        : m_recorder(storePath, m_queue, storage::IngestOptions{{}, "replay", replayOf, {}})
    {
    }

    void Open(const std::string& upstream, const std::string& path)
    {
        capture::TapRecord record = Record(capture::TapRecord::Type::SessionOpen);
        record.client = "dapscope replay";
        record.path = path;
        record.upstream = upstream;
        m_queue.Push(std::move(record));
        m_queue.Push(Record(capture::TapRecord::Type::UpstreamOpen));
    }

    void Message(Direction dir, Opcode opcode, std::string bytes)
    {
        capture::TapRecord record = Record(capture::TapRecord::Type::Chunk);
        record.dir = dir;
        record.opcode = opcode;
        record.first = true;
        record.final = true;
        record.wireBytes = bytes.size();
        record.bytes = capture::SharedBytes(std::move(bytes));
        m_queue.Push(std::move(record));
    }

    void Close(const net::WsCloseInfo& info, bool byReplay)
    {
        capture::TapRecord record = Record(capture::TapRecord::Type::SessionClose);
        record.closeCode = info.code;
        record.closeReason = info.reason;
        record.closedBy = byReplay ? "client" : "upstream";
        record.error = info.error;
        m_queue.Push(std::move(record));
    }

    // Write everything and return the store id of the replay's session (0 if none was recorded).
    int64_t Finish()
    {
        m_recorder.Stop();
        return m_recorder.StoreSession(kSession);
    }

  private:
    static constexpr uint64_t kSession = 1; // the one relay-style session id of this capture

    static capture::TapRecord Record(capture::TapRecord::Type type)
    {
        capture::TapRecord record;
        record.type = type;
        record.session = kSession;
        record.ns = capture::WallNs();
        return record;
    }

    capture::TapQueue m_queue{64u << 20}; // room for bursts: the replay never waits for the writer
    storage::Recorder m_recorder;
};

std::string CloseBytes(uint16_t code, const std::string& reason)
{
    std::string bytes{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    return bytes + reason;
}

} // namespace

std::optional<double> ParseTiming(std::string_view text)
{
    if (text == "asap")
        return 0.0;
    if (text == "original")
        return 1.0;
    double factor = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), factor);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(factor) || factor < 0)
        return std::nullopt;
    return factor;
}

ReplayReport RunClientReplay(const ClientReplayOptions& options)
{
    ReplayReport failed;
    failed.session = options.session;
    failed.timing = options.timingLabel;
    const auto fail = [&failed](std::string reason)
    {
        failed.outcome = Outcome::CouldNotRun;
        failed.reason = std::move(reason);
        return failed;
    };

    net::EngineUri uri;
    try
    {
        uri = net::NormaliseEngineUri(options.to, "");
    }
    catch (const net::NetError& e)
    {
        return fail(std::string("--to: ") + e.what());
    }
    std::optional<Recording> recording;
    try
    {
        storage::TraceReader reader(options.storePath);
        recording = LoadRecording(reader, options.session);
    }
    catch (const std::exception& e)
    {
        return fail(e.what());
    }
    const std::string upstream = uri.ToString();
    uri.path = recording->session.path.starts_with('/') ? recording->session.path : "/task/service";
    failed.target = uri.ToString();

    std::optional<Replayer> replayer;
    try
    {
        replayer.emplace(*recording, options.replay);
    }
    catch (const ReplayError& e)
    {
        return fail(e.what());
    }
    std::unique_ptr<ReplayCapture> capture;
    try
    {
        if (options.capture)
            capture = std::make_unique<ReplayCapture>(options.storePath, options.session);
    }
    catch (const std::exception& e)
    {
        return fail(std::string("cannot record the replay: ") + e.what());
    }
    net::WsClientOptions clientOptions;
    clientOptions.url = failed.target;
    std::unique_ptr<net::WsClient> client;
    try
    {
        client = net::WsClient::Connect(clientOptions);
    }
    catch (const net::NetError& e)
    {
        return fail("cannot connect to " + failed.target + ": " + e.what());
    }
    if (capture)
        capture->Open(upstream, uri.path);

    const int64_t startNs = capture::MonoNs();
    int64_t progressNs = 0;
    bool closeSent = false;
    std::optional<net::WsCloseInfo> closed;
    while (true)
    {
        int64_t nowNs = capture::MonoNs();
        ReplayStep step = replayer->Poll(nowNs);
        for (OutgoingMessage& out : step.send)
        {
            if (capture)
                capture->Message(Direction::ClientToServer, out.binary ? Opcode::Binary : Opcode::Text, out.bytes);
            client->Send(out.binary ? net::FrameType::Binary : net::FrameType::Text, std::move(out.bytes));
        }
        if (step.close)
        {
            if (capture)
                capture->Message(Direction::ClientToServer, Opcode::Close,
                                 CloseBytes(step.close->first, step.close->second));
            client->Close(step.close->first, step.close->second);
            closeSent = true;
        }
        if (step.finished)
            break;
        if (options.progress && nowNs - progressNs >= 100'000'000)
        {
            options.progress(replayer->Settled(), replayer->Requests());
            progressNs = nowNs;
        }
        // Take everything that has arrived before deciding what to send next.
        const int64_t waitNs = std::clamp<int64_t>(step.wakeNs - nowNs, 0, 100'000'000);
        for (auto message = client->Receive(std::chrono::milliseconds((waitNs + 999'999) / 1'000'000)); message;
             message = client->Receive(std::chrono::milliseconds(0)))
        {
            if (message->type == net::FrameType::Pong)
                continue;
            const bool binary = message->type == net::FrameType::Binary;
            replayer->OnMessage(capture::MonoNs(), binary, message->data);
            if (capture)
                capture->Message(Direction::ServerToClient, binary ? Opcode::Binary : Opcode::Text,
                                 std::move(message->data));
        }
        if (!closed && client->IsClosed())
        {
            closed = client->WaitClosed(std::chrono::milliseconds(0));
            if (capture && closed->byPeer && !closeSent)
            {
                // The engine's close and the client library's answer to it, as both went over the wire.
                capture->Message(Direction::ServerToClient, Opcode::Close, CloseBytes(closed->code, closed->reason));
                capture->Message(Direction::ClientToServer, Opcode::Close, CloseBytes(closed->code, closed->reason));
            }
            replayer->OnClosed(capture::MonoNs(), closed->code, closed->reason);
        }
    }
    if (options.progress)
        options.progress(replayer->Settled(), replayer->Requests());

    ReplayReport report = replayer->TakeReport();
    report.durationNs = capture::MonoNs() - startNs;
    report.target = failed.target;
    report.timing = options.timingLabel;
    if (!closed)
        closed = client->WaitClosed(std::chrono::milliseconds(0));
    client.reset();
    // The engine's answer to the replay's own close frame was on the wire too, as a proxy records it.
    if (capture && closeSent && closed && closed->code != 1006 && closed->error.empty())
        capture->Message(Direction::ServerToClient, Opcode::Close, CloseBytes(closed->code, closed->reason));
    if (capture)
    {
        capture->Close(closed.value_or(net::WsCloseInfo{1000, "replay done", false, ""}), closeSent);
        if (int64_t id = capture->Finish())
            report.replay = id;
    }
    return report;
}

} // namespace dapscope::replay
