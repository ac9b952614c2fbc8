// The JobManager's REST API: Flink's v1 paths and JSON field names, so
// tools written for Flink's API read spate's. This file owns the server, the
// dispatch table and the helpers the handlers share; the handlers live in
// rest_jobs.cpp, rest_checkpoints.cpp and rest_cluster.cpp (rest_routes.hpp).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "rest_routes.hpp"
#include "rest_tls.hpp"
#include "rest_web.hpp"
#include "spate/checkpoints/checkpoint_config.hpp"
#include "spate/cluster/config_file.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/transport/mesh_security.hpp"

namespace spate::cluster_detail {

namespace rest_api {

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=UTF-8");
}

void fail(httplib::Response& res, int status, const std::string& message) {
  reply(res, status, json{{"errors", json::array({message})}});
}

int http_status(errc code) {
  switch (code) {
    case errc::invalid_argument:
    case errc::codec:
    case errc::user_function:
    case errc::nondeterministic:
    case errc::failed_precondition:
      return 400;
    case errc::not_found:
      return 404;
    case errc::timeout:
      return 408; // as Flink answers a timed-out job cancellation
    case errc::unavailable:
    case errc::cancelled:
      return 409; // as Flink (and spate) answer an operation on a job not running
    case errc::io:
    case errc::state:
    case errc::corrupt:
    case errc::internal:
      return 500;
  }
  return 500;
}

std::string state_of(const job_client& c) { return to_string(c.status()); }

json parse_body(const httplib::Request& req) {
  if (req.body.empty())
    return json::object();
  auto j = json::parse(req.body, nullptr, false);
  if (j.is_discarded())
    throw error(errc::invalid_argument, "Request body is not valid JSON");
  if (!j.is_object())
    throw error(errc::invalid_argument, "Request body must be a JSON object");
  return j;
}

std::shared_ptr<job_client> job_of(jobmanager& jm, const httplib::Request& req,
                                   httplib::Response& res) {
  std::string id = req.matches[1];
  if (!is_job_id(id)) {
    fail(res, 400, "Invalid JobID '" + id + "': expected 32 hexadecimal characters");
    return nullptr;
  }
  auto job = jm.find_job(id);
  if (!job)
    fail(res, 404, "Job " + id + " not found");
  return job;
}

std::vector<std::string> option_list(const configuration& cfg, const char* key, bool paths) {
  std::vector<std::string> out;
  auto text = cfg.get_string(key, "");
  std::string item;
  auto flush = [&] {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos)
      out.push_back(item.substr(b, e - b + 1));
    item.clear();
  };
  for (char c : text) {
    if (c == ';' || (!paths && c == ','))
      flush();
    else
      item += c;
  }
  flush();
  return out;
}

namespace {

//! `p` made absolute and resolved as far as it exists (symlinks followed).
std::filesystem::path resolved(const std::string& p) {
  std::error_code ec;
  auto r = std::filesystem::weakly_canonical(std::filesystem::absolute(p, ec), ec);
  if (ec)
    throw error(errc::invalid_argument, "path '" + p + "' cannot be resolved: " + ec.message());
  return r.lexically_normal();
}

bool lies_under(const std::filesystem::path& p, const std::filesystem::path& root) {
  auto rel = p.lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

} // namespace

std::string confine(const std::string& path, const std::vector<std::string>& roots,
                    const std::string& what, const char* option) {
  if (path.empty())
    throw refused(403, what + ": an empty path is not allowed");
  auto p = resolved(path);
  for (auto& root : roots)
    if (lies_under(p, resolved(root)))
      return p.string();
  throw refused(403, what + " '" + path + "' is outside the directories " + option +
                         " allows over the REST API" +
                         (roots.empty() ? std::string(" (none configured)") : std::string()));
}

std::string allowed_library(const configuration& cfg, const std::string& path) {
  auto dirs = option_list(cfg, options::rest_library_dir, true);
  if (dirs.empty())
    throw refused(403, "job libraries are disabled over the REST API: set " +
                           std::string(options::rest_library_dir) +
                           " on the JobManager to a directory only you can write to, and put "
                           "the library there");
  if (!std::filesystem::path(path).is_absolute())
    throw refused(403, "job library '" + path + "': the path must be absolute");
  return confine(path, dirs, "job library", options::rest_library_dir);
}

std::vector<std::string> path_roots(const configuration& cfg) {
  return option_list(cfg, options::rest_allowed_paths, true);
}

std::vector<std::string> savepoint_roots(const configuration& cfg) {
  auto roots = path_roots(cfg);
  for (auto* key : {options::savepoints_dir, options::checkpoints_dir}) {
    auto d = cfg.get_string(key, "");
    if (!d.empty())
      roots.push_back(d);
  }
  return roots;
}

} // namespace rest_api

