// set/remove reuse the inspector's JSONPath: the path without its last step selects the parents, the last step
// says what to change in each. Patches walk RFC 6901 pointers.

#include "JsonEdit.hpp"

#include <charconv>

namespace dapscope::rules
{

namespace
{

using inspector::JsonPath;
using inspector::JsonPathStep;

// The parents selected by `path` without its last step (the root itself for a one-step path).
std::vector<boost::json::value*> Parents(const JsonPath& path, boost::json::value& root)
{
    std::vector<boost::json::value*> out;
    JsonPath head(path.begin(), path.end() - 1);
    if (head.empty())
        out.push_back(&root);
    else
        inspector::SelectJsonPath(head, root, out);
    return out;
}

std::optional<size_t> ArrayIndex(const boost::json::array& array, int64_t index)
{
    int64_t i = index < 0 ? static_cast<int64_t>(array.size()) + index : index;
    if (i < 0 || i >= static_cast<int64_t>(array.size()))
        return std::nullopt;
    return static_cast<size_t>(i);
}

void SetAt(const JsonPath& path, const boost::json::value& value, boost::json::value& root)
{
    if (path.empty())
    {
        root = value;
        return;
    }
    const JsonPathStep& last = path.back();
    if (last.recursive)
    {
        // Recursive steps change only what exists: there is no one place to create a member.
        std::vector<boost::json::value*> hits;
        inspector::SelectJsonPath(path, root, hits);
        for (auto* hit : hits)
            *hit = value;
        return;
    }
    for (auto* parent : Parents(path, root))
    {
        if (last.type == JsonPathStep::Type::Member && parent->is_object())
            parent->as_object()[last.name] = value;
        else if (last.type == JsonPathStep::Type::Index && parent->is_array())
        {
            if (auto i = ArrayIndex(parent->as_array(), last.index))
                parent->as_array()[*i] = value;
        }
        else if (last.type == JsonPathStep::Type::Wildcard)
        {
            if (parent->is_object())
                for (auto& member : parent->as_object())
                    member.value() = value;
            else if (parent->is_array())
                for (auto& element : parent->as_array())
                    element = value;
        }
    }
}

void RemoveAt(const JsonPath& path, boost::json::value& root)
{
    if (path.empty())
        return;
    const JsonPathStep& last = path.back();
    std::vector<boost::json::value*> parents;
    if (last.recursive)
    {
        // ..name removes `name` from every object at any depth: select all containers, then erase in each.
        JsonPath all(path.begin(), path.end() - 1);
        all.push_back(JsonPathStep{JsonPathStep::Type::Wildcard, true, "", 0});
        inspector::SelectJsonPath(all, root, parents);
        if (path.size() == 1)
            parents.push_back(&root);
    }
    else
        parents = Parents(path, root);
    for (auto* parent : parents)
    {
        if (parent->is_object())
        {
            if (last.type == JsonPathStep::Type::Member)
                parent->as_object().erase(last.name);
            else if (last.type == JsonPathStep::Type::Wildcard)
                parent->as_object().clear();
        }
        else if (parent->is_array())
        {
            auto& array = parent->as_array();
            if (last.type == JsonPathStep::Type::Index)
            {
                if (auto i = ArrayIndex(array, last.index))
                    array.erase(array.begin() + static_cast<std::ptrdiff_t>(*i));
            }
            else if (last.type == JsonPathStep::Type::Wildcard)
                array.clear();
        }
    }
}

// A pointer's reference tokens, unescaped (~1 -> /, ~0 -> ~); nullopt when malformed.
std::optional<std::vector<std::string>> Tokens(std::string_view pointer)
{
    std::vector<std::string> tokens;
    if (pointer.empty())
        return tokens;
    if (pointer.front() != '/')
        return std::nullopt;
    size_t pos = 1;
    while (true)
    {
        size_t end = pointer.find('/', pos);
        std::string_view raw = pointer.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        std::string token;
        for (size_t i = 0; i < raw.size(); ++i)
        {
            if (raw[i] != '~')
            {
                token += raw[i];
                continue;
            }
            if (i + 1 >= raw.size() || (raw[i + 1] != '0' && raw[i + 1] != '1'))
                return std::nullopt;
            token += raw[++i] == '0' ? '~' : '/';
        }
        tokens.push_back(std::move(token));
        if (end == std::string_view::npos)
            return tokens;
        pos = end + 1;
    }
}

std::optional<size_t> ParseIndex(const std::string& token, size_t limit)
{
    size_t index = 0;
    if (token.empty() || (token.size() > 1 && token[0] == '0'))
        return std::nullopt;
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
    if (ec != std::errc() || end != token.data() + token.size() || index > limit)
        return std::nullopt;
    return index;
}

boost::json::value* Resolve(boost::json::value& root, const std::vector<std::string>& tokens, size_t count)
{
    boost::json::value* at = &root;
    for (size_t i = 0; i < count; ++i)
    {
        if (at->is_object())
        {
            auto it = at->as_object().find(tokens[i]);
            if (it == at->as_object().end())
                return nullptr;
            at = &it->value();
        }
        else if (at->is_array())
        {
            auto index = ParseIndex(tokens[i], SIZE_MAX);
            if (!index || *index >= at->as_array().size())
                return nullptr;
            at = &at->as_array()[*index];
        }
        else
            return nullptr;
    }
    return at;
}

class Patcher
{
  public:
    explicit Patcher(boost::json::value& root) : root_(root) {}

