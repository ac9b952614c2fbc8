// The REST API's checkpoint and savepoint resources:
// /jobs/:jobid/checkpoints[/config], /jobs/:jobid/savepoints[/:triggerid]
// and /jobs/:jobid/stop.
#include <algorithm>
#include <chrono>
#include <future>
#include <vector>

#include "rest_routes.hpp"
#include "spate/cluster/config_file.hpp"
#include "spate/core/error.hpp"

namespace spate::cluster_detail::rest_api {

namespace {

json checkpoint_json(const checkpoint_stats& s) {
  json j = {{"className", s.status == "COMPLETED" ? ".CompletedCheckpointStatistics"
                          : s.status == "FAILED"  ? ".FailedCheckpointStatistics"
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
    return {{"min", 0}, {"max", 0}, {"avg", 0}, {"p50", 0},
            {"p90", 0}, {"p95", 0}, {"p99", 0}, {"p999", 0}};
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

//! The directory a savepoint request names under `key`, else the configured
//! one. Throws spate::error when neither is there.
std::string savepoint_dir(jobmanager& jm, const json& body, const char* key) {
  std::string dir;
  if (body.contains(key) && !body[key].is_null()) {
    if (!body[key].is_string())
      throw error(errc::invalid_argument, std::string("'") + key + "' must be a string");
    dir = body[key].get<std::string>();
    if (!dir.empty())
      dir = confine(dir, savepoint_roots(jm.config()), "savepoint directory",
                    options::rest_allowed_paths);
  }
  if (dir.empty())
    dir = jm.config().get_string(options::savepoints_dir, "");
  if (dir.empty())
    throw error(errc::invalid_argument, std::string("no savepoint directory: give '") + key +
                                            "' or configure " + options::savepoints_dir);
  return dir;
}

// POST savepoints {"target-directory", "cancel-job"} and POST stop
// {"targetDirectory", "drain"}: both start a savepoint in the background.
void begin_savepoint(jobmanager& jm, const httplib::Request& req, httplib::Response& res,
                     bool stop) {
  auto job = job_of(jm, req, res);
  if (!job)
    return;
  try {
    auto body = parse_body(req);
    auto dir = savepoint_dir(jm, body, stop ? "targetDirectory" : "target-directory");
    bool flag = body.value(stop ? "drain" : "cancel-job", false);
    if (is_terminal(job->status())) {
      fail(res, 409, "Job " + job->job_id() + " is " + state_of(*job));
      return;
    }
    auto trigger = stop ? jm.start_savepoint(job, dir, true, flag, false)
                        : jm.start_savepoint(job, dir, false, false, flag);
    if (trigger.empty()) {
      fail(res, 429,
           "A savepoint of job " + job->job_id() + " is in progress: one at a time per job");
      return;
    }
    reply(res, 202, {{"request-id", trigger}});
  } catch (const refused& e) {
    fail(res, e.status, e.what());
  } catch (const error& e) {
    fail(res, http_status(e.code()), e.what());
  } catch (const std::exception& e) {
    fail(res, 400, e.what());
  }
}

} // namespace

void job_checkpoints(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  auto job = job_of(jm, req, res);
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
  if (auto r = job->last_restore())
    restored = {{"id", r->checkpoint_id},
                {"restore_timestamp", r->timestamp},
                {"is_savepoint", r->savepoint},
                {"external_path", r->path}};
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
}

void checkpoint_config(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  auto job = job_of(jm, req, res);
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
         {"externalization", {{"enabled", true}, {"delete_on_cancellation", false}}},
         {"state_backend", "EmbeddedRocksDBStateBackend"},
         {"checkpoint_storage", "FileSystemCheckpointStorage"},
         {"unaligned_checkpoints", false},
         {"tolerable_failed_checkpoints", c.tolerable_failures},
         {"checkpoints_after_tasks_finish", false},
         {"state_changelog_enabled", false},
         {"num_retained", c.retained},
         {"checkpoints_dir", c.dir}});
}

void trigger_savepoint(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  begin_savepoint(jm, req, res, false);
}

void stop_with_savepoint(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  begin_savepoint(jm, req, res, true);
}

void savepoint_status(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  auto job = job_of(jm, req, res);
  if (!job)
    return;
  auto op = jm.find_operation(req.matches[2]);
  if (!op || op->job_id != job->job_id()) {
    fail(res, 404,
         "There is no savepoint operation with trigger id " + std::string(req.matches[2]) +
             " for job " + job->job_id());
    return;
  }
  if (op->result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    reply(res, 200, {{"status", {{"id", "IN_PROGRESS"}}}, {"operation", nullptr}});
    return;
  }
  try {
    auto path = op->result.get();
    reply(res, 200, {{"status", {{"id", "COMPLETED"}}}, {"operation", {{"location", path}}}});
  } catch (const std::exception& e) {
    reply(res, 200,
          {{"status", {{"id", "COMPLETED"}}},
           {"operation",
            {{"failure-cause",
              {{"class", "spate.error"},
               {"stack-trace", e.what()},
               {"serialized-throwable", e.what()}}}}}});
  }
}

} // namespace spate::cluster_detail::rest_api