namespace {

using namespace rest_api;

enum class method { get, post, patch };

struct route {
  method verb;
  const char* pattern;
  handler fn;
};

// In registration order: cpp-httplib answers with the first pattern of the
// method that matches, so /jobs/overview comes before /jobs/:jobid.
const route route_table[] = {
    {method::get, "/|/web/.+", web_dashboard}, // the dashboard (rest_web.cpp)
    {method::get, "/overview", cluster_status},
    {method::get, "/config", web_config},
    {method::get, "/jobmanager/config", jobmanager_config},
    {method::get, "/jobmanager/metrics", jobmanager_metrics},
    {method::get, "/jobs", list_jobs},
    {method::get, "/jobs/overview", jobs_overview},
    {method::post, "/jobs", submit_job},
    {method::get, R"(/jobs/([^/]+))", job_detail},
    {method::patch, R"(/jobs/([^/]+))", cancel_job},
    {method::get, R"(/jobs/([^/]+)/checkpoints)", job_checkpoints},
    {method::get, R"(/jobs/([^/]+)/checkpoints/config)", checkpoint_config},
    {method::post, R"(/jobs/([^/]+)/savepoints)", trigger_savepoint},
    {method::post, R"(/jobs/([^/]+)/stop)", stop_with_savepoint},
    {method::get, R"(/jobs/([^/]+)/savepoints/([^/]+))", savepoint_status},
    {method::get, R"(/jobs/([^/]+)/exceptions)", job_exceptions},
    {method::get, R"(/jobs/([^/]+)/results)", job_results},
    {method::get, R"(/jobs/([^/]+)/metrics)", job_metrics},
    {method::get, R"(/jobs/([^/]+)/vertices/([^/]+))", vertex_detail},
    {method::get, R"(/jobs/([^/]+)/vertices/([^/]+)/metrics)", vertex_metrics},
    {method::get, R"(/jobs/([^/]+)/vertices/([^/]+)/subtasks/metrics)", vertex_subtasks_metrics},
    {method::get, R"(/jobs/([^/]+)/vertices/([^/]+)/subtasks/([0-9]+)/metrics)",
     vertex_subtask_metrics},
    {method::get, R"(/jobs/([^/]+)/vertices/([^/]+)/backpressure)", vertex_backpressure},
    {method::get, R"(/jobs/([^/]+)/vertices/([^/]+)/watermarks)", vertex_watermarks},
    {method::get, "/taskmanagers", list_taskmanagers},
    {method::get, R"(/taskmanagers/([^/]+)/metrics)", taskmanager_metrics},
};

// Everything else: Flink's error shape, 405 for a known path with another
// method, 404 otherwise.
void unknown(const httplib::Request& req, httplib::Response& res) {
  static const std::vector<std::regex> known = {std::regex("/|/web/.+"),
                                                std::regex("/overview"),
                                                std::regex("/config"),
                                                std::regex("/jobmanager/config"),
                                                std::regex("/jobmanager/metrics"),
                                                std::regex("/jobs"),
                                                std::regex("/jobs/overview"),
                                                std::regex("/jobs/[^/]+"),
                                                std::regex("/jobs/[^/]+/checkpoints(/config)?"),
                                                std::regex("/jobs/[^/]+/savepoints(/[^/]+)?"),
                                                std::regex("/jobs/[^/]+/stop"),
                                                std::regex("/jobs/[^/]+/exceptions"),
                                                std::regex("/jobs/[^/]+/results"),
                                                std::regex("/jobs/[^/]+/metrics"),
                                                std::regex("/jobs/[^/]+/vertices/[^/]+"),
                                                std::regex("/jobs/[^/]+/vertices/[^/]+/"
                                                           "(metrics|backpressure|watermarks|"
                                                           "subtasks/([0-9]+/)?metrics)"),
                                                std::regex("/taskmanagers"),
                                                std::regex("/taskmanagers/[^/]+/metrics")};
  for (auto& r : known)
    if (std::regex_match(req.path, r)) {
      fail(res, 405, "Request method " + req.method + " is not allowed for " + req.path);
      return;
    }
  fail(res, 404, "Not found: " + req.path);
}

void add_fallbacks(httplib::Server& http) {
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        try {
          std::rethrow_exception(ep);
        } catch (const refused& e) {
          fail(res, e.status, e.what());
        } catch (const error& e) {
          int status = http_status(e.code());
          fail(res, status,
               status == 500 ? std::string("Internal server error: ") + e.what() : e.what());
        } catch (const std::exception& e) {
          fail(res, 500, std::string("Internal server error: ") + e.what());
        } catch (...) {
          fail(res, 500, "Internal server error");
        }
      });
}

} // namespace

