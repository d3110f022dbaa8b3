// libFuzzer entry point for wire/Http and wire/HttpStream: one direction of an HTTP/1.1 connection, fed in
// pieces. Input: the first byte picks the role (bit 0), how the rest is cut into pieces (bits 1-2: whole, byte
// by byte, 1-16 or 1-512 bytes), the request the first response answers (bits 3-4: GET, HEAD, POST, GET asking
// for an upgrade), and seeds the other choices (the later requests, the cuts, whether an Upgrade is resumed);
// the rest is the stream.
// Each piece lives in a heap buffer of its own, so AddressSanitizer catches any view that leaves it.
// Invariants: Body ranges and data views stay inside the piece, in increasing order, within an open message;
// Head/End alternate; nothing follows an Error, Tunnel or Upgrade in a feed, and nothing comes after an Error
// or Tunnel (or an Upgrade until ResumeHttp); every Head parses with ParseHead, and a request head rewritten for
// upstream is itself accepted; de-chunked data never exceeds the bytes fed; the stream's checks and http-parser
// never disagree on the framing.
#include "wire/Http.hpp"
#include "wire/HttpStream.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace dapscope::wire;

namespace
{

void Check(bool condition)
{
    if (!condition)
        __builtin_trap();
}

// xorshift32: the same cuts and choices for the same input.
struct Choices
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

volatile unsigned g_sink; // reads of body views land here, so they are not optimised away

bool HasQueryArg(std::string_view target, std::string_view name)
{
    const size_t question = target.find('?');
    if (question == std::string_view::npos)
        return false;
    const std::string_view query = target.substr(question + 1, target.find('#', question) - question - 1);
    for (size_t pos = 0; pos <= query.size();)
    {
        size_t amp = query.find('&', pos);
        if (amp == std::string_view::npos)
            amp = query.size();
        const std::string_view arg = query.substr(pos, amp - pos);
        if (arg.substr(0, arg.find('=')) == name)
            return true;
        pos = amp + 1;
    }
    return false;
}

RequestRewrite ProxyRewrite()
{
    RequestRewrite rewrite;
    rewrite.host = "127.0.0.1:5565";
    rewrite.forwardedFor = "203.0.113.7";
    rewrite.forwardedProto = "http";
    rewrite.dropHeaders = {"X-Dapscope-Token"};
    rewrite.dropQueryArg = "dapscope_token";
    return rewrite;
}

void CheckRequestHead(const HttpEvent& event)
{
    const std::string rewritten = RewriteRequestHead(event.raw, event.head, ProxyRewrite());
    const std::optional<HttpHead> parsed = ParseHead(rewritten, true);
    Check(parsed.has_value());
    Check(parsed->Find("X-Dapscope-Token") == nullptr);
    Check(parsed->Find("Host") && *parsed->Find("Host") == "127.0.0.1:5565");
    const std::string chain = parsed->Joined("X-Forwarded-For");
    Check(chain.size() >= 11 && chain.compare(chain.size() - 11, 11, "203.0.113.7") == 0);
    Check(parsed->Joined("X-Forwarded-Proto") == "http");
    Check(!HasQueryArg(parsed->target, "dapscope_token"));
    // What goes upstream must pass the same checks.
    HttpStream again(HttpStream::Role::Request, 1 << 20);
    std::vector<HttpEvent> events;
    again.Feed(rewritten, events);
    Check(!events.empty() && events[0].type == HttpEvent::Type::Head);
}

struct Tracker
{
    bool request = true;
    bool open = false;    // between Head and End
    bool stopped = false; // after Error or Tunnel
    bool held = false;    // after Upgrade, until ResumeHttp
    uint64_t fed = 0;
    uint64_t data = 0;

