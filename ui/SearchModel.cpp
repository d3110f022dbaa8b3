#include "SearchModel.hpp"

namespace dapscope::ui
{

SearchModel::SearchModel(AppContext& context) : m_ctx(context), m_loader(context.tasks)
{
    m_ctx.bus.Subscribe<StoreOpened>(this,
                                     [this](const StoreOpened&)
                                     {
                                         m_loader.Reset();
                                         m_hits.clear();
                                         m_loading = m_complete = false;
                                         m_error.clear();
                                         m_firstPage.reset();
                                     });
}

void SearchModel::Run(const storage::MessageFilter& filter)
{
    m_loader.Reset();
    m_filter = filter;
    m_hits.clear();
    m_complete = false;
    m_error.clear();
    m_firstPage.reset();
    m_started = std::chrono::steady_clock::now();
    Load();
}

void SearchModel::More()
{
    if (!m_loading && !m_complete && m_error.empty())
        Load();
}

void SearchModel::Load()
{
    if (!m_ctx.model)
        return;
    m_loading = true;
    storage::SearchScope scope;
    const int64_t limit = m_hits.empty() ? kFirstPage : kPage;
    if (!m_hits.empty())
    {
        scope.afterSession = m_hits.back().message.session;
        scope.afterId = m_hits.back().message.id;
    }
    m_loader.Run(
        "Searching all sessions", m_ctx.model->Path(),
        [filter = m_filter, scope, limit](storage::TraceReader& reader, TaskContext&)
        { return reader.Search(filter, scope, limit); },
        [this, limit](std::vector<storage::SearchHit>& page)
        {
            m_loading = false;
            m_complete = static_cast<int64_t>(page.size()) < limit;
            if (!m_firstPage)
                m_firstPage =
                    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - m_started);
            m_hits.insert(m_hits.end(), std::make_move_iterator(page.begin()), std::make_move_iterator(page.end()));
        },
        [this](const std::string& error)
        {
            m_loading = false;
            m_error = error;
        });
}

} // namespace dapscope::ui