namespace {

using steady = std::chrono::steady_clock;

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_ipv4(const std::string& h) {
  in_addr a{};
  return ::inet_pton(AF_INET, h.c_str(), &a) == 1;
}

bool is_ip_literal(const std::string& h) {
  if (is_ipv4(h))
    return true;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
    in6_addr a{};
    return ::inet_pton(AF_INET6, h.substr(1, h.size() - 2).c_str(), &a) == 1;
  }
  return false;
}

bool is_wildcard(const std::string& h) {
  return h.empty() || h == "0.0.0.0" || h == "::" || h == "[::]" || h == "*";
}

//! Equal strings, in a time that does not depend on where they differ.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i)
    diff |= static_cast<unsigned char>((i < a.size() ? a[i] : 0) ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

std::string read_token(const std::string& file) {
  std::ifstream in(file);
  if (!in)
    throw error(errc::invalid_argument,
                std::string("REST: cannot read ") + options::rest_token_file + " '" + file + "'");
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())))
    token.pop_back();
  auto b = token.find_first_not_of(" \t\r\n");
  token = b == std::string::npos ? std::string() : token.substr(b);
  if (token.size() < 16)
    throw error(errc::invalid_argument, std::string("REST: the token in ") +
                                            options::rest_token_file + " '" + file +
                                            "' is empty or shorter than 16 characters");
  return token;
}

struct settings {
  std::string host;
  int port = 0;
  std::set<std::string> origins;
  std::set<std::string> hosts;
  std::string token;
  std::size_t max_content = 1 << 20;
  std::size_t max_headers = 100;
  std::size_t max_header_bytes = 64 << 10;
  int threads = 64;
  std::chrono::milliseconds request_timeout{10000};
  //! TLS: every connection starts with a handshake (within the request
  //! timeout) and speaks through it.
  std::shared_ptr<SSL_CTX> tls;
};

//! A connection as cpp-httplib reads it, with limits of our own: each
//! request (head and body) must arrive within rest.server.request-timeout and
//! may not be longer than the head and body limits allow, so a slow or
//! endless client holds a worker thread for a bounded time and memory.
class guarded_stream final : public httplib::Stream {
public:
  guarded_stream(int fd, const settings& s)
      : fd_(fd), budget_(s.max_header_bytes + 2 * s.max_content + 65536) {}
  ~guarded_stream() override {
    if (ssl_ != nullptr) {
      // A close_notify if the socket takes it now; the peer may be gone.
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
  }
  guarded_stream(const guarded_stream&) = delete;
  guarded_stream& operator=(const guarded_stream&) = delete;

  //! TLS: the server's handshake, within `timeout`; the socket becomes
  //! non-blocking. False (and `why`) when the client does not complete it.
  bool accept_tls(SSL_CTX* ctx, std::chrono::milliseconds timeout, std::string& why) {
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
      why = openssl_errors();
      return false;
    }
    deadline_ = steady::now() + timeout;
    for (;;) {
      ERR_clear_error();
      int r = SSL_accept(ssl_);
      if (r == 1)
        return true;
      if (!wait_tls(SSL_get_error(ssl_, r))) {
        why = ERR_peek_error() != 0 ? openssl_errors() : "no TLS handshake in time";
        return false;
      }
    }
  }

  //! A new request starts: its time and bytes count from now.
  void begin_request(std::chrono::milliseconds timeout) {
    deadline_ = steady::now() + timeout;
    used_ = 0;
  }
  //! Waits up to `timeout` for the next request to start.
  bool wait_readable(std::chrono::milliseconds timeout) {
    return pos_ < len_ || (ssl_ != nullptr && SSL_has_pending(ssl_)) ||
           poll_for(POLLIN, timeout.count());
  }
  bool close_after = false;
  //! A request broke a limit: the connection ends after the answer.
  bool broken = false;

