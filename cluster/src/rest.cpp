// The JobManager's REST API: Flink's v1 paths and JSON field names, so
// tools written for Flink's API read spate's.
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "jobmanager.hpp"
#include "spate/cluster/config_file.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate::cluster_detail {

namespace {

using json = nlohmann::json;

constexpr const char* version = "spate-0.1";

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=UTF-8");
}

void fail(httplib::Response& res, int status, const std::string& message) {
  reply(res, status, json{{"errors", json::array({message})}});
}

//! A 32-hex-digit id for task (chain) `index` of a job, stable per job.
std::string vertex_id(const std::string& job_id, std::size_t index) {
  std::uint64_t h1 = 1469598103934665603ull, h2 = 1099511628211ull * 31;
  auto feed = [&](char c) {
    h1 = (h1 ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    h2 = (h2 ^ static_cast<unsigned char>(c)) * 1469598103934665603ull + 7;
  };
  for (char c : job_id)
    feed(c);
  for (char c : std::to_string(index))
    feed(c);
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h1),
                static_cast<unsigned long long>(h2));
  return buf;
}


json task_counts(const std::string& state, int n) {
  json t = {{"CREATED", 0},     {"SCHEDULED", 0}, {"DEPLOYING", 0},    {"RUNNING", 0},
            {"FINISHED", 0},    {"CANCELING", 0}, {"CANCELED", 0},     {"FAILED", 0},
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

std::string state_of(const job_client& c) {
  return to_string(c.status());
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

json checkpoint_json(const checkpoint_stats& s) {
  json j = {{"className", s.status == "COMPLETED" ? ".CompletedCheckpointStatistics"
                                                   : s.status == "FAILED"
                                                         ? ".FailedCheckpointStatistics"
                                                         : ".PendingCheckpointStatistics"},
            {"id", s.id},
            {"status", s.status},
            {"is_savepoint", s.savepoint},
            {"savepointFormat", s.savepoint ? json("CANONICAL") : json(nullptr)},
            {"trigger_timestamp", s.trigger_timestamp},
            {"latest_ack_timestamp", s.trigger_timestamp + s.end_to_end_duration},
            {"checkpointed_size", s.state_size},
            {"state_size", s.state_size},
            {"end_to_end_duration", s.end_to_end_duration},
            {"alignment_buffered", 0},
            {"processed_data", 0},
            {"persisted_data", 0},
            {"num_subtasks", s.num_subtasks},
            {"num_acknowledged_subtasks", s.num_acknowledged_subtasks},
            {"checkpoint_type", s.savepoint ? "SAVEPOINT" : "CHECKPOINT"},
            {"tasks", json::object()}};
  if (s.status == "COMPLETED") {
    j["external_path"] = s.external_path;
    j["discarded"] = false;
  }
  if (s.status == "FAILED") {
    j["failure_timestamp"] = s.trigger_timestamp + s.end_to_end_duration;
    j["failure_message"] = s.failure_message;
  }
  return j;
}

json minmax(const std::vector<std::int64_t>& v) {
  if (v.empty())
    return {{"min", 0}, {"max", 0}, {"avg", 0}, {"p50", 0}, {"p90", 0}, {"p95", 0},
            {"p99", 0}, {"p999", 0}};
  auto sorted = v;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * sorted.size()))];
  };
  std::int64_t sum = 0;
  for (auto x : v)
    sum += x;
  return {{"min", sorted.front()},
          {"max", sorted.back()},
          {"avg", sum / static_cast<std::int64_t>(v.size())},
          {"p50", pct(0.5)},
          {"p90", pct(0.9)},
          {"p95", pct(0.95)},
          {"p99", pct(0.99)},
          {"p999", pct(0.999)}};
}

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

} // namespace

struct rest_server::impl {
  jobmanager& jm;
  httplib::Server http;
  std::thread thread;

  explicit impl(jobmanager& j) : jm(j) {}

