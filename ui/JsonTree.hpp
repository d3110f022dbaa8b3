#pragma once
// A collapsible JSON tree (Chrome DevTools' preview): objects and arrays as tree nodes, scalars coloured by type,
// long arrays in groups of 100, redacted values ("[redacted:1a2b3c4d]") marked, and a context menu on every node
// to copy its value or its path ($.arguments.pipeline.components[0].id).

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace dapscope::ui
{

// "$.a.b[3]['odd key']" style paths.
std::string JsonPathChild(const std::string& parent, std::string_view key);
std::string JsonPathIndex(const std::string& parent, size_t index);

class JsonTree
{
  public:
    // Parse `text`; on failure the tree is empty and Error() says why.
    void Set(std::string_view text);
    void Clear();
    bool Valid() const { return m_valid; }
    const std::string& Error() const { return m_error; }
    const boost::json::value& Root() const { return m_root; }
    // Nodes drawn in the last Draw (tests).
    int DrawnNodes() const { return m_drawn; }
    // Redacted values found in the document.
    int RedactedValues() const { return m_redacted; }

    void Draw();

  private:
    void DrawNode(const char* label, const boost::json::value& value, const std::string& path, int depth);
    void DrawScalar(const boost::json::value& value);
    void NodeMenu(const boost::json::value& value, const std::string& path);

    boost::json::value m_root; // the parsed document
    bool m_valid = false;      // m_root holds a document
    std::string m_error;       // parse error
    int m_drawn = 0;           // nodes submitted by the last Draw
    int m_redacted = 0;        // "[redacted:...]" strings in the document
    int m_openDepth = 2;       // levels open when first shown
};

} // namespace dapscope::ui
