// The JobManager's REST API as the CLI reaches it (internal): the address (--jobmanager or
// rest.address/rest.port), the bearer token of rest.auth.token-file, TLS as configured, and
// Flink's error shapes turned into exceptions. `spate run/list/...` (client.cpp) and the SQL
// client (sql_client.cpp) use it.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "client.hpp"
#include "rest_tls.hpp"
#include "spate/core/config.hpp"

namespace httplib {
class Client;
} // namespace httplib

namespace spate::cluster_detail {

//! The JobManager could not be reached (connection, TLS); the message says why.
struct unreachable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

//! A failed request: the HTTP status and Flink's error messages.
struct rest_error : std::runtime_error {
  int status;
  rest_error(int s, const std::string& what) : std::runtime_error(what), status(s) {}
};

//! The CLI's exit code for a refused request: the caller's to fix (400, 403 — not allowed
//! here, e.g. a job library outside rest.submit.library-dir — or 404) is bad usage.
inline int exit_code_of(const rest_error& e) {
  return e.status == 400 || e.status == 403 || e.status == 404 ? exit_usage : exit_failed;
}

//! host:port of the REST API: `jobmanager` ("host:port", from --jobmanager or -m) when given,
//! else rest.address/rest.port. Throws spate::error(errc::invalid_argument) naming a bad one.
std::pair<std::string, int> rest_target(const std::string& jobmanager, const configuration& cfg);

//! The bearer token of rest.auth.token-file, or empty when none is configured.
std::string read_token(const configuration& cfg);

class rest_client {
public:
  rest_client(const std::string& host, int port, const std::string& token, const rest_tls& tls);
  //! rest_target, read_token and rest_tls_from of `cfg`.
  rest_client(const std::string& jobmanager, const configuration& cfg);
  ~rest_client();
  rest_client(const rest_client&) = delete;
  rest_client& operator=(const rest_client&) = delete;

  //! Each throws unreachable or rest_error.
  nlohmann::json get(const std::string& path);
  nlohmann::json post(const std::string& path, const nlohmann::json& body);
  nlohmann::json patch(const std::string& path);

private:
  std::string where_;
  bool tls_ = false;
  bool client_cert_ = false;
  std::unique_ptr<httplib::Client> client_;
};

} // namespace spate::cluster_detail
