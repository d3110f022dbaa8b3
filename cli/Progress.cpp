#include "Progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

namespace dapscope::cli
{

storage::ProgressFn TerminalProgress(std::string label, ProgressCounts counts)
{
    if (!::isatty(STDERR_FILENO))
        return {};
    using Clock = std::chrono::steady_clock;
    // Drawing state, shared by the copies of the returned function.
    struct Bar
    {
        std::string label; // "exporting 3 sessions"
        ProgressCounts counts;
        Clock::time_point start = Clock::now();
        Clock::time_point drawn; // last redraw
        bool visible = false;    // something was drawn
        bool complete = false;   // the last line was drawn and ended
        ~Bar()
        {
            if (visible && !complete)
                std::fputc('\n', stderr); // interrupted or failed: later messages start on a line of their own
        }
    };
    auto bar = std::make_shared<Bar>();
    bar->label = std::move(label);
    bar->counts = std::move(counts);
    return [bar](uint64_t done, uint64_t total)
    {
        using namespace std::chrono_literals;
        Clock::time_point now = Clock::now();
        bool last = done >= total;
        // Quick work shows nothing; then redraw at most 10 times a second, and always the final state.
        if ((!bar->visible && now - bar->start < 300ms) || (!last && now - bar->drawn < 100ms) || bar->complete)
            return;
        constexpr int kWidth = 20;
        int filled = total ? static_cast<int>(kWidth * std::min(done, total) / total) : kWidth;
        std::fprintf(stderr, "\r%s  [%s%s] %s%s", bar->label.c_str(), std::string(filled, '#').c_str(),
                     std::string(kWidth - filled, '-').c_str(), bar->counts(done, total).c_str(), last ? "\n" : "");
        std::fflush(stderr);
        bar->drawn = now;
        bar->visible = true;
        bar->complete = last;
    };
}

std::string Grouped(uint64_t n)
{
    // Appended rather than insert()ed: GCC 12 warns (-Wrestrict, a false positive) on insert into a string.
    const std::string digits = std::to_string(n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i)
    {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

} // namespace dapscope::cli