  bool is_readable() const override {
    return pos_ < len_ || (ssl_ != nullptr && SSL_has_pending(ssl_)) ||
           poll_for(POLLIN, remaining());
  }
  bool is_writable() const override { return poll_for(POLLOUT, 5000); }

  ssize_t read(char* ptr, size_t size) override {
    if (used_ >= budget_) {
      broken = true;
      return -1; // more than a request may have
    }
    size = std::min(size, budget_ - used_);
    if (pos_ == len_) {
      ssize_t n = 0;
      if (ssl_ != nullptr) {
        for (;;) {
          ERR_clear_error();
          int r = SSL_read(ssl_, buf_, sizeof buf_);
          if (r > 0) {
            n = r;
            break;
          }
          int e = SSL_get_error(ssl_, r);
          if (e == SSL_ERROR_ZERO_RETURN)
            return 0;
          if (!wait_tls(e)) {
            broken = true;
            return -1; // broken, or the request did not arrive in time
          }
        }
      } else {
        if (!poll_for(POLLIN, remaining())) {
          broken = true;
          return -1; // the request did not arrive in time
        }
        n = ::recv(fd_, buf_, sizeof buf_, 0);
        if (n <= 0)
          return n;
      }
      pos_ = 0;
      len_ = static_cast<std::size_t>(n);
    }
    auto n = std::min(size, len_ - pos_);
    std::memcpy(ptr, buf_ + pos_, n);
    pos_ += n;
    used_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (ssl_ != nullptr) {
      if (size == 0)
        return 0;
      // Answers are written within 5 s, as without TLS.
      auto saved = deadline_;
      deadline_ = steady::now() + std::chrono::seconds(5);
      ssize_t out = -1;
      for (;;) {
        ERR_clear_error();
        int r = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
        if (r > 0) {
          out = r;
          break;
        }
        if (!wait_tls(SSL_get_error(ssl_, r)))
          break;
      }
      deadline_ = saved;
      return out;
    }
    if (!is_writable())
      return -1;
    return ::send(fd_, ptr, size, MSG_NOSIGNAL);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address(::getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address(::getsockname, ip, port);
  }
  socket_t socket() const override { return fd_; }

private:
  //! After an OpenSSL call that wants the socket: waits for it until the
  //! deadline. False on any other error, or when time is up.
  bool wait_tls(int ssl_error) const {
    if (ssl_error == SSL_ERROR_WANT_READ)
      return poll_for(POLLIN, remaining());
    if (ssl_error == SSL_ERROR_WANT_WRITE)
      return poll_for(POLLOUT, remaining());
    return false;
  }
  long remaining() const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - steady::now());
    return std::max<long>(0, static_cast<long>(ms.count()));
  }
  bool poll_for(short events, long ms) const {
    pollfd p{fd_, events, 0};
    for (;;) {
      int r = ::poll(&p, 1, static_cast<int>(std::min<long>(ms, 1 << 30)));
      if (r < 0 && errno == EINTR)
        continue;
      return r > 0;
    }
  }
  template <typename Fn>
  void address(Fn fn, std::string& ip, int& port) const {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    ip.clear();
    port = 0;
    if (fn(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return;
    char text[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&a);
      ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
      port = ntohs(v4->sin_port);
    } else if (a.ss_family == AF_INET6) {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&a);
      ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
      port = ntohs(v6->sin6_port);
    }
    ip = text;
  }

  int fd_;
  SSL* ssl_ = nullptr;
  std::size_t budget_;
  std::size_t used_ = 0;
  steady::time_point deadline_;
  char buf_[4096];
  std::size_t pos_ = 0, len_ = 0;
};

thread_local guarded_stream* current = nullptr;
//! A refusal decided from the head of a request whose (bounded) body is
//! still read, so the connection stays in step; the handler answers it.
thread_local std::optional<refused> pending;

//! cpp-httplib's server, serving each connection through a guarded_stream.
class guarded_server : public httplib::Server {
public:
  explicit guarded_server(const settings& s) : s_(s) {}

