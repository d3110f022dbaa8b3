#include "TlsChannel.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

namespace dapscope::net
{

namespace
{
// ALPN wire format: one length-prefixed name. The only protocol the relay speaks on either leg.
constexpr unsigned char kAlpnHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// One TLS record carries at most 16 KiB of plaintext, so SSL_read never returns more than this at once.
constexpr size_t kReadChunk = 16384;

// Largest length handed to one BIO_write_ex or SSL_write_ex: the layers below them count in int.
constexpr size_t kMaxIo = 1u << 30;

// Pops every queued OpenSSL error and returns the oldest as ERR_error_string text (the root cause; later
// entries only say which layer gave up). The queue is per thread and shared with libwebsockets on the loop
// thread, so it is always left empty.
std::string TakeOpenSslError()
{
    unsigned long first = ERR_get_error();
    ERR_clear_error();
    if (first == 0)
        return "no error reported by OpenSSL";
    char text[256];
    ERR_error_string_n(first, text, sizeof text);
    return text;
}

// Never prompt on the terminal for a key's passphrase: an encrypted key simply fails to load.
int NoPassphrase(char*, int, int, void*)
{
    return -1;
}

std::string CannotRead(const std::string& what, const std::string& path)
{
    return "cannot read " + what + " " + path + ": " + std::strerror(errno);
}

bool Readable(const std::string& path)
{
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file)
        return false;
    std::fclose(file);
    return true;
}

// "127.0.0.1" and "::1" (also "[::1]", as URLs write it) are IP literals; anything else is a DNS name.
std::string IpLiteral(const std::string& host)
{
    std::string bare = host;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
        bare = bare.substr(1, bare.size() - 2);
    unsigned char address[16];
    if (inet_pton(AF_INET, bare.c_str(), address) == 1 || inet_pton(AF_INET6, bare.c_str(), address) == 1)
        return bare;
    return {};
}

// "h2, spdy/3.1" from an ALPN wire-format list, for error messages.
std::string AlpnNames(const unsigned char* list, unsigned int size)
{
    std::string names;
    for (unsigned int i = 0; i < size;)
    {
        unsigned int length = list[i++];
        length = std::min(length, size - i);
        if (!names.empty())
            names += ", ";
        names.append(reinterpret_cast<const char*>(list + i), length);
        i += length;
    }
    return names;
}

struct CtxDeleter
{
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;

// Settings shared by both legs: TLS 1.2 or newer, no renegotiation (it would make SSL_write wait for the
// peer), and partial writes so that SSL_write reports exactly how much plaintext it has taken.
CtxPtr NewContext(const SSL_METHOD* method)
{
    ERR_clear_error();
    CtxPtr ctx(SSL_CTX_new(method));
    if (!ctx)
    {
        throw NetError("cannot create a TLS context: " + TakeOpenSslError());
    }
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_default_passwd_cb(ctx.get(), NoPassphrase);
    return ctx;
}
} // namespace

struct TlsContext::Impl
{
    CtxPtr ctx;
    bool client = false;
    bool insecure = false;
};

namespace
{
// The ex_data slot where an SSL object keeps its channel's ALPN refusal text (see SelectAlpn).
int AlpnRefusalIndex()
{
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// Server side: choose http/1.1 when offered. A client that offers ALPN without http/1.1 (for instance only
// "h2") gets the fatal no_application_protocol alert that RFC 7301 §3.2 prescribes; going on without ALPN
// would let it start HTTP/2 on a connection whose other end only parses HTTP/1.1. A client that sends no
// ALPN at all is served as HTTP/1.1.
int SelectAlpn(SSL* ssl, const unsigned char** out, unsigned char* outSize, const unsigned char* in,
               unsigned int inSize, void*)
{
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outSize, kAlpnHttp11, sizeof kAlpnHttp11, in, inSize) ==
        OPENSSL_NPN_NEGOTIATED)
    {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    if (auto* refusal = static_cast<std::string*>(SSL_get_ex_data(ssl, AlpnRefusalIndex())))
        *refusal = "the client offers only " + AlpnNames(in, inSize) + " (ALPN), not http/1.1";
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}
} // namespace

TlsContext::TlsContext(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

TlsContext::~TlsContext() = default;

std::unique_ptr<TlsContext> TlsContext::Client(const TlsClientOptions& options)
{
    auto impl = std::make_unique<Impl>();
    impl->client = true;
    impl->insecure = options.insecure;
    impl->ctx = NewContext(TLS_client_method());
    SSL_CTX* ctx = impl->ctx.get();
    // Missing system CA folders are not an error here: a later verification failure names the real problem.
    SSL_CTX_set_default_verify_paths(ctx);
    ERR_clear_error();
    if (!options.caFile.empty())
    {
        if (!Readable(options.caFile))
        {
            throw NetError(CannotRead("CA file", options.caFile));
        }
        if (SSL_CTX_load_verify_locations(ctx, options.caFile.c_str(), nullptr) != 1)
        {
            throw NetError("cannot load CA file " + options.caFile + ": " + TakeOpenSslError());
        }
    }
    SSL_CTX_set_verify(ctx, options.insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
    // Note the inverted convention: 0 is success.
    if (SSL_CTX_set_alpn_protos(ctx, kAlpnHttp11, sizeof kAlpnHttp11) != 0)
    {
        throw NetError("cannot set ALPN: " + TakeOpenSslError());
    }
    return std::unique_ptr<TlsContext>(new TlsContext(std::move(impl)));
}

std::unique_ptr<TlsContext> TlsContext::Server(const TlsServerOptions& options)
{
    auto impl = std::make_unique<Impl>();
    impl->ctx = NewContext(TLS_server_method());
    SSL_CTX* ctx = impl->ctx.get();
    if (!Readable(options.certFile))
    {
        throw NetError(CannotRead("certificate file", options.certFile));
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, options.certFile.c_str()) != 1)
    {
        throw NetError("cannot load certificate file " + options.certFile + ": " + TakeOpenSslError());
    }
    // The key is parsed here rather than by SSL_CTX_use_PrivateKey_file so that "not a key" and "not this
    // certificate's key" give different messages.
    BIO* keyBio = BIO_new_file(options.keyFile.c_str(), "rb");
    if (!keyBio)
    {
        ERR_clear_error();
        throw NetError(CannotRead("private key file", options.keyFile));
    }
    EVP_PKEY* key = PEM_read_bio_PrivateKey(keyBio, nullptr, NoPassphrase, nullptr);
    BIO_free(keyBio);
    if (!key)
    {
        throw NetError("cannot load private key file " + options.keyFile +
                       " (an unencrypted PEM key is needed): " + TakeOpenSslError());
    }
    bool matches = X509_check_private_key(SSL_CTX_get0_certificate(ctx), key) == 1;
    ERR_clear_error();
    if (!matches)
    {
        EVP_PKEY_free(key);
        throw NetError("private key " + options.keyFile + " does not match certificate " + options.certFile);
    }
    int used = SSL_CTX_use_PrivateKey(ctx, key);
    EVP_PKEY_free(key); // the context holds its own reference
    if (used != 1)
    {
        throw NetError("cannot use private key " + options.keyFile + ": " + TakeOpenSslError());
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr); // SDK clients present no certificate
    SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
    // No session tickets: each channel has its own SSL object and no session cache, so a ticket could never
    // be used, and without them nothing arrives after the client's handshake ends.
    SSL_CTX_set_num_tickets(ctx, 0);
    return std::unique_ptr<TlsContext>(new TlsContext(std::move(impl)));
}

struct TlsChannel::Impl
{
    SSL* ssl = nullptr; // owns both BIOs
    BIO* in = nullptr;  // ciphertext from the socket, read by OpenSSL
    BIO* out = nullptr; // ciphertext written by OpenSSL, for the socket
    bool client = false;
    bool insecure = false;
    bool handshakeDone = false;
    bool peerClosed = false;
    bool shutdownWanted = false; // Shutdown() was called; close_notify goes out after `pending`
    bool shutdownSent = false;
    bool failed = false;
    std::string serverName;
    std::string error;
    std::string alpnRefusal; // set by SelectAlpn through ex_data
    // Plaintext SSL_write has not taken yet (handshake still running, or SSL_write waiting for the peer),
    // from pendingOffset on. The offset avoids moving the rest after every write; the string is compacted
    // once most of it is consumed.
    std::string pending;
    size_t pendingOffset = 0;

    ~Impl() { SSL_free(ssl); }

    // Builds the SSL object over two fresh memory BIOs. On failure the channel comes back already failed,
    // with Error() set, rather than as nullptr.
    static std::unique_ptr<Impl> Create(TlsContext::Impl& context)
    {
        auto impl = std::make_unique<Impl>();
        impl->client = context.client;
        impl->insecure = context.insecure;
        ERR_clear_error();
        impl->ssl = SSL_new(context.ctx.get());
        impl->in = BIO_new(BIO_s_mem());
        impl->out = BIO_new(BIO_s_mem());
        if (!impl->ssl || !impl->in || !impl->out)
        {
            BIO_free(impl->in);
            BIO_free(impl->out);
            impl->in = impl->out = nullptr;
            impl->Fail("cannot create a TLS session: " + TakeOpenSslError());
            return impl;
        }
        // An empty input BIO means "no more data yet" (retry), not end of stream.
        BIO_set_mem_eof_return(impl->in, -1);
        SSL_set_bio(impl->ssl, impl->in, impl->out);
        SSL_set_ex_data(impl->ssl, AlpnRefusalIndex(), &impl->alpnRefusal);
        return impl;
    }

    bool Fail(std::string message)
    {
        failed = true;
        error = std::move(message);
        ERR_clear_error();
        return false;
    }

    // Names the handshake failure: certificate problems as such, else OpenSSL's reason.
    bool FailHandshake()
    {
        long verify = SSL_get_verify_result(ssl);
        if (client && !insecure && verify != X509_V_OK)
        {
            if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
                return Fail("hostname mismatch: the server's certificate is not valid for " + serverName);
            return Fail(std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify));
        }
        if (!alpnRefusal.empty())
            return Fail("handshake failed: " + alpnRefusal);
        return Fail("handshake failed: " + TakeOpenSslError());
    }

    // Gives SSL_write as much of [data, data + size) as it takes; returns how much it took, or nullopt on a
    // fatal error. It takes everything except while it waits for the peer (WANT_READ).
    std::optional<size_t> Write(const char* data, size_t size)
    {
        size_t done = 0;
        while (done < size)
        {
            size_t written = 0;
            if (SSL_write_ex(ssl, data + done, std::min(size - done, kMaxIo), &written) != 1)
            {
                int code = SSL_get_error(ssl, 0);
                if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE)
                    break; // retried after the next ReceiveCipher
                Fail("TLS write failed: " + TakeOpenSslError());
                return std::nullopt;
            }
            done += written;
        }
        return done;
    }

