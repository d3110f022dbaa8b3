#include "TestProcess.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace dapscope::test
{

TestProcess::TestProcess(std::vector<std::string> argv, std::vector<std::string> env, bool mergeStderr)
{
    // DAPSCOPE_TEST_WRAP="valgrind --leak-check=full" runs every spawned program under a tool (debugging aid).
    if (const char* wrap = std::getenv("DAPSCOPE_TEST_WRAP"); wrap && *wrap)
    {
        std::vector<std::string> prefix;
        std::istringstream words(wrap);
        for (std::string word; words >> word;)
            prefix.push_back(word);
        argv.insert(argv.begin(), prefix.begin(), prefix.end());
    }
    int pipeFds[2];
    if (pipe2(pipeFds, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDOUT_FILENO);
    if (mergeStderr)
        posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDERR_FILENO);
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);
    std::vector<std::string> environment;
    for (char** e = environ; *e; ++e)
        environment.emplace_back(*e);
    for (auto& e : env)
        environment.push_back(e);
    std::vector<char*> envp;
    for (auto& e : environment)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    // Own process group: signals reach wrappers (valgrind, heaptrack) and the program alike.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    int rc = posix_spawn(&m_pid, args[0], &actions, &attributes, args.data(), envp.data());
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    close(pipeFds[1]);
    m_stdout = pipeFds[0];
    if (rc != 0)
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

TestProcess::~TestProcess()
{
    if (!m_status && m_pid > 0)
    {
        kill(-m_pid, SIGKILL);
        Wait(std::chrono::seconds(10));
    }
    if (m_stdout >= 0)
        close(m_stdout);
}

std::optional<std::string> TestProcess::ReadLine(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true)
    {
        size_t newline = m_buffer.find('\n');
        if (newline != std::string::npos)
        {
            std::string line = m_buffer.substr(0, newline);
            m_buffer.erase(0, newline + 1);
            return line;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return std::nullopt;
        pollfd pfd{m_stdout, POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
            continue;
        char chunk[4096];
        ssize_t n = read(m_stdout, chunk, sizeof chunk);
        if (n <= 0)
            return std::nullopt;
        m_buffer.append(chunk, static_cast<size_t>(n));
        m_output.append(chunk, static_cast<size_t>(n));
    }
}

std::optional<std::string> TestProcess::WaitForLine(const std::string& needle, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline)
    {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        auto line = ReadLine(left);
        if (!line)
            return std::nullopt;
        if (line->find(needle) != std::string::npos)
            return line;
    }
    return std::nullopt;
}

void TestProcess::Signal(int signal)
{
    if (!m_status)
        kill(-m_pid, signal);
}

std::optional<int> TestProcess::Wait(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!m_status)
    {
        int status = 0;
        pid_t done = waitpid(m_pid, &status, WNOHANG);
        if (done == m_pid)
            m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        else if (std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return m_status;
}

namespace
{
long StatusField(int pid, const std::string& field)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field + ":", 0) == 0)
            return std::atol(line.c_str() + field.size() + 1);
    return -1;
}
} // namespace

long TestProcess::PeakRssKiB() const
{
    return StatusField(m_pid, "VmHWM");
}

long TestProcess::RssKiB() const
{
    return StatusField(m_pid, "VmRSS");
}

TempDir::TempDir()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "dapscope-test-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
        throw std::runtime_error("mkdtemp failed");
    m_path = pattern;
}

TempDir::~TempDir()
{
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

std::string BinPath(const std::string& name)
{
    return std::string(DAPSCOPE_BIN) + "/" + name;
}

std::string RawExchange(int port, const std::string& request, std::chrono::milliseconds timeout)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    {
        close(fd);
        return {};
    }
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string answer;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline)
    {
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        char chunk[4096];
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            break;
        answer.append(chunk, static_cast<size_t>(n));
    }
    close(fd);
    return answer;
}

bool Shell(const std::string& command)
{
    return std::system(command.c_str()) == 0;
}

CommandResult RunDapscope(const std::vector<std::string>& args, bool mergeStderr)
{
    std::vector<std::string> argv{BinPath("dapscope")};
    argv.insert(argv.end(), args.begin(), args.end());
    TestProcess process(std::move(argv), {}, mergeStderr);
    while (process.ReadLine(std::chrono::seconds(120)))
    {
    }
    return {process.Wait(std::chrono::seconds(30)).value_or(-1), process.Output()};
}

int PortFromLine(const std::string& line)
{
    std::smatch match;
    static const std::regex pattern(R"(listening on wss?://[^ ]*:(\d+))");
    return std::regex_search(line, match, pattern) ? std::atoi(match[1].str().c_str()) : 0;
}

} // namespace dapscope::test
