// Relay benchmark: one client and one echo engine (bench/WsEcho, bulk framing on blocking sockets; the engine is
// this program again in another process), measured directly and through `dapscope proxy` (capture on), haproxy,
// nginx, socat and mitmproxy when installed, side by side in one run. Rounds alternate between targets so machine
// noise hits them alike; ratios are target / direct.

#include "WsEcho.hpp"
#include "storage/TraceReader.hpp"
#include "support/HttpUpstream.hpp"
#include "support/TestProcess.hpp"

#include <CLI/CLI.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

using namespace dapscope;
using Clock = std::chrono::steady_clock;

namespace
{
constexpr size_t kBigMessage = 1u << 20;
constexpr auto kIoTimeout = std::chrono::seconds(30);

// Spawned programs (process group leaders), killed from the signal handler on Ctrl-C.
std::array<std::atomic<pid_t>, 16> g_children{};
int g_signalPipe[2] = {-1, -1};
std::atomic<bool> g_interrupted{false}; // from then on, failures are the interruption's doing
std::string g_tempDir;

void RegisterChild(pid_t pid)
{
    for (auto& slot : g_children)
    {
        pid_t empty = 0;
        if (slot.compare_exchange_strong(empty, pid))
            return;
    }
}

void UnregisterChild(pid_t pid)
{
    for (auto& slot : g_children)
    {
        pid_t expected = pid;
        slot.compare_exchange_strong(expected, 0);
    }
}

extern "C" void OnSignal(int signal)
{
    g_interrupted = true;
    for (auto& slot : g_children)
        if (pid_t pid = slot.load(); pid > 0)
            kill(-pid, SIGKILL);
    char byte = static_cast<char>(signal);
    [[maybe_unused]] ssize_t n = write(g_signalPipe[1], &byte, 1);
}

// Children are killed in the handler itself; this thread then removes the temporary folder and exits.
void InstallSignalHandlers()
{
    if (pipe2(g_signalPipe, O_CLOEXEC) != 0)
        return;
    std::thread(
        []
        {
            char byte = 0;
            if (read(g_signalPipe[0], &byte, 1) != 1)
                return;
            std::fprintf(stderr, "\nbench: interrupted (signal %d); spawned programs killed\n", byte);
            std::error_code ec;
            if (!g_tempDir.empty())
                std::filesystem::remove_all(g_tempDir, ec);
            _exit(130);
        })
        .detach();
    struct sigaction action
    {
    };
    action.sa_handler = OnSignal;
    sigemptyset(&action.sa_mask);
    for (int signal : {SIGINT, SIGTERM, SIGHUP})
        sigaction(signal, &action, nullptr);
}

int FreePort()
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    close(fd);
    return port;
}

bool PortAccepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool open = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return open;
}

// `preferred` when executable, else `name` found on PATH; empty when neither.
std::string FindProgram(const std::string& preferred, const std::string& name)
{
    if (access(preferred.c_str(), X_OK) == 0)
        return preferred;
    const char* path = std::getenv("PATH");
    std::istringstream folders(path ? path : "");
    for (std::string folder; std::getline(folders, folder, ':');)
        if (!folder.empty() && access((folder + "/" + name).c_str(), X_OK) == 0)
            return folder + "/" + name;
    return {};
}

double CpuSeconds(const rusage& usage)
{
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// CPU seconds used so far by this process: the client (and the echo engine when it runs in process).
double OwnCpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return CpuSeconds(usage);
}

// CPU seconds used so far by the live processes of process group `group` (a relay with its workers or forks).
double GroupCpuSeconds(pid_t group)
{
    static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    double seconds = 0;
    DIR* proc = opendir("/proc");
    if (!proc)
        return 0;
    while (dirent* entry = readdir(proc))
    {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
        std::ifstream file(std::string("/proc/") + entry->d_name + "/stat");
        std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        size_t paren = stat.rfind(')');
        if (paren == std::string::npos)
            continue;
        std::istringstream fields(stat.substr(paren + 2)); // from field 3 (state) on
        std::string field;
        long pgrp = 0;
        double utime = 0;
        double stime = 0;
        for (int index = 3; index <= 15 && fields >> field; ++index)
        {
            if (index == 5)
                pgrp = std::atol(field.c_str());
            else if (index == 14)
                utime = std::atof(field.c_str());
            else if (index == 15)
                stime = std::atof(field.c_str());
        }
        if (pgrp == group)
            seconds += (utime + stime) / ticks;
    }
    closedir(proc);
    return seconds;
}

double Percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    size_t rank = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[rank];
}

