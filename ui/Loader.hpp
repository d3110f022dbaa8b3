#pragma once
// How a model loads (the one lifetime and generation guard of the GUI): a job reads the store through its worker
// thread's TraceReader, and what it hands back reaches the model on the UI thread only while the model still wants
// it, i.e. the Loader (the model's last member) still exists and Reset() was not called since the job started.

#include "TaskRunner.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace dapscope::ui
{

class Loader
{
  public:
    explicit Loader(TaskRunner& tasks) : m_tasks(tasks) {}

    Loader(const Loader&) = delete;
    Loader& operator=(const Loader&) = delete;

    // Drop what every job started so far hands back (another session, another store, another scope).
    void Reset() { ++m_generation; }

    // Run `load(reader, ctx)` on a worker, reading `storePath`. Its result is handed to `done` (as an lvalue to move
    // from) and an exception's message to `failed`, both on the UI thread and only while still wanted. `name` is
    // shown in the status bar while the job runs ("" = not shown).
    template <class Load, class Done>
    std::shared_ptr<TaskState> Run(std::string name, std::string storePath, Load load, Done done,
                                   std::function<void(const std::string&)> failed = {})
    {
        using Result = std::invoke_result_t<Load&, storage::TraceReader&, TaskContext&>;
        auto wanted = Wanted();
        return m_tasks.Run(
            std::move(name),
            [wanted, path = std::move(storePath), load = std::move(load), done = std::move(done)](TaskContext& ctx)
            {
                auto result = std::make_shared<Result>(load(ctx.Reader(path), ctx));
                ctx.DoLater(
                    [wanted, done, result]
                    {
                        if (wanted())
                            done(*result);
                    });
            },
            [wanted, failed = std::move(failed)](const std::string& error)
            {
                if (wanted() && failed)
                    failed(error);
            });
    }

    // Whether what a job started now hands back is still wanted: for the callbacks a job posts itself
    // (TaskContext::DoLater: progress, partial results). Call the predicate on the UI thread only.
    std::function<bool()> Wanted() const
    {
        return [alive = m_lifetime.Token(), self = this, generation = m_generation]
        { return !alive.expired() && self->m_generation == generation; };
    }

  private:
    TaskRunner& m_tasks;
    uint64_t m_generation = 0; // bumped by Reset
    Lifetime m_lifetime;       // expires with the Loader (last member)
};

} // namespace dapscope::ui
