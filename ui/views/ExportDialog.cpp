#include "ExportDialog.hpp"

#include "cli/Format.hpp"
#include "storage/Export.hpp"
#include "ui/Style.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <cstdlib>
#include <filesystem>

namespace dapscope::ui
{

ExportDialog::ExportDialog(AppContext& context) : m_ctx(context), m_loader(context.tasks) {}

std::string ExportDialog::DefaultPath(bool har) const
{
    const char* home = std::getenv("HOME");
    const std::string folder = home && *home ? home : ".";
    return folder + "/dapscope-session-" + std::to_string(m_session) + (har ? ".har" : ".jsonl");
}

void ExportDialog::Open(int64_t session)
{
    if (session == 0)
    {
        m_ctx.Notify("Export: select a session first");
        return;
    }
    m_open = true;
    m_justOpened = true;
    if (session != m_session || !m_pathEdited)
    {
        m_session = session;
        m_pathEdited = false;
        m_path = DefaultPath(m_format == 0);
    }
}

void ExportDialog::Start(int64_t session, bool har, const std::string& path)
{
    if (!m_ctx.model || Running())
        return;
    m_session = session;
    m_result.clear();
    m_failed = false;
    m_job = m_loader.Run(
        "Export session " + std::to_string(session), m_ctx.model->Path(),
        [=](storage::TraceReader& reader, TaskContext& ctx)
        {
            uint64_t written = 0;
            cli::ExportSessions(reader, {session}, har ? storage::ExportFormat::Har : storage::ExportFormat::Jsonl,
                                path,
                                [&](uint64_t done, uint64_t total)
                                {
                                    written = done;
                                    ctx.SetProgress(done, total);
                                });
            return written;
        },
        [this, session, path](uint64_t written)
        {
            m_result = "Exported session " + std::to_string(session) + " (" + std::to_string(written) +
                       " messages) to " + path;
            m_ctx.Notify(m_result);
        },
        [this](const std::string& error)
        {
            m_failed = true;
            m_result = "Export failed: " + error;
            m_ctx.Notify(m_result, std::chrono::seconds(15));
        });
}

void ExportDialog::Draw()
{
    if (m_justOpened)
    {
        ImGui::OpenPopup("Export session");
        m_justOpened = false;
    }
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowPos(ImVec2(display.x / 2, display.y / 2), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(std::min(640.0f, display.x - 40), 0), ImGuiCond_Appearing);
    bool open = true;
    if (!ImGui::BeginPopupModal("Export session", &open, ImGuiWindowFlags_AlwaysAutoResize))
    {
        m_open = m_open && ImGui::IsPopupOpen("Export session");
        return;
    }
    ImGui::Text("Session %lld", static_cast<long long>(m_session));
    const int previous = m_format;
    ImGui::RadioButton("HAR 1.2 (Chrome DevTools, other HAR readers)", &m_format, 0);
    ImGui::RadioButton("JSONL (one message per line, for jq and scripts)", &m_format, 1);
    if (previous != m_format && !m_pathEdited)
        m_path = DefaultPath(m_format == 0);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 36);
    if (ImGui::InputText("File", &m_path))
        m_pathEdited = true;
    ImGui::TextDisabled("Created with mode 0600. Secrets were redacted before they were stored.");
    if (Running())
    {
        ImGui::ProgressBar(m_job->Fraction(), ImVec2(-1, 0));
        ImGui::TextDisabled("You can close this window; the status bar shows the progress.");
    }
    else if (!m_result.empty())
        ColoredText(m_failed ? colors::kFailed : colors::kResponse, m_result.c_str());
    ImGui::BeginDisabled(Running() || m_path.empty());
    if (ImGui::Button("Export"))
        Start(m_session, m_format == 0, m_path);
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Button(Running() ? "Hide" : "Close") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape)))
    {
        m_open = false;
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
    if (!open)
        m_open = false;
}

} // namespace dapscope::ui