    // Checks the events of one Feed of `piece`; returns the Upgrade offset if there was one, else npos.
    size_t Take(const std::vector<HttpEvent>& events, std::string_view piece)
    {
        if (stopped || held)
        {
            Check(events.empty());
            return std::string_view::npos;
        }
        size_t cursor = 0;
        size_t upgradeAt = std::string_view::npos;
        for (size_t i = 0; i < events.size(); ++i)
        {
            const HttpEvent& event = events[i];
            Check(!stopped && !held);
            switch (event.type)
            {
            case HttpEvent::Type::Head:
            {
                Check(!open);
                open = true;
                Check(event.head.request == request);
                const std::optional<HttpHead> parsed = ParseHead(event.raw, request);
                Check(parsed.has_value());
                Check(parsed->headers.size() == event.head.headers.size());
                if (request)
                    CheckRequestHead(event);
                break;
            }
            case HttpEvent::Type::Body:
            {
                Check(open);
                Check(event.length > 0 && event.offset >= cursor && event.offset <= piece.size() &&
                      event.length <= piece.size() - event.offset);
                const char* begin = piece.data() + event.offset;
                const char* end = begin + event.length;
                uint64_t sum = 0;
                for (std::string_view view : event.data)
                {
                    Check(view.data() >= begin && view.size() <= static_cast<size_t>(end - view.data()));
                    begin = view.data() + view.size();
                    for (char c : view) // touch every byte, for AddressSanitizer
                        g_sink = g_sink + static_cast<unsigned char>(c);
                    sum += view.size();
                }
                Check(sum <= event.length);
                data += sum;
                cursor = event.offset + event.length;
                break;
            }
            case HttpEvent::Type::End:
                Check(open);
                open = false;
                break;
            case HttpEvent::Type::Upgrade:
            case HttpEvent::Type::Tunnel:
                Check(!open && i + 1 == events.size());
                Check(request == (event.type == HttpEvent::Type::Upgrade));
                Check(event.offset >= cursor && event.offset <= piece.size());
                if (event.type == HttpEvent::Type::Upgrade)
                {
                    held = true;
                    upgradeAt = event.offset;
                }
                else
                    stopped = true;
                break;
            case HttpEvent::Type::Error:
                Check(i + 1 == events.size());
                Check(request ? (event.status == 400 || event.status == 431 || event.status == 501)
                              : event.status == 502);
                Check(!event.reason.empty());
                // The stream's own checks give every rejection its reason before http-parser could disagree.
                Check(event.reason != "http-parser disagrees on the message framing");
                stopped = true;
                break;
            }
        }
        Check(data <= fed);
        return upgradeAt;
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t control = bytes[0];
    const std::string_view input(reinterpret_cast<const char*>(bytes) + 1, size - 1);
    const bool request = (control & 1) == 0;
    const int cutMode = (control >> 1) & 3;
    Choices choices{0x9E3779B9u ^ (static_cast<uint32_t>(control) * 0x01000193u) ^ static_cast<uint32_t>(size)};

    HttpStream stream(request ? HttpStream::Role::Request : HttpStream::Role::Response, 4096);
    if (!request)
    {
        const char* methods[] = {"GET", "HEAD", "POST", "GET"};
        for (int i = 0; i < 16; ++i)
        {
            const uint32_t pick = i == 0 ? (control >> 3) & 3 : choices.Next() & 3;
            stream.ExpectResponseTo(methods[pick], pick == 3);
        }
    }

    Tracker tracker;
    tracker.request = request;
    std::vector<HttpEvent> events;
    size_t pos = 0;
    while (pos < input.size())
    {
        size_t length = input.size() - pos;
        if (cutMode == 1)
            length = 1;
        else if (cutMode == 2)
            length = std::min<size_t>(length, 1 + choices.Next() % 16);
        else if (cutMode == 3)
            length = std::min<size_t>(length, 1 + choices.Next() % 512);
        std::string piece(input.substr(pos, length));
        pos += length;
        for (;;)
        {
            // A buffer of exactly the piece's size, so reading past it is caught.
            std::unique_ptr<char[]> buffer(new char[piece.size()]);
            std::copy(piece.begin(), piece.end(), buffer.get());
            const std::string_view fed(buffer.get(), piece.size());
            stream.Feed(fed, events);
            tracker.fed += piece.size();
            const size_t upgradeAt = tracker.Take(events, fed);
            Check(stream.MessageOpen() == tracker.open || tracker.stopped);
            if (upgradeAt == std::string_view::npos || (choices.Next() & 1) == 0)
                break;
            // Not a 101: the relay resumes and feeds the held bytes again.
            stream.ResumeHttp();
            tracker.held = false;
            tracker.fed -= piece.size() - upgradeAt;
            piece = piece.substr(upgradeAt);
        }
    }
    stream.Finish(events);
    Check(events.size() <= 1);
    if (!events.empty())
    {
        Check(!tracker.stopped && !tracker.held);
        Check(tracker.open || events[0].type == HttpEvent::Type::Error);
        Check(events[0].type == HttpEvent::Type::End || events[0].type == HttpEvent::Type::Error);
        if (events[0].type == HttpEvent::Type::Error)
            Check(events[0].status == (request ? 0 : 502));
    }
    stream.Feed(input, events);
    Check(events.empty());

    // The stateless helpers on the raw input.
    if (std::optional<HttpHead> head = ParseHead(input, request))
        RewriteRequestHead(input, *head, ProxyRewrite());
    RewriteRequestHead(input, HttpHead{}, ProxyRewrite());
    const std::string generated = GeneratedResponse(400 + control % 200, input.substr(0, 64), input);
    HttpStream back(HttpStream::Role::Response);
    back.ExpectResponseTo("GET", false);
    back.Feed(generated, events);
    Check(events.size() >= 2 && events[0].type == HttpEvent::Type::Head && events.back().type == HttpEvent::Type::End);
    return 0;
}
