// The JobManager's REST API as the CLI reaches it (rest_client.hpp).
#include "rest_client.hpp"

#include <fstream>
#include <iterator>

#include <httplib.h>

#include "spate/cluster/config_file.hpp"
#include "spate/core/error.hpp"

namespace spate::cluster_detail {

using json = nlohmann::json;

namespace {

json check(const httplib::Result& r, const std::string& path, const std::string& where, bool tls,
           bool client_cert) {
  if (!r) {
    std::string hint;
    if (r.error() == httplib::Error::SSLServerVerification)
      hint = ": its certificate is not trusted for this address (security.ssl.rest.ca-file "
             "names the issuer to trust; the certificate must name the host or IP)";
    else if (tls && (r.error() == httplib::Error::SSLConnection ||
                     (!client_cert &&
                      (r.error() == httplib::Error::Read || r.error() == httplib::Error::Write))))
      // TLS 1.3 reports a missing client certificate only at the first
      // read or write, after the handshake seemed to succeed.
      hint = ": the TLS handshake failed (does the JobManager want a client certificate? "
             "security.ssl.rest.authentication-enabled, cert-file, key-file)";
    throw unreachable("cannot reach the JobManager's REST API at " + where + " (" +
                      httplib::to_string(r.error()) + ")" + hint);
  }
  json body = json::parse(r->body, nullptr, false);
  if (r->status >= 400) {
    std::string msg;
    if (!body.is_discarded() && body.contains("errors"))
      for (auto& e : body["errors"])
        msg += (msg.empty() ? "" : "; ") + (e.is_string() ? e.get<std::string>() : e.dump());
    throw rest_error(r->status, msg.empty() ? path + ": HTTP " + std::to_string(r->status) : msg);
  }
  if (body.is_discarded())
    throw rest_error(500, path + ": the JobManager answered with malformed JSON");
  return body;
}

} // namespace

std::pair<std::string, int> rest_target(const std::string& jobmanager, const configuration& cfg) {
  if (!jobmanager.empty()) {
    auto colon = jobmanager.rfind(':');
    if (colon == std::string::npos || colon == 0)
      throw error(errc::invalid_argument, "--jobmanager '" + jobmanager + "': expected host:port");
    try {
      std::size_t used = 0;
      int port = std::stoi(jobmanager.substr(colon + 1), &used);
      if (used != jobmanager.size() - colon - 1 || port < 1 || port > 65535)
        throw std::invalid_argument("port");
      return {jobmanager.substr(0, colon), port};
    } catch (const std::logic_error&) {
      throw error(errc::invalid_argument,
                  "--jobmanager '" + jobmanager + "': the port must be 1..65535");
    }
  }
  return {cfg.get_string(options::rest_address, "127.0.0.1"),
          static_cast<int>(cfg.get_int(options::rest_port, 8081, 1, 65535))};
}

//! The bearer token of rest.auth.token-file, or empty when none is configured.
std::string read_token(const configuration& cfg) {
  auto file = cfg.get_string(options::rest_token_file, "");
  if (file.empty())
    return {};
  std::ifstream in(file);
  if (!in)
    throw error(errc::invalid_argument,
                std::string("cannot read ") + options::rest_token_file + " '" + file + "'");
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto b = token.find_first_not_of(" \t\r\n");
  auto e = token.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : token.substr(b, e - b + 1);
}

rest_client::rest_client(const std::string& host, int port, const std::string& token,
                         const rest_tls& tls)
    : where_((tls.enabled ? "https://" : "http://") + host + ":" + std::to_string(port)) {
  tls_ = tls.enabled;
  client_cert_ = tls.enabled && tls.client_auth;
  if (tls.enabled) {
    // The server's certificate is checked against ca-file (or the system's
    // store) and the host name; a client certificate goes with mutual TLS.
    client_ = tls.client_auth
                  ? std::make_unique<httplib::Client>(where_, tls.cert_file, tls.key_file)
                  : std::make_unique<httplib::Client>(where_);
    if (!tls.ca_file.empty())
      client_->set_ca_cert_path(tls.ca_file.c_str());
    client_->enable_server_certificate_verification(true);
  } else {
    client_ = std::make_unique<httplib::Client>(host, port);
  }
  if (!token.empty())
    client_->set_bearer_token_auth(token.c_str());
  client_->set_tcp_nodelay(true);
  client_->set_connection_timeout(3, 0);
  client_->set_read_timeout(30, 0);
}

rest_client::rest_client(const std::string& jobmanager, const configuration& cfg)
    : rest_client(rest_target(jobmanager, cfg).first, rest_target(jobmanager, cfg).second,
                  read_token(cfg), rest_tls_from(cfg)) {}

rest_client::~rest_client() = default;

json rest_client::get(const std::string& path) {
  return check(client_->Get(path.c_str()), path, where_, tls_, client_cert_);
}

json rest_client::post(const std::string& path, const json& body) {
  return check(client_->Post(path.c_str(), body.dump(), "application/json"), path, where_, tls_,
               client_cert_);
}

json rest_client::patch(const std::string& path) {
  return check(client_->Patch(path.c_str(), "", "application/json"), path, where_, tls_,
               client_cert_);
}

} // namespace spate::cluster_detail
