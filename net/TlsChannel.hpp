#pragma once
// TLS without sockets: OpenSSL over a pair of memory BIOs. The relay reads and writes ciphertext on plain
// libwebsockets raw connections (lws 4.1.6's raw client cannot do TLS itself) and moves plaintext through
// this channel; one code path serves both legs (the engine side as client, the SDK side as server).

#include "NetError.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace dapscope::net
{

struct TlsClientOptions
{
    std::string caFile;    // extra trusted CA (PEM), on top of the system's
    bool insecure = false; // skip certificate and hostname verification
};

struct TlsServerOptions
{
    std::string certFile; // PEM certificate (chain)
    std::string keyFile;  // PEM private key
};

// An SSL_CTX, made once per proxy and shared by its channels (loop thread only).
class TlsContext
{
  public:
    // Both throw NetError (a sentence naming the file or the OpenSSL reason) on failure.
    static std::unique_ptr<TlsContext> Client(const TlsClientOptions& options);
    static std::unique_ptr<TlsContext> Server(const TlsServerOptions& options);
    ~TlsContext();

    struct Impl;
    Impl& Get() { return *m_impl; }

  private:
    explicit TlsContext(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

class TlsChannel
{
  public:
    // Client: verifies the server's certificate against `serverName` (unless insecure), sends SNI (for names,
    // not IP literals) and ALPN "http/1.1"; its ClientHello is ready in TakeCipher at once. Server: accepts only
    // ALPN "http/1.1" (a client offering ALPN without it gets a no_application_protocol alert; no ALPN at all is
    // fine). Neither returns nullptr: a channel that could not be set up (or a verifying client given an empty
    // serverName) comes back with Error() set.
    static std::unique_ptr<TlsChannel> Client(TlsContext& context, const std::string& serverName);
    static std::unique_ptr<TlsChannel> Server(TlsContext& context);
    ~TlsChannel();

    // Ciphertext read from the socket. Plaintext it yields is appended to `plain`. Drives the handshake.
    // False on a fatal error (handshake failure, bad record, verification failure): see Error().
    bool ReceiveCipher(const uint8_t* data, size_t size, std::string& plain);
    // Plaintext to send. Before the handshake completes it is kept and sent once it does.
    // False on a fatal error (see Error()) and after Shutdown().
    bool SendPlain(const uint8_t* data, size_t size);
    // Send close_notify (after any plaintext still kept for the handshake).
    void Shutdown();

    // Ciphertext waiting for the socket (handshake records, data, alerts): appended to `out`, then forgotten.
    void TakeCipher(std::string& out);
    bool HasCipher() const;

    bool HandshakeDone() const;
    bool PeerClosed() const;          // close_notify received (ciphertext after it is ignored)
    const std::string& Error() const; // e.g. "certificate verify failed: self-signed certificate"

  private:
    struct Impl;
    explicit TlsChannel(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace dapscope::net