struct Target
{
    std::string name;
    std::string command; // what runs it, for the report
    std::string status;  // "not installed", "skipped (--no-x)", or why it failed; empty while it works
    bool failed = false;
    int port = 0;
    std::unique_ptr<test::TestProcess> process;
    std::unique_ptr<bench::Client> client;
    int64_t seq = 0;
    std::vector<double> rttUs;       // every recorded round trip
    std::vector<double> throughputs; // MiB/s per round
    double ownCpu = 0;               // this process's CPU seconds during the recorded throughput rounds
    double engineCpu = 0;            // the engine process's
    double relayCpu = 0;             // the relay's CPU seconds during them
    double throughputWall = 0;       // their duration

    bool Active() const { return client && !failed; }
    double P50() const { return Percentile(rttUs, 0.50); }
    double P99() const { return Percentile(rttUs, 0.99); }
    double Throughput() const { return Percentile(throughputs, 0.50); }
};

bool Fail(Target& target, const std::string& why)
{
    if (!target.failed && !g_interrupted) // the first reason is the one reported
    {
        std::fprintf(stderr, "bench: %s FAILED: %s\n", target.name.c_str(), why.c_str());
        target.status = "FAILED: " + why;
    }
    target.failed = true;
    if (target.client)
        target.client->Abort();
    return false;
}

// Reads what the relay printed so far, so that its stdout pipe never fills (ReadLine needs a timeout of some
// milliseconds to read at all).
void DrainOutput(Target& target)
{
    if (target.process)
        while (target.process->ReadLine(std::chrono::milliseconds(20)))
        {
        }
}

// Wait (at most 10 s) until the relay's processes are idle, so that work it does after a workload (dapscope
// writing its capture) does not fall on the next target's measurement.
void Settle(const Target& target)
{
    if (!target.process)
        return;
    auto deadline = Clock::now() + std::chrono::seconds(10);
    double before = GroupCpuSeconds(target.process->Pid());
    while (Clock::now() < deadline)
    {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        double after = GroupCpuSeconds(target.process->Pid());
        if (after - before < 0.015) // at most one clock tick
            return;
        before = after;
    }
}

// Spawn a relay and wait until its port accepts connections.
bool Start(Target& target, std::vector<std::string> argv, std::chrono::seconds startup)
{
    target.command.clear();
    for (const std::string& word : argv)
        target.command += (target.command.empty() ? "" : " ") + word;
    try
    {
        target.process = std::make_unique<test::TestProcess>(std::move(argv));
    }
    catch (const std::exception& e)
    {
        return Fail(target, e.what());
    }
    RegisterChild(target.process->Pid());
    auto deadline = Clock::now() + startup;
    while (Clock::now() < deadline)
    {
        if (auto status = target.process->Wait(std::chrono::milliseconds(0)))
        {
            UnregisterChild(target.process->Pid());
            return Fail(target, "exited with status " + std::to_string(*status) + " before accepting connections");
        }
        if (PortAccepts(target.port))
            return true;
        DrainOutput(target);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Fail(target, "port " + std::to_string(target.port) + " not accepting after " +
                            std::to_string(startup.count()) + " s");
}

std::optional<int> Stop(Target& target, std::chrono::seconds patience)
{
    if (!target.process)
        return std::nullopt;
    target.process->Signal(SIGTERM);
    auto status = target.process->Wait(patience);
    if (!status)
    {
        target.process->Signal(SIGKILL);
        target.process->Wait(std::chrono::seconds(10));
    }
    UnregisterChild(target.process->Pid());
    return status;
}

// Generated configurations: @PORT@ is where the relay listens, @ENGINE@ the echo engine's port, @TMP@ the
// benchmark's temporary folder.
const char* const kHaproxyConfig = R"(defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
frontend bench
    bind 127.0.0.1:@PORT@
    default_backend engine
backend engine
    server engine 127.0.0.1:@ENGINE@
)";

const char* const kNginxConfig = R"(worker_processes 1;
error_log @TMP@/nginx-error.log;
events { worker_connections 256; }
http {
    access_log @TMP@/nginx-access.log;
    client_body_temp_path @TMP@/nginx-body;
    proxy_temp_path @TMP@/nginx-proxy;
    fastcgi_temp_path @TMP@/nginx-fastcgi;
    uwsgi_temp_path @TMP@/nginx-uwsgi;
    scgi_temp_path @TMP@/nginx-scgi;
    server {
        listen 127.0.0.1:@PORT@;
        location / {
            proxy_pass http://127.0.0.1:@ENGINE@;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
    }
}
)";

std::string Substitute(std::string text, const std::vector<std::pair<std::string, std::string>>& values)
{
    for (const auto& [name, value] : values)
        for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + value.size()))
            text.replace(at, name.size(), value);
    return text;
}

bool WriteFile(const std::string& path, const std::string& text)
{
    std::ofstream file(path);
    file << text;
    return static_cast<bool>(file);
}

