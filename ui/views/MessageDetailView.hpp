#pragma once
// Detail: the selected message. A header with what the table shows and more (flags, fragments, sizes as received
// and on the wire, the exchange with a link to the paired request or response, the task), then tabs: the JSON as
// a collapsible tree, the raw text as received, and a hex view of a binary payload with a text preview. An HTTP
// message shows its head's lines above the tabs, which show its body. Payloads are loaded when selected; large
// ones on a background job.

#include "ui/HexView.hpp"
#include "ui/JsonTree.hpp"
#include "ui/Loader.hpp"
#include "ui/View.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

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
    // An HTTP message's head, a line each (start line first), and how many of them the last frame drew.
    const std::vector<std::string>& HeadLines() const { return m_headLines; }
    int DrawnHeadLines() const { return m_drawnHeadLines; }
    // The "Wire" fact of the header as last drawn ("s2c, text, 3.4 KiB, 412 B on the wire").
    const std::string& WireFacts() const { return m_wireFacts; }

    static constexpr int64_t kSyncLoadBytes = 1 << 20; // larger payloads load on a background job

  protected:
    void DrawContent() override;

  private:
    void Load(int64_t id);
    void SetData(std::string data);
    void DrawHeader();
    void DrawExchange();
    void DrawHead();
    void DrawRaw();
    void DrawPayload();

    std::optional<storage::MessageSummary> m_message; // the message shown
    std::optional<storage::MessageSummary> m_pair;    // its paired request or response
    std::string m_data;                               // its stored bytes
    std::string m_rawText;                            // the JSON part, escaped for display
    size_t m_payloadOffset = 0;                       // binary payload: offset in m_data...
    size_t m_payloadSize = 0;                         // ...and size (0 = none)
    bool m_payloadIsText = false;                     // the payload is printable text
    bool m_jsonTried = false;                         // an HTTP body that looks like JSON was parsed
    std::vector<std::string> m_headLines;             // an HTTP message's head, escaped for display
    int m_headRedactions = 0;                         // "[redacted:...]" markers in that head
    int m_drawnHeadLines = 0;                         // head lines submitted last frame
    std::string m_wireFacts;                          // the header's "Wire" fact as last drawn
    JsonTree m_json;                                  // the JSON part, parsed
    HexView m_hex;                                    // hex dump of the payload
    bool m_loading = false;                           // a background load runs
    bool m_focusTree = false;                         // bring the JSON tab forward (Enter)
    Loader m_loader;                                  // loads large payloads (last member)
};

} // namespace dapscope::ui
