#include "JsonReader.hpp"

namespace dapscope::inspector
{
namespace
{

boost::json::parse_options ReaderOptions()
{
    boost::json::parse_options options;
    options.max_depth = MaxJsonDepth;
    options.allow_invalid_utf8 = true; // validated beforehand, with a better error message
    return options;
}

} // namespace

JsonReader::JsonReader(size_t arenaBytes)
    : m_arena(arenaBytes ? std::make_unique_for_overwrite<unsigned char[]>(arenaBytes) : nullptr),
      m_arenaBytes(arenaBytes), m_parser(boost::json::storage_ptr(), ReaderOptions())
{
}

boost::json::value* JsonReader::Parse(std::string_view json)
{
    m_error.clear();
    // A new resource rather than release(): release() keeps the grown block size of earlier large messages.
    m_value.reset();
    m_resource.emplace(m_arena.get(), m_arenaBytes);
    m_parser.reset(boost::json::storage_ptr(&*m_resource));
    boost::json::error_code ec;
    const size_t consumed = m_parser.write(json.data(), json.size(), ec); // whole document, nothing after it
    if (ec)
    {
        if (ec == boost::json::error::too_deep)
            m_error = "nesting deeper than " + std::to_string(MaxJsonDepth) + " levels";
        else
            m_error = "not JSON: " + ec.message() + " at byte " + std::to_string(consumed);
        m_parser.reset();
        return nullptr;
    }
    // Move-construct (not assign) so that the document stays in the arena instead of being copied out.
    return &m_value.emplace(m_parser.release());
}

} // namespace dapscope::inspector