bool Connect(Target& target)
{
    try
    {
        target.client = bench::Client::Connect(target.port, "/task/service", kIoTimeout);
    }
    catch (const std::runtime_error& e)
    {
        return Fail(target, std::string("cannot connect: ") + e.what());
    }
    return true;
}

// Sequential ~70-byte JSON requests, each waiting for its echo; every round trip is recorded.
bool LatencyRound(Target& target, int requests, bool record)
{
    bench::Message echo;
    for (int i = 0; i < requests; ++i)
    {
        std::string request =
            R"({"type":"request","seq":)" + std::to_string(++target.seq) + R"(,"command":"rrext_ping","arguments":{}})";
        auto start = Clock::now();
        if (!target.client->Send(bench::Text, request))
            return Fail(target, target.client->SendError());
        if (!target.client->Receive(echo))
            return Fail(target, "no echo: " + target.client->ReceiveError());
        double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
        if (echo.opcode != bench::Text || echo.payload.View() != request)
            return Fail(target, "wrong echo of request seq " + std::to_string(target.seq));
        if (record)
            target.rttUs.push_back(us);
    }
    return true;
}

// `messages` binary messages of pattern.size() bytes echoed with `inflight` in flight: a writer thread sends, this
// thread receives and compares every byte (each message carries its index in its first 8 bytes).
bool ThroughputRound(Target& target, const std::vector<uint8_t>& pattern, int messages, int inflight, pid_t engine,
                     bool record)
{
    bench::Client& client = *target.client;
    std::mutex mutex;
    std::condition_variable progress;
    int received = 0;
    bool stop = false;
    std::string sendError;

    double ownCpu = OwnCpuSeconds();
    double relayCpu = target.process ? GroupCpuSeconds(target.process->Pid()) : 0;
    double engineCpu = engine > 0 ? GroupCpuSeconds(engine) : 0;
    auto start = Clock::now();
    std::thread writer(
        [&]
        {
            std::vector<uint8_t> payload(pattern);
            for (int i = 0; i < messages; ++i)
            {
                {
                    std::unique_lock lock(mutex);
                    progress.wait(lock, [&] { return stop || i - received < inflight; });
                    if (stop)
                        return;
                }
                uint64_t index = static_cast<uint64_t>(i);
                std::memcpy(payload.data(), &index, sizeof index);
                if (!client.Send(bench::Binary, payload.data(), payload.size()))
                {
                    std::lock_guard lock(mutex);
                    sendError = client.SendError();
                    return;
                }
            }
        });

    std::string error;
    bench::Message echo;
    for (int i = 0; i < messages && error.empty(); ++i)
    {
        if (!client.Receive(echo))
        {
            std::lock_guard lock(mutex);
            error = sendError.empty() ? "no echo: " + client.ReceiveError() : sendError;
            break;
        }
        uint64_t index = static_cast<uint64_t>(i);
        if (echo.opcode != bench::Binary || echo.payload.Size() != pattern.size() ||
            std::memcmp(echo.payload.Data(), &index, sizeof index) != 0 ||
            std::memcmp(echo.payload.Data() + sizeof index, pattern.data() + sizeof index,
                        pattern.size() - sizeof index) != 0)
            error = "wrong echo of 1 MiB message " + std::to_string(i);
        std::lock_guard lock(mutex);
        received = i + 1;
        progress.notify_one();
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!error.empty())
    {
        {
            std::lock_guard lock(mutex);
            stop = true;
        }
        progress.notify_one();
        client.Abort();
    }
    writer.join();
    if (!error.empty())
        return Fail(target, error);
    if (record)
    {
        target.throughputs.push_back(static_cast<double>(messages) * static_cast<double>(pattern.size()) / 1048576.0 /
                                     seconds);
        target.ownCpu += OwnCpuSeconds() - ownCpu;
        if (engine > 0)
            target.engineCpu += GroupCpuSeconds(engine) - engineCpu;
        if (target.process)
            target.relayCpu += GroupCpuSeconds(target.process->Pid()) - relayCpu;
        target.throughputWall += seconds;
    }
    return true;
}

struct StoreShare
{
    bool ok = false;
    std::string error;
    int64_t storedBytes = 0;
    int64_t storedMessages = 0;
    int64_t elided = 0;
};

// Payload bytes the dapscope store holds for WebSocket text and binary messages: messages.data plus its
// message_chunks (kinds 5 and 6 are HTTP exchanges).
StoreShare ReadStore(const std::string& path)
{
    StoreShare share;
    try
    {
        storage::TraceReader reader(path);
        const storage::CaptureTally tally = reader.Tally();
        share.storedBytes = tally.payloadBytes;
        share.storedMessages = tally.messages;
        share.elided = tally.elided;
        share.ok = true;
    }
    catch (const std::exception& e)
    {
        share.error = e.what();
    }
    return share;
}

