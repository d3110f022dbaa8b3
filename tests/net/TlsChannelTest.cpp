// TlsChannel: OpenSSL over memory BIOs, tested in memory (two channels pumped into each other, or a channel
// against a bare OpenSSL peer) and over real loopback sockets against the openssl command line.

#include "net/TlsChannel.hpp"
#include "support/TestProcess.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

using namespace dapscope;
using namespace std::chrono_literals;
using net::TlsChannel;
using net::TlsContext;

namespace
{
const uint8_t* Bytes(const std::string& s)
{
    return reinterpret_cast<const uint8_t*>(s.data());
}

bool Contains(const std::string& haystack, const std::string& needle)
{
    return haystack.find(needle) != std::string::npos;
}

std::string ReadFile(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

std::string RandomBytes(size_t size, uint32_t seed)
{
    std::mt19937_64 rng(seed);
    std::string data(size, '\0');
    for (size_t i = 0; i < size; i += 8)
    {
        uint64_t word = rng();
        std::memcpy(data.data() + i, &word, std::min<size_t>(8, size - i));
    }
    return data;
}

// Certificates made once for the whole suite: a CA, a server certificate it signs for "localhost" and
// 127.0.0.1, one it signs that names 127.0.0.1 only as CN and DNS name (not as an IP address SAN), a
// self-signed certificate for "localhost" and 127.0.0.1, and an unrelated key.
class TlsChannelTest : public ::testing::Test
{
  protected:
    static void SetUpTestSuite()
    {
        s_dir = new test::TempDir();
        const std::string newKey = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ";
        const std::string signByCa = "-CA ca.pem -CAkey ca.key -CAcreateserial -days 2 ";
        const std::string san = "subjectAltName=DNS:localhost,IP:127.0.0.1";
        const std::vector<std::string> steps = {
            "openssl req -x509 " + newKey + "-days 2 -subj /CN=dapscope-test-ca -keyout ca.key -out ca.pem " +
                "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign",
            // Signed by the CA for localhost and 127.0.0.1.
            "openssl req " + newKey + "-subj /CN=localhost -keyout server.key -out server.csr",
            "echo " + san + " > server.ext",
            "openssl x509 -req -in server.csr " + signByCa + "-extfile server.ext -out server.pem",
            // Signed by the CA, but 127.0.0.1 appears only as CN and DNS name.
            "openssl req " + newKey + "-subj /CN=127.0.0.1 -keyout dnsip.key -out dnsip.csr",
            "echo subjectAltName=DNS:127.0.0.1 > dnsip.ext",
            "openssl x509 -req -in dnsip.csr " + signByCa + "-extfile dnsip.ext -out dnsip.pem",
            "openssl req -x509 " + newKey + "-days 2 -subj /CN=localhost -addext " + san +
                " -keyout self.key -out self.pem",
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key",
            "echo 'not a certificate' > junk.pem",
        };
        std::string script = "cd " + s_dir->Path();
        for (const auto& step : steps)
            script += " && " + step;
        s_certsMade = test::Shell("{ " + script + "; } >/dev/null 2>&1");
    }
    static void TearDownTestSuite()
    {
        delete s_dir;
        s_dir = nullptr;
    }
    void SetUp() override { ASSERT_TRUE(s_certsMade) << "openssl could not make the test certificates"; }

    static std::string File(const std::string& name) { return s_dir->File(name); }

    static std::unique_ptr<TlsContext> ServerContext(const std::string& cert = "server.pem",
                                                     const std::string& key = "server.key")
    {
        return TlsContext::Server({File(cert), File(key)});
    }

    static std::unique_ptr<TlsContext> ClientContext(bool withCa = true, bool insecure = false)
    {
        net::TlsClientOptions options;
        if (withCa)
            options.caFile = File("ca.pem");
        options.insecure = insecure;
        return TlsContext::Client(options);
    }

    static test::TempDir* s_dir;
    static bool s_certsMade;
};

test::TempDir* TlsChannelTest::s_dir = nullptr;
bool TlsChannelTest::s_certsMade = false;

// Hands `from`'s pending ciphertext to `to` in pieces of uneven size (records are split at arbitrary places).
// False when `to` reports a fatal error.
bool Deliver(TlsChannel& from, TlsChannel& to, std::string& plain, std::mt19937& rng, size_t maxPiece = 70000)
{
    std::string cipher;
    from.TakeCipher(cipher);
    std::uniform_int_distribution<size_t> pieceSize(1, maxPiece);
    for (size_t offset = 0; offset < cipher.size();)
    {
        size_t piece = std::min(pieceSize(rng), cipher.size() - offset);
        if (!to.ReceiveCipher(Bytes(cipher) + offset, piece, plain))
            return false;
        offset += piece;
    }
    return true;
}

// Moves ciphertext both ways until neither side has anything left to send.
bool Pump(TlsChannel& client, std::string& clientPlain, TlsChannel& server, std::string& serverPlain, std::mt19937& rng)
{
    for (int round = 0; round < 100 && (client.HasCipher() || server.HasCipher()); ++round)
    {
        if (!Deliver(client, server, serverPlain, rng) || !Deliver(server, client, clientPlain, rng))
            return false;
    }
    return !client.HasCipher() && !server.HasCipher();
}

// Runs the handshake of a client channel for `serverName` against a server channel; the client's Error().
std::string HandshakeError(TlsContext& clientContext, TlsContext& serverContext, const std::string& serverName)
{
    auto client = TlsChannel::Client(clientContext, serverName);
    auto server = TlsChannel::Server(serverContext);
    std::mt19937 rng(1);
    std::string clientPlain, serverPlain;
    bool ok = Pump(*client, clientPlain, *server, serverPlain, rng);
    if (ok)
    {
        EXPECT_TRUE(client->HandshakeDone());
        EXPECT_TRUE(server->HandshakeDone());
        EXPECT_EQ(client->Error(), "");
    }
    else
    {
        EXPECT_FALSE(client->HandshakeDone());
    }
    return client->Error();
}

// A bare OpenSSL client over memory BIOs, to see what a TlsChannel server negotiates with other peers.
class RawClient
{
  public:
    explicit RawClient(const std::string& alpn)
    {
        m_ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(m_ctx, SSL_VERIFY_NONE, nullptr);
        if (!alpn.empty())
            SSL_CTX_set_alpn_protos(m_ctx, reinterpret_cast<const unsigned char*>(alpn.data()),
                                    static_cast<unsigned>(alpn.size()));
        m_ssl = SSL_new(m_ctx);
        m_in = BIO_new(BIO_s_mem());
        m_out = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(m_in, -1);
        SSL_set_bio(m_ssl, m_in, m_out);
        SSL_set_connect_state(m_ssl);
    }
    ~RawClient()
    {
        SSL_free(m_ssl);
        SSL_CTX_free(m_ctx);
    }

    // Handshakes against `server`; true on success, else `error` holds OpenSSL's reason.
    bool Handshake(TlsChannel& server, std::string& error)
    {
        std::string plain;
        for (int round = 0; round < 20; ++round)
        {
            ERR_clear_error();
            int result = SSL_do_handshake(m_ssl);
            if (result == 1)
                return true;
            if (SSL_get_error(m_ssl, result) != SSL_ERROR_WANT_READ)
            {
                char text[256];
                ERR_error_string_n(ERR_get_error(), text, sizeof text);
                error = text;
                ERR_clear_error();
                return false;
            }
            std::string cipher(BIO_ctrl_pending(m_out), '\0');
            BIO_read(m_out, cipher.data(), static_cast<int>(cipher.size()));
            server.ReceiveCipher(Bytes(cipher), cipher.size(), plain); // failures are seen by this side
            std::string answer;
            server.TakeCipher(answer);
            BIO_write(m_in, answer.data(), static_cast<int>(answer.size()));
        }
        error = "handshake did not finish";
        return false;
    }

    std::string SelectedAlpn() const
    {
        const unsigned char* name = nullptr;
        unsigned int size = 0;
        SSL_get0_alpn_selected(m_ssl, &name, &size);
        return std::string(reinterpret_cast<const char*>(name), size);
    }

  private:
    SSL_CTX* m_ctx = nullptr;
    SSL* m_ssl = nullptr;
    BIO* m_in = nullptr;
    BIO* m_out = nullptr;
};

// The extensions of a ClientHello that the tests look at.
struct ClientHelloInfo
{
    std::optional<std::string> sni;
    std::vector<std::string> alpn;
};

// Parses the first record of a client's ciphertext as a ClientHello (RFC 8446 §4.1.2); nullopt if it is not one.
std::optional<ClientHelloInfo> ParseClientHello(const std::string& cipher)
{
    auto byte = [&](size_t at) -> size_t { return static_cast<uint8_t>(cipher.at(at)); };
    auto u16 = [&](size_t at) { return byte(at) << 8 | byte(at + 1); };
    if (cipher.size() < 9 || byte(0) != 22 || byte(5) != 1)
        return std::nullopt;
    size_t at = 5 + 4 + 2 + 32; // record header, handshake header, legacy_version, random
    at += 1 + byte(at);         // session id
    at += 2 + u16(at);          // cipher suites
    at += 1 + byte(at);         // compression methods
    size_t end = at + 2 + u16(at);
    ClientHelloInfo info;
    for (at += 2; at + 4 <= end;)
    {
        size_t type = u16(at), size = u16(at + 2);
        size_t body = at + 4;
        if (type == 0) // server_name: list length, name type, name length, name
            info.sni = cipher.substr(body + 5, u16(body + 3));
        if (type == 16) // ALPN: list length, then length-prefixed names
        {
            for (size_t p = body + 2; p < body + size; p += 1 + byte(p))
                info.alpn.push_back(cipher.substr(p + 1, byte(p)));
        }
        at = body + size;
    }
    return info;
}

// A listening TCP socket on 127.0.0.1 with a kernel-chosen port.
int Listen(int& port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4) != 0)
    {
        close(fd);
        return -1;
    }
    socklen_t length = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
    port = ntohs(addr.sin_port);
    return fd;
}

int Connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    {
        close(fd);
        return -1;
    }
    return fd;
}

void SetReceiveTimeout(int fd, int seconds)
{
    timeval timeout{seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

bool SendAll(int fd, const std::string& data)
{
    for (size_t sent = 0; sent < data.size();)
    {
        ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        sent += static_cast<size_t>(n);
    }
    return true;
}

// Sends whatever ciphertext the channel has waiting.
bool Flush(int fd, TlsChannel& channel)
{
    std::string cipher;
    channel.TakeCipher(cipher);
    return SendAll(fd, cipher);
}
} // namespace

TEST_F(TlsChannelTest, PairHandshakesAndStreamsTenMiBEachWayInUnevenPiecesInOrder)
{
    auto clientContext = ClientContext();
    auto serverContext = ServerContext();
    auto client = TlsChannel::Client(*clientContext, "localhost");
    auto server = TlsChannel::Server(*serverContext);
    ASSERT_EQ(client->Error(), "");
    ASSERT_EQ(server->Error(), "");
    EXPECT_TRUE(client->HasCipher()) << "the ClientHello is ready before any input";
    EXPECT_FALSE(server->HasCipher());

    // Plaintext given before the handshake, on both sides.
    const std::string clientEarly = "early words from the client; ";
    const std::string serverEarly = "early words from the server; ";
    ASSERT_TRUE(client->SendPlain(Bytes(clientEarly), clientEarly.size()));
    ASSERT_TRUE(server->SendPlain(Bytes(serverEarly), serverEarly.size()));
    EXPECT_FALSE(client->HandshakeDone());

    const size_t total = 10u << 20;
    const std::string fromClient = RandomBytes(total, 7);
    const std::string fromServer = RandomBytes(total, 8);
    std::string clientPlain, serverPlain;
    std::mt19937 rng(42);
    std::uniform_int_distribution<size_t> pieceSize(1, 100000);
    size_t clientSent = 0, serverSent = 0;
    auto start = std::chrono::steady_clock::now();
    while (clientSent < total || serverSent < total)
    {
        size_t piece = std::min(pieceSize(rng), total - clientSent);
        ASSERT_TRUE(client->SendPlain(Bytes(fromClient) + clientSent, piece)) << client->Error();
        clientSent += piece;
        piece = std::min(pieceSize(rng) / 3 + 1, total - serverSent); // a different rhythm the other way
        ASSERT_TRUE(server->SendPlain(Bytes(fromServer) + serverSent, piece)) << server->Error();
        serverSent += piece;
        ASSERT_TRUE(Deliver(*client, *server, serverPlain, rng)) << server->Error();
        ASSERT_TRUE(Deliver(*server, *client, clientPlain, rng)) << client->Error();
    }
    ASSERT_TRUE(Pump(*client, clientPlain, *server, serverPlain, rng));
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    EXPECT_TRUE(client->HandshakeDone());
    EXPECT_TRUE(server->HandshakeDone());
    EXPECT_EQ(client->Error(), "");
    EXPECT_EQ(server->Error(), "");
    ASSERT_EQ(serverPlain.size(), clientEarly.size() + total);
    ASSERT_EQ(clientPlain.size(), serverEarly.size() + total);
    EXPECT_TRUE(serverPlain == clientEarly + fromClient) << "client → server bytes differ";
    EXPECT_TRUE(clientPlain == serverEarly + fromServer) << "server → client bytes differ";
    EXPECT_FALSE(client->PeerClosed());
    EXPECT_FALSE(server->PeerClosed());
    std::cout << "[ perf ] 2 × 10 MiB through a channel pair in " << seconds << " s (" << 2 * 10 / seconds
              << " MiB/s)\n";
}

TEST_F(TlsChannelTest, LargeWritesStreamWithoutQuadraticCost)
{
    auto clientContext = ClientContext();
    auto serverContext = ServerContext();
    auto client = TlsChannel::Client(*clientContext, "localhost");
    auto server = TlsChannel::Server(*serverContext);
    // 16 MiB kept in 1 KiB pieces before the handshake, then 48 MiB in 4 MiB writes after it.
    const std::string data = RandomBytes(64u << 20, 3);
    const size_t early = 16u << 20;
    auto start = std::chrono::steady_clock::now();
    for (size_t sent = 0; sent < early; sent += 1024)
        ASSERT_TRUE(client->SendPlain(Bytes(data) + sent, 1024));
    std::string clientPlain, serverPlain;
    std::mt19937 rng(5);
    ASSERT_TRUE(Pump(*client, clientPlain, *server, serverPlain, rng));
    ASSERT_TRUE(client->HandshakeDone());
    for (size_t sent = early; sent < data.size(); sent += 4u << 20)
    {
        ASSERT_TRUE(client->SendPlain(Bytes(data) + sent, 4u << 20));
        ASSERT_TRUE(Deliver(*client, *server, serverPlain, rng, 1u << 20));
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(serverPlain.size(), data.size());
    EXPECT_TRUE(serverPlain == data);
    std::cout << "[ perf ] 64 MiB one way (16 MiB kept for the handshake) in " << seconds << " s (" << 64 / seconds
              << " MiB/s)\n";
    EXPECT_LT(seconds, 10.0) << "well under a second in a release build; a copy of everything buffered so "
                                "far at each step would take far longer";
}

TEST_F(TlsChannelTest, ClientHelloOffersHttp11AndSendsSniForNamesOnly)
{
    auto context = ClientContext();
    for (auto [name, sni] : {std::pair<std::string, std::string>{"localhost", "localhost"},
                             {"engine.example.com", "engine.example.com"},
                             {"127.0.0.1", ""},
                             {"::1", ""},
                             {"[::1]", ""}})
    {
        auto client = TlsChannel::Client(*context, name);
        ASSERT_EQ(client->Error(), "") << name;
        std::string hello;
        client->TakeCipher(hello);
        EXPECT_FALSE(client->HasCipher());
        auto info = ParseClientHello(hello);
        ASSERT_TRUE(info) << name;
        EXPECT_EQ(info->alpn, std::vector<std::string>{"http/1.1"}) << name;
        if (sni.empty())
            EXPECT_FALSE(info->sni) << name << " must not be sent as SNI";
        else
            EXPECT_EQ(info->sni.value_or("(none)"), sni);
    }
}

TEST_F(TlsChannelTest, ServerSelectsHttp11AndAcceptsClientsWithoutAlpn)
{
    auto serverContext = ServerContext();
    {
        RawClient h2AndHttp11(std::string("\x02h2\x08http/1.1", 12));
        auto server = TlsChannel::Server(*serverContext);
        std::string error;
        ASSERT_TRUE(h2AndHttp11.Handshake(*server, error)) << error << " / " << server->Error();
        EXPECT_EQ(h2AndHttp11.SelectedAlpn(), "http/1.1");
    }
    {
        RawClient noAlpn("");
        auto server = TlsChannel::Server(*serverContext);
        std::string error;
        ASSERT_TRUE(noAlpn.Handshake(*server, error)) << error << " / " << server->Error();
        EXPECT_EQ(noAlpn.SelectedAlpn(), "");
    }
}

TEST_F(TlsChannelTest, ServerRefusesAClientThatOffersOnlyH2WithAnAlertAndAClearError)
{
    auto serverContext = ServerContext();
    RawClient h2Only(std::string("\x02h2", 3));
    auto server = TlsChannel::Server(*serverContext);
    std::string error;
    EXPECT_FALSE(h2Only.Handshake(*server, error));
    EXPECT_TRUE(Contains(error, "no application protocol")) << error;
    EXPECT_FALSE(server->HandshakeDone());
    EXPECT_EQ(server->Error(), "handshake failed: the client offers only h2 (ALPN), not http/1.1");
    std::string plain;
    EXPECT_FALSE(server->ReceiveCipher(Bytes(std::string("x")), 1, plain)) << "a failed channel stays failed";
}

TEST_F(TlsChannelTest, ClientVerifiesLocalhostAndIpLiteralWithTheCaFile)
{
    auto clientContext = ClientContext();
    auto serverContext = ServerContext();
    EXPECT_EQ(HandshakeError(*clientContext, *serverContext, "localhost"), "");
    EXPECT_EQ(HandshakeError(*clientContext, *serverContext, "127.0.0.1"), "");
    EXPECT_EQ(HandshakeError(*clientContext, *serverContext, "LOCALHOST"), "") << "DNS names are case-insensitive";
}

TEST_F(TlsChannelTest, ClientWithoutTheCaFailsVerification)
{
    auto clientContext = ClientContext(false);
    auto serverContext = ServerContext();
    std::string error = HandshakeError(*clientContext, *serverContext, "localhost");
    EXPECT_EQ(error, "certificate verify failed: unable to get local issuer certificate");
}

TEST_F(TlsChannelTest, ClientRejectsAWrongHostnameOrIp)
{
    auto clientContext = ClientContext();
    auto serverContext = ServerContext();
    EXPECT_EQ(HandshakeError(*clientContext, *serverContext, "engine.example.com"),
              "hostname mismatch: the server's certificate is not valid for engine.example.com");
    EXPECT_EQ(HandshakeError(*clientContext, *serverContext, "127.0.0.2"),
              "hostname mismatch: the server's certificate is not valid for 127.0.0.2");
    EXPECT_EQ(HandshakeError(*clientContext, *serverContext, "::1"),
              "hostname mismatch: the server's certificate is not valid for ::1");
}

TEST_F(TlsChannelTest, IpLiteralMatchesOnlyAnIpAddressSan)
{
    auto clientContext = ClientContext();
    auto serverContext = ServerContext("dnsip.pem", "dnsip.key");
    EXPECT_EQ(HandshakeError(*clientContext, *serverContext, "127.0.0.1"),
              "hostname mismatch: the server's certificate is not valid for 127.0.0.1");
}

TEST_F(TlsChannelTest, SelfSignedServerFailsUnlessInsecure)
{
    auto selfSigned = ServerContext("self.pem", "self.key");
    auto strict = ClientContext();
    EXPECT_EQ(HandshakeError(*strict, *selfSigned, "localhost"), "certificate verify failed: self-signed certificate");
    auto insecure = ClientContext(false, true);
    EXPECT_EQ(HandshakeError(*insecure, *selfSigned, "localhost"), "");
    EXPECT_EQ(HandshakeError(*insecure, *selfSigned, "wrong.example.com"), "") << "insecure skips the name check too";
}

TEST_F(TlsChannelTest, ClientNeedsAServerNameUnlessInsecure)
{
    auto strict = ClientContext();
    auto client = TlsChannel::Client(*strict, "");
    EXPECT_NE(client->Error(), "");
    EXPECT_FALSE(client->HasCipher());
    EXPECT_FALSE(client->SendPlain(Bytes(std::string("x")), 1));
}

TEST_F(TlsChannelTest, ShutdownOnOneSideIsPeerClosedOnTheOther)
{
    auto clientContext = ClientContext();
    auto serverContext = ServerContext();
    auto client = TlsChannel::Client(*clientContext, "localhost");
    auto server = TlsChannel::Server(*serverContext);
    std::string clientPlain, serverPlain;
    std::mt19937 rng(2);
    ASSERT_TRUE(Pump(*client, clientPlain, *server, serverPlain, rng));
    ASSERT_TRUE(server->HandshakeDone());

    const std::string last = "last words";
    ASSERT_TRUE(server->SendPlain(Bytes(last), last.size()));
    server->Shutdown();
    EXPECT_FALSE(server->SendPlain(Bytes(last), last.size())) << "nothing may follow close_notify";
    ASSERT_TRUE(Pump(*client, clientPlain, *server, serverPlain, rng));
    EXPECT_EQ(clientPlain, last);
    EXPECT_TRUE(client->PeerClosed());
    EXPECT_FALSE(server->PeerClosed());
    EXPECT_EQ(client->Error(), "");

    // The other half: the client may still answer, then close too.
    const std::string reply = "bye";
    ASSERT_TRUE(client->SendPlain(Bytes(reply), reply.size()));
    client->Shutdown();
    ASSERT_TRUE(Pump(*client, clientPlain, *server, serverPlain, rng));
    EXPECT_EQ(serverPlain, reply);
    EXPECT_TRUE(server->PeerClosed());
}

TEST_F(TlsChannelTest, ShutdownBeforeTheHandshakeFollowsTheKeptPlaintext)
{
    auto clientContext = ClientContext();
    auto serverContext = ServerContext();
    auto client = TlsChannel::Client(*clientContext, "localhost");
    auto server = TlsChannel::Server(*serverContext);
    const std::string request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    ASSERT_TRUE(client->SendPlain(Bytes(request), request.size()));
    client->Shutdown();
    std::string clientPlain, serverPlain;
    std::mt19937 rng(3);
    ASSERT_TRUE(Pump(*client, clientPlain, *server, serverPlain, rng));
    EXPECT_EQ(serverPlain, request);
    EXPECT_TRUE(server->PeerClosed());
}

TEST_F(TlsChannelTest, GarbageCiphertextIsAFatalErrorWithAReason)
{
    auto clientContext = ClientContext();
    auto serverContext = ServerContext();
    std::string plain;
    {
        // Plain HTTP sent to the TLS port.
        auto server = TlsChannel::Server(*serverContext);
        const std::string http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
        EXPECT_FALSE(server->ReceiveCipher(Bytes(http), http.size(), plain));
        EXPECT_TRUE(Contains(server->Error(), "handshake failed: error:")) << server->Error();
        EXPECT_TRUE(Contains(server->Error(), "http request")) << server->Error();
    }
    {
        // Bytes that are neither TLS nor HTTP.
        auto server = TlsChannel::Server(*serverContext);
        const std::string junk = "\x01\x02\x03\x04\x05\x06\x07\x08";
        EXPECT_FALSE(server->ReceiveCipher(Bytes(junk), junk.size(), plain));
        EXPECT_TRUE(Contains(server->Error(), "handshake failed: error:")) << server->Error();
        EXPECT_TRUE(Contains(server->Error(), "wrong version number")) << server->Error();
    }
    {
        // A server that answers the ClientHello with noise.
        auto client = TlsChannel::Client(*clientContext, "localhost");
        const std::string noise = RandomBytes(300, 9);
        EXPECT_FALSE(client->ReceiveCipher(Bytes(noise), noise.size(), plain));
        EXPECT_TRUE(Contains(client->Error(), "handshake failed: ")) << client->Error();
    }
    {
        // A record damaged in transit after the handshake.
        auto client = TlsChannel::Client(*clientContext, "localhost");
        auto server = TlsChannel::Server(*serverContext);
        std::string clientPlain, serverPlain;
        std::mt19937 rng(4);
        ASSERT_TRUE(Pump(*client, clientPlain, *server, serverPlain, rng));
        const std::string data(1000, 'd');
        ASSERT_TRUE(client->SendPlain(Bytes(data), data.size()));
        std::string cipher;
        client->TakeCipher(cipher);
        cipher[cipher.size() / 2] ^= 0x40;
        EXPECT_FALSE(server->ReceiveCipher(Bytes(cipher), cipher.size(), serverPlain));
        EXPECT_TRUE(Contains(server->Error(), "TLS error: ")) << server->Error();
        EXPECT_TRUE(Contains(server->Error(), "bad record mac")) << server->Error();
        EXPECT_EQ(serverPlain, "");
    }
    EXPECT_EQ(ERR_peek_error(), 0u) << "the thread's OpenSSL error queue is left empty for libwebsockets";
}

TEST_F(TlsChannelTest, ContextErrorsNameTheFileAndTheProblem)
{
    // The NetError each context throws ("" and a failure when it throws none).
    const auto error = [](auto make)
    {
        try
        {
            make();
        }
        catch (const net::NetError& e)
        {
            return std::string(e.what());
        }
        ADD_FAILURE() << "no error";
        return std::string();
    };
    const auto server = [&](const std::string& cert, const std::string& key) {
        return error([&] { TlsContext::Server({File(cert), File(key)}); });
    };
    EXPECT_EQ(server("missing.pem", "server.key"),
              "cannot read certificate file " + File("missing.pem") + ": No such file or directory");
    EXPECT_TRUE(
        Contains(server("junk.pem", "server.key"), "cannot load certificate file " + File("junk.pem") + ": error:"));
    EXPECT_EQ(server("server.pem", "missing.key"),
              "cannot read private key file " + File("missing.key") + ": No such file or directory");
    EXPECT_TRUE(Contains(server("server.pem", "junk.pem"), "cannot load private key file " + File("junk.pem")));
    EXPECT_EQ(server("server.pem", "other.key"),
              "private key " + File("other.key") + " does not match certificate " + File("server.pem"));
    EXPECT_EQ(server("server.pem", "self.key"),
              "private key " + File("self.key") + " does not match certificate " + File("server.pem"));

    net::TlsClientOptions client;
    client.caFile = File("missing-ca.pem");
    EXPECT_EQ(error([&] { TlsContext::Client(client); }),
              "cannot read CA file " + File("missing-ca.pem") + ": No such file or directory");
    client.caFile = File("junk.pem");
    EXPECT_TRUE(
        Contains(error([&] { TlsContext::Client(client); }), "cannot load CA file " + File("junk.pem") + ": error:"));

    EXPECT_TRUE(TlsContext::Server({File("server.pem"), File("server.key")}));
    EXPECT_TRUE(TlsContext::Client({}));
    EXPECT_EQ(ERR_peek_error(), 0u);
}

// A real OpenSSL peer over a real socket: `openssl s_client` (TLS 1.3, then forced to 1.2) verifies the
// server channel's certificate, negotiates http/1.1, sends a line, and gets an answer and close_notify back.
TEST_F(TlsChannelTest, OpensslSClientTalksToAServerChannelOverLoopback)
{
    auto serverContext = ServerContext();
    for (std::string version : {"-tls1_3", "-tls1_2"})
    {
        SCOPED_TRACE(version);
        int port = 0;
        int listener = Listen(port);
        ASSERT_GE(listener, 0);
        std::string received, serverError;
        bool serverPeerClosed = false;
        std::thread thread(
            [&]
            {
                SetReceiveTimeout(listener, 30);
                int fd = accept(listener, nullptr, nullptr);
                if (fd < 0)
                    return;
                SetReceiveTimeout(fd, 30);
                auto channel = TlsChannel::Server(*serverContext);
                bool answered = false;
                char buffer[65536];
                for (;;)
                {
                    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
                    if (n <= 0)
                        break;
                    bool ok =
                        channel->ReceiveCipher(reinterpret_cast<uint8_t*>(buffer), static_cast<size_t>(n), received);
                    size_t newline = received.find('\n');
                    if (ok && !answered && newline != std::string::npos)
                    {
                        std::string answer = "echo:" + received.substr(0, newline + 1);
                        channel->SendPlain(Bytes(answer), answer.size());
                        channel->Shutdown();
                        answered = true;
                    }
                    Flush(fd, *channel); // also carries the alert of a failed handshake
                    if (!ok)
                    {
                        serverError = channel->Error();
                        break;
                    }
                }
                serverPeerClosed = channel->PeerClosed();
                close(fd);
            });
        std::string out = File("s_client.txt");
        test::Shell("echo 'hello over tls' | timeout 30 openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                    " " + version + " -servername localhost -verify_hostname localhost -CAfile " + File("ca.pem") +
                    " -verify_return_error -alpn http/1.1 -ign_eof > " + out + " 2>&1");
        thread.join();
        close(listener);
        std::string transcript = ReadFile(out);
        EXPECT_EQ(serverError, "");
        EXPECT_EQ(received, "hello over tls\n");
        EXPECT_TRUE(Contains(transcript, version == "-tls1_3" ? "New, TLSv1.3," : "New, TLSv1.2,")) << transcript;
        EXPECT_TRUE(Contains(transcript, "Verify return code: 0 (ok)")) << transcript;
        EXPECT_TRUE(Contains(transcript, "ALPN protocol: http/1.1")) << transcript;
        EXPECT_TRUE(Contains(transcript, "echo:hello over tls")) << transcript;
        EXPECT_TRUE(serverPeerClosed) << "s_client answers close_notify with its own";
    }
}

// The client channel against `openssl s_server -www` over a real socket (TLS 1.3, then 1.2 only):
// verification, the ALPN it offers, and a request written before the handshake.
TEST_F(TlsChannelTest, ClientChannelTalksToOpensslSServerOverLoopback)
{
    auto clientContext = ClientContext();
    for (std::string version : {"-tls1_3", "-tls1_2"})
    {
        SCOPED_TRACE(version);
        test::TestProcess server({"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:0", version, "-cert",
                                  File("server.pem"), "-key", File("server.key"), "-alpn", "http/1.1", "-www",
                                  "-naccept", "1"},
                                 {}, true);
        auto line = server.WaitForLine("ACCEPT 127.0.0.1:", 10s);
        ASSERT_TRUE(line) << server.Output();
        int port = std::atoi(line->substr(line->rfind(':') + 1).c_str());
        ASSERT_GT(port, 0);

        auto client = TlsChannel::Client(*clientContext, "localhost");
        const std::string request = "GET / HTTP/1.0\r\n\r\n";
        ASSERT_TRUE(client->SendPlain(Bytes(request), request.size()));
        int fd = Connect(port);
        ASSERT_GE(fd, 0);
        SetReceiveTimeout(fd, 20);
        std::string plain;
        char buffer[65536];
        bool ok = Flush(fd, *client);
        while (ok && !client->PeerClosed())
        {
            ssize_t n = recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0)
                break;
            ok = client->ReceiveCipher(reinterpret_cast<uint8_t*>(buffer), static_cast<size_t>(n), plain);
            Flush(fd, *client);
        }
        close(fd);
        EXPECT_TRUE(ok) << client->Error();
        EXPECT_TRUE(client->HandshakeDone());
        EXPECT_EQ(plain.rfind("HTTP/1.0 200 ok\r\n", 0), 0u) << plain.substr(0, 200);
        EXPECT_TRUE(Contains(plain, version == "-tls1_3" ? "Protocol  : TLSv1.3" : "Protocol  : TLSv1.2"))
            << "s_server's page names the session's version";
        auto alpn = server.WaitForLine("ALPN protocols advertised by the client", 10s);
        ASSERT_TRUE(alpn) << server.Output();
        EXPECT_TRUE(Contains(*alpn, "http/1.1")) << *alpn;
        EXPECT_FALSE(Contains(*alpn, "h2")) << *alpn;
    }
}
