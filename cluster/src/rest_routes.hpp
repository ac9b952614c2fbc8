// The REST API's route handlers, one group per resource (private to the
// cluster library). rest.cpp owns the server, the dispatch table that maps
// Flink's v1 paths onto these handlers, and the helpers they share.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "jobmanager.hpp"
#include "spate/core/error.hpp"

namespace spate::cluster_detail::rest_api {

using json = nlohmann::json;

//! Every handler: the JobManager, the request (path captures in
//! `req.matches`), the response to fill.
using handler = void (*)(jobmanager& jm, const httplib::Request& req, httplib::Response& res);

// Shared helpers (rest.cpp).

//! A request the REST API's protection refuses: the HTTP status (401, 403,
//! 413, 415, 421, 429, 431) and what to tell the client.
struct refused : std::runtime_error {
  int status;
  refused(int s, const std::string& what) : std::runtime_error(what), status(s) {}
};

//! The items of a list option (`;` or `,` between them; `;` only when
//! `paths`), trimmed, empty ones dropped.
std::vector<std::string> option_list(const configuration& cfg, const char* key, bool paths = false);
//! `path` (resolved: symlinks followed, `..` removed) when it lies in one of
//! `roots` (each resolved too); throws refused(403) naming `what` and `option`.
std::string confine(const std::string& path, const std::vector<std::string>& roots,
                    const std::string& what, const char* option);
//! The job library a request names, resolved, when rest.submit.library-dir
//! allows it; throws refused(403) otherwise.
std::string allowed_library(const configuration& cfg, const std::string& path);
//! The roots file paths in requests must lie under (rest.submit.allowed-paths).
std::vector<std::string> path_roots(const configuration& cfg);
//! Savepoint targets: path_roots() and state.savepoints.dir/state.checkpoints.dir.
std::vector<std::string> savepoint_roots(const configuration& cfg);

void reply(httplib::Response& res, int status, const json& body);
//! Flink's error shape: `{"errors": [message]}`.
void fail(httplib::Response& res, int status, const std::string& message);
//! The HTTP status of a request that failed with a spate::error of `code`:
//! 400 for a bad request (bad input, undecodable bytes, a failing or
//! non-deterministic user function, a call not allowed), 404 not found, 408 a
//! timeout, 409 when the job cannot do it now (not running, restarting,
//! cancelled), 500 for a failure of the server (i/o, state backend, corrupt
//! stored data, a bug in spate).
int http_status(errc code);
//! The request body as a JSON object (empty body: {}). Throws spate::error.
json parse_body(const httplib::Request& req);
std::string state_of(const job_client& c);
//! The job of `req.matches[1]`, or an error reply (400 or 404) and nullptr.
std::shared_ptr<job_client> job_of(jobmanager& jm, const httplib::Request& req,
                                   httplib::Response& res);
//! The task (chain) index of vertex `req.matches[2]` of `job`, or a 404
//! reply and -1 (rest_jobs.cpp).
int vertex_of(const job_client& job, const httplib::Request& req, httplib::Response& res);

// Jobs (rest_jobs.cpp).

//! GET /jobs
void list_jobs(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobs/overview
void jobs_overview(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! POST /jobs
void submit_job(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobs/:jobid
void job_detail(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! PATCH /jobs/:jobid?mode=cancel
void cancel_job(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobs/:jobid/exceptions
void job_exceptions(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobs/:jobid/vertices/:vertexid
void vertex_detail(jobmanager& jm, const httplib::Request& req, httplib::Response& res);

// Query results (rest_results.cpp).

//! GET /jobs/:jobid/results?from=N&version=V: a SQL query's rows
void job_results(jobmanager& jm, const httplib::Request& req, httplib::Response& res);

// Checkpoints and savepoints (rest_checkpoints.cpp).

//! GET /jobs/:jobid/checkpoints
void job_checkpoints(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobs/:jobid/checkpoints/config
void checkpoint_config(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! POST /jobs/:jobid/savepoints
void trigger_savepoint(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! POST /jobs/:jobid/stop
void stop_with_savepoint(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobs/:jobid/savepoints/:triggerid
void savepoint_status(jobmanager& jm, const httplib::Request& req, httplib::Response& res);

// The cluster (rest_cluster.cpp).

//! GET /overview
void cluster_status(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /config
void web_config(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobmanager/config
void jobmanager_config(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /taskmanagers
void list_taskmanagers(jobmanager& jm, const httplib::Request& req, httplib::Response& res);

// Metrics (rest_metrics.cpp): names, or values with ?get=a,b.

//! GET /jobs/:jobid/metrics
void job_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobmanager/metrics
void jobmanager_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /taskmanagers/:tmid/metrics
void taskmanager_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobs/:jobid/vertices/:vertexid/metrics: "<subtask>.<name>" of every subtask.
void vertex_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobs/:jobid/vertices/:vertexid/subtasks/metrics?get=a,b&agg=min,max,avg,sum
void vertex_subtasks_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex/metrics
void vertex_subtask_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobs/:jobid/vertices/:vertexid/backpressure (Flink's JobVertexBackPressureInfo)
void vertex_backpressure(jobmanager& jm, const httplib::Request& req, httplib::Response& res);
//! GET /jobs/:jobid/vertices/:vertexid/watermarks: "<subtask>.currentInputWatermark"
void vertex_watermarks(jobmanager& jm, const httplib::Request& req, httplib::Response& res);

} // namespace spate::cluster_detail::rest_api
