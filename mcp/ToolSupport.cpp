#include "ToolSupport.hpp"

#include "storage/ExportEncoding.hpp"

#include <cmath>

namespace dapscope::mcp
{

Arguments::Arguments(const json::object& given, const json::object& inputSchema) : m_given(given)
{
    const json::value* properties = inputSchema.if_contains("properties");
    for (const auto& member : given)
        if (!properties || !properties->as_object().contains(member.key()))
            throw ArgumentError(std::string(member.key()), "unknown argument (see the tool's input schema)");
    if (const json::value* required = inputSchema.if_contains("required"))
        for (const json::value& name : required->as_array())
            if (!Get(name.as_string()))
                throw ArgumentError(std::string(name.as_string()), "required");
}

const json::value* Arguments::Get(std::string_view name) const
{
    const json::value* value = m_given.if_contains(name);
    return value && !value->is_null() ? value : nullptr;
}

std::optional<int64_t> Arguments::Integer(std::string_view name, int64_t min, int64_t max) const
{
    const json::value* value = Get(name);
    if (!value)
        return std::nullopt;
    std::optional<int64_t> number;
    if (value->is_int64())
        number = value->get_int64();
    else if (value->is_uint64() && value->get_uint64() <= static_cast<uint64_t>(INT64_MAX))
        number = static_cast<int64_t>(value->get_uint64());
    else if (value->is_double() && std::trunc(value->get_double()) == value->get_double() &&
             std::fabs(value->get_double()) < 9e15)
        number = static_cast<int64_t>(value->get_double());
    if (!number)
        throw ArgumentError(std::string(name), "must be an integer, got " + json::serialize(*value));
    if (*number < min || *number > max)
        throw ArgumentError(std::string(name), "must be between " + std::to_string(min) + " and " +
                                                   std::to_string(max) + ", got " + std::to_string(*number));
    return number;
}

int64_t Arguments::RequiredInteger(std::string_view name, int64_t min, int64_t max) const
{
    std::optional<int64_t> number = Integer(name, min, max);
    if (!number)
        throw ArgumentError(std::string(name), "required");
    return *number;
}

std::optional<std::string> Arguments::String(std::string_view name) const
{
    const json::value* value = Get(name);
    if (!value)
        return std::nullopt;
    if (!value->is_string())
        throw ArgumentError(std::string(name), "must be a string, got " + json::serialize(*value));
    if (value->get_string().empty())
        return std::nullopt;
    return std::string(value->get_string());
}

bool Arguments::Flag(std::string_view name) const
{
    const json::value* value = Get(name);
    if (!value)
        return false;
    if (!value->is_bool())
        throw ArgumentError(std::string(name), "must be true or false, got " + json::serialize(*value));
    return value->get_bool();
}

std::vector<std::string> Arguments::Strings(std::string_view name) const
{
    std::vector<std::string> list;
    const json::value* value = Get(name);
    if (!value)
        return list;
    if (!value->is_array())
        throw ArgumentError(std::string(name), "must be an array of strings");
    for (const json::value& item : value->get_array())
    {
        if (!item.is_string())
            throw ArgumentError(std::string(name), "must be an array of strings, got " + json::serialize(item));
        list.emplace_back(item.get_string());
    }
    return list;
}

std::vector<int64_t> Arguments::Integers(std::string_view name, int64_t min) const
{
    std::vector<int64_t> list;
    const json::value* value = Get(name);
    if (!value)
        return list;
    if (!value->is_array())
        throw ArgumentError(std::string(name), "must be an array of integers");
    for (const json::value& item : value->get_array())
    {
        std::optional<int64_t> number;
        if (item.is_int64())
            number = item.get_int64();
        else if (item.is_double() && std::trunc(item.get_double()) == item.get_double())
            number = static_cast<int64_t>(item.get_double());
        if (!number || *number < min)
            throw ArgumentError(std::string(name), "must be an array of integers of at least " + std::to_string(min) +
                                                       ", got " + json::serialize(item));
        list.push_back(*number);
    }
    return list;
}

std::optional<std::string> Arguments::Choice(std::string_view name, const std::vector<std::string>& allowed) const
{
    std::optional<std::string> text = String(name);
    if (!text)
        return std::nullopt;
    for (const std::string& choice : allowed)
        if (*text == choice)
            return text;
    std::string list;
    for (const std::string& choice : allowed)
        list += (list.empty() ? "" : ", ") + choice;
    throw ArgumentError(std::string(name), "must be one of " + list + ", got \"" + *text + "\"");
}

std::optional<int64_t> Arguments::Time(std::string_view name) const
{
    std::optional<std::string> text = String(name);
    if (!text)
        return std::nullopt;
    std::string iso = *text;
    if (iso.size() == 10) // a date
        iso += "T00:00:00Z";
    if (std::optional<int64_t> ns = storage::ParseIsoTime(iso))
        return ns;
    if (std::optional<int64_t> ns = storage::ParseIsoTime(iso + "Z"))
        return ns;
    throw ArgumentError(std::string(name),
                        "cannot read \"" + *text + "\" as a time: use ISO 8601 UTC, e.g. 2026-11-27T04:21:00Z");
}

int64_t Arguments::Limit() const
{
    return Integer("limit", 1, kMaxRows).value_or(kDefaultRows);
}

std::optional<std::vector<int64_t>> Arguments::Cursor(size_t parts) const
{
    std::optional<std::string> text = String("cursor");
    if (!text)
        return std::nullopt;
    std::vector<int64_t> numbers;
    size_t start = 0;
    while (start <= text->size())
    {
        size_t end = text->find('.', start);
        if (end == std::string::npos)
            end = text->size();
        std::string part = text->substr(start, end - start);
        if (part.empty() || part.size() > 18 || part.find_first_not_of("0123456789") != std::string::npos)
            throw ArgumentError("cursor", "not a cursor this tool gave (pass next_cursor unchanged)");
        numbers.push_back(std::stoll(part));
        start = end + 1;
    }
    if (numbers.size() != parts)
        throw ArgumentError("cursor", "not a cursor this tool gave (pass next_cursor unchanged)");
    return numbers;
}

std::string MakeCursor(std::initializer_list<int64_t> parts)
{
    std::string cursor;
    for (int64_t part : parts)
        cursor += (cursor.empty() ? "" : ".") + std::to_string(part);
    return cursor;
}

bool Page::Add(json::value row)
{
    if (Size() >= m_rows)
        return false;
    size_t bytes = json::serialize(row).size() + 1;
    if (!m_array.empty() && m_bytes + bytes > kMaxAnswerBytes)
        return false;
    m_bytes += bytes;
    m_array.push_back(std::move(row));
    return true;
}

ToolAnswer ListAnswer(std::string_view tool, std::string_view key, json::array rows, int64_t leftOut,
                      std::optional<std::string> nextCursor, json::object extra)
{
    ToolAnswer answer;
    int64_t returned = static_cast<int64_t>(rows.size());
    answer.structured = std::move(extra);
    answer.structured[key] = std::move(rows);
    answer.structured["returned"] = returned;
    answer.structured["left_out"] = leftOut;
    answer.structured["next_cursor"] = nextCursor ? json::value(*nextCursor) : json::value(nullptr);
    if (leftOut > 0 && nextCursor)
        answer.note = std::to_string(leftOut) + " more " + std::string(key) +
                      " left out (an answer holds `limit` rows, " + std::to_string(kDefaultRows) +
                      " by default, and at most 32 KiB): call " + std::string(tool) +
                      " again with the same arguments and cursor \"" + *nextCursor + "\", or narrow the filters.";
    return answer;
}

json::object ObjectSchema(json::object properties, std::initializer_list<std::string_view> required)
{
    json::object schema{{"type", "object"}, {"properties", std::move(properties)}};
    if (required.size())
    {
        json::array names;
        for (std::string_view name : required)
            names.emplace_back(name);
        schema["required"] = std::move(names);
    }
    return schema;
}

json::object Prop(std::string_view type, std::string_view description)
{
    return json::object{{"type", type}, {"description", description}};
}

json::object IntegerProp(std::string_view description, int64_t minimum)
{
    return json::object{{"type", "integer"}, {"minimum", minimum}, {"description", description}};
}

json::object EnumProp(std::string_view description, std::initializer_list<std::string_view> values)
{
    json::array list;
    for (std::string_view value : values)
        list.emplace_back(value);
    return json::object{{"type", "string"}, {"enum", std::move(list)}, {"description", description}};
}

json::object ArrayOf(json::object items, std::string_view description)
{
    return json::object{{"type", "array"}, {"items", std::move(items)}, {"description", description}};
}

json::object Nullable(std::string_view type, std::string_view description)
{
    return json::object{{"type", json::array{json::string(type), "null"}}, {"description", description}};
}

json::object ListSchema(std::string_view key, json::object row, json::object extra)
{
    json::object properties = std::move(extra);
    properties[key] = ArrayOf(std::move(row), "This page of rows");
    properties["returned"] = IntegerProp("Rows in this answer", 0);
    properties["left_out"] = IntegerProp("Rows that match but are not in this answer", 0);
    properties["next_cursor"] =
        Nullable("string", "Pass as `cursor` (with the same other arguments) for the next page; null at the end");
    return ObjectSchema(std::move(properties), {key, "returned", "left_out", "next_cursor"});
}

void AddPaging(json::object& properties, std::string_view rows)
{
    properties["limit"] =
        json::object{{"type", "integer"},
                     {"minimum", 1},
                     {"maximum", kMaxRows},
                     {"description", "Most " + std::string(rows) + " to return (default " +
                                         std::to_string(kDefaultRows) + "; an answer also stops at 32 KiB)"}};
    properties["cursor"] = Prop("string", "next_cursor of the previous answer, to continue where it stopped");
}

} // namespace dapscope::mcp
