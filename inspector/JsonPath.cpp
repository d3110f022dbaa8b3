#include "JsonPath.hpp"

#include <algorithm>
#include <charconv>

namespace dapscope::inspector
{
namespace
{

class RuleParser
{
  public:
    explicit RuleParser(std::string_view rule) : m_rule(rule) {}

    bool Parse(JsonPath& path, std::string& error)
    {
        if (m_rule.empty() || m_rule[0] != '$')
            return Fail(error, "a rule must start with '$'");
        m_pos = 1;
        while (m_pos < m_rule.size())
        {
            JsonPathStep step;
            if (m_rule[m_pos] == '.')
            {
                step.recursive = m_rule.compare(m_pos, 2, "..") == 0;
                m_pos += step.recursive ? 2 : 1;
                if (step.recursive && Peek('['))
                {
                    if (!ParseBracket(step, error))
                        return false;
                }
                else if (Peek('*'))
                {
                    step.type = JsonPathStep::Type::Wildcard;
                    ++m_pos;
                }
                else if (!ParseDottedName(step, error))
                {
                    return false;
                }
            }
            else if (m_rule[m_pos] == '[')
            {
                if (!ParseBracket(step, error))
                    return false;
            }
            else
            {
                return Fail(error, "expected '.' or '['");
            }
            path.push_back(std::move(step));
        }
        if (path.empty())
            return Fail(error, "the rule selects the whole message");
        return true;
    }

  private:
    bool Peek(char c) const { return m_pos < m_rule.size() && m_rule[m_pos] == c; }

    bool Fail(std::string& error, std::string_view what) const
    {
        error = std::string(what) + " at offset " + std::to_string(m_pos);
        return false;
    }

    bool ParseDottedName(JsonPathStep& step, std::string& error)
    {
        const size_t end = std::min(m_rule.find_first_of(".[", m_pos), m_rule.size());
        const std::string_view name = m_rule.substr(m_pos, end - m_pos);
        if (name.empty())
            return Fail(error, "empty member name");
        if (name.find_first_of("]'\" \t\r\n") != std::string_view::npos)
            return Fail(error, "invalid character in member name (use ['name'])");
        step.name = name;
        m_pos = end;
        return true;
    }

    void SkipSpaces()
    {
        while (Peek(' '))
            ++m_pos;
    }

    bool ParseBracket(JsonPathStep& step, std::string& error)
    {
        ++m_pos; // '['
        SkipSpaces();
        if (Peek('*'))
        {
            step.type = JsonPathStep::Type::Wildcard;
            ++m_pos;
        }
        else if (Peek('\'') || Peek('"'))
        {
            if (!ParseQuoted(step.name, error))
                return false;
        }
        else
        {
            const char* first = m_rule.data() + m_pos;
            const char* last = m_rule.data() + m_rule.size();
            const auto [ptr, ec] = std::from_chars(first, last, step.index);
            if (ec != std::errc() || ptr == first)
                return Fail(error, "expected an index, '*' or a quoted name");
            step.type = JsonPathStep::Type::Index;
            m_pos += ptr - first;
        }
        SkipSpaces();
        if (!Peek(']'))
            return Fail(error, "expected ']'");
        ++m_pos;
        return true;
    }

    bool ParseQuoted(std::string& out, std::string& error)
    {
        const char quote = m_rule[m_pos++];
        while (m_pos < m_rule.size() && m_rule[m_pos] != quote)
        {
            if (m_rule[m_pos] == '\\' && m_pos + 1 < m_rule.size())
                ++m_pos; // \' \" \\ stand for the character
            out += m_rule[m_pos++];
        }
        if (!Peek(quote))
            return Fail(error, "unterminated quoted name");
        ++m_pos;
        return true;
    }

    std::string_view m_rule; // the rule text
    size_t m_pos = 0;        // next character to read
};

// Append `value` and everything below it, parents before children.
void AppendSubtree(boost::json::value& value, std::vector<boost::json::value*>& out)
{
    out.push_back(&value);
    if (auto* object = value.if_object())
        for (auto& member : *object)
            AppendSubtree(member.value(), out);
    else if (auto* array = value.if_array())
        for (auto& element : *array)
            AppendSubtree(element, out);
}

// Apply one non-recursive step to `value`.
void ApplyStep(const JsonPathStep& step, boost::json::value& value, std::vector<boost::json::value*>& out)
{
    auto* object = value.if_object();
    auto* array = value.if_array();
    switch (step.type)
    {
    case JsonPathStep::Type::Member:
        if (object)
            if (auto* member = object->if_contains(step.name))
                out.push_back(member);
        break;
    case JsonPathStep::Type::Index:
        if (array)
        {
            const auto size = static_cast<int64_t>(array->size());
            const int64_t index = step.index < 0 ? size + step.index : step.index;
            if (index >= 0 && index < size)
                out.push_back(&(*array)[static_cast<size_t>(index)]);
        }
        break;
    case JsonPathStep::Type::Wildcard:
        if (object)
            for (auto& member : *object)
                out.push_back(&member.value());
        if (array)
            for (auto& element : *array)
                out.push_back(&element);
        break;
    }
}

} // namespace

JsonPath ParseJsonPath(std::string_view rule)
{
    JsonPath path;
    std::string error;
    if (!RuleParser(rule).Parse(path, error))
        throw JsonPathError(error);
    return path;
}

void SelectJsonPath(const JsonPath& path, boost::json::value& root, std::vector<boost::json::value*>& out)
{
    std::vector<boost::json::value*> current{&root};
    std::vector<boost::json::value*> next;
    std::vector<boost::json::value*> scope;
    for (const auto& step : path)
    {
        next.clear();
        for (auto* value : current)
        {
            scope.clear();
            if (step.recursive)
                AppendSubtree(*value, scope);
            else
                scope.push_back(value);
            for (auto* candidate : scope)
                ApplyStep(step, *candidate, next);
        }
        // Recursive steps reach the same value along several routes; keep each once.
        std::sort(next.begin(), next.end());
        next.erase(std::unique(next.begin(), next.end()), next.end());
        current.swap(next);
        if (current.empty())
            return;
    }
    out.insert(out.end(), current.begin(), current.end());
}

} // namespace dapscope::inspector
