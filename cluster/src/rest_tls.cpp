#include "rest_tls.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "spate/core/error.hpp"

namespace spate::cluster_detail {

namespace {

[[noreturn]] void fail(const char* option, const std::string& file, const std::string& why) {
  throw error(errc::invalid_argument,
              std::string("REST TLS: ") + option + " '" + file + "': " + why);
}

//! A private key file must be the spate user's own, readable by nobody else.
void check_private(const char* option, const std::string& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    fail(option, file, errno == ELOOP ? "is a symbolic link (refused)" : std::strerror(errno));
  struct stat st {};
  int r = ::fstat(fd, &st);
  ::close(fd);
  if (r != 0 || !S_ISREG(st.st_mode))
    fail(option, file, "is not a regular file");
  if (st.st_uid != ::geteuid())
    fail(option, file, "belongs to another user (uid " + std::to_string(st.st_uid) + ")");
  if ((st.st_mode & 077) != 0)
    fail(option, file, "is readable by others: chmod 600 it");
}

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
  check_private(options::rest_ssl_key, tls.key_file);
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx)
    throw error(errc::internal, "REST TLS: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1)
    fail(options::rest_ssl_cert, tls.cert_file, "not a PEM certificate: " + openssl_errors());
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    auto why = openssl_errors();
    if (why.find("mismatch") != std::string::npos)
      fail(options::rest_ssl_key, tls.key_file,
           "does not belong to the certificate in " + tls.cert_file);
    fail(options::rest_ssl_key, tls.key_file, "not a PEM private key: " + why);
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    fail(options::rest_ssl_key, tls.key_file,
         "does not belong to the certificate in " + tls.cert_file);
  if (tls.client_auth) {
    if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr) != 1)
      fail(options::rest_ssl_ca, tls.ca_file, "not PEM certificates: " + openssl_errors());
    // The issuers a client may choose its certificate from.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.ca_file.c_str());
    if (names != nullptr)
      SSL_CTX_set_client_CA_list(ctx.get(), names);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

} // namespace spate::cluster_detail