  //! cpp-httplib 0.11 listens with a backlog of 5: a burst of clients would
  //! see resets. Linux takes a second listen() as a new backlog.
  void widen_backlog() { ::listen(svr_sock_, 1024); }

private:
  bool process_and_close_socket(socket_t sock) override {
    bool ok = false;
    {
      guarded_stream strm(sock, s_);
      std::string why;
      if (s_.tls && !strm.accept_tls(s_.tls.get(), s_.request_timeout, why)) {
        spate::log().debug("REST: a TLS handshake failed: {}", why);
      } else {
        ok = serve(strm);
      }
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  bool serve(guarded_stream& strm) {
    current = &strm;
    bool ok = false;
    constexpr int max_requests = 100;
    for (int n = 0; n < max_requests && svr_sock_ != INVALID_SOCKET; ++n) {
      // Keep-alive: an idle connection waits at most 5 s for its next request.
      if (n > 0 && !strm.wait_readable(std::chrono::seconds(5)))
        break;
      strm.begin_request(s_.request_timeout);
      bool closed = false;
      ok = process_request(strm, n + 1 == max_requests, closed, nullptr);
      if (!ok || closed || strm.close_after || strm.broken)
        break;
    }
    current = nullptr;
    return ok;
  }

  const settings& s_;
};

//! host and port of a Host header ("name", "name:port", "[v6]:port").
std::pair<std::string, std::string> split_host(const std::string& value) {
  std::string h = value, port;
  if (!h.empty() && h.front() == '[') {
    auto close = h.find(']');
    if (close != std::string::npos && close + 1 < h.size() && h[close + 1] == ':') {
      port = h.substr(close + 2);
      h = h.substr(0, close + 1);
    }
  } else if (auto colon = h.rfind(':'); colon != std::string::npos) {
    port = h.substr(colon + 1);
    h = h.substr(0, colon);
  }
  return {lower(h), port};
}

bool mutating(const std::string& m) {
  return m == "POST" || m == "PATCH" || m == "PUT" || m == "DELETE";
}

//! What a request's head says about it: nullopt when it may go on.
std::optional<refused> check_head(const settings& s, const httplib::Request& req) {
  if (req.headers.size() > s.max_headers)
    return refused(431, "Request has more than " + std::to_string(s.max_headers) + " headers (" +
                            options::rest_max_header_count + ")");
  // Host: a name this server answers to, so a page of another site whose
  // name was re-pointed at this address (DNS rebinding) is refused.
  auto host_header = req.get_header_value("Host");
  auto [name, port] = split_host(host_header);
  bool port_ok = port.empty() || port == std::to_string(s.port);
  bool name_ok =
      s.hosts.count(name) != 0 ||
      (port_ok && (name == "localhost" || name == "127.0.0.1" || name == "[::1]" ||
                   name == lower(s.host) || (is_wildcard(s.host) && is_ip_literal(name))));
  if (!name_ok)
    return refused(421, "Host '" + host_header + "' is not a name of this JobManager: add it to " +
                            options::rest_allowed_hosts);
  // The dashboard's files hold no data: a browser loads them without a
  // token, and the page asks for it to call the API (rest_web.hpp).
  bool dashboard = (req.method == "GET" || req.method == "HEAD") && is_dashboard_path(req.path);
  if (!s.token.empty() && !dashboard) {
    auto auth = req.get_header_value("Authorization");
    const std::string scheme = "Bearer ";
    if (auth.size() < scheme.size() || lower(auth.substr(0, scheme.size())) != "bearer " ||
        !same_secret(auth.substr(scheme.size()), s.token))
      return refused(401, "Missing or wrong bearer token (Authorization: Bearer <the token in " +
                              std::string(options::rest_token_file) + ">)");
  }
  if (mutating(req.method)) {
    if (req.has_header("Origin")) {
      auto origin = req.get_header_value("Origin");
      // The server's own origin (the dashboard): its Host passed the check above.
      bool own = lower(origin) == (s.tls ? "https://" : "http://") + lower(host_header);
      if (!own && s.origins.count(lower(origin)) == 0)
        return refused(403, "Origin '" + origin + "' may not change anything here (" +
                                options::rest_allowed_origins + ")");
    }
    auto type = req.get_header_value("Content-Type");
    auto semi = type.find(';');
    type = lower(type.substr(0, semi));
    while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back())))
      type.pop_back();
    if (type != "application/json")
      return refused(415, req.method + " requests must have Content-Type: application/json" +
                              (req.has_header("Content-Type")
                                   ? " (not '" + req.get_header_value("Content-Type") + "')"
                                   : std::string(" (none given)")));
  }
  return std::nullopt;
}

