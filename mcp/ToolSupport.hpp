#pragma once
// What every tool shares: reading its arguments (each problem an ArgumentError naming the argument), the bounded
// pages of its answers (rows and bytes) with their cursors, and the pieces of its JSON schemas.

#include "Tool.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dapscope::mcp
{

// Agents pay for every token: an answer holds at most this many rows unless `limit` says otherwise, never more
// than kMaxRows, and its JSON stays within kMaxAnswerBytes (the first row excepted).
constexpr int64_t kDefaultRows = 50;
constexpr int64_t kMaxRows = 500;
constexpr size_t kMaxAnswerBytes = 32 * 1024;

class Arguments
{
  public:
    // Names the schema does not declare are refused, so a misspelt filter is not silently ignored.
    Arguments(const json::object& given, const json::object& inputSchema);

    std::optional<int64_t> Integer(std::string_view name, int64_t min, int64_t max) const;
    int64_t RequiredInteger(std::string_view name, int64_t min, int64_t max) const;
    std::optional<std::string> String(std::string_view name) const;          // absent, null or "": nullopt
    bool Flag(std::string_view name) const;                                  // absent: false
    std::vector<std::string> Strings(std::string_view name) const;           // an array of strings; absent: empty
    std::vector<int64_t> Integers(std::string_view name, int64_t min) const; // an array of integers; absent: empty
    // One of `allowed`, or nullopt when absent.
    std::optional<std::string> Choice(std::string_view name, const std::vector<std::string>& allowed) const;
    // A time: ISO 8601 UTC ("2026-11-27T04:21:00Z", or a date), as ns since the epoch.
    std::optional<int64_t> Time(std::string_view name) const;
    int64_t Limit() const; // `limit`, default kDefaultRows
    // The cursor a previous answer gave, as its `parts` numbers.
    std::optional<std::vector<int64_t>> Cursor(size_t parts) const;

  private:
    const json::value* Get(std::string_view name) const;
    const json::object& m_given;
};

std::string MakeCursor(std::initializer_list<int64_t> parts);

// Rows for one answer: stops at `rows` rows or when the next would take the JSON past kMaxAnswerBytes.
class Page
{
  public:
    explicit Page(int64_t rows) : m_rows(rows) {}
    bool Add(json::value row); // false (row not taken) when the page is full
    int64_t Size() const { return static_cast<int64_t>(m_array.size()); }
    json::array Take() { return std::move(m_array); }

  private:
    int64_t m_rows;
    size_t m_bytes = 0;
    json::array m_array;
};

// The answer of a listing tool: {key: rows, returned, left_out, next_cursor} plus `extra`, and the note saying
// what was left out and how to get it.
ToolAnswer ListAnswer(std::string_view tool, std::string_view key, json::array rows, int64_t leftOut,
                      std::optional<std::string> nextCursor, json::object extra = {});

// Schema pieces.
json::object ObjectSchema(json::object properties, std::initializer_list<std::string_view> required = {});
json::object Prop(std::string_view type, std::string_view description);
json::object IntegerProp(std::string_view description, int64_t minimum);
json::object EnumProp(std::string_view description, std::initializer_list<std::string_view> values);
json::object ArrayOf(json::object items, std::string_view description);
json::object Nullable(std::string_view type, std::string_view description); // type or null
// The output schema of ListAnswer, rows described by `row`.
json::object ListSchema(std::string_view key, json::object row, json::object extra = {});
// `limit` and `cursor`.
void AddPaging(json::object& properties, std::string_view rows);

} // namespace dapscope::mcp