  //! The job of `req.matches[1]`, or an error reply and nullptr.
  std::shared_ptr<job_client> job_of(const httplib::Request& req, httplib::Response& res) {
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

  void routes();
};

void rest_server::impl::routes() {
  http.Get("/overview", [this](const httplib::Request&, httplib::Response& res) {
    auto o = jm.overview();
    int total = 0, free = 0, running = 0, finished = 0, cancelled = 0, failed = 0;
    for (auto& tm : o.taskmanagers) {
      total += tm.slots;
      free += tm.free_slots;
    }
    for (auto& j : o.jobs) {
      switch (j->status()) {
        case job_status::finished:
          ++finished;
          break;
        case job_status::canceled:
          ++cancelled;
          break;
        case job_status::failed:
          ++failed;
          break;
        default:
          ++running;
      }
    }
    reply(res, 200,
          {{"taskmanagers", o.taskmanagers.size()}, {"slots-total", total},
           {"slots-available", free}, {"jobs-running", running}, {"jobs-finished", finished},
           {"jobs-cancelled", cancelled}, {"jobs-failed", failed}, {"flink-version", version},
           {"flink-commit", ""}});
  });

  http.Get("/config", [](const httplib::Request&, httplib::Response& res) {
    reply(res, 200,
          {{"refresh-interval", 3000},
           {"timezone-name", "Coordinated Universal Time"},
           {"timezone-offset", 0},
           {"flink-version", version},
           {"flink-revision", ""},
           {"features",
            {{"web-submit", false}, {"web-cancel", true}, {"web-history", false}}}});
  });

  http.Get("/jobmanager/config", [this](const httplib::Request&, httplib::Response& res) {
    json out = json::array();
    for (auto& [k, v] : jm.config().entries())
      out.push_back({{"key", k}, {"value", v}});
    reply(res, 200, out);
  });

  http.Get("/jobs", [this](const httplib::Request&, httplib::Response& res) {
    json jobs = json::array();
    for (auto& j : jm.overview().jobs)
      jobs.push_back({{"id", j->job_id()}, {"status", state_of(*j)}});
    reply(res, 200, {{"jobs", jobs}});
  });

  http.Get("/jobs/overview", [this](const httplib::Request&, httplib::Response& res) {
    json jobs = json::array();
    for (auto& j : jm.overview().jobs)
      jobs.push_back(job_overview(*j));
    reply(res, 200, {{"jobs", jobs}});
  });

  // Submission: {"job": NAME, "input", "output", "programArgsList": [...],
  // "parallelism", "maxParallelism", "config": {k: v}, "savepointPath",
  // "allowNonRestoredState", "library"}.
  http.Post("/jobs", [this](const httplib::Request& req, httplib::Response& res) {
    try {
      auto body = parse_body(req);
      job_request r;
      auto str = [&](const char* key) {
        if (!body.contains(key))
          return std::string();
        if (!body[key].is_string())
          throw error(errc::invalid_argument, std::string("'") + key + "' must be a string");
        return body[key].get<std::string>();
      };
      r.job = str("job");
      r.library = str("library");
      if (r.job.empty() && r.library.empty())
        throw error(errc::invalid_argument,
                    "'job' (the name of a registered job) or 'library' is missing");
      r.input = str("input");
      r.output = str("output");
      if (body.contains("extraOutputs")) {
        if (!body["extraOutputs"].is_array())
          throw error(errc::invalid_argument, "'extraOutputs' must be an array of strings");
        for (auto& a : body["extraOutputs"]) {
          if (!a.is_string())
            throw error(errc::invalid_argument, "'extraOutputs' must be an array of strings");
          r.extra_outputs.push_back(a.get<std::string>());
        }
      }
      if (body.contains("programArgsList")) {
        if (!body["programArgsList"].is_array())
          throw error(errc::invalid_argument, "'programArgsList' must be an array of strings");
        for (auto& a : body["programArgsList"]) {
          if (!a.is_string())
            throw error(errc::invalid_argument, "'programArgsList' must be an array of strings");
          r.args.push_back(a.get<std::string>());
        }
      }
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
          throw error(errc::invalid_argument,
                      std::string("'") + key + "' must be a positive integer");
        overrides.set(option, std::to_string(body[key].get<std::int64_t>()));
      }
      bool allow = body.value("allowNonRestoredState", false);
      auto id = jm.submit(r, overrides, str("savepointPath"), allow);
      reply(res, 202, {{"jobid", id}});
    } catch (const error& e) {
      fail(res, e.code() == errc::internal ? 500 : 400, e.what());
    } catch (const std::exception& e) {
      fail(res, 400, e.what());
    }
  });