void answer(httplib::Response& res, const refused& r) {
  fail(res, r.status, r.what());
  if (r.status == 401)
    res.set_header("WWW-Authenticate", "Bearer");
}

} // namespace

struct rest_server::impl {
  jobmanager& jm;
  settings s;
  std::unique_ptr<guarded_server> http;
  std::thread thread;

  explicit impl(jobmanager& j) : jm(j) {}

  void routes();
  void protect();
};

//! A request without a body (pre-routing): the route of its method whose
//! pattern matches the path, with the captures in `req.matches` as
//! cpp-httplib fills them; unknown() otherwise. `req` is the server's own
//! mutable request, handed to the pre-routing hook as const.
void dispatch_bodyless(jobmanager& jm, httplib::Request& req, httplib::Response& res) {
  const method verb = req.method == "POST"    ? method::post
                      : req.method == "PATCH" ? method::patch
                                              : method::get; // PUT, DELETE: no route
  if (req.method == "POST" || req.method == "PATCH")
    for (const auto& r : route_table) {
      if (r.verb != verb)
        continue;
      std::regex re(r.pattern);
      if (std::regex_match(req.path, req.matches, re)) {
        r.fn(jm, req, res);
        return;
      }
    }
  unknown(req, res);
}

//! Wraps a handler: a refusal decided from the head is answered instead.
httplib::Server::Handler
guarded(std::function<void(const httplib::Request&, httplib::Response&)> fn) {
  return [fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    if (pending) {
      auto r = *pending;
      pending.reset();
      answer(res, r);
      return;
    }
    fn(req, res);
  };
}

void rest_server::impl::routes() {
  for (const auto& r : route_table) {
    auto h = guarded([&jm = jm, fn = r.fn](const httplib::Request& req, httplib::Response& res) {
      fn(jm, req, res);
    });
    switch (r.verb) {
      case method::get:
        http->Get(r.pattern, std::move(h));
        break;
      case method::post:
        http->Post(r.pattern, std::move(h));
        break;
      case method::patch:
        http->Patch(r.pattern, std::move(h));
        break;
    }
  }
  http->Get(".*", guarded(unknown));
  http->Post(".*", guarded(unknown));
  http->Put(".*", guarded(unknown));
  http->Patch(".*", guarded(unknown));
  http->Delete(".*", guarded(unknown));
  add_fallbacks(*http);
}

