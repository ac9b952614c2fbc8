#include "rest_tls.hpp"

#include <memory>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "spate/core/error.hpp"
#include "spate/core/private_file.hpp"

namespace spate::cluster_detail {

namespace {

[[noreturn]] void fail(const char* option, const std::string& file, const std::string& why) {
  throw error(errc::invalid_argument,
              std::string("REST TLS: ") + option + " '" + file + "': " + why);
}

//! Clears a buffer that held a private key, however the scope is left.
struct cleansed {
  std::string& text;
  ~cleansed() { OPENSSL_cleanse(text.data(), text.size()); }
};

//! OpenSSL asks for a passphrase when a PEM key is encrypted: none is given
//! (rather than a prompt on the terminal), so such a key is refused.
int no_passphrase(char*, int, int, void*) { return 0; }

using bio_ptr = std::unique_ptr<BIO, decltype(&BIO_free)>;

bio_ptr memory_bio(const std::string& text) {
  bio_ptr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
  if (!bio)
    throw error(errc::internal, "REST TLS: " + openssl_errors());
  return bio;
}

//! Whether OpenSSL's last error is only the end of the PEM input.
bool only_pem_end() {
  auto e = ERR_peek_last_error();
  if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
    return true;
  }
  return false;
}

//! The certificate chain in `file` (the leaf first), read from the
//! descriptor opened and checked, as SSL_CTX_use_certificate_chain_file
//! would load it.
void use_certificate_chain(SSL_CTX* ctx, const std::string& file) {
  auto what = std::string("REST TLS: ") + options::rest_ssl_cert;
  auto pem = read_regular_file(file, what);
  auto bio = memory_bio(pem);
  ERR_clear_error();
  std::unique_ptr<X509, decltype(&X509_free)> leaf(
      PEM_read_bio_X509_AUX(bio.get(), nullptr, no_passphrase, nullptr), X509_free);
  if (!leaf || SSL_CTX_use_certificate(ctx, leaf.get()) != 1)
    fail(options::rest_ssl_cert, file, "not a PEM certificate: " + openssl_errors());
  SSL_CTX_clear_chain_certs(ctx);
  for (;;) {
    X509* issuer = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr);
    if (issuer == nullptr)
      break;
    if (SSL_CTX_add0_chain_cert(ctx, issuer) != 1) {
      X509_free(issuer);
      fail(options::rest_ssl_cert, file, "cannot use its chain: " + openssl_errors());
    }
  }
  if (!only_pem_end())
    fail(options::rest_ssl_cert, file, "not PEM certificates: " + openssl_errors());
}

//! The private key in `file`, read from the descriptor that was checked to
//! be a private file (no link, no FIFO, ours, mode 600), so the key used is
//! the one checked; the copy in memory is cleared afterwards.
void use_private_key(SSL_CTX* ctx, const std::string& file, const std::string& cert_file) {
  auto pem = read_private_file(file, std::string("REST TLS: ") + options::rest_ssl_key);
  cleansed clear{pem};
  auto bio = memory_bio(pem);
  ERR_clear_error();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr), EVP_PKEY_free);
  if (!key)
    fail(options::rest_ssl_key, file,
         "not a PEM private key (or one with a passphrase): " + openssl_errors());
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    auto why = openssl_errors();
    if (why.find("mismatch") != std::string::npos)
      fail(options::rest_ssl_key, file, "does not belong to the certificate in " + cert_file);
    fail(options::rest_ssl_key, file, "cannot be used: " + why);
  }
}

//! The certificates of `file` a client's certificate must be issued by:
//! trusted for verification and offered to the client as the issuers it may
//! choose from.
void use_client_issuers(SSL_CTX* ctx, const std::string& file) {
  auto pem = read_regular_file(file, std::string("REST TLS: ") + options::rest_ssl_ca);
  auto bio = memory_bio(pem);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  ERR_clear_error();
  int n = 0;
  for (;;) {
    std::unique_ptr<X509, decltype(&X509_free)> ca(
        PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr), X509_free);
    if (!ca)
      break;
    if (X509_STORE_add_cert(store, ca.get()) != 1 || SSL_CTX_add_client_CA(ctx, ca.get()) != 1)
      fail(options::rest_ssl_ca, file, "cannot use a certificate in it: " + openssl_errors());
    ++n;
  }
  if (n == 0 || !only_pem_end())
    fail(options::rest_ssl_ca, file, "not PEM certificates: " + openssl_errors());
}

//! Identifies this server's sessions: OpenSSL refuses to resume a session
//! (and fails the handshake) on a context that verifies peers but has none.
constexpr unsigned char session_context[] = "spate REST API";

} // namespace

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

rest_tls rest_tls_from(const configuration& cfg) {
  rest_tls t;
  t.enabled = cfg.get_bool(options::rest_ssl_enabled, false);
  t.cert_file = cfg.get_string(options::rest_ssl_cert, "");
  t.key_file = cfg.get_string(options::rest_ssl_key, "");
  t.ca_file = cfg.get_string(options::rest_ssl_ca, "");
  t.client_auth = cfg.get_bool(options::rest_ssl_client_auth, false);
  if (!t.enabled)
    return t;
  if (t.client_auth && t.ca_file.empty())
    throw error(errc::invalid_argument, std::string("REST TLS: ") + options::rest_ssl_client_auth +
                                            " needs " + options::rest_ssl_ca +
                                            " (the issuer of the client certificates)");
  return t;
}

std::shared_ptr<SSL_CTX> make_server_context(const rest_tls& tls) {
  if (tls.cert_file.empty() || tls.key_file.empty())
    throw error(errc::invalid_argument, std::string("REST TLS: ") + options::rest_ssl_enabled +
                                            " needs " + options::rest_ssl_cert + " and " +
                                            options::rest_ssl_key);
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx)
    throw error(errc::internal, "REST TLS: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  use_certificate_chain(ctx.get(), tls.cert_file);
  use_private_key(ctx.get(), tls.key_file, tls.cert_file);
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    fail(options::rest_ssl_key, tls.key_file,
         "does not belong to the certificate in " + tls.cert_file);
  if (SSL_CTX_set_session_id_context(ctx.get(), session_context, sizeof session_context - 1) != 1)
    throw error(errc::internal, "REST TLS: " + openssl_errors());
  if (tls.client_auth) {
    use_client_issuers(ctx.get(), tls.ca_file);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

} // namespace spate::cluster_detail
