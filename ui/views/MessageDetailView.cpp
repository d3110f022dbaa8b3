#include "MessageDetailView.hpp"

#include "cli/Format.hpp"
#include "inspector/Envelope.hpp"
#include "inspector/Utf8.hpp"
#include "ui/Style.hpp"

#include <algorithm>
#include <cinttypes>

namespace dapscope::ui
{

namespace
{
constexpr size_t kRawDisplayBytes = 256 << 10; // raw text shown (the rest is cut, with a note)

// Escape each line for display, keeping the line breaks.
std::string DisplayText(std::string_view text, size_t maxBytes)
{
    std::string out;
    size_t start = 0;
    const size_t end = std::min(text.size(), maxBytes);
    while (start < end)
    {
        size_t newline = text.find('\n', start);
        if (newline == std::string_view::npos || newline >= end)
            newline = end;
        out += inspector::EscapeForTerminal(text.substr(start, newline - start));
        if (newline < end)
            out += '\n';
        start = newline + 1;
    }
    return out;
}

void Row(const char* name, const std::string& value, ImU32 color = 0)
{
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextDisabled("%s", name);
    ImGui::TableNextColumn();
    if (color)
        ColoredText(color, value.c_str());
    else
        ImGui::TextUnformatted(value.c_str());
}
} // namespace

MessageDetailView::MessageDetailView(AppContext& context)
    : View("Detail", ViewSlot::Side, context), m_loader(context.tasks)
{
    m_ctx.bus.Subscribe<SelectMessage>(this, [this](const SelectMessage& e) { Load(e.message); });
    m_ctx.bus.Subscribe<SelectSession>(this,
                                       [this](const SelectSession& e)
                                       {
                                           if (m_message && m_message->session != e.session)
                                               Load(0);
                                       });
    m_ctx.bus.Subscribe<StoreOpened>(this, [this](const StoreOpened&) { Load(0); });
    m_ctx.bus.Subscribe<OpenDetail>(this, [this](const OpenDetail&) { m_focusTree = true; });
    m_ctx.bus.Subscribe<StoreChanged>(
        this,
        [this](const StoreChanged&)
        {
            // A pending request gets its response: refresh the header (cheap).
            if (m_message && m_ctx.model &&
                (m_message->state == inspector::ExchangeState::Pending || m_message->task.empty()))
            {
                m_message = m_ctx.model->Message(m_message->id);
                if (m_message && m_message->pairId)
                    m_pair = m_ctx.model->Message(*m_message->pairId);
            }
        });
}

void MessageDetailView::Load(int64_t id)
{
    m_loader.Reset();
    m_loading = false;
    m_message.reset();
    m_pair.reset();
    m_headLines.clear();
    m_headRedactions = 0;
    SetData({});
    if (id == 0 || !m_ctx.model)
        return;
    m_message = m_ctx.model->Message(id);
    if (!m_message)
        return;
    m_headLines = IsHttp(m_message->kind) ? ui::HeadLines(m_message->headers) : std::vector<std::string>();
    m_headRedactions = 0;
    for (size_t at = m_message->headers.find("[redacted:"); at != std::string::npos;
         at = m_message->headers.find("[redacted:", at + 1))
        ++m_headRedactions;
    if (m_message->pairId)
        m_pair = m_ctx.model->Message(*m_message->pairId);
    if (m_message->size <= kSyncLoadBytes)
    {
        SetData(m_ctx.model->MessageData(id));
        return;
    }
    m_loading = true;
    m_loader.Run(
        "Load message " + std::to_string(id), m_ctx.model->Path(),
        [id](storage::TraceReader& reader, TaskContext&) { return reader.MessageData(id); },
        [this](std::string& data)
        {
            m_loading = false;
            SetData(std::move(data));
        });
}

void MessageDetailView::SetData(std::string data)
{
    m_data = std::move(data);
    m_json.Clear();
    m_rawText.clear();
    m_payloadOffset = m_payloadSize = 0;
    m_payloadIsText = false;
    m_jsonTried = false;
    if (!m_message || m_data.empty())
        return;
    if (IsHttp(m_message->kind))
    {
        // A body: a JSON tree when it looks like JSON, its text when it is text, else its bytes (Bytes tab).
        const size_t first = m_data.find_first_not_of(" \t\r\n");
        if (first != std::string::npos && (m_data[first] == '{' || m_data[first] == '['))
        {
            m_json.Set(m_data);
            m_jsonTried = true;
        }
        if (inspector::FindInvalidUtf8(m_data) == std::string::npos)
            m_rawText = DisplayText(m_data, kRawDisplayBytes);
        return;
    }
    const inspector::Framing framing = inspector::SplitFrame(m_message->opcode, m_data);
    if (m_message->opcode == inspector::Opcode::Text || m_message->opcode == inspector::Opcode::Binary)
    {
        if (!framing.json.empty() && (framing.json.front() == '{' || framing.json.front() == '['))
            m_json.Set(framing.json);
        m_rawText = DisplayText(framing.json, kRawDisplayBytes);
    }
    if (framing.hasPayload)
    {
        m_payloadOffset = static_cast<size_t>(framing.payload.data() - m_data.data());
        m_payloadSize = framing.payload.size();
    }
    else if (m_message->opcode == inspector::Opcode::Binary && !m_json.Valid())
    {
        m_payloadOffset = 0; // binary without a JSON header: all of it is payload
        m_payloadSize = m_data.size();
        m_rawText.clear();
    }
    if (m_payloadSize)
    {
        const std::string preview = inspector::PayloadPreview(std::string_view(m_data).substr(m_payloadOffset, 64), 64);
        m_payloadIsText = preview.empty() || preview.front() != '<';
    }
}

void MessageDetailView::DrawContent()
{
    m_drawnHeadLines = 0;
    if (!m_message)
    {
        ImGui::TextDisabled("Select a message to see it here.");
        ImGui::TextDisabled("Arrows or j / k move, Enter opens, / filters.");
        return;
    }
    DrawHeader();
    ImGui::Separator();
    const bool http = IsHttp(m_message->kind);
    if (http)
        DrawHead();
    if (m_loading)
    {
        ImGui::TextDisabled("Loading %s...", FormatBytes(m_message->size).c_str());
        return;
    }
    if (!ImGui::BeginTabBar("detail-tabs"))
        return;
    // An HTTP body gets a JSON tab only when it looks like JSON; a DAP text message always does.
    const bool jsonTab = http ? m_jsonTried : m_json.Valid() || !m_rawText.empty();
    if (jsonTab &&
        ImGui::BeginTabItem("JSON", nullptr, m_focusTree ? ImGuiTabItemFlags_SetSelected : ImGuiTabItemFlags_None))
    {
        if (ImGui::BeginChild("json", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar))
        {
            if (m_json.Valid())
            {
                if (m_json.RedactedValues())
                {
                    ColoredText(colors::kRedacted, ("\xE2\x96\xA0 " + std::to_string(m_json.RedactedValues()) +
                                                    " secret value(s) redacted before storing")
                                                       .c_str());
                }
                m_json.Draw();
            }
            else
            {
                ColoredText(colors::kMalformed, "Not valid JSON:");
                ImGui::TextWrapped("%s",
                                   m_json.Error().empty() ? m_message->malformed.c_str() : m_json.Error().c_str());
            }
        }
        ImGui::EndChild();
        ImGui::EndTabItem();
    }
    if (!m_rawText.empty() && ImGui::BeginTabItem("Raw"))
    {
        DrawRaw();
        ImGui::EndTabItem();
    }
    if (m_payloadSize && ImGui::BeginTabItem("Payload"))
    {
        DrawPayload();
        ImGui::EndTabItem();
    }
    const bool bytesTab = http ? m_rawText.empty() : !jsonTab && !m_payloadSize;
    if (bytesTab && ImGui::BeginTabItem(http ? "Body" : "Bytes"))
    {
        if (m_data.empty())
            ImGui::TextDisabled(http && m_message->size == 0 ? "(no body)" : "(no bytes stored)");
        else
            m_hex.Draw(m_data);
        ImGui::EndTabItem();
    }
    m_focusTree = false;
    ImGui::EndTabBar();
}

void MessageDetailView::DrawHead()
{
    const std::string label =
        "Headers (" + std::to_string(m_headLines.size() > 0 ? m_headLines.size() - 1 : 0) + ")###headers";
    if (!ImGui::CollapsingHeader(label.c_str(), ImGuiTreeNodeFlags_DefaultOpen))
        return;
    if (m_headRedactions)
        ColoredText(
            colors::kRedacted,
            ("\xE2\x96\xA0 " + std::to_string(m_headRedactions) + " secret value(s) redacted before storing").c_str());
    ImGui::PushFont(CurrentFonts().mono);
    const float lines = std::min(static_cast<float>(m_headLines.size()) + 0.6f, 14.0f);
    const float height = lines * ImGui::GetTextLineHeightWithSpacing() + ImGui::GetStyle().WindowPadding.y * 2;
    if (ImGui::BeginChild("head", ImVec2(0, height), true, ImGuiWindowFlags_HorizontalScrollbar))
    {
        ImGuiListClipper clipper;
        clipper.Begin(static_cast<int>(m_headLines.size()));
        while (clipper.Step())
            for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i)
            {
                const std::string& line = m_headLines[static_cast<size_t>(i)];
                if (i == 0)
                    ColoredText(MessageColor(*m_message), line.c_str()); // the request or status line
                else if (line.find("[redacted:") != std::string::npos)
                    ColoredText(colors::kRedacted, line.c_str());
                else
                    ImGui::TextUnformatted(line.c_str());
                ++m_drawnHeadLines;
            }
    }
    ImGui::EndChild();
    ImGui::PopFont();
    if (ImGui::BeginPopupContextItem("head-menu"))
    {
        if (ImGui::MenuItem("Copy headers"))
            ImGui::SetClipboardText(m_message->headers.c_str());
        ImGui::EndPopup();
    }
}

