#pragma once
// One side of a compared request as a JSON tree with the paths that differ from the other side highlighted (the
// Compare view draws A's and B's next to each other). The document is the exchange as DiffSessions names its
// paths: {"arguments": the request's, "success", "body" and "message": its response's}, so "$.arguments.provider"
// or "$.body.tasks[0].id" from a replay::Difference is a node of it.

#include "replay/Recording.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace dapscope::ui
{

// The exchange of request `requestId` of `recording` as one document (null when the recording has no such request).
// A binary payload shows as arguments.data = "N bytes".
boost::json::value ExchangeDocument(const replay::Recording& recording, int64_t requestId);

class DiffTree
{
  public:
    // Show `document`, highlighting `paths` (JSONPaths as replay::Difference writes them) and opening their parents.
    void Set(boost::json::value document, const std::vector<std::string>& paths);
    void Draw();
    // Paths of the highlighted nodes drawn by the last Draw, in drawing order (tests).
    const std::vector<std::string>& DrawnHighlights() const { return m_drawnHighlights; }

  private:
    void DrawNode(const std::string& label, const boost::json::value& value, std::string& path, int depth);
    bool LeadsToDifference(const std::string& path) const;

    boost::json::value m_document;
    std::set<std::string> m_paths;              // differing paths
    std::vector<std::string> m_drawnHighlights; // last Draw
    uint64_t m_generation = 0;                  // bumped by Set: the tree opens afresh for a new pair
};

} // namespace dapscope::ui