    std::optional<std::string> Apply(const PatchOp& op)
    {
        auto path = *Tokens(op.path); // checked when the file was read
        if (op.op == "test")
        {
            boost::json::value* at = Resolve(root_, path, path.size());
            if (!at || *at != op.value)
                return "test failed at '" + op.path + "'";
            return std::nullopt;
        }
        if (op.op == "add" || op.op == "replace")
            return Put(path, op.value, op.op == "replace", op.path);
        if (op.op == "remove")
            return Take(path, op.path, nullptr);
        auto from = *Tokens(op.from);
        boost::json::value moved;
        if (op.op == "copy")
        {
            boost::json::value* at = Resolve(root_, from, from.size());
            if (!at)
                return "nothing at '" + op.from + "' to copy";
            moved = *at;
        }
        else
        {
            if (path.size() > from.size() && std::equal(from.begin(), from.end(), path.begin()))
                return "cannot move '" + op.from + "' into itself";
            if (auto problem = Take(from, op.from, &moved))
                return problem;
        }
        return Put(path, moved, false, op.path);
    }

  private:
    std::optional<std::string> Put(const std::vector<std::string>& path, const boost::json::value& value,
                                   bool mustExist, const std::string& text)
    {
        if (path.empty())
        {
            root_ = value;
            return std::nullopt;
        }
        boost::json::value* parent = Resolve(root_, path, path.size() - 1);
        if (!parent)
            return "no parent for '" + text + "'";
        const std::string& last = path.back();
        if (parent->is_object())
        {
            auto& object = parent->as_object();
            if (mustExist && !object.contains(last))
                return "nothing at '" + text + "' to replace";
            object[last] = value;
            return std::nullopt;
        }
        if (parent->is_array())
        {
            auto& array = parent->as_array();
            if (!mustExist && last == "-")
            {
                array.push_back(value);
                return std::nullopt;
            }
            auto index = ParseIndex(last, array.size());
            if (!index || (mustExist && *index >= array.size()))
                return "bad array index in '" + text + "'";
            if (mustExist)
                array[*index] = value;
            else
                array.insert(array.begin() + static_cast<std::ptrdiff_t>(*index), value);
            return std::nullopt;
        }
        return "'" + text + "' is inside a value that is neither object nor array";
    }

    std::optional<std::string> Take(const std::vector<std::string>& path, const std::string& text,
                                    boost::json::value* out)
    {
        if (path.empty())
            return std::string("cannot remove the whole message");
        boost::json::value* parent = Resolve(root_, path, path.size() - 1);
        boost::json::value* at = Resolve(root_, path, path.size());
        if (!parent || !at)
            return "nothing at '" + text + "' to remove";
        if (out)
            *out = *at;
        if (parent->is_object())
            parent->as_object().erase(path.back());
        else
        {
            auto& array = parent->as_array();
            array.erase(array.begin() + static_cast<std::ptrdiff_t>(*ParseIndex(path.back(), array.size())));
        }
        return std::nullopt;
    }

    boost::json::value& root_;
};

} // namespace

std::optional<std::string> CheckJsonPointer(std::string_view pointer)
{
    if (!Tokens(pointer))
        return "bad JSON pointer '" + std::string(pointer) + "' (RFC 6901: empty or /a/b, ~0 for ~, ~1 for /)";
    return std::nullopt;
}

std::optional<std::string> ApplyEdit(const EditAction& edit, boost::json::value& root)
{
    for (const auto& [path, value] : edit.set)
        SetAt(path, value, root);
    for (const auto& path : edit.remove)
        RemoveAt(path, root);
    if (edit.patch.empty())
        return std::nullopt;
    boost::json::value work = root;
    Patcher patcher(work);
    for (const auto& op : edit.patch)
        if (auto problem = patcher.Apply(op))
            return "patch not applied: " + *problem;
    root = std::move(work);
    return std::nullopt;
}

} // namespace dapscope::rules