std::string Ratio(double value, double reference)
{
    if (value <= 0 || reference <= 0)
        return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", value / reference);
    return text;
}

std::string JsonNumber(double value)
{
    if (!(value > 0) && value != 0)
        return "null";
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", value);
    return text;
}

std::string JsonString(const std::string& text)
{
    std::string out = "\"";
    for (char c : text)
    {
        if (c == '"' || c == '\\')
            out += '\\';
        if (static_cast<unsigned char>(c) < 0x20)
            continue;
        out += c;
    }
    return out + "\"";
}

std::string JsonRatio(double value, double reference)
{
    return value > 0 && reference > 0 ? JsonNumber(value / reference) : "null";
}

// The engine's own process (--serve-echo-engine): serves until SIGTERM.
int ServeEchoEngine()
{
    sigset_t signals;
    sigemptyset(&signals);
    for (int signal : {SIGINT, SIGTERM, SIGHUP})
        sigaddset(&signals, signal);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr); // before the engine's threads start, so they inherit it
    prctl(PR_SET_PDEATHSIG, SIGTERM);              // the benchmark died without stopping it
    if (getppid() == 1)
        return 1;
    bench::EchoEngine engine;
    std::printf("echo engine listening on port %d\n", engine.Port());
    std::fflush(stdout);
    int signal = 0;
    sigwait(&signals, &signal);
    return 0;
}