  http.Get(R"(/jobs/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto job = job_of(req, res);
    if (!job)
      return;
    auto state = state_of(*job);
    auto now = now_ms();
    auto end = job->end_time();
    auto metrics = job->metrics();
    auto names = job->task_names();
    auto par = job->task_parallelism();
    json vertices = json::array();
    json nodes = json::array();
    for (std::size_t c = 0; c < names.size(); ++c) {
      std::int64_t in = 0, out = 0;
      for (auto& m : metrics)
        if (m.task_name == names[c]) {
          in += m.records_in;
          out += m.records_out;
        }
      auto vid = vertex_id(job->job_id(), c);
      vertices.push_back({{"id", vid},
                          {"name", names[c]},
                          {"maxParallelism", par[c].second},
                          {"parallelism", par[c].first},
                          {"status", state},
                          {"start-time", job->start_time()},
                          {"end-time", end == 0 ? -1 : end},
                          {"duration", (end == 0 ? now : end) - job->start_time()},
                          {"tasks", task_counts(state, par[c].first)},
                          {"metrics",
                           {{"read-bytes", 0},
                            {"read-bytes-complete", true},
                            {"write-bytes", 0},
                            {"write-bytes-complete", true},
                            {"read-records", in},
                            {"read-records-complete", true},
                            {"write-records", out},
                            {"write-records-complete", true}}}});
      nodes.push_back({{"id", vid},
                       {"parallelism", par[c].first},
                       {"operator", ""},
                       {"operator_strategy", ""},
                       {"description", names[c]}});
    }
    int total = 0;
    for (auto& p : par)
      total += p.first;
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
                 {"plan", {{"jid", job->job_id()}, {"name", job->job_name()},
                           {"type", "STREAMING"}, {"nodes", nodes}}}};
    auto detail = job->status_detail();
    if (!detail.empty())
      body["status-detail"] = detail;
    reply(res, 200, body);
  });

  http.Patch(R"(/jobs/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto job = job_of(req, res);
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
  });

  http.Get(R"(/jobs/([^/]+)/checkpoints)",
           [this](const httplib::Request& req, httplib::Response& res) {
             auto job = job_of(req, res);
             if (!job)
               return;
             auto history = job->checkpoint_history();
             auto totals = job->checkpoint_totals();
             int in_progress = 0;
             json latest_completed = nullptr, latest_savepoint = nullptr, latest_failed = nullptr;
             std::vector<std::int64_t> sizes, durations;
             for (auto& s : history) {
               if (s.status == "IN_PROGRESS")
                 ++in_progress;
               if (s.status == "COMPLETED") {
                 sizes.push_back(static_cast<std::int64_t>(s.state_size));
                 durations.push_back(s.end_to_end_duration);
                 (s.savepoint ? latest_savepoint : latest_completed) = checkpoint_json(s);
               }
               if (s.status == "FAILED")
                 latest_failed = checkpoint_json(s);
             }
             json hist = json::array();
             for (auto it = history.rbegin(); it != history.rend(); ++it)
               hist.push_back(checkpoint_json(*it));
             json restored = nullptr;
             if (totals.restored > 0)
               restored = {{"id", 0}, {"restore_timestamp", job->start_time()},
                           {"is_savepoint", true}, {"external_path", ""}};
             reply(res, 200,
                   {{"counts",
                     {{"restored", totals.restored},
                      {"total", totals.completed + totals.failed + in_progress},
                      {"in_progress", in_progress},
                      {"completed", totals.completed},
                      {"failed", totals.failed}}},
                    {"summary",
                     {{"checkpointed_size", minmax(sizes)},
                      {"state_size", minmax(sizes)},
                      {"end_to_end_duration", minmax(durations)},
                      {"alignment_buffered", minmax({})},
                      {"processed_data", minmax({})},
                      {"persisted_data", minmax({})}}},
                    {"latest",
                     {{"completed", latest_completed},
                      {"savepoint", latest_savepoint},
                      {"failed", latest_failed},
                      {"restored", restored}}},
                    {"history", hist}});
           });

  http.Get(R"(/jobs/([^/]+)/checkpoints/config)",
           [this](const httplib::Request& req, httplib::Response& res) {
             auto job = job_of(req, res);
             if (!job)
               return;
             const auto& c = job->checkpointing();
             if (!c.enabled) {
               fail(res, 404, "Checkpointing is not enabled for job " + job->job_id());
               return;
             }
             reply(res, 200,
                   {{"mode", c.exactly_once ? "exactly_once" : "at_least_once"},
                    {"interval", c.interval.count()},
                    {"timeout", c.timeout.count()},
                    {"min_pause", c.min_pause.count()},
                    {"max_concurrent", 1},
                    {"externalization",
                     {{"enabled", true}, {"delete_on_cancellation", false}}},
                    {"state_backend", "EmbeddedRocksDBStateBackend"},
                    {"checkpoint_storage", "FileSystemCheckpointStorage"},
                    {"unaligned_checkpoints", false},
                    {"tolerable_failed_checkpoints", c.tolerable_failures},
                    {"checkpoints_after_tasks_finish", false},
                    {"state_changelog_enabled", false},
                    {"num_retained", c.retained},
                    {"checkpoints_dir", c.dir}});
           });

  auto savepoint_dir = [this](const json& body, const char* key) {
    std::string dir;
    if (body.contains(key) && !body[key].is_null()) {
      if (!body[key].is_string())
        throw error(errc::invalid_argument, std::string("'") + key + "' must be a string");
      dir = body[key].get<std::string>();
    }
    if (dir.empty())
      dir = jm.config().get_string(options::savepoints_dir, "");
    if (dir.empty())
      throw error(errc::invalid_argument,
                  std::string("no savepoint directory: give '") + key + "' or configure " +
                      options::savepoints_dir);
    return dir;
  };

  // POST savepoints {"target-directory", "cancel-job"} and POST stop
  // {"targetDirectory", "drain"}: both start a savepoint in the background.
  auto savepoint_route = [this, savepoint_dir](bool stop) {
    return [this, savepoint_dir, stop](const httplib::Request& req, httplib::Response& res) {
      auto job = job_of(req, res);
      if (!job)
        return;
      try {
        auto body = parse_body(req);
        auto dir = savepoint_dir(body, stop ? "targetDirectory" : "target-directory");
        bool flag = body.value(stop ? "drain" : "cancel-job", false);
        if (is_terminal(job->status())) {
          fail(res, 409, "Job " + job->job_id() + " is " + state_of(*job));
          return;
        }
        reply(res, 202,
              {{"request-id", stop ? jm.start_savepoint(job, dir, true, flag, false)
                                   : jm.start_savepoint(job, dir, false, false, flag)}});
      } catch (const std::exception& e) {
        fail(res, 400, e.what());
      }
    };
  };
  http.Post(R"(/jobs/([^/]+)/savepoints)", savepoint_route(false));
  http.Post(R"(/jobs/([^/]+)/stop)", savepoint_route(true));

  http.Get(R"(/jobs/([^/]+)/savepoints/([^/]+))",
           [this](const httplib::Request& req, httplib::Response& res) {
             auto job = job_of(req, res);
             if (!job)
               return;
             auto op = jm.find_operation(req.matches[2]);
             if (!op || op->job_id != job->job_id()) {
               fail(res, 404, "There is no savepoint operation with trigger id " +
                                  std::string(req.matches[2]) + " for job " + job->job_id());
               return;
             }
             if (op->result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
               reply(res, 200, {{"status", {{"id", "IN_PROGRESS"}}}, {"operation", nullptr}});
               return;
             }
             try {
               auto path = op->result.get();
               reply(res, 200,
                     {{"status", {{"id", "COMPLETED"}}}, {"operation", {{"location", path}}}});
             } catch (const std::exception& e) {
               reply(res, 200,
                     {{"status", {{"id", "COMPLETED"}}},
                      {"operation",
                       {{"failure-cause",
                         {{"class", "spate.error"}, {"stack-trace", e.what()},
                          {"serialized-throwable", e.what()}}}}}});
             }
           });

  http.Get(R"(/jobs/([^/]+)/exceptions)",
           [this](const httplib::Request& req, httplib::Response& res) {
             auto job = job_of(req, res);
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
           });

  http.Get(R"(/jobs/([^/]+)/vertices/([^/]+))",
           [this](const httplib::Request& req, httplib::Response& res) {
             auto job = job_of(req, res);
             if (!job)
               return;
             std::string vid = req.matches[2];
             auto names = job->task_names();
             std::size_t c = 0;
             while (c < names.size() && vertex_id(job->job_id(), c) != vid)
               ++c;
             if (c == names.size()) {
               fail(res, 404, "Vertex " + vid + " not found in job " + job->job_id());
               return;
             }
             auto par = job->task_parallelism();
             auto placement = job->placement();
             auto metrics = job->metrics();
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
                                   {"metrics",
                                    {{"read-bytes", 0},
                                     {"read-bytes-complete", true},
                                     {"write-bytes", 0},
                                     {"write-bytes-complete", true},
                                     {"read-records", in},
                                     {"read-records-complete", true},
                                     {"write-records", out},
                                     {"write-records-complete", true}}}});
             }
             reply(res, 200,
                   {{"id", vid},
                    {"name", names[c]},
                    {"parallelism", par[c].first},
                    {"maxParallelism", par[c].second},
                    {"now", now},
                    {"subtasks", subtasks}});
           });

  http.Get("/taskmanagers", [this](const httplib::Request&, httplib::Response& res) {
    json out = json::array();
    unsigned cores = std::thread::hardware_concurrency();
    for (auto& tm : jm.overview().taskmanagers) {
      auto colon = tm.address.rfind(':');
      int port = colon == std::string::npos ? 0 : std::atoi(tm.address.c_str() + colon + 1);
      out.push_back({{"id", tm.id},
                     {"path", tm.address},
                     {"dataPort", port},
                     {"jmxPort", -1},
                     {"timeSinceLastHeartbeat", tm.last_heartbeat_ms},
                     {"slotsNumber", tm.slots},
                     {"freeSlots", tm.free_slots},
                     {"totalResource", json::object()},
                     {"freeResource", json::object()},
                     {"hardware",
                      {{"cpuCores", cores}, {"physicalMemory", -1}, {"freeMemory", -1},
                       {"managedMemory", -1}}},
                     {"memoryConfiguration", json::object()},
                     {"host", tm.host},
                     {"pid", tm.pid}});
    }
    reply(res, 200, {{"taskmanagers", out}});
  });

  // Everything else: Flink's error shape, 405 for a known path with another
  // method, 404 otherwise.
  auto unknown = [](const httplib::Request& req, httplib::Response& res) {
    static const std::vector<std::regex> known = {
        std::regex("/overview"), std::regex("/config"), std::regex("/jobmanager/config"),
        std::regex("/jobs"), std::regex("/jobs/overview"), std::regex("/jobs/[^/]+"),
        std::regex("/jobs/[^/]+/checkpoints(/config)?"), std::regex("/jobs/[^/]+/savepoints(/[^/]+)?"),
        std::regex("/jobs/[^/]+/stop"), std::regex("/jobs/[^/]+/exceptions"),
        std::regex("/jobs/[^/]+/vertices/[^/]+"), std::regex("/taskmanagers")};
    for (auto& r : known)
      if (std::regex_match(req.path, r)) {
        fail(res, 405, "Request method " + req.method + " is not allowed for " + req.path);
        return;
      }
    fail(res, 404, "Not found: " + req.path);
  };
  http.Get(".*", unknown);
  http.Post(".*", unknown);
  http.Put(".*", unknown);
  http.Patch(".*", unknown);
  http.Delete(".*", unknown);
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          fail(res, 500, std::string("Internal server error: ") + e.what());
        } catch (...) {
          fail(res, 500, "Internal server error");
        }
      });
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

rest_server::~rest_server() {
  stop();
}

void rest_server::stop() {
  if (impl_->thread.joinable()) {
    impl_->http.stop();
    impl_->thread.join();
  }
}

} // namespace spate::cluster_detail
