#pragma once
// Detail: the selected message. A header with what the table shows and more (flags, fragments, the exchange with
// a link to the paired request or response, the task), then tabs: the JSON as a collapsible tree, the raw text as
// received, and a hex view of a binary payload with a text preview. Payloads are loaded when selected; large
// ones on a background job.

#include "ui/HexView.hpp"
#include "ui/JsonTree.hpp"
#include "ui/View.hpp"

#include <memory>
#include <optional>
#include <string>

namespace dapscope::ui
{

class MessageDetailView : public View
{
  public:
    explicit MessageDetailView(AppContext& context);

    bool Busy() const override { return m_loading; }

    // What is shown (tests).
    int64_t ShownId() const { return m_message ? m_message->id : 0; }
    const JsonTree& Tree() const { return m_json; }
    const std::string& Data() const { return m_data; }
    size_t PayloadSize() const { return m_payloadSize; }
    bool PayloadIsText() const { return m_payloadIsText; }
    const std::optional<storage::MessageSummary>& Pair() const { return m_pair; }

    static constexpr int64_t kSyncLoadBytes = 1 << 20; // larger payloads load on a background job

  protected:
    void DrawContent() override;

  private:
    void Load(int64_t id);
    void SetData(std::string data);
    void DrawHeader();
    void DrawExchange();
    void DrawRaw();
    void DrawPayload();

    std::optional<storage::MessageSummary> m_message; // the message shown
    std::optional<storage::MessageSummary> m_pair;    // its paired request or response
    std::string m_data;                               // its stored bytes
    std::string m_rawText;                            // the JSON part, escaped for display
    size_t m_payloadOffset = 0;                       // binary payload: offset in m_data...
    size_t m_payloadSize = 0;                         // ...and size (0 = none)
    bool m_payloadIsText = false;                     // the payload is printable text
    JsonTree m_json;                                  // the JSON part, parsed
    HexView m_hex;                                    // hex dump of the payload
    bool m_loading = false;                           // a background load runs
    uint64_t m_loadGeneration = 0;                    // drops stale background loads
    bool m_focusTree = false;                         // bring the JSON tab forward (Enter)
    Lifetime m_lifetime;                              // guards job callbacks (last member)
};

} // namespace dapscope::ui
