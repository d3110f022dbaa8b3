// libFuzzer entry point for wire/WsFrame and wire/WsDecoder: arbitrary bytes as one direction of a WebSocket
// stream, fed in random splits to a FrameTracker (as the relay does, also stopping at every frame boundary)
// and to two WsDecoders, one of which is told that some reads were not captured (Skip). The first input byte
// chooses the deflate parameters, the direction, the split sizes and whether reads are skipped.
// A crash, a sanitizer report or a broken promise is a finding: every fed byte accounted in wireBytes, parts
// of at most 64 KiB in order, and the decoder counting the tracker's frames while there is no violation.
#include "wire/WsDecoder.hpp"
#include "wire/WsFrame.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace dapscope::wire;

namespace
{

void Check(bool ok)
{
    if (!ok)
        __builtin_trap();
}

// The promises each part makes, whatever the input.
struct PartChecker
{
    uint64_t wire = 0;
    bool dataOpen = false;

    void On(const DecodedPart& p)
    {
        wire += p.wireBytes;
        Check(p.bytes.size() <= 64 * 1024);
        Check(p.final || p.problem.empty());
        if (IsControl(static_cast<uint8_t>(p.opcode)))
        {
            Check(p.first && p.final && !p.compressed);
            return;
        }
        Check(p.first != dataOpen); // a first part only when no data message is open, and only then
        dataOpen = !p.final;
    }

    WsDecoder::Sink Sink()
    {
        return [this](const DecodedPart& p) { On(p); };
    }
};

struct Random
{
    uint32_t state;
    uint32_t Next()
    {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t config = data[0];
    const uint8_t* stream = data + 1;
    const size_t length = size - 1;

    DeflateParams params;
    params.enabled = (config & 3) != 0;
    params.serverNoContextTakeover = (config & 3) >= 2;
    params.clientNoContextTakeover = (config & 3) == 3;
    params.serverMaxWindowBits = 8 + (config >> 5);
    params.clientMaxWindowBits = 15 - (config >> 5);
    const bool fromClient = (config & 4) != 0;
    static constexpr size_t kMaxSplit[4] = {1, 16, 700, 1 << 20};
    const size_t maxSplit = kMaxSplit[(config >> 3) & 3];
    const bool skipSome = (config & 0x20) != 0;
    Random random{0x9E3779B9u ^ config ^ static_cast<uint32_t>(length * 2654435761u)};

    FrameTracker tracker;
    FrameTracker stopping; // the same bytes, with stopAtBoundary at every step
    WsDecoder whole(fromClient, params);
    WsDecoder gappy(fromClient, params);
    PartChecker wholeParts;
    PartChecker gappyParts;
    uint64_t gappyFed = 0;
    uint64_t trackerTaken = 0;

    for (size_t pos = 0; pos < length;)
    {
        const size_t n = std::min<size_t>(length - pos, 1 + random.Next() % maxSplit);
        const uint8_t* chunk = stream + pos;
        const bool violatedBefore = tracker.Violation() != HeaderViolation::None;
        const size_t taken = tracker.Feed(chunk, n);
        trackerTaken += taken;
        Check(taken <= n);
        Check(tracker.Violation() != HeaderViolation::None || taken == n);
        Check(!violatedBefore || taken == 0);
        const size_t offset = tracker.FirstHeaderOffset();
        Check(offset == FrameTracker::npos || offset < n);

        size_t done = 0;
        while (done < n && stopping.Violation() == HeaderViolation::None)
        {
            const bool atBoundary = stopping.AtFrameBoundary();
            size_t step = stopping.Feed(chunk + done, n - done, true);
            if (step == 0 && stopping.Violation() == HeaderViolation::None)
            {
                Check(atBoundary);
                step = stopping.Feed(chunk + done, 1);
            }
            done += step;
            Check(done <= n);
            if (step == 0)
                break;
        }

        const std::string_view bytes(reinterpret_cast<const char*>(chunk), n);
        whole.Feed(bytes, offset, wholeParts.Sink());
        if (skipSome && random.Next() % 4 == 0)
            gappy.Skip(n, gappyParts.Sink());
        else
        {
            gappy.Feed(bytes, offset, gappyParts.Sink());
            gappyFed += n;
        }
        pos += n;
    }
    whole.Finish(wholeParts.Sink());
    gappy.Finish(gappyParts.Sink());

    Check(wholeParts.wire == length);
    Check(gappyParts.wire == gappyFed);
    Check(!wholeParts.dataOpen && !gappyParts.dataOpen);
    Check(stopping.Violation() == tracker.Violation());
    Check(stopping.Frames() == tracker.Frames());
    if (tracker.Violation() == HeaderViolation::None)
    {
        Check(trackerTaken == length);
        Check(whole.Frames() == tracker.Frames());
        if (!skipSome)
            Check(gappy.Frames() == tracker.Frames());
    }
    return 0;
}