void rest_server::impl::protect() {
  http->set_payload_max_length(s.max_content);
  http->set_read_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(s.request_timeout).count() + 1);
  http->set_keep_alive_timeout(5);
  http->set_keep_alive_max_count(100);
  int threads = s.threads;
  http->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  http->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    pending.reset();
    auto refusal = check_head(s, req);
    std::uint64_t length = 0;
    if (req.has_header("Content-Length")) {
      auto text = req.get_header_value("Content-Length");
      errno = 0;
      char* end = nullptr;
      length = std::strtoull(text.c_str(), &end, 10);
      if (errno != 0 || end == text.c_str() || *end != '\0')
        length = UINT64_MAX;
    }
    if (length > s.max_content) {
      // Too big to read and discard: answered now, and the connection closed.
      if (current)
        current->close_after = true;
      answer(res, refused(413, "Request body of " + std::to_string(length) +
                                   " bytes is larger than " + std::to_string(s.max_content) + " (" +
                                   options::rest_max_content_length + ")"));
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (refusal) {
      if (req.method != "GET" && req.method != "POST" && req.method != "PUT" &&
          req.method != "PATCH" && req.method != "DELETE") {
        if (current)
          current->close_after = true;
        answer(res, *refusal);
        return httplib::Server::HandlerResponse::Handled;
      }
      pending = refusal;
    }
    // A POST, PUT, PATCH or DELETE without Content-Length and not chunked
    // has no body (RFC 9112 6.3: a request is never read to the end of the
    // connection), as `curl -X PATCH URL` sends it. cpp-httplib would wait
    // for the client to close; it is dispatched here with an empty body.
    if (mutating(req.method) && !req.has_header("Content-Length") &&
        !req.has_header("Transfer-Encoding")) {
      if (pending) {
        auto r = *pending;
        pending.reset();
        answer(res, r);
      } else {
        dispatch_bodyless(jm, const_cast<httplib::Request&>(req), res);
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

rest_server::rest_server(jobmanager& jm, const configuration& cfg)
    : impl_(std::make_unique<impl>(jm)) {
  host_ = cfg.get_string(options::rest_address, "127.0.0.1");
  auto port = cfg.get_int(options::rest_port, 8081);
  auto& s = impl_->s;
  s.host = host_;
  for (auto& o : option_list(cfg, options::rest_allowed_origins))
    s.origins.insert(lower(o));
  for (auto& h : option_list(cfg, options::rest_allowed_hosts))
    s.hosts.insert(lower(h));
  s.max_content = static_cast<std::size_t>(
      std::max<std::int64_t>(1024, cfg.get_memory_size(options::rest_max_content_length, 1 << 20)));
  s.max_headers =
      static_cast<std::size_t>(cfg.get_int(options::rest_max_header_count, 100, 8, 10000));
  s.max_header_bytes = static_cast<std::size_t>(
      std::max<std::int64_t>(8192, cfg.get_memory_size(options::rest_max_header_size, 64 << 10)));
  s.threads = static_cast<int>(cfg.get_int(options::rest_threads, 64, 1, 4096));
  s.request_timeout = std::max<std::chrono::milliseconds>(
      std::chrono::milliseconds(100),
      std::chrono::duration_cast<std::chrono::milliseconds>(
          cfg.get_duration(options::rest_request_timeout, std::chrono::seconds(10))));
  auto token_file = cfg.get_string(options::rest_token_file, "");
  bool insecure = cfg.get_bool(options::rest_insecure, false);
  if (!token_file.empty())
    s.token = read_token(token_file);
  auto tls = rest_tls_from(cfg);
  if (tls.enabled)
    s.tls = make_server_context(tls);
  tls_ = tls.enabled;
  std::string protection;
  auto add = [&](const std::string& what) {
    protection += (protection.empty() ? "" : "; ") + what;
  };
  if (tls.enabled)
    add("TLS with " + tls.cert_file +
        (tls.client_auth ? ", client certificates issued by " + tls.ca_file : std::string()));
  if (!s.token.empty())
    add(std::string("bearer token from ") + token_file);
  if (s.token.empty() && !(tls.enabled && tls.client_auth)) {
    if (transport::is_loopback_host(host_))
      add("loopback only, no token");
    else if (insecure)
      add("NO authentication: anyone who reaches the port may submit jobs (" +
          std::string(options::rest_insecure) + "=true)");
    else
      throw error(errc::invalid_argument,
                  "REST: rest.address '" + host_ + "' is not a loopback address: set " +
                      options::rest_token_file + " (a file holding a bearer token) or " +
                      options::rest_ssl_client_auth +
                      "=true (TLS client certificates) or, to run without protection, " +
                      options::rest_insecure + "=true");
  }
  impl_->http = std::make_unique<guarded_server>(s);
  impl_->http->set_tcp_nodelay(true);
  impl_->protect();
  impl_->routes();
  if (port == 0) {
    port_ = impl_->http->bind_to_any_port(host_);
    if (port_ <= 0)
      throw error(errc::io, "REST: cannot bind to a port on '" + host_ + "'");
  } else {
    if (!impl_->http->bind_to_port(host_, static_cast<int>(port)))
      throw error(errc::io, "REST: cannot bind " + host_ + ":" + std::to_string(port) +
                                " (rest.address, rest.port): is another JobManager running?");
    port_ = static_cast<int>(port);
  }
  s.port = port_;
  impl_->http->widen_backlog();
  auto libs = option_list(cfg, options::rest_library_dir, true);
  auto roots = path_roots(cfg);
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (auto& x : v)
      out += (out.empty() ? "" : ";") + x;
    return out;
  };
  spate::log().info("REST API protection: {}; job libraries: {}; file paths in requests: {}; "
                    "body limit {} bytes, {} threads, request timeout {} ms",
                    protection, libs.empty() ? std::string("refused") : "from " + join(libs),
                    roots.empty() ? std::string("refused") : "under " + join(roots), s.max_content,
                    s.threads, s.request_timeout.count());
  impl_->thread = std::thread([this] { impl_->http->listen_after_bind(); });
}

rest_server::~rest_server() { stop(); }

void rest_server::stop() {
  if (impl_->thread.joinable()) {
    // cpp-httplib's stop() does nothing before the server runs (and the
    // thread would then listen for ever): a stop right after the start (a
    // failing start-up) waits, briefly, for it to get there.
    for (int i = 0; i < 1000 && !impl_->http->is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    impl_->http->stop();
    impl_->thread.join();
  }
}

} // namespace spate::cluster_detail
