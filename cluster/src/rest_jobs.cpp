// The REST API's job resources: /jobs (list, submit), /jobs/overview,
// /jobs/:jobid (detail, cancel), /jobs/:jobid/exceptions and
// /jobs/:jobid/vertices/:vertexid.
#include <cctype>
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "job_request.hpp"
#include "rest_routes.hpp"
#include "spate/cluster/config_file.hpp"
#include "spate/connectors/io_spec.hpp"
#include "spate/core/error.hpp"

namespace spate::cluster_detail::rest_api {

namespace {

json task_counts(const std::string& state, int n) {
  json t = {{"CREATED", 0},     {"SCHEDULED", 0},   {"DEPLOYING", 0}, {"RUNNING", 0},
            {"FINISHED", 0},    {"CANCELING", 0},   {"CANCELED", 0},  {"FAILED", 0},
            {"RECONCILING", 0}, {"INITIALIZING", 0}};
  std::string s = state == "RESTARTING" || state == "FAILING" ? "CANCELING" : state;
  if (t.contains(s))
    t[s] = n;
  return t;
}

json lower_counts(const json& upper) {
  json out;
  for (auto& [k, v] : upper.items()) {
    std::string key = k;
    for (auto& c : key)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out[key] = v;
  }
  return out;
}

json job_overview(const job_client& c) {
  auto now = now_ms();
  auto end = c.end_time();
  auto state = state_of(c);
  int total = 0;
  for (auto& [p, m] : c.task_parallelism())
    total += p;
  return {{"jid", c.job_id()},
          {"name", c.job_name()},
          {"state", state},
          {"start-time", c.start_time()},
          {"end-time", end == 0 ? -1 : end},
          {"duration", (end == 0 ? now : end) - c.start_time()},
          {"last-modification", end == 0 ? c.start_time() : end},
          {"tasks", lower_counts(task_counts(state, total))}};
}

//! The I/O metrics of a vertex or subtask (Flink's IOMetricsInfo): records
//! in and out, bytes through remote channels, and where its time went (ms).
json io_metrics(std::int64_t in, std::int64_t out, const subtask_io_metrics& io) {
  return {{"read-bytes", io.bytes_in},
          {"read-bytes-complete", true},
          {"write-bytes", io.bytes_out},
          {"write-bytes-complete", true},
          {"read-records", in},
          {"read-records-complete", true},
          {"write-records", out},
          {"write-records-complete", true},
          {"accumulated-backpressured-time", io.acc_back_pressured_ms},
          {"accumulated-idle-time", io.acc_idle_ms},
          {"accumulated-busy-time", io.acc_busy_ms}};
}

//! The sum of the bytes and times of the subtasks of task `c` (subtask `s`
//! alone when s >= 0).
subtask_io_metrics io_sum(const std::vector<subtask_io_metrics>& all, std::size_t c, int s = -1) {
  subtask_io_metrics sum;
  for (auto& m : all) {
    if (m.task != static_cast<int>(c) || (s >= 0 && m.subtask != s))
      continue;
    sum.bytes_in += m.bytes_in;
    sum.bytes_out += m.bytes_out;
    sum.acc_busy_ms += m.acc_busy_ms;
    sum.acc_idle_ms += m.acc_idle_ms;
    sum.acc_back_pressured_ms += m.acc_back_pressured_ms;
  }
  return sum;
}

// The fields of a submission (POST /jobs).

std::string string_field(const json& body, const char* key) {
  if (!body.contains(key))
    return std::string();
  if (!body[key].is_string())
    throw error(errc::invalid_argument, std::string("'") + key + "' must be a string");
  return body[key].get<std::string>();
}

void string_list(const json& body, const char* key, std::vector<std::string>& out) {
  if (!body.contains(key))
    return;
  auto bad = std::string("'") + key + "' must be an array of strings";
  if (!body[key].is_array())
    throw error(errc::invalid_argument, bad);
  for (auto& a : body[key]) {
    if (!a.is_string())
      throw error(errc::invalid_argument, bad);
    out.push_back(a.get<std::string>());
  }
}

job_request request_of(const json& body) {
  if (body.contains("sql")) {
    // A SQL script: its tables name their connectors, inputs and outputs.
    for (auto* other : {"job", "library", "input", "output", "extraOutputs", "programArgsList"})
      if (body.contains(other))
        throw error(errc::invalid_argument,
                    std::string("'sql' and '") + other +
                        "' exclude each other: the script's tables name what it reads and writes");
    auto text = string_field(body, "sql");
    if (text.find_first_not_of(" \t\r\n;") == std::string::npos)
      throw error(errc::invalid_argument, "'sql' is empty");
    return cluster_detail::sql_request(std::move(text));
  }
  job_request r;
  r.job = string_field(body, "job");
  r.library = string_field(body, "library");
  if (r.job.empty() && r.library.empty())
    throw error(errc::invalid_argument,
                "'job' (the name of a registered job) or 'library' is missing");
  r.input = string_field(body, "input");
  r.output = string_field(body, "output");
  string_list(body, "extraOutputs", r.extra_outputs);
  string_list(body, "programArgsList", r.args);
  return r;
}

configuration overrides_of(const json& body) {
  configuration overrides;
  if (body.contains("config")) {
    if (!body["config"].is_object())
      throw error(errc::invalid_argument, "'config' must be an object of strings");
    for (auto& [k, v] : body["config"].items())
      overrides.set(k, v.is_string() ? v.get<std::string>() : v.dump());
  }
  for (auto [key, option] : {std::pair{"parallelism", options::parallelism},
                             std::pair{"maxParallelism", options::max_parallelism}}) {
    if (!body.contains(key) || body[key].is_null())
      continue;
    if (!body[key].is_number_integer() || body[key].get<std::int64_t>() < 1)
      throw error(errc::invalid_argument, std::string("'") + key + "' must be a positive integer");
    overrides.set(option, std::to_string(body[key].get<std::int64_t>()));
  }
  return overrides;
}

//! The vertices and plan nodes of GET /jobs/:jobid; returns the job's total
//! parallelism.
int job_vertices(const job_client& job, const std::string& state, std::int64_t now,
                 std::int64_t end, json& vertices, json& nodes) {
  auto metrics = job.metrics();
  auto io = job.task_metrics();
  auto names = job.task_names();
  auto par = job.task_parallelism();
  auto inputs = job.task_inputs();
  for (std::size_t c = 0; c < names.size(); ++c) {
    std::int64_t in = 0, out = 0;
    for (auto& m : metrics)
      if (m.task_name == names[c]) {
        in += m.records_in;
        out += m.records_out;
      }
    auto vid = vertex_id(job.job_id(), c);
    vertices.push_back({{"id", vid},
                        {"name", names[c]},
                        {"maxParallelism", par[c].second},
                        {"parallelism", par[c].first},
                        {"status", state},
                        {"start-time", job.start_time()},
                        {"end-time", end == 0 ? -1 : end},
                        {"duration", (end == 0 ? now : end) - job.start_time()},
                        {"tasks", task_counts(state, par[c].first)},
                        {"metrics", io_metrics(in, out, io_sum(io, c))}});
    // Flink's plan node: its inputs with their partitioning.
    json node_inputs = json::array();
    for (std::size_t i = 0; c < inputs.size() && i < inputs[c].size(); ++i)
      node_inputs.push_back(
          {{"num", i},
           {"id", vertex_id(job.job_id(), static_cast<std::size_t>(inputs[c][i].task))},
           {"ship_strategy", inputs[c][i].ship_strategy},
           {"exchange", "pipelined_bounded"}});
    json node = {{"id", vid},
                 {"parallelism", par[c].first},
                 {"operator", ""},
                 {"operator_strategy", ""},
                 {"description", names[c]}};
    if (!node_inputs.empty())
      node["inputs"] = node_inputs;
    nodes.push_back(node);
  }
  int total = 0;
  for (auto& p : par)
    total += p.first;
  return total;
}

void confine_config(const configuration& cfg, const configuration& overrides);

//! What a request over the network may name: a job library from
//! rest.submit.library-dir, files under rest.submit.allowed-paths, sockets
//! to rest.submit.allowed-socket-hosts. Rewrites paths to their resolved form
//! (what is opened is what was checked). Throws refused.
void confine_request(const configuration& cfg, job_request& r, const configuration& overrides) {
  if (!r.library.empty())
    r.library = allowed_library(cfg, r.library);
  auto roots = path_roots(cfg);
  auto prefixed = [&](std::string& spec, const char* prefix, const std::string& what) {
    auto n = std::strlen(prefix);
    if (spec.compare(0, n, prefix) == 0)
      spec = prefix + confine(spec.substr(n), roots, what, options::rest_allowed_paths);
  };
  if (!r.input.empty()) {
    auto in = parse_input_spec(r.input); // a malformed SPEC is a 400 first
    if (in.kind == input_spec::file)
      prefixed(r.input, "file:", "input");
    if (in.kind == input_spec::socket) {
      auto hosts = option_list(cfg, options::rest_socket_hosts);
      if (std::find(hosts.begin(), hosts.end(), in.host) == hosts.end())
        throw refused(403, "socket input to '" + in.host + "' is not allowed over the REST API (" +
                               options::rest_socket_hosts + ")");
    }
  }
  auto output = [&](std::string& spec) {
    if (spec.empty())
      return;
    auto out = parse_output_spec(spec);
    if (out.kind == output_spec::file)
      prefixed(spec, "file:", "output");
    if (out.kind == output_spec::files)
      prefixed(spec, "files:", "output directory");
  };
  output(r.output);
  for (auto& e : r.extra_outputs)
    output(e);
  confine_config(cfg, overrides);
}

//! Whether a table option names a file or directory of the host the job runs on: 'path'
//! (filesystem), and keys ending .path, -path, dir, .location, .file, -file (key stores, ...).
bool names_local_file(const std::string& key) {
  auto ends = [&](const char* suffix) {
    auto n = std::strlen(suffix);
    return key.size() >= n && key.compare(key.size() - n, n, suffix) == 0;
  };
  return key == "path" || ends(".path") || ends("-path") || ends("dir") || ends(".location") ||
         ends(".file") || ends("-file");
}

//! What a SQL request's script may name over the network: the options its SET statements
//! give (as those of "config"), the paths of its tables (filesystem) under
//! rest.submit.allowed-paths and socket hosts from rest.submit.allowed-socket-hosts; no
//! savepoint (that is "savepointPath"'s). A SQL error is a 400 with its line and column.
void confine_sql(const configuration& cfg, const job_request& r, const configuration& overrides) {
  configuration job_cfg = cfg;
  job_cfg.merge(overrides);
  auto planned = analyze_sql_request(r, job_cfg);
  if (!planned.restore_path.empty())
    throw error(errc::invalid_argument,
                "SET 'execution.savepoint.path' does not start a job on a cluster: give the "
                "savepoint as \"savepointPath\"");
  configuration set;
  for (auto& [k, v] : planned.config)
    set.set(k, v);
  confine_config(cfg, set);
  auto roots = path_roots(cfg);
  for (auto& [table, opts] : planned.tables) {
    for (auto& [key, value] : opts)
      if (names_local_file(key))
        confine(value, roots, "table '" + table + "' option '" + key + "'",
                options::rest_allowed_paths);
    auto connector = opts.find("connector");
    auto host = opts.find("hostname");
    if (connector != opts.end() && connector->second == "socket" && host != opts.end()) {
      auto hosts = option_list(cfg, options::rest_socket_hosts);
      if (std::find(hosts.begin(), hosts.end(), host->second) == hosts.end())
        throw refused(403, "socket table '" + table + "' to '" + host->second +
                               "' is not allowed over the REST API (" + options::rest_socket_hosts +
                               ")");
    }
  }
}

//! Directories in a job's configuration (checkpoints and RocksDB write there) under the
//! savepoint roots.
void confine_config(const configuration& cfg, const configuration& overrides) {
  auto sp_roots = savepoint_roots(cfg);
  for (auto& [key, value] : overrides.entries()) {
    bool dir_key = key.size() >= 3 && (key.compare(key.size() - 3, 3, "dir") == 0 ||
                                       key.find("path") != std::string::npos);
    // rest.* keys do not reach the job; the cluster's own value (the CLI
    // sends the -D options it was given) changes nothing.
    if (key.rfind("rest.", 0) == 0 || cfg.get(key) == std::optional<std::string>(value))
      continue;
    if (dir_key && !value.empty())
      confine(value, sp_roots, "configuration '" + key + "'", options::rest_allowed_paths);
  }
}

//! Jobs submitted that still wait for slots, against rest.submit.max-waiting-jobs.
void refuse_when_too_many_wait(jobmanager& jm) {
  auto max = jm.config().get_int(options::rest_max_waiting_jobs, 16, 1, 1 << 20);
  std::int64_t waiting = 0;
  for (auto& j : jm.overview().jobs)
    if (j->status() == job_status::created)
      ++waiting;
  if (waiting >= max)
    throw refused(429, std::to_string(waiting) + " submitted jobs still wait for slots (" +
                           options::rest_max_waiting_jobs + "): try again later");
}

} // namespace

void list_jobs(jobmanager& jm, const httplib::Request&, httplib::Response& res) {
  json jobs = json::array();
  for (auto& j : jm.overview().jobs)
    jobs.push_back({{"id", j->job_id()}, {"status", state_of(*j)}});
  reply(res, 200, {{"jobs", jobs}});
}

void jobs_overview(jobmanager& jm, const httplib::Request&, httplib::Response& res) {
  json jobs = json::array();
  for (auto& j : jm.overview().jobs)
    jobs.push_back(job_overview(*j));
  reply(res, 200, {{"jobs", jobs}});
}

// Submission: {"job": NAME, "input", "output", "programArgsList": [...],
// "parallelism", "maxParallelism", "config": {k: v}, "savepointPath",
// "allowNonRestoredState", "library"}, or {"sql": STATEMENTS, ...} instead of the job, its
// library, input, outputs and arguments: the script's INSERTs as one job.
void submit_job(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  try {
    auto body = parse_body(req);
    auto r = request_of(body);
    auto overrides = overrides_of(body);
    confine_request(jm.config(), r, overrides);
    if (cluster_detail::is_sql_request(r))
      confine_sql(jm.config(), r, overrides);
    refuse_when_too_many_wait(jm);
    bool allow = body.value("allowNonRestoredState", false);
    // The snapshot a job starts from is read (and with CLAIM, deleted in
    // time): under the same roots as savepoint targets.
    auto restore = string_field(body, "savepointPath");
    if (!restore.empty())
      restore = confine(restore, savepoint_roots(jm.config()), "savepointPath",
                        options::rest_allowed_paths);
    auto id = jm.submit(r, overrides, restore, allow);
    reply(res, 202, {{"jobid", id}});
  } catch (const refused& e) {
    fail(res, e.status, e.what());
  } catch (const error& e) {
    // A job, library, input or savepoint that the body names and that is
    // missing or unreadable is a bad request (Flink answers 400 for a missing
    // jar), as the local CLI exits with its usage code for these.
    bool named_in_body =
        e.code() == errc::not_found || e.code() == errc::io || e.code() == errc::corrupt;
    fail(res, named_in_body ? 400 : http_status(e.code()), e.what());
  } catch (const std::exception& e) {
    fail(res, 400, e.what());
  }
}

void job_detail(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  auto job = job_of(jm, req, res);
  if (!job)
    return;
  auto state = state_of(*job);
  auto now = now_ms();
  auto end = job->end_time();
  json vertices = json::array();
  json nodes = json::array();
  int total = job_vertices(*job, state, now, end, vertices, nodes);
  json body = {{"jid", job->job_id()},
               {"name", job->job_name()},
               {"isStoppable", false},
               {"state", state},
               {"job-type", "STREAMING"},
               {"start-time", job->start_time()},
               {"end-time", end == 0 ? -1 : end},
               {"duration", (end == 0 ? now : end) - job->start_time()},
               {"maxParallelism", -1},
               {"now", now},
               {"timestamps", {{"CREATED", job->start_time()}, {state, end == 0 ? now : end}}},
               {"vertices", vertices},
               {"status-counts", task_counts(state, total)},
               {"plan",
                {{"jid", job->job_id()},
                 {"name", job->job_name()},
                 {"type", "STREAMING"},
                 {"nodes", nodes}}}};
  auto detail = job->status_detail();
  if (!detail.empty())
    body["status-detail"] = detail;
  reply(res, 200, body);
}

void cancel_job(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  auto job = job_of(jm, req, res);
  if (!job)
    return;
  auto mode = req.has_param("mode") ? req.get_param_value("mode") : std::string("cancel");
  if (mode != "cancel") {
    fail(res, 400, "Unsupported mode '" + mode + "': only mode=cancel is supported");
    return;
  }
  if (is_terminal(job->status())) {
    fail(res, 409, "Job " + job->job_id() + " is already " + state_of(*job));
    return;
  }
  job->cancel();
  reply(res, 202, json::object());
}

void job_exceptions(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  auto job = job_of(jm, req, res);
  if (!job)
    return;
  auto ex = job->exceptions();
  json entries = json::array();
  json all = json::array();
  for (auto it = ex.rbegin(); it != ex.rend(); ++it) {
    entries.push_back({{"exceptionName", "spate.error"},
                       {"stacktrace", it->second},
                       {"timestamp", it->first},
                       {"taskName", nullptr},
                       {"endpoint", nullptr},
                       {"taskManagerId", nullptr},
                       {"failureLabels", json::object()},
                       {"concurrentExceptions", json::array()}});
    all.push_back({{"exception", it->second}, {"timestamp", it->first}});
  }
  json body = {{"root-exception", ex.empty() ? json(nullptr) : json(ex.back().second)},
               {"timestamp", ex.empty() ? json(nullptr) : json(ex.back().first)},
               {"all-exceptions", all},
               {"truncated", false},
               {"exceptionHistory", {{"entries", entries}, {"truncated", false}}}};
  reply(res, 200, body);
}

int vertex_of(const job_client& job, const httplib::Request& req, httplib::Response& res) {
  std::string vid = req.matches[2];
  auto names = job.task_names();
  for (std::size_t c = 0; c < names.size(); ++c)
    if (vertex_id(job.job_id(), c) == vid)
      return static_cast<int>(c);
  fail(res, 404, "Vertex " + vid + " not found in job " + job.job_id());
  return -1;
}

void vertex_detail(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  auto job = job_of(jm, req, res);
  if (!job)
    return;
  int vertex = vertex_of(*job, req, res);
  if (vertex < 0)
    return;
  const auto c = static_cast<std::size_t>(vertex);
  std::string vid = req.matches[2];
  auto names = job->task_names();
  auto par = job->task_parallelism();
  auto placement = job->placement();
  auto metrics = job->metrics();
  auto io = job->task_metrics();
  auto state = state_of(*job);
  auto now = now_ms();
  auto end = job->end_time();
  auto tms = jm.overview().taskmanagers;
  json subtasks = json::array();
  for (int s = 0; s < par[c].first; ++s) {
    std::int64_t in = 0, out = 0;
    for (auto& m : metrics)
      if (m.task_name == names[c] && m.subtask == s) {
        in = m.records_in;
        out = m.records_out;
      }
    std::string tm = c < placement.size() && s < static_cast<int>(placement[c].size())
                         ? placement[c][s]
                         : std::string();
    std::string endpoint;
    for (auto& t : tms)
      if (t.id == tm)
        endpoint = t.address;
    subtasks.push_back({{"subtask", s},
                        {"status", state},
                        {"attempt", job->full_restarts()},
                        {"host", tm},
                        {"endpoint", endpoint},
                        {"taskmanager-id", tm},
                        {"start-time", job->start_time()},
                        {"start_time", job->start_time()},
                        {"end-time", end == 0 ? -1 : end},
                        {"duration", (end == 0 ? now : end) - job->start_time()},
                        {"metrics", io_metrics(in, out, io_sum(io, c, s))}});
  }
  reply(res, 200,
        {{"id", vid},
         {"name", names[c]},
         {"parallelism", par[c].first},
         {"maxParallelism", par[c].second},
         {"now", now},
         {"subtasks", subtasks}});
}

} // namespace spate::cluster_detail::rest_api
