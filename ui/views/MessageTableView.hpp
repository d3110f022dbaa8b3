#pragma once
// Messages: the table of the current session's messages (Chrome DevTools' message list, Tracy's Messages view).
// It draws over the MessageIndex with ImGuiListClipper, fetches only the visible rows, follows the tail while
// scrolled to the bottom, and moves the selection with the arrow keys or j / k. With the filter bar's "All
// sessions" scope it lists the matches of every session instead (SearchModel); a click opens one in its session.

#include "FilterBar.hpp"
#include "ui/SearchModel.hpp"
#include "ui/View.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dapscope::ui
{

class MessageTableView : public View
{
  public:
    explicit MessageTableView(AppContext& context);

    bool Busy() const override;

    // A row as the last frame drew it (tests).
    struct DrawnRow
    {
        int64_t id = 0;
        std::string kind;    // Kind column
        std::string what;    // Command / event column (with its "[dapscope]" or rule mark)
        std::string status;  // Status column
        std::string wire;    // Wire column ("" unknown)
        std::string latency; // Latency column
        ImU32 color = 0;     // colour of the Command / event text
    };

    // What the last frame showed (tests and the benchmark).
    int DrawnRows() const { return m_drawnRows; }
    const std::vector<DrawnRow>& Drawn() const { return m_drawn; }
    int64_t FirstDrawnId() const { return m_firstDrawnId; }
    // Scroll so that `position` is the first visible row at the next frame (benchmark).
    void ScrollToPosition(size_t position) { m_scrollToPosition = position; }
    FilterBar& Filters() { return m_filterBar; }
    const SearchModel& Search() const { return m_search; }
    // A result of the all-sessions scope as the last frame drew it (tests click it).
    struct DrawnHit
    {
        int64_t session = 0;
        int64_t id = 0;
        ImVec2 center; // of its row, in screen coordinates
    };
    const std::vector<DrawnHit>& DrawnHits() const { return m_drawnHits; }

  protected:
    void DrawContent() override;

  private:
    void DrawToolbar();
    void DrawSearchResults();
    void OpenHit(const storage::SearchHit& hit);
    void DrawTable();
    void DrawRow(int64_t id, int64_t origin);
    void RowContextMenu(const storage::MessageSummary& m);
    void HandleKeys();
    void SelectPosition(size_t position);

    FilterBar m_filterBar;
    SearchModel m_search;                     // the all-sessions scope
    std::vector<DrawnHit> m_drawnHits;        // its rows drawn last frame
    std::optional<int64_t> m_reveal;          // message to scroll into view once it is in the index
    std::optional<size_t> m_scrollToPosition; // put this row at the top next frame
    bool m_atBottom = true;                   // the table was scrolled to the end last frame
    float m_rowHeight = 0;                    // measured by the clipper
    float m_visibleRows = 20;                 // rows that fit in the table (PageUp / PageDown)
    int m_drawnRows = 0;                      // rows submitted last frame
    std::vector<DrawnRow> m_drawn;            // their contents (rows whose data was loaded)
    int64_t m_firstDrawnId = 0;               // first row on screen last frame
    uint64_t m_indexGeneration = 0;           // index generation the scroll state belongs to
};

} // namespace dapscope::ui
