#include "ExportFile.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace dapscope::storage
{
namespace
{
constexpr size_t kFlushBytes = 1u << 20; // output buffered before each write(2)
}

ExportFile::ExportFile(const std::string& path) : m_path(path == "-" ? "" : path)
{
    if (m_path.empty())
    {
        m_fd = STDOUT_FILENO;
        return;
    }
    m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (m_fd < 0)
        Fail("cannot create");
    // An existing file keeps its mode through O_CREAT: exports hold traffic, so make it private too.
    struct stat info = {};
    if (::fstat(m_fd, &info) == 0 && S_ISREG(info.st_mode))
    {
        m_regular = true;
        ::fchmod(m_fd, 0600);
    }
}

ExportFile::~ExportFile()
{
    if (m_path.empty())
        return;
    ::close(m_fd);
    if (!m_finished && m_regular)
        ::unlink(m_path.c_str());
}

void ExportFile::Write(std::string_view text)
{
    m_buffer += text;
    if (m_buffer.size() >= kFlushBytes)
        Flush();
}

void ExportFile::Finish()
{
    Flush();
    m_finished = true;
}

void ExportFile::Flush()
{
    for (size_t done = 0; done < m_buffer.size();)
    {
        ssize_t n = ::write(m_fd, m_buffer.data() + done, m_buffer.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            Fail("cannot write");
        done += static_cast<size_t>(n);
    }
    m_buffer.clear();
}

void ExportFile::Fail(const char* what) const
{
    throw std::runtime_error((m_path.empty() ? "stdout" : m_path) + ": " + what + " (" + std::strerror(errno) + ")");
}

} // namespace dapscope::storage
