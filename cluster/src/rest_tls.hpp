// TLS for the REST API and its clients (OpenSSL): the server's certificate
// and key, and optionally client certificates (mutual TLS), as Flink's
// security.ssl.rest.* options name them, with PEM files instead of Java key
// stores.
#pragma once

#include <memory>
#include <string>

#include "spate/core/config.hpp"

typedef struct ssl_ctx_st SSL_CTX;

namespace spate::options {
inline constexpr const char* rest_ssl_enabled = "security.ssl.rest.enabled";
inline constexpr const char* rest_ssl_cert = "security.ssl.rest.cert-file";
inline constexpr const char* rest_ssl_key = "security.ssl.rest.key-file";
inline constexpr const char* rest_ssl_ca = "security.ssl.rest.ca-file";
inline constexpr const char* rest_ssl_client_auth = "security.ssl.rest.authentication-enabled";
} // namespace spate::options

namespace spate::cluster_detail {

struct rest_tls {
  bool enabled = false;
  //! PEM: this side's certificate chain and private key (the server's on the
  //! JobManager; the client's on the CLI when client certificates are on).
  std::string cert_file, key_file;
  //! PEM: the certificates to trust (the server's issuer on the CLI; the
  //! clients' issuer on the JobManager).
  std::string ca_file;
  //! Mutual TLS: the server asks for, and requires, a client certificate
  //! issued by ca_file.
  bool client_auth = false;
};

//! The security.ssl.rest.* options; throws errc::invalid_argument naming an
//! option that is missing for what is enabled.
rest_tls rest_tls_from(const configuration& cfg);

//! A server context (TLS 1.2 or later) with the certificate and key loaded
//! and checked against each other, and client verification when asked.
//! Throws errc::invalid_argument naming the file that cannot be used.
std::shared_ptr<SSL_CTX> make_server_context(const rest_tls& tls);

//! OpenSSL's queued errors as one line (and clears them).
std::string openssl_errors();

} // namespace spate::cluster_detail
