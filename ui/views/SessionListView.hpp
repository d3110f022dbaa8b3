#pragma once
// Sessions: the live list of captured WebSocket sessions (Chrome DevTools' connection list). Selecting one shows
// it in every other view.

#include "ui/View.hpp"

#include <cstdint>
#include <vector>

namespace dapscope::ui
{

class SessionListView : public View
{
  public:
    explicit SessionListView(AppContext& context);

    // Rows drawn in the last frame (tests).
    int DrawnRows() const { return m_drawnRows; }

  protected:
    void DrawContent() override;

  private:
    void Sort(const ImGuiTableSortSpecs* specs);
    void DrawRow(const storage::SessionSummary& s);

    std::vector<size_t> m_order;      // rows in display order (indexes into the model's sessions)
    uint64_t m_sortedVersion = ~0ull; // sessions version m_order was built for
    bool m_scrollToSelected = false;  // scroll the selected session into view next frame
    int m_drawnRows = 0;              // rows submitted last frame
};

} // namespace dapscope::ui