void MessageDetailView::DrawHeader()
{
    const storage::MessageSummary& m = *m_message;
    const storage::SessionSummary* session = m_ctx.model ? m_ctx.model->Session(m.session) : nullptr;
    ImGui::Text("#%" PRId64, m.id);
    ImGui::SameLine();
    ColoredText(MessageColor(m),
                (std::string(DirectionArrow(m.dir)) + " " + KindName(m.kind) + "  " + MessageWhat(m)).c_str());
    if (m.flags & 8)
    {
        ImGui::SameLine();
        ColoredText(colors::kGenerated, "[dapscope]");
    }
    if (!ImGui::BeginTable("facts", 2, ImGuiTableFlags_SizingFixedFit))
        return;
    ImGui::TableSetupColumn("name", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
    Row("Time", FormatTime(m.tsNs, 0, false) + "   (" +
                    FormatTime(m.tsNs, session ? session->startedNs : m.tsNs, true) + " in session " +
                    std::to_string(m.session) + ")");
    const bool http = IsHttp(m.kind);
    std::string wire = std::string(inspector::ToString(m.dir)) + ", " +
                       (http ? std::string("HTTP, body ") : std::string(inspector::ToString(m.opcode)) + ", ") +
                       FormatBytes(m.size);
    if (m.wireSize)
        wire += ", " + FormatBytes(*m.wireSize) + " on the wire";
    if (m.fragments > 1)
        wire += ", " + std::to_string(m.fragments) + " fragments";
    if (m.durNs > 0)
        wire += ", received over " + FormatDuration(m.durNs);
    Row("Wire", wire);
    m_wireFacts = wire;
    if (m.wireSize && ImGui::IsItemHovered())
        ImGui::SetTooltip(http ? "Body de-chunked; on the wire: the head and the body as sent"
                               : "Size as received (decompressed); on the wire: frame headers included, "
                                 "compressed where compressed");
    if (m.seq || m.requestSeq)
        Row("Seq", (m.seq ? "seq " + std::to_string(*m.seq) : std::string()) +
                       (m.requestSeq ? "  request_seq " + std::to_string(*m.requestSeq) : std::string()));
    if (m.flags & 15)
    {
        std::string flags;
        if (m.flags & 1)
            flags += "truncated (only the start was stored)  ";
        if (m.flags & 2)
            flags += "elided (capture fell behind; bytes not stored)  ";
        if (m.flags & 4)
            flags += "redacted (secrets replaced before storing)  ";
        if (m.flags & 8)
            flags += "generated (written by dapscope, not by the engine)";
        Row("Flags", flags, (m.flags & 3) ? colors::kPending : (m.flags & 8) ? colors::kGenerated : colors::kRedacted);
    }
    if (!m.action.empty())
        Row("Rule", cli::RuleMarkText(m), colors::kGenerated);
    const std::string status = MessageStatus(m);
    if (!status.empty())
        Row("Status", status, MessageColor(m));
    if (!m.trace.empty())
        Row("Raised at", m.trace, colors::kFailed);
    if (http && !m.malformed.empty())
        Row("Problem", m.malformed, colors::kMalformed); // cut off, or a new message began before its end
    if (m.kind == inspector::Kind::Request || m.kind == inspector::Kind::Response || http)
        DrawExchange();
    if (m.pipeId)
        Row("Pipe", std::to_string(*m.pipeId));
    if (!m.task.empty())
    {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextDisabled("Task");
        ImGui::TableNextColumn();
        if (LinkText(m.task.c_str()))
        {
            m_ctx.bus.Post(SelectTask{m.task});
            m_ctx.bus.Post(ShowTab{BottomTab::Tasks});
        }
    }
    ImGui::EndTable();
}

void MessageDetailView::DrawExchange()
{
    const storage::MessageSummary& m = *m_message;
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextDisabled("Exchange");
    ImGui::TableNextColumn();
    if (m.latencyNs)
    {
        ImGui::Text("latency %s", FormatDuration(*m.latencyNs).c_str());
        ImGui::SameLine();
    }
    const bool request = m.kind == inspector::Kind::Request || m.kind == inspector::Kind::HttpRequest;
    if (m_pair)
    {
        const bool toResponse = request;
        char link[64];
        std::snprintf(link, sizeof link, "%s #%" PRId64, toResponse ? "response" : "request", m_pair->id);
        if (LinkText(link))
            m_ctx.bus.Post(SelectMessage{m_pair->id, true});
        if (toResponse)
        {
            ImGui::SameLine();
            const std::string status = IsHttp(m_pair->kind) ? HttpStatusLine(*m_pair) : MessageStatus(*m_pair);
            ColoredText(MessageColor(*m_pair), status.c_str());
        }
    }
    else if (request)
        ColoredText(MessageColor(m), m.state == inspector::ExchangeState::Pending ? "no response yet" : "no response");
    else if (m.kind == inspector::Kind::HttpResponse && m.state != inspector::ExchangeState::Orphan)
        ImGui::TextDisabled("interim response: the final one follows");
    else
        ColoredText(colors::kMalformed, "no matching request");
}

void MessageDetailView::DrawRaw()
{
    if (ImGui::SmallButton("Copy"))
        ImGui::SetClipboardText(m_rawText.c_str());
    ImGui::SameLine();
    // Resend: a captured request into the Intercept view's composer, to send it again into a live session.
    if (m_ctx.control && m_message->kind == inspector::Kind::Request)
    {
        if (ImGui::SmallButton("Resend..."))
            m_ctx.bus.Post(ComposeRequest{m_rawText, m_message->session});
        ImGui::SameLine();
    }
    ImGui::TextDisabled("%s as received%s", FormatBytes(static_cast<int64_t>(m_data.size())).c_str(),
                        m_data.size() > kRawDisplayBytes ? ", first 256 KiB shown" : "");
    ImGui::PushFont(CurrentFonts().mono);
    // Read-only multiline field: selectable and copyable, wraps nothing (horizontal scroll).
    ImGui::InputTextMultiline("##raw", m_rawText.data(), m_rawText.size() + 1, ImVec2(-1, -1),
                              ImGuiInputTextFlags_ReadOnly);
    ImGui::PopFont();
}

void MessageDetailView::DrawPayload()
{
    const std::string_view payload = std::string_view(m_data).substr(m_payloadOffset, m_payloadSize);
    ImGui::Text("Binary payload: %s after the JSON header", FormatBytes(static_cast<int64_t>(payload.size())).c_str());
    if (m_message->flags & 1)
    {
        ImGui::SameLine();
        ColoredText(colors::kPending, "(truncated)");
    }
    if (m_payloadIsText)
    {
        if (ImGui::CollapsingHeader("Text preview", ImGuiTreeNodeFlags_DefaultOpen))
        {
            ImGui::PushFont(CurrentFonts().mono);
            const std::string text = DisplayText(payload, 16 * 1024);
            ImGui::BeginChild("preview", ImVec2(0, ImGui::GetTextLineHeightWithSpacing() * 6), true);
            ImGui::TextUnformatted(text.c_str());
            ImGui::EndChild();
            ImGui::PopFont();
        }
    }
    m_hex.Draw(payload);
}

} // namespace dapscope::ui