    // Writes what `pending` holds, then close_notify if Shutdown() asked for it; false on a fatal error.
    bool Flush()
    {
        auto written = Write(pending.data() + pendingOffset, pending.size() - pendingOffset);
        if (!written)
            return false;
        pendingOffset += *written;
        if (pendingOffset == pending.size())
        {
            pending.clear();
            pendingOffset = 0;
            if (pending.capacity() > (1u << 20))
                pending.shrink_to_fit();
        }
        else if (pendingOffset > pending.size() / 2)
        {
            pending.erase(0, pendingOffset);
            pendingOffset = 0;
        }
        if (shutdownWanted && !shutdownSent && pending.empty())
        {
            // 0 means "sent, the peer's close_notify not seen yet": the relay does not wait for it.
            SSL_shutdown(ssl);
            ERR_clear_error();
            shutdownSent = true;
        }
        return true;
    }
};

TlsChannel::TlsChannel(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

TlsChannel::~TlsChannel() = default;

std::unique_ptr<TlsChannel> TlsChannel::Client(TlsContext& context, const std::string& serverName)
{
    auto impl = Impl::Create(context.Get());
    impl->serverName = serverName;
    if (impl->failed)
        return std::unique_ptr<TlsChannel>(new TlsChannel(std::move(impl)));
    SSL* ssl = impl->ssl;
    SSL_set_connect_state(ssl);
    std::string ip = IpLiteral(serverName);
    bool ok = true;
    // RFC 6066 §3: SNI carries DNS names only, never IP literals.
    if (ip.empty() && !serverName.empty())
        ok = SSL_set_tlsext_host_name(ssl, serverName.c_str()) == 1;
    if (ok && !impl->insecure)
    {
        if (serverName.empty())
        {
            impl->Fail("no server name to check the certificate against");
            return std::unique_ptr<TlsChannel>(new TlsChannel(std::move(impl)));
        }
        if (!ip.empty())
        {
            // An IP literal is checked against IP address SANs only, never against a DNS SAN or a CN that
            // reads the same.
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip.c_str()) == 1;
        }
        else
        {
            SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ok = SSL_set1_host(ssl, serverName.c_str()) == 1;
        }
    }
    if (!ok)
    {
        impl->Fail("cannot use server name \"" + serverName + "\": " + TakeOpenSslError());
        return std::unique_ptr<TlsChannel>(new TlsChannel(std::move(impl)));
    }
    // Put the ClientHello in the outgoing BIO at once, so the relay sends it as soon as TCP connects.
    ERR_clear_error();
    int result = SSL_do_handshake(ssl);
    if (result != 1 && SSL_get_error(ssl, result) != SSL_ERROR_WANT_READ)
        impl->FailHandshake();
    return std::unique_ptr<TlsChannel>(new TlsChannel(std::move(impl)));
}

