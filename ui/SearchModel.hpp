#pragma once
// The data of the filter bar's "All sessions" scope: the messages of every session that pass the filter, found by
// TraceReader::Search on the task runner a page at a time (sessions in id order, each one's messages in id
// order): a screenful first, then bigger pages as the list is scrolled; and how long the first page took.

#include "AppContext.hpp"
#include "Loader.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::ui
{

class SearchModel
{
  public:
    static constexpr int64_t kFirstPage = 50; // hits of the first page: a screenful, shown as soon as found
    static constexpr int64_t kPage = 500;     // hits of each next page

    explicit SearchModel(AppContext& context);
    ~SearchModel() { m_ctx.bus.Unsubscribe(this); }

    SearchModel(const SearchModel&) = delete;
    SearchModel& operator=(const SearchModel&) = delete;

    // Search the whole store with `filter` (drops the hits shown, loads the first page).
    void Run(const storage::MessageFilter& filter);
    // Load the next page (when !Complete() and not Loading()).
    void More();

    const std::vector<storage::SearchHit>& Hits() const { return m_hits; }
    bool Loading() const { return m_loading; }
    bool Complete() const { return m_complete; } // every hit is in Hits()
    const std::string& Error() const { return m_error; }
    // Time from Run to the first page on screen (nullopt until it came).
    std::optional<std::chrono::milliseconds> FirstPageTime() const { return m_firstPage; }

  private:
    void Load();

    AppContext& m_ctx;
    storage::MessageFilter m_filter;                      // the search shown
    std::vector<storage::SearchHit> m_hits;               // found so far
    bool m_loading = false;                               // a page is being read
    bool m_complete = false;                              // the last page was short
    std::string m_error;                                  // why the search failed
    std::chrono::steady_clock::time_point m_started{};    // Run
    std::optional<std::chrono::milliseconds> m_firstPage; // Run -> first page
    Loader m_loader;                                      // reads the pages (last member)
};

} // namespace dapscope::ui