std::array<double, 3> LoadAverage()
{
    std::array<double, 3> load{};
    getloadavg(load.data(), 3);
    return load;
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Relay benchmark: round-trip latency and 1 MiB throughput, direct vs dapscope proxy vs haproxy, "
                 "nginx, socat and mitmproxy (those installed), alternating rounds in one run",
                 "dapscope-bench-relay"};
    int requests = 3000;
    int messages = 40;
    int rounds = 3;
    int inflight = 4;
    bool json = false;
    bool noHaproxy = false;
    bool noNginx = false;
    bool noSocat = false;
    bool noMitm = false;
    bool inProcessEngine = false;
    bool serveEngine = false;
    bool observability = false;
    std::string rulesFile;
    std::string dapscopeBinary = test::BinPath("dapscope");
    std::vector<std::string> proxyArgs;
    std::string keepDb;
    app.add_option("--requests", requests, "Small JSON requests per target and round")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--messages", messages, "1 MiB binary messages per target and round")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--rounds", rounds, "Rounds; targets alternate within each round")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--inflight", inflight, "1 MiB messages in flight")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_flag("--json", json, "Also print the results as JSON (after the table)");
    app.add_option("--dapscope", dapscopeBinary, "dapscope executable to measure")->capture_default_str();
    app.add_option("--proxy-arg", proxyArgs,
                   "Extra argument for dapscope proxy (repeatable), e.g. --proxy-arg=--max-capture-bytes=0");
    app.add_option("--keep-db", keepDb, "Copy dapscope's store to this path after the run (to inspect it)");
    app.add_flag("--no-haproxy", noHaproxy, "Do not measure haproxy even when installed");
    app.add_flag("--no-nginx", noNginx, "Do not measure nginx even when installed");
    app.add_flag("--no-socat", noSocat, "Do not measure socat even when installed");
    app.add_flag("--no-mitmproxy", noMitm, "Do not measure mitmproxy even when installed");
    app.add_flag("--in-process-engine", inProcessEngine,
                 "Run the echo engine on threads of the benchmark instead of a process of its own");
    app.add_flag("--observability", observability,
                 "Also measure dapscope with --metrics and --otlp to a collector of this process, and once more with "
                 "the collector down");
    app.add_option("--rules", rulesFile,
                   "Also measure dapscope with this rules file, e.g. bench/rules-match-nothing.yaml (the cost of "
                   "deciding every message)")
        ->check(CLI::ExistingFile);
    app.add_flag("--serve-echo-engine", serveEngine)->group(""); // the engine process itself
    CLI11_PARSE(app, argc, argv);
    if (serveEngine)
        return ServeEchoEngine();

    auto loadStart = LoadAverage();
    std::optional<test::TempDir> dir;
    std::optional<bench::EchoEngine> engine;
    std::unique_ptr<test::TestProcess> engineProcess;
    int engineNumber = 0;
    try
    {
        dir.emplace();
        g_tempDir = dir->Path();
        InstallSignalHandlers();
        if (inProcessEngine)
        {
            engine.emplace();
            engineNumber = engine->Port();
        }
        else
        {
            char self[PATH_MAX] = {};
            if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0)
                throw std::runtime_error("cannot find /proc/self/exe");
            engineProcess = std::make_unique<test::TestProcess>(std::vector<std::string>{self, "--serve-echo-engine"});
            RegisterChild(engineProcess->Pid());
            auto line = engineProcess->WaitForLine("echo engine listening on port", std::chrono::seconds(10));
            if (line)
                engineNumber = std::atoi(line->c_str() + line->rfind(' ') + 1);
            if (engineNumber <= 0)
                throw std::runtime_error("the echo engine process did not start");
        }
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "bench: %s\n", e.what());
        return 1;
    }
    const pid_t enginePid = engineProcess ? engineProcess->Pid() : 0;
    const std::string enginePort = std::to_string(engineNumber);
    const std::string db = dir->File("bench.db");

    std::vector<Target> targets(6 + (observability ? 2 : 0) + (rulesFile.empty() ? 0 : 1));
    Target& direct = targets[0];
    Target& dapscope = targets[1];
    Target& haproxy = targets[2];
    Target& nginx = targets[3];
    Target& socat = targets[4];
    Target& mitm = targets[5];
    direct.name = "direct";
    direct.port = engineNumber;
    direct.command = inProcessEngine ? "echo engine on threads of this process" : "echo engine process";
    dapscope.name = "dapscope";
    haproxy.name = "haproxy";
    nginx.name = "nginx";
    socat.name = "socat";
    mitm.name = "mitmproxy";

    if (access(dapscopeBinary.c_str(), X_OK) != 0)
        Fail(dapscope, dapscopeBinary + " not found");
    else
    {
        dapscope.port = FreePort();
        std::string listen = "127.0.0.1:" + std::to_string(dapscope.port);
        std::string upstream = "ws://127.0.0.1:" + enginePort;
        std::vector<std::string> args{dapscopeBinary, "proxy", "--listen", listen, "--upstream", upstream, "--db", db};
        args.insert(args.end(), proxyArgs.begin(), proxyArgs.end());
        Start(dapscope, args, std::chrono::seconds(15));
    }

    // dapscope with both observability outputs ("obs": a collector that takes everything; "obs-down": one that is
    // not there).
    std::optional<test::HttpUpstream> collector;
    if (observability)
    {
        collector.emplace();
        int down = 0;
        {
            test::HttpUpstream gone; // a port nothing listens on once it is gone
            down = gone.Port();
        }
        const std::pair<const char*, int> variants[] = {{"obs", collector->Port()}, {"obs-down", down}};
        for (size_t i = 0; i < 2; ++i)
        {
            Target& target = targets[6 + i];
            target.name = variants[i].first;
            target.port = FreePort();
            std::vector<std::string> args{dapscopeBinary, "proxy",
                                          "--listen",     "127.0.0.1:" + std::to_string(target.port),
                                          "--upstream",   "ws://127.0.0.1:" + enginePort,
                                          "--db",         dir->File("bench-obs" + std::to_string(i) + ".db"),
                                          "--metrics",    "127.0.0.1:0",
                                          "--otlp",       "http://127.0.0.1:" + std::to_string(variants[i].second)};
            args.insert(args.end(), proxyArgs.begin(), proxyArgs.end());
            Start(target, args, std::chrono::seconds(15));
        }
    }

    // dapscope acting on traffic: every message of both directions decoded and matched.
    if (!rulesFile.empty())
    {
        Target& target = targets.back();
        target.name = "rules";
        target.port = FreePort();
        std::vector<std::string> args{dapscopeBinary, "proxy",
                                      "--listen",     "127.0.0.1:" + std::to_string(target.port),
                                      "--upstream",   "ws://127.0.0.1:" + enginePort,
                                      "--db",         dir->File("bench-rules.db"),
                                      "--rules",      rulesFile};
        args.insert(args.end(), proxyArgs.begin(), proxyArgs.end());
        Start(target, args, std::chrono::seconds(15));
    }

    std::string program = FindProgram("/usr/sbin/haproxy", "haproxy");
    if (noHaproxy || program.empty())
        haproxy.status = noHaproxy ? "skipped (--no-haproxy)" : "not installed";
    else
    {
        haproxy.port = FreePort();
        std::string config = dir->File("haproxy.cfg");
        WriteFile(config,
                  Substitute(kHaproxyConfig, {{"@PORT@", std::to_string(haproxy.port)}, {"@ENGINE@", enginePort}}));
        Start(haproxy, {program, "-db", "-f", config}, std::chrono::seconds(15));
    }

    program = FindProgram("/usr/sbin/nginx", "nginx");
    if (noNginx || program.empty())
        nginx.status = noNginx ? "skipped (--no-nginx)" : "not installed";
    else
    {
        nginx.port = FreePort();
        const std::string& tmp = dir->Path();
        std::string config = dir->File("nginx.conf");
        WriteFile(config,
                  Substitute(kNginxConfig,
                             {{"@PORT@", std::to_string(nginx.port)}, {"@ENGINE@", enginePort}, {"@TMP@", tmp}}));
        Start(nginx, {program, "-p", tmp + "/", "-c", config, "-g", "daemon off; pid " + tmp + "/nginx.pid;"},
              std::chrono::seconds(15));
    }

    program = FindProgram("/usr/bin/socat", "socat");
    if (noSocat || program.empty())
        socat.status = noSocat ? "skipped (--no-socat)" : "not installed";
    else
    {
        socat.port = FreePort();
        Start(socat,
              {program, "TCP4-LISTEN:" + std::to_string(socat.port) + ",bind=127.0.0.1,reuseaddr,fork",
               "TCP4:127.0.0.1:" + enginePort},
              std::chrono::seconds(15));
    }

    program = FindProgram("/usr/bin/mitmdump", "mitmdump");
    if (noMitm || program.empty())
        mitm.status = noMitm ? "skipped (--no-mitmproxy)" : "not installed";
    else
    {
        mitm.port = FreePort();
        Start(mitm,
              {program, "--mode", "reverse:http://127.0.0.1:" + enginePort, "--listen-host", "127.0.0.1",
               "--listen-port", std::to_string(mitm.port), "-q", "--set", "connection_strategy=lazy"},
              std::chrono::seconds(60));
    }

    for (Target& target : targets)
        if (!target.failed && target.status.empty())
            Connect(target);

    std::printf("dapscope relay benchmark: %d small requests + %d x 1 MiB (%d in flight) per target and round, %d "
                "alternating rounds\n",
                requests, messages, inflight, rounds);
    std::printf("load average at start: %.2f %.2f %.2f\n", loadStart[0], loadStart[1], loadStart[2]);
    for (const Target& target : targets)
        std::printf("  %-10s %s\n", target.name.c_str(),
                    target.status.empty() ? (target.command + " (port " + std::to_string(target.port) + ")").c_str()
                                          : target.status.c_str());
    std::fflush(stdout);

    // The payload: random bytes (a different message index is written into the first 8 of each).
    std::vector<uint8_t> pattern(kBigMessage);
    uint64_t state = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < pattern.size(); i += 8)
    {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        std::memcpy(pattern.data() + i, &state, std::min<size_t>(8, pattern.size() - i));
    }

    if (direct.Active())
    {
        for (Target& target : targets) // warm-up, not recorded
        {
            if (target.Active() && LatencyRound(target, 200, false))
                ThroughputRound(target, pattern, 8, inflight, enginePid, false);
            Settle(target);
        }
        for (int round = 0; round < rounds && direct.Active(); ++round)
        {
            // Each round starts with another target, so none always follows the same one.
            std::vector<Target*> order;
            for (size_t i = 0; i < targets.size(); ++i)
                order.push_back(&targets[(i + static_cast<size_t>(round)) % targets.size()]);
            for (Target* target : order)
            {
                if (target->Active())
                    LatencyRound(*target, requests, true);
                DrainOutput(*target);
                Settle(*target);
            }
            std::printf("round %d/%d:", round + 1, rounds);
            for (Target* target : order)
            {
                if (target->Active() && ThroughputRound(*target, pattern, messages, inflight, enginePid, true))
                    std::printf(" %s %.0f MiB/s", target->name.c_str(), target->throughputs.back());
                std::fflush(stdout);
                DrainOutput(*target);
                Settle(*target);
            }
            std::printf("\n");
            std::fflush(stdout);
        }
    }

    // dapscope: memory, then a clean stop so that the store is complete, then what it holds.
    uint64_t dapscopePayload = 0;
    uint64_t dapscopeMessages = 0;
    long peakRssKiB = -1;
    std::optional<int> dapscopeExit;
    StoreShare store;
    for (Target& target : targets)
        if (target.client)
        {
            if (!target.failed)
                target.client->Close();
            if (&target == &dapscope)
            {
                dapscopePayload = target.client->PayloadSent() + target.client->PayloadReceived();
                dapscopeMessages = target.client->MessagesSent() + target.client->MessagesReceived();
            }
            target.client.reset();
        }
    if (dapscope.process && !dapscope.process->Wait(std::chrono::milliseconds(0)))
    {
        DrainOutput(dapscope);
        peakRssKiB = dapscope.process->PeakRssKiB();
        size_t seen = dapscope.process->Output().size();
        dapscopeExit = Stop(dapscope, std::chrono::seconds(120));
        DrainOutput(dapscope);
        std::string last = dapscope.process->Output().substr(seen); // its summary after SIGTERM
        std::printf("%s", last.c_str());
        if (!dapscopeExit)
            Fail(dapscope, "did not exit within 120 s of SIGTERM");
        else if (*dapscopeExit != 0)
            Fail(dapscope, "exited with status " + std::to_string(*dapscopeExit) + " after SIGTERM");
        store = ReadStore(db);
        if (!keepDb.empty())
        {
            std::error_code ec;
            for (const char* suffix : {"", "-wal", "-shm"})
                if (std::filesystem::exists(db + suffix))
                    std::filesystem::copy_file(db + suffix, keepDb + suffix,
                                               std::filesystem::copy_options::overwrite_existing, ec);
            if (ec)
                std::fprintf(stderr, "bench: cannot copy the store to %s: %s\n", keepDb.c_str(), ec.message().c_str());
        }
        if (!store.ok)
            Fail(dapscope, "cannot read the store: " + store.error);
    }
    for (Target& target : targets)
        if (&target != &dapscope)
            Stop(target, std::chrono::seconds(10));
    if (engineProcess)
    {
        engineProcess->Signal(SIGTERM);
        engineProcess->Wait(std::chrono::seconds(10));
        UnregisterChild(enginePid);
    }
    auto loadEnd = LoadAverage();

    // The report.
    std::printf("\n%-10s %10s %10s %13s %8s %8s %8s  %-22s %s\n", "target", "p50 rtt", "p99 rtt", "throughput", "p50 x",
                "p99 x", "thr. x", "MiB/s per round", "CPU cores: client, engine, relay");
    for (const Target& target : targets)
    {
        if (target.throughputs.empty() || target.rttUs.empty())
        {
            std::printf("%-10s %s\n", target.name.c_str(), target.status.empty() ? "no result" : target.status.c_str());
            continue;
        }
        std::string perRound;
        for (double value : target.throughputs)
            perRound += (perRound.empty() ? "" : " ") + std::to_string(static_cast<int>(value + 0.5));
        auto cores = [&](double seconds)
        {
            char text[16];
            std::snprintf(text, sizeof text, "%.2f", seconds / target.throughputWall);
            return std::string(text);
        };
        std::string cpu = cores(target.ownCpu) + ", " + (enginePid > 0 ? cores(target.engineCpu) : "(in client)") +
                          ", " + (target.process ? cores(target.relayCpu) : "-");
        std::printf("%-10s %7.1f us %7.1f us %7.1f MiB/s %8s %8s %8s  %-22s %s%s\n", target.name.c_str(), target.P50(),
                    target.P99(), target.Throughput(), Ratio(target.P50(), direct.P50()).c_str(),
                    Ratio(target.P99(), direct.P99()).c_str(), Ratio(target.Throughput(), direct.Throughput()).c_str(),
                    perRound.c_str(), cpu.c_str(), target.failed ? "  (then FAILED)" : "");
    }
    std::printf("(rtt: p50/p99 over all rounds of one ~70-byte JSON request echoed; throughput: median over rounds of "
                "1 MiB payload echoed per second, each byte going both ways; x = ratio to direct; CPU cores: "
                "used by the client, the echo engine and the relay during the throughput rounds, from /proc)\n");

    bool haveDapscope = !dapscope.throughputs.empty() && !dapscope.rttUs.empty();
    bool haveHaproxy = !haproxy.throughputs.empty() && !haproxy.rttUs.empty();
    double shareValue = dapscopePayload > 0 && store.ok
                            ? 100.0 * static_cast<double>(store.storedBytes) / static_cast<double>(dapscopePayload)
                            : -1;
    if (haveDapscope)
    {
        if (haveHaproxy)
            std::printf("\ndapscope / haproxy: throughput %s, p50 %s, p99 %s\n",
                        Ratio(dapscope.Throughput(), haproxy.Throughput()).c_str(),
                        Ratio(dapscope.P50(), haproxy.P50()).c_str(), Ratio(dapscope.P99(), haproxy.P99()).c_str());
        if (store.ok)
            std::printf("dapscope store: %.1f %% of the payload bytes relayed (%lld of %llu bytes, both directions); "
                        "%lld text/binary rows stored for the %llu messages relayed, %lld of them elided\n",
                        shareValue, static_cast<long long>(store.storedBytes),
                        static_cast<unsigned long long>(dapscopePayload), static_cast<long long>(store.storedMessages),
                        static_cast<unsigned long long>(dapscopeMessages), static_cast<long long>(store.elided));
        std::printf("dapscope proxy: peak RSS %.1f MiB before SIGTERM, exit status %s\n",
                    static_cast<double>(peakRssKiB) / 1024.0,
                    dapscopeExit ? std::to_string(*dapscopeExit).c_str() : "none");
        auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
        double p50 = dapscope.P50() / direct.P50();
        double p99 = dapscope.P99() / direct.P99();
        double thr = dapscope.Throughput() / direct.Throughput();
        std::printf("issue 11 targets: throughput >= 0.85 x direct: %.2f %s; ", thr, verdict(thr >= 0.85));
        if (haveHaproxy)
        {
            double vsHaproxy = dapscope.Throughput() / haproxy.Throughput();
            std::printf(">= 0.95 x haproxy: %.2f %s; ", vsHaproxy, verdict(vsHaproxy >= 0.95));
        }
        std::printf("p50 <= 1.3 x direct: %.2f %s; p99 <= 1.5 x direct: %.2f %s; stored 100 %%: %.1f %% %s\n", p50,
                    verdict(p50 <= 1.3), p99, verdict(p99 <= 1.5), shareValue, verdict(shareValue >= 100.0));
    }
    std::printf("load average at end: %.2f %.2f %.2f\n", loadEnd[0], loadEnd[1], loadEnd[2]);

    if (json)
    {
        std::string out = "{\"requests\":" + std::to_string(requests) + ",\"messages\":" + std::to_string(messages) +
                          ",\"rounds\":" + std::to_string(rounds) + ",\"inflight\":" + std::to_string(inflight) +
                          ",\"load_start\":[" + JsonNumber(loadStart[0]) + "," + JsonNumber(loadStart[1]) + "," +
                          JsonNumber(loadStart[2]) + "],\"load_end\":[" + JsonNumber(loadEnd[0]) + "," +
                          JsonNumber(loadEnd[1]) + "," + JsonNumber(loadEnd[2]) + "],\"targets\":[";
        for (const Target& target : targets)
        {
            bool measured = !target.throughputs.empty() && !target.rttUs.empty();
            out += std::string(&target == &targets[0] ? "" : ",") + "{\"name\":" + JsonString(target.name) +
                   ",\"status\":" +
                   JsonString(target.failed ? target.status
                              : measured    ? "ok"
                                            : target.status);
            if (measured)
            {
                out += ",\"p50_us\":" + JsonNumber(target.P50()) + ",\"p99_us\":" + JsonNumber(target.P99()) +
                       ",\"throughput_mib_s\":" + JsonNumber(target.Throughput()) + ",\"rounds_mib_s\":[";
                for (size_t i = 0; i < target.throughputs.size(); ++i)
                    out += (i ? "," : "") + JsonNumber(target.throughputs[i]);
                out += "],\"p50_ratio\":" + JsonRatio(target.P50(), direct.P50()) +
                       ",\"p99_ratio\":" + JsonRatio(target.P99(), direct.P99()) +
                       ",\"throughput_ratio\":" + JsonRatio(target.Throughput(), direct.Throughput()) +
                       ",\"client_cpu_cores\":" + JsonNumber(target.ownCpu / target.throughputWall) +
                       ",\"engine_cpu_cores\":" +
                       (enginePid > 0 ? JsonNumber(target.engineCpu / target.throughputWall) : "null") +
                       ",\"relay_cpu_cores\":" +
                       (target.process ? JsonNumber(target.relayCpu / target.throughputWall) : "null");
            }
            out += "}";
        }
        out += "]";
        if (haveDapscope)
        {
            out += ",\"dapscope\":{\"throughput_vs_haproxy\":" +
                   (haveHaproxy ? JsonRatio(dapscope.Throughput(), haproxy.Throughput()) : "null") +
                   ",\"p50_vs_haproxy\":" + (haveHaproxy ? JsonRatio(dapscope.P50(), haproxy.P50()) : "null") +
                   ",\"p99_vs_haproxy\":" + (haveHaproxy ? JsonRatio(dapscope.P99(), haproxy.P99()) : "null") +
                   ",\"stored_percent\":" + (shareValue >= 0 ? JsonNumber(shareValue) : "null") +
                   ",\"stored_bytes\":" + std::to_string(store.storedBytes) +
                   ",\"payload_bytes\":" + std::to_string(dapscopePayload) +
                   ",\"stored_messages\":" + std::to_string(store.storedMessages) +
                   ",\"messages\":" + std::to_string(dapscopeMessages) +
                   ",\"elided_messages\":" + std::to_string(store.elided) +
                   ",\"peak_rss_kib\":" + std::to_string(peakRssKiB) +
                   ",\"exit_status\":" + (dapscopeExit ? std::to_string(*dapscopeExit) : "null") + "}";
        }
        out += "}";
        std::printf("%s\n", out.c_str());
    }

    bool failed = false;
    for (const Target& target : targets)
        failed = failed || target.failed;
    return failed ? 1 : 0;
}