std::unique_ptr<TlsChannel> TlsChannel::Server(TlsContext& context)
{
    auto impl = Impl::Create(context.Get());
    if (!impl->failed)
        SSL_set_accept_state(impl->ssl);
    return std::unique_ptr<TlsChannel>(new TlsChannel(std::move(impl)));
}

bool TlsChannel::ReceiveCipher(const uint8_t* data, size_t size, std::string& plain)
{
    Impl& impl = *m_impl;
    if (impl.failed)
        return false;
    if (impl.peerClosed)
        return true; // nothing may follow close_notify; ignore it rather than buffer it
    ERR_clear_error();
    for (size_t done = 0; done < size;)
    {
        size_t chunk = std::min(size - done, kMaxIo);
        size_t written = 0;
        if (BIO_write_ex(impl.in, data + done, chunk, &written) != 1)
            return impl.Fail("out of memory buffering TLS input");
        done += written;
    }
    if (!impl.handshakeDone)
    {
        int result = SSL_do_handshake(impl.ssl);
        if (result != 1)
        {
            if (SSL_get_error(impl.ssl, result) == SSL_ERROR_WANT_READ)
                return true;
            return impl.FailHandshake();
        }
        impl.handshakeDone = true;
    }
    // Decrypt everything that arrived; stop when OpenSSL needs more ciphertext.
    while (!impl.peerClosed)
    {
        size_t old = plain.size();
        plain.resize(old + kReadChunk);
        size_t got = 0;
        int result = SSL_read_ex(impl.ssl, plain.data() + old, kReadChunk, &got);
        plain.resize(old + got);
        if (result == 1)
            continue;
        int code = SSL_get_error(impl.ssl, 0);
        if (code == SSL_ERROR_WANT_READ)
            break;
        if (code == SSL_ERROR_ZERO_RETURN)
        {
            impl.peerClosed = true;
            break;
        }
        return impl.Fail("TLS error: " + TakeOpenSslError());
    }
    // Plaintext queued before the handshake (or stalled by a retry) goes out now, in order.
    return impl.Flush();
}

