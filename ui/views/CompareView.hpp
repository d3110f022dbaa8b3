#pragma once
// Compare: two sessions side by side, as `dapscope diff` compares them. The requests aligned by meaning (A's
// position, B's position, request, result coloured by outcome, success and latency in A and in B); the differing
// JSON paths of the selected row with A's and B's values; the events per name with those missing or extra in B.
// The data comes from its CompareModel; a CompareSessions event (the session list) chooses the pair.

#include "ui/CompareModel.hpp"
#include "ui/DiffTree.hpp"
#include "ui/View.hpp"

#include <cstddef>
#include <optional>

namespace dapscope::ui
{

class CompareView : public View
{
  public:
    explicit CompareView(AppContext& context) : View("Compare", ViewSlot::Bottom, context), m_model(context) {}

    void Update() override { m_model.Update(); }
    bool Busy() const override { return m_model.Loading(); }
    const CompareModel& Model() const { return m_model; }
    // Index of the selected row in the report (nullopt = none).
    std::optional<size_t> SelectedRow() const { return m_selected; }
    void SelectRow(size_t row) { m_selected = row; }
    // Drawn in the last frame (tests): request rows, highlighted paths of the selected row, event rows.
    int DrawnRows() const { return m_drawnRows; }
    int DrawnPaths() const { return m_drawnPaths; }
    int DrawnEvents() const { return m_drawnEvents; }
    // The selected row's exchange in A and in B as JSON trees (tests read what they highlighted).
    const DiffTree& TreeA() const { return m_treeA; }
    const DiffTree& TreeB() const { return m_treeB; }

  protected:
    void DrawContent() override;

  private:
    void DrawHeader(const replay::DiffReport& report);
    void DrawRows(const replay::DiffReport& report);
    void DrawSelected(const replay::DiffReport& report);
    void DrawEvents(const replay::DiffReport& report);
    void ShowTrees(const replay::DiffRow& row); // load the trees when the selected row or the report changed

    CompareModel m_model;             // the pair and its comparison
    std::optional<size_t> m_selected; // selected row of the report
    uint64_t m_seenVersion = 0;       // m_model.ReportVersion() m_selected was chosen for
    bool m_onlyDifferences = false;   // hide matched rows
    bool m_eventsOpen = false;        // the events section was open last frame
    DiffTree m_treeA, m_treeB;        // the selected row's exchange in A and in B
    std::optional<size_t> m_treeRow;  // the row they show
    uint64_t m_treeVersion = 0;       // of the report they show
    int m_drawnRows = 0;              // last frame
    int m_drawnPaths = 0;             //
    int m_drawnEvents = 0;            //
};

} // namespace dapscope::ui
