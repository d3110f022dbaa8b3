#pragma once
// Sessions: the live list of captured connections, WebSocket sessions and plain HTTP connections (Chrome DevTools'
// connection list). Selecting one shows it in every other view. Hovering a protocol tag shows what the connection
// negotiated and, for a WebSocket session, its handshake. Ctrl+click or the context menu compares two sessions; a
// replay's "compare" link compares it with its original.

#include "ui/View.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dapscope::ui
{

class SessionListView : public View
{
  public:
    explicit SessionListView(AppContext& context);

    // Rows drawn in the last frame (tests).
    int DrawnRows() const { return m_drawnRows; }
    // The protocol column of those rows, in display order ("WS", "WS deflate", "HTTP").
    const std::vector<std::string>& DrawnTags() const { return m_drawnTags; }
    // The session whose tooltip the last frame showed (0 = none), and the handshake lines in it.
    int64_t TooltipSession() const { return m_tooltipSession; }
    int TooltipHandshakeLines() const { return m_tooltipHandshakeLines; }

  protected:
    void DrawContent() override;

  private:
    void Sort(const ImGuiTableSortSpecs* specs);
    void DrawRow(const storage::SessionSummary& s);

    std::vector<size_t> m_order;            // rows in display order (indexes into the model's sessions)
    uint64_t m_sortedVersion = ~0ull;       // sessions version m_order was built for
    bool m_scrollToSelected = false;        // scroll the selected session into view next frame
    int m_drawnRows = 0;                    // rows submitted last frame
    std::vector<std::string> m_drawnTags;   // their protocol column
    int64_t m_tooltipSession = 0;           // session of the tooltip shown last frame
    int m_tooltipHandshakeLines = 0;        // handshake lines in it
    int64_t m_compareA = 0, m_compareB = 0; // the pair of the Compare tab (marked A and B)
};

} // namespace dapscope::ui