bool TlsChannel::SendPlain(const uint8_t* data, size_t size)
{
    Impl& impl = *m_impl;
    if (impl.failed || impl.shutdownWanted)
        return false;
    if (impl.handshakeDone && impl.pending.empty())
    {
        // The common case: straight into SSL_write, no copy into `pending`.
        ERR_clear_error();
        auto written = impl.Write(reinterpret_cast<const char*>(data), size);
        if (!written)
            return false;
        data += *written;
        size -= *written;
    }
    if (size == 0)
        return true;
    impl.pending.append(reinterpret_cast<const char*>(data), size);
    if (!impl.handshakeDone)
        return true;
    ERR_clear_error();
    return impl.Flush();
}

void TlsChannel::Shutdown()
{
    Impl& impl = *m_impl;
    if (impl.failed || impl.shutdownWanted)
        return;
    impl.shutdownWanted = true;
    if (impl.handshakeDone)
    {
        ERR_clear_error();
        impl.Flush();
    }
}

void TlsChannel::TakeCipher(std::string& out)
{
    if (!m_impl->out)
        return;
    size_t size = BIO_ctrl_pending(m_impl->out);
    if (size == 0)
        return;
    size_t old = out.size();
    out.resize(old + size);
    size_t got = 0;
    BIO_read_ex(m_impl->out, out.data() + old, size, &got);
    out.resize(old + got);
}

bool TlsChannel::HasCipher() const
{
    return m_impl->out && BIO_ctrl_pending(m_impl->out) > 0;
}

bool TlsChannel::HandshakeDone() const
{
    return m_impl->handshakeDone;
}

bool TlsChannel::PeerClosed() const
{
    return m_impl->peerClosed;
}

const std::string& TlsChannel::Error() const
{
    return m_impl->error;
}

} // namespace dapscope::net
