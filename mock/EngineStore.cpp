// rrext_store: the per-user file area (fs_*), modelled on the engine's FileStore over a flat key-value store.

#include "EngineRequest.hpp"

#include <algorithm>

namespace dapscope::mock
{

namespace
{

constexpr int64_t kMaxChunk = 4194304;          // MAX_CHUNK_SIZE: fs_read never returns more
constexpr size_t kMaxHandlesPerConnection = 64; // MAX_HANDLES_PER_CONNECTION
constexpr std::string_view kDirMarker = ".dirmarker";

EngineError StoreError(std::string message, int64_t line, std::string_view file = "file_store.py")
{
    return {std::move(message), std::string(file), line};
}

// Python's AttributeError when a required path is missing (the engine does not check it first).
std::string RequirePath(const boost::json::object& args, std::string_view key, std::string_view method)
{
    const auto* value = args.if_contains(key);
    if (!value || !value->is_string())
        throw StoreError("'NoneType' object has no attribute '" + std::string(method) + "'", 601);
    return std::string(value->get_string());
}

// FileStore._validate_path: no "..", no reserved characters, normalised like PurePosixPath.
std::string ValidatePath(std::string_view raw)
{
    std::string path(raw);
    std::replace(path.begin(), path.end(), '\\', '/');
    const size_t start = path.find_first_not_of('/');
    path = start == std::string::npos ? std::string() : path.substr(start);
    std::vector<std::string> parts;
    size_t pos = 0;
    while (pos <= path.size())
    {
        const size_t slash = std::min(path.find('/', pos), path.size());
        parts.push_back(path.substr(pos, slash - pos));
        pos = slash + 1;
    }
    std::string normalised;
    for (const auto& part : parts)
    {
        if (part == "..")
            throw StoreError("Path traversal not allowed: " + path, 610);
        for (unsigned char c : part)
            if (c < 0x20 || std::string_view("*?<>|\":").find(static_cast<char>(c)) != std::string_view::npos)
                throw StoreError("Path contains invalid characters: " + path, 614);
        if (part.empty() || part == ".")
            continue;
        normalised += (normalised.empty() ? "" : "/") + part;
    }
    return normalised;
}

std::string FullPath(std::string_view userId, std::string_view path)
{
    const std::string validated = ValidatePath(path);
    const std::string root = "users/" + std::string(userId) + "/files";
    return validated.empty() ? root : root + "/" + validated;
}

std::string RStripSlash(std::string text)
{
    while (!text.empty() && text.back() == '/')
        text.pop_back();
    return text;
}

} // namespace

void EngineConnection::CloseStoreHandles()
{
    // Like FileStore.close_all_handles: write handles are committed with what was written.
    auto& handles = m_state.Handles();
    for (auto it = handles.begin(); it != handles.end();)
    {
        if (it->second.connectionId != m_connectionId)
        {
            ++it;
            continue;
        }
        if (it->second.write)
            m_state.Files()[it->second.path] = {std::move(it->second.pending), m_state.Now()};
        it = handles.erase(it);
    }
}

EngineConnection::Reply EngineConnection::OnStore(const Request& request)
{
    const auto& args = request.args;
    const std::string subcommand = ArgString(args, "subcommand");
    if (subcommand.empty())
        throw StoreError("Subcommand is required", 455, "cmd_task.py");
    const std::string userId = Slot().userId;
    auto& files = m_state.Files();
    auto& handles = m_state.Handles();
    const double now = m_state.Now();

    const auto countHandles = [&]
    {
        return static_cast<size_t>(std::count_if(handles.begin(), handles.end(),
                                                 [&](const auto& entry)
                                                 { return entry.second.connectionId == m_connectionId; }));
    };
    const auto getHandle = [&](bool write) -> std::pair<const std::string, StoreHandle>&
    {
        const std::string id = ArgPresent(args, "handle") ? ValueText(args.at("handle")) : "None";
        auto it = handles.find(id);
        if (it == handles.end())
            throw StoreError("Invalid handle: " + id, 545);
        if (it->second.write != write)
            throw StoreError(std::string("Wrong handle mode: expected ") + (write ? "w" : "r") + ", got " +
                                 (it->second.write ? "w" : "r"),
                             549);
        if (it->second.connectionId != m_connectionId)
            throw StoreError("Handle belongs to another connection", 551);
        return *it;
    };
    const auto writeLocked = [&](const std::string& full)
    {
        return std::any_of(handles.begin(), handles.end(),
                           [&](const auto& entry) { return entry.second.write && entry.second.path == full; });
    };
    const auto assertNoHandlesUnder = [&](const std::string& prefix)
    {
        const std::string bare = RStripSlash(prefix);
        for (const auto& [id, handle] : handles)
        {
            if (handle.path == bare || handle.path.starts_with(prefix))
                throw StoreError((handle.write ? "Cannot modify: file open for writing under "
                                               : "Cannot modify: handle open under ") +
                                     prefix,
                                 handle.write ? 576 : 579);
        }
    };

    Reply reply;
    if (subcommand == "fs_open")
    {
        const std::string path = RequirePath(args, "path", "replace");
        const std::string full = FullPath(userId, path);
        const bool write = ArgString(args, "mode", "r") == "w";
        if (write && writeLocked(full))
            throw StoreError("File already open for writing: " + path, 121);
        if (countHandles() >= kMaxHandlesPerConnection)
            throw StoreError("Too many open handles for connection " + std::to_string(m_connectionId),
                             write ? 123 : 189);
        auto file = files.find(full);
        if (!write && file == files.end())
            throw StoreError("File not found: " + full, 356, "filesystem.py");
        const std::string id = m_state.NewUuid("handle");
        handles[id] = StoreHandle{full, write, m_connectionId, {}};
        reply.body = boost::json::object{{"handle", id}};
        if (!write)
            (*reply.body)["size"] = file->second.data.size();
    }
    else if (subcommand == "fs_read")
    {
        // Clamp like the engine: bad offsets become 0, bad or huge lengths the 4 MiB default.
        int64_t offset = ArgInt(args, "offset").value_or(0);
        int64_t length = ArgInt(args, "length").value_or(kMaxChunk);
        offset = std::max<int64_t>(offset, 0);
        length = length <= 0 ? kMaxChunk : std::min(length, kMaxChunk);
        auto& handle = getHandle(false).second;
        auto file = files.find(handle.path);
        if (file == files.end())
            throw StoreError("File not found: " + handle.path, 372, "filesystem.py");
        const std::string& data = file->second.data;
        const size_t begin = std::min(static_cast<size_t>(offset), data.size());
        reply.binaryPayload = data.substr(begin, static_cast<size_t>(length));
        reply.body = boost::json::object{{"size", reply.binaryPayload->size()}};
    }
    else if (subcommand == "fs_write")
    {
        auto& handle = getHandle(true).second;
        const std::string data = request.data.value_or(std::string());
        handle.pending += data;
        reply.body = boost::json::object{{"bytesWritten", data.size()}};
    }
    else if (subcommand == "fs_close")
    {
        const bool write = ArgString(args, "mode", "r") == "w";
        auto& entry = getHandle(write);
        if (write)
            files[entry.second.path] = {std::move(entry.second.pending), now};
        const std::string id = entry.first; // copy: erase must not read a key from the node it frees
        handles.erase(id);
    }
    else if (subcommand == "fs_delete")
    {
        const std::string path = RequirePath(args, "path", "replace");
        const std::string full = FullPath(userId, path);
        if (writeLocked(full))
            throw StoreError("Cannot delete file while it is open for writing: " + path, 322);
        if (!files.erase(full))
            throw StoreError("File not found: " + full, 262, "filesystem.py");
    }
    else if (subcommand == "fs_list_dir")
    {
        std::string prefix = FullPath(userId, ArgString(args, "path"));
        prefix += '/';
        std::map<std::string, const StoreFile*> entries; // name -> file (nullptr = directory)
        for (auto it = files.lower_bound(prefix); it != files.end() && it->first.starts_with(prefix); ++it)
        {
            const std::string relative = it->first.substr(prefix.size());
            const size_t slash = relative.find('/');
            const std::string name = relative.substr(0, slash);
            if (name.empty() || name == kDirMarker)
                continue;
            if (slash == std::string::npos)
                entries.emplace(name, &it->second);
            else
                entries[name] = nullptr;
        }
        boost::json::array list;
        for (const auto& [name, file] : entries)
        {
            boost::json::object entry{{"name", name}, {"type", file ? "file" : "dir"}};
            if (file)
            {
                entry["size"] = file->data.size();
                entry["modified"] = file->modified;
            }
            list.push_back(std::move(entry));
        }
        reply.body = boost::json::object{{"entries", std::move(list)}, {"count", entries.size()}};
    }
    else if (subcommand == "fs_mkdir")
    {
        const std::string path = RequirePath(args, "path", "rstrip");
        files[FullPath(userId, RStripSlash(path) + "/" + std::string(kDirMarker))] = {std::string(), now};
    }
    else if (subcommand == "fs_rmdir")
    {
        const auto* pathValue = args.if_contains("path");
        if (!pathValue || !pathValue->is_string() || pathValue->get_string().empty())
            throw StoreError("rmdir requires a non-empty \"path\" string", 677, "cmd_task.py");
        const auto* recursiveValue = args.if_contains("recursive");
        if (recursiveValue && !recursiveValue->is_bool())
            throw StoreError("rmdir \"recursive\" must be a boolean", 684, "cmd_task.py");
        const std::string path(pathValue->get_string());
        const std::string validated = ValidatePath(path);
        if (validated.empty())
            throw StoreError("rmdir requires a non-empty path", 408);
        const std::string prefix = FullPath(userId, validated) + "/";
        assertNoHandlesUnder(prefix);
        auto first = files.lower_bound(prefix);
        auto last = first;
        bool hasContent = false;
        for (; last != files.end() && last->first.starts_with(prefix); ++last)
            hasContent = hasContent || !last->first.ends_with("/" + std::string(kDirMarker));
        if (hasContent && !(recursiveValue && recursiveValue->get_bool()))
            throw StoreError("Directory not empty: " + path, 423);
        files.erase(first, last);
    }
    else if (subcommand == "fs_stat")
    {
        const std::string full = FullPath(userId, RequirePath(args, "path", "replace"));
        const std::string prefix = RStripSlash(full) + "/";
        auto under = files.lower_bound(prefix);
        const bool isDir = under != files.end() && under->first.starts_with(prefix);
        auto file = files.find(full);
        boost::json::object stat{{"exists", isDir || file != files.end()}};
        if (isDir || file != files.end())
            stat["type"] = isDir && file != files.end() ? "both" : (isDir ? "dir" : "file");
        if (file != files.end())
        {
            stat["size"] = file->second.data.size();
            stat["modified"] = file->second.modified;
        }
        reply.body = std::move(stat);
    }
    else if (subcommand == "fs_rename")
    {
        const std::string oldPath = ArgString(args, "old_path");
        const std::string newPath = ArgString(args, "new_path");
        if (oldPath.empty())
            throw StoreError("rename requires a non-empty \"old_path\" string", 724, "cmd_task.py");
        if (newPath.empty())
            throw StoreError("rename requires a non-empty \"new_path\" string", 726, "cmd_task.py");
        const std::string oldFull = FullPath(userId, oldPath);
        const std::string newFull = FullPath(userId, newPath);
        const std::string oldPrefix = RStripSlash(oldFull) + "/";
        const std::string newPrefix = RStripSlash(newFull) + "/";
        auto first = files.lower_bound(oldPrefix);
        if (first != files.end() && first->first.starts_with(oldPrefix))
        {
            // A directory: move every key under it.
            assertNoHandlesUnder(oldPrefix);
            assertNoHandlesUnder(newPrefix);
            auto existing = files.lower_bound(newPrefix);
            if (existing != files.end() && existing->first.starts_with(newPrefix))
                throw StoreError("Destination already exists: " + newPath, 471);
            std::vector<std::pair<std::string, StoreFile>> moved;
            for (auto it = first; it != files.end() && it->first.starts_with(oldPrefix);)
            {
                moved.emplace_back(newPrefix + it->first.substr(oldPrefix.size()), std::move(it->second));
                it = files.erase(it);
            }
            for (auto& [key, file] : moved)
                files[key] = std::move(file);
        }
        else
        {
            if (writeLocked(oldFull))
                throw StoreError("Cannot rename file while it is open for writing: " + oldPath, 482);
            if (writeLocked(newFull))
                throw StoreError("Cannot rename onto file that is open for writing: " + newPath, 484);
            if (files.contains(newFull))
                throw StoreError("Destination already exists: " + newPath, 495);
            auto file = files.find(oldFull);
            if (file == files.end())
                throw StoreError("File not found: " + oldFull, 285, "filesystem.py");
            StoreFile moved = std::move(file->second);
            files.erase(file);
            files[newFull] = std::move(moved);
        }
    }
    else
    {
        throw StoreError("Unknown subcommand: " + subcommand, 462, "cmd_task.py");
    }
    return reply;
}

} // namespace dapscope::mock
