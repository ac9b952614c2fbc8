// The JobManager's REST API: Flink's v1 paths and JSON field names, so
// tools written for Flink's API read spate's. This file owns the server, the
// dispatch table and the helpers the handlers share; the handlers live in
// rest_jobs.cpp, rest_checkpoints.cpp and rest_cluster.cpp (rest_routes.hpp).
#include <thread>

#include "rest_routes.hpp"
#include "spate/cluster/config_file.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

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
    {method::get, "/overview", cluster_status},
    {method::get, "/config", web_config},
    {method::get, "/jobmanager/config", jobmanager_config},
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
    {method::get, R"(/jobs/([^/]+)/vertices/([^/]+))", vertex_detail},
    {method::get, "/taskmanagers", list_taskmanagers},
};

// Everything else: Flink's error shape, 405 for a known path with another
// method, 404 otherwise.
void unknown(const httplib::Request& req, httplib::Response& res) {
  static const std::vector<std::regex> known = {std::regex("/overview"),
                                                std::regex("/config"),
                                                std::regex("/jobmanager/config"),
                                                std::regex("/jobs"),
                                                std::regex("/jobs/overview"),
                                                std::regex("/jobs/[^/]+"),
                                                std::regex("/jobs/[^/]+/checkpoints(/config)?"),
                                                std::regex("/jobs/[^/]+/savepoints(/[^/]+)?"),
                                                std::regex("/jobs/[^/]+/stop"),
                                                std::regex("/jobs/[^/]+/exceptions"),
                                                std::regex("/jobs/[^/]+/vertices/[^/]+"),
                                                std::regex("/taskmanagers")};
  for (auto& r : known)
    if (std::regex_match(req.path, r)) {
      fail(res, 405, "Request method " + req.method + " is not allowed for " + req.path);
      return;
    }
  fail(res, 404, "Not found: " + req.path);
}

void add_fallbacks(httplib::Server& http) {
  http.Get(".*", unknown);
  http.Post(".*", unknown);
  http.Put(".*", unknown);
  http.Patch(".*", unknown);
  http.Delete(".*", unknown);
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        try {
          std::rethrow_exception(ep);
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

struct rest_server::impl {
  jobmanager& jm;
  httplib::Server http;
  std::thread thread;

  explicit impl(jobmanager& j) : jm(j) {}

  void routes();
};

void rest_server::impl::routes() {
  for (const auto& r : route_table) {
    httplib::Server::Handler h = [&jm = jm, fn = r.fn](const httplib::Request& req,
                                                       httplib::Response& res) {
      fn(jm, req, res);
    };
    switch (r.verb) {
      case method::get:
        http.Get(r.pattern, std::move(h));
        break;
      case method::post:
        http.Post(r.pattern, std::move(h));
        break;
      case method::patch:
        http.Patch(r.pattern, std::move(h));
        break;
    }
  }
  add_fallbacks(http);
}

rest_server::rest_server(jobmanager& jm, const configuration& cfg)
    : impl_(std::make_unique<impl>(jm)) {
  host_ = cfg.get_string(options::rest_address, "127.0.0.1");
  auto port = cfg.get_int(options::rest_port, 8081);
  impl_->http.set_tcp_nodelay(true);
  impl_->routes();
  if (port == 0) {
    port_ = impl_->http.bind_to_any_port(host_);
    if (port_ <= 0)
      throw error(errc::io, "REST: cannot bind to a port on '" + host_ + "'");
  } else {
    if (!impl_->http.bind_to_port(host_, static_cast<int>(port)))
      throw error(errc::io, "REST: cannot bind " + host_ + ":" + std::to_string(port) +
                                " (rest.address, rest.port): is another JobManager running?");
    port_ = static_cast<int>(port);
  }
  impl_->thread = std::thread([this] { impl_->http.listen_after_bind(); });
}

rest_server::~rest_server() { stop(); }

void rest_server::stop() {
  if (impl_->thread.joinable()) {
    impl_->http.stop();
    impl_->thread.join();
  }
}

} // namespace spate::cluster_detail
