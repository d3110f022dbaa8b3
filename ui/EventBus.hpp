#pragma once
// A small typed event bus (ImHex's EventManager, reduced): views subscribe with themselves as the token in
// their constructor and unsubscribe in their destructor. Posting is synchronous and happens on the UI thread.

#include <functional>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dapscope::ui
{

class EventBus
{
  public:
    template <class Event> void Subscribe(const void* token, std::function<void(const Event&)> handler)
    {
        m_handlers[std::type_index(typeid(Event))].push_back(
            {token, [handler = std::move(handler)](const void* event) { handler(*static_cast<const Event*>(event)); }});
    }

    // Remove every handler registered with `token`.
    void Unsubscribe(const void* token)
    {
        for (auto& [type, handlers] : m_handlers)
            std::erase_if(handlers, [token](const Handler& h) { return h.token == token; });
    }

    // Call every handler of Event, in subscription order. Handlers may post further events.
    template <class Event> void Post(const Event& event)
    {
        auto it = m_handlers.find(std::type_index(typeid(Event)));
        if (it == m_handlers.end())
            return;
        std::vector<Handler> handlers = it->second; // a handler may (un)subscribe while we iterate
        for (const Handler& h : handlers)
            h.call(&event);
    }

  private:
    struct Handler
    {
        const void* token;                     // who subscribed (for Unsubscribe)
        std::function<void(const void*)> call; // casts back to the event type
    };
    std::unordered_map<std::type_index, std::vector<Handler>> m_handlers;
};

} // namespace dapscope::ui
