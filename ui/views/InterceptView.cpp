#include "InterceptView.hpp"

#include "ui/Style.hpp"

#include <boost/json.hpp>
#include <imgui_stdlib.h>

#include <algorithm>

namespace dapscope::ui
{

namespace json = boost::json;

namespace
{
constexpr auto kRefresh = std::chrono::milliseconds(250);

std::string Text(const json::object& o, std::string_view key)
{
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

int64_t Number(const json::object& o, std::string_view key)
{
    const json::value* v = o.if_contains(key);
    return v && v->is_number() ? v->to_number<int64_t>() : 0;
}

// The JSON pretty enough to edit: one member per line at the top level.
std::string Editable(const std::string& message)
{
    boost::system::error_code ec;
    json::value v = json::parse(message, ec);
    if (ec || !v.is_object())
        return message;
    std::string out = "{\n";
    bool first = true;
    for (const auto& [key, value] : v.as_object())
    {
        out +=
            std::string(first ? "" : ",\n") + "  " + json::serialize(json::value(key)) + ": " + json::serialize(value);
        first = false;
    }
    return out + "\n}";
}
} // namespace

InterceptView::InterceptView(AppContext& context) : View("Intercept", ViewSlot::Bottom, context)
{
    m_compose = "{\"command\": \"rrext_ping\", \"arguments\": {}}";
    m_ctx.bus.Subscribe<ComposeRequest>(this,
                                        [this](const ComposeRequest& e)
                                        {
                                            Compose(e.request, e.session);
                                            m_ctx.bus.Post(ShowTab{BottomTab::Intercept});
                                        });
}

void InterceptView::Ask(json::object request, std::function<void(const json::object&)> done)
{
    if (!m_ctx.control)
        return;
    ++m_pending;
    auto control = m_ctx.control;
    m_ctx.tasks.Run("",
                    [control, request = std::move(request), done = std::move(done), alive = m_lifetime.Token(),
                     this](TaskContext& task)
                    {
                        json::object answer = control(request);
                        task.DoLater(
                            [answer = std::move(answer), done, alive, this]
                            {
                                if (alive.expired())
                                    return;
                                --m_pending;
                                done(answer);
                            });
                    });
}

void InterceptView::Update()
{
    if (!m_ctx.control)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (m_pending == 0 && now - m_refreshedAt >= kRefresh)
        Refresh();
    m_ctx.WakeAt(m_refreshedAt + kRefresh);
}

void InterceptView::Refresh()
{
    m_refreshedAt = std::chrono::steady_clock::now();
    Ask({{"op", "held"}},
        [this](const json::object& answer)
        {
            if (answer.if_contains("ok") == nullptr || answer.at("ok") != true)
                return;
            std::vector<HeldRow> rows;
            for (const json::value& v : answer.at("held").as_array())
            {
                const json::object& h = v.as_object();
                HeldRow row{static_cast<uint64_t>(Number(h, "id")),
                            Number(h, "session"),
                            Text(h, "dir"),
                            Text(h, "rule"),
                            Number(h, "age_ms"),
                            Number(h, "releases_in_ms"),
                            Text(h, "message")};
                if (!m_editors.contains(row.id))
                    m_editors[row.id] = Editable(row.message);
                rows.push_back(std::move(row));
            }
            std::erase_if(
                m_editors, [&](const auto& e)
                { return std::none_of(rows.begin(), rows.end(), [&](const HeldRow& r) { return r.id == e.first; }); });
            m_held = std::move(rows);
            m_selected = std::min(m_selected, m_held.empty() ? 0 : m_held.size() - 1);
        });
}

void InterceptView::Forward(size_t row, bool edited)
{
    if (row >= m_held.size())
        return;
    json::object request{{"op", "release"}, {"id", m_held[row].id}};
    if (edited)
    {
        // Validated here first, so a typo is shown at once; the proxy checks again.
        boost::system::error_code ec;
        json::value parsed = json::parse(m_editors[m_held[row].id], ec);
        if (ec || !parsed.is_object())
        {
            m_problem = "not sent: the edited message is not a JSON object" + (ec ? " (" + ec.message() + ")" : "");
            return;
        }
        request["edit"] = json::serialize(parsed);
    }
    m_problem.clear();
    Ask(std::move(request),
        [this](const json::object& answer)
        {
            if (answer.at("ok") != true)
                m_problem = Text(answer, "error");
            Refresh();
        });
}

void InterceptView::Drop(size_t row)
{
    if (row >= m_held.size())
        return;
    m_problem.clear();
    Ask({{"op", "drop"}, {"id", m_held[row].id}},
        [this](const json::object& answer)
        {
            if (answer.at("ok") != true)
                m_problem = Text(answer, "error");
            Refresh();
        });
}

void InterceptView::AddBreakpoint(const std::string& command, const std::string& dir)
{
    json::object match{{"command", command}};
    if (!dir.empty())
        match["dir"] = dir;
    const std::string name = "gui-" + command + (dir.empty() ? "" : "-" + dir);
    Ask({{"op", "break"}, {"rule", json::serialize(json::object{{"name", name}, {"match", match}, {"break", true}})}},
        [this, name](const json::object& answer)
        {
            if (answer.at("ok") != true)
                m_problem = Text(answer, "error");
            else
                m_ctx.Notify("breakpoint " + name + " added");
        });
}

void InterceptView::Compose(const std::string& request, int64_t session)
{
    boost::system::error_code ec;
    json::value v = json::parse(request, ec);
    if (!ec && v.is_object())
    {
        // The proxy gives an injected request a seq of its own; the rest is sent as captured.
        v.as_object().erase("seq");
        m_compose = Editable(json::serialize(v));
    }
    else
        m_compose = request;
    m_composeSession = session;
}

void InterceptView::Send()
{
    boost::system::error_code ec;
    json::value request = json::parse(m_compose, ec);
    if (ec || !request.is_object() || !request.as_object().contains("command"))
    {
        m_problem = "not sent: the request must be a JSON object with a command";
        return;
    }
    m_problem.clear();
    m_answer = "waiting for the engine...";
    Ask({{"op", "inject"}, {"session", m_composeSession}, {"request", request}},
        [this](const json::object& answer)
        {
            if (answer.at("ok") != true)
            {
                m_problem = Text(answer, "error");
                m_answer.clear();
            }
            else if (answer.at("response").is_null())
                m_answer = "sent as seq " + std::to_string(Number(answer, "seq")) + "; no answer yet";
            else
                m_answer = json::serialize(answer.at("response"));
        });
}

void InterceptView::DrawContent()
{
    if (!m_ctx.control)
    {
        ImGui::TextDisabled("Holding and sending messages needs a live capture: start dapscope-ui with --listen.");
        return;
    }
    if (!m_problem.empty())
        ImGui::TextColored(ImVec4(0.95f, 0.45f, 0.4f, 1), "%s", m_problem.c_str());
    const float width = ImGui::GetContentRegionAvail().x;
    ImGui::BeginChild("held", ImVec2(width * 0.58f, 0), true);
    DrawHeld();
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("compose", ImVec2(0, 0), true);
    DrawCompose();
    ImGui::EndChild();
}

void InterceptView::DrawHeld()
{
    ImGui::SetNextItemWidth(180);
    ImGui::InputTextWithHint("##break", "command to break on", &m_breakCommand);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(70);
    ImGui::Combo("##dir", &m_breakDir, "c2s\0s2c\0both\0");
    ImGui::SameLine();
    if (ImGui::Button("Add breakpoint") && !m_breakCommand.empty())
        AddBreakpoint(m_breakCommand, m_breakDir == 0 ? "c2s" : m_breakDir == 1 ? "s2c" : "");
    ImGui::Separator();
    if (m_held.empty())
    {
        ImGui::TextDisabled("No message is held. Messages a breakpoint matches wait here.");
        return;
    }
    if (ImGui::BeginTable("held-table", 5, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV,
                          ImVec2(0, ImGui::GetTextLineHeightWithSpacing() * std::min<size_t>(m_held.size() + 1, 5))))
    {
        for (const char* name : {"id", "session", "dir", "rule", "held for"})
            ImGui::TableSetupColumn(name);
        ImGui::TableHeadersRow();
        for (size_t i = 0; i < m_held.size(); ++i)
        {
            const HeldRow& row = m_held[i];
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            if (ImGui::Selectable(std::to_string(row.id).c_str(), m_selected == i, ImGuiSelectableFlags_SpanAllColumns))
                m_selected = i;
            ImGui::TableNextColumn();
            ImGui::Text("%lld", static_cast<long long>(row.session));
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(row.dir.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(row.rule.c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%.1f s (goes on in %.0f s)", row.ageMs / 1000.0, row.releasesInMs / 1000.0);
        }
        ImGui::EndTable();
    }
    const HeldRow& row = m_held[m_selected];
    if (ImGui::Button("Forward"))
        Forward(m_selected, false);
    ImGui::SameLine();
    if (ImGui::Button("Forward edited"))
        Forward(m_selected, true);
    ImGui::SameLine();
    if (ImGui::Button("Drop"))
        Drop(m_selected);
    ImGui::InputTextMultiline("##edit", &m_editors[row.id], ImVec2(-1, -1));
}

void InterceptView::DrawCompose()
{
    ImGui::TextUnformatted("Send a request into session");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(90);
    int session = static_cast<int>(m_composeSession ? m_composeSession : m_ctx.state.session);
    if (ImGui::InputInt("##session", &session))
        m_composeSession = session;
    else if (!m_composeSession)
        m_composeSession = m_ctx.state.session;
    ImGui::SameLine();
    if (ImGui::Button("Send"))
        Send();
    const float answerHeight = ImGui::GetTextLineHeightWithSpacing() * 4;
    ImGui::InputTextMultiline("##compose", &m_compose, ImVec2(-1, -answerHeight));
    ImGui::TextDisabled("answer (the SDK never sees it):");
    ImGui::TextWrapped("%s", m_answer.c_str());
}

} // namespace dapscope::ui
