// The cluster commands of the `spate` CLI: they talk to the JobManager's
// REST API, as Flink's CLI does.
#include "client.hpp"
#include "progress.hpp"
#include "rest_client.hpp"
#include "rest_tls.hpp"

#include <chrono>
#include <climits>
#include <cmath>
#include <filesystem>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "spate/checkpoints/checkpoint_config.hpp"
#include "spate/cluster/cluster.hpp"
#include "spate/cluster/config_file.hpp"
#include "spate/core/error.hpp"

namespace spate::cluster_detail {

namespace {

using json = nlohmann::json;

std::string format_time(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%d.%m.%Y %H:%M:%S", &tm);
  return buf;
}

//! "2026-12-07 08:29:42.911 UTC" for ms since the epoch.
std::string format_utc_ms(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03d UTC", static_cast<int>((ms % 1000 + 1000) % 1000));
  return buf;
}

//! One aggregate (`agg`: sum, max, ...) of a task metric over a vertex's
//! subtasks, from /subtasks/metrics; none when it is not there (NaN).
std::optional<double> aggregate(const json& body, const std::string& id, const std::string& agg) {
  for (auto& m : body)
    if (m.value("id", "") == id && m.contains(agg) && m[agg].is_number())
      return m[agg].get<double>();
  return std::nullopt;
}

//! What `spate info` shows of a running vertex after its counters: records
//! per second in and out (summed over subtasks), busy (the busiest subtask),
//! back pressure (Flink's level) and the input watermark (the lowest of the
//! subtasks; left out while one has none, and for sources). A route the
//! JobManager does not answer leaves its part out.
std::string vertex_activity(rest_client& rest, const std::string& job, const std::string& vertex) {
  std::string out;
  const auto base = "/jobs/" + job + "/vertices/" + vertex;
  try {
    auto agg = rest.get(base + "/subtasks/metrics?get=numRecordsInPerSecond,numRecordsOutPerSecond,"
                               "busyTimeMsPerSecond&agg=sum,max");
    auto in = aggregate(agg, "numRecordsInPerSecond", "sum");
    auto out_rate = aggregate(agg, "numRecordsOutPerSecond", "sum");
    if (in || out_rate)
      out +=
          "  rate in " + format_rate(in.value_or(0)) + " out " + format_rate(out_rate.value_or(0));
    if (auto busy = aggregate(agg, "busyTimeMsPerSecond", "max"))
      out += "  busy " + std::to_string(std::lround(*busy / 10)) + "%";
  } catch (const rest_error&) {
  }
  try {
    auto bp = rest.get(base + "/backpressure");
    if (bp.value("status", "") == "ok" && bp.contains("backpressureLevel"))
      out += "  backpressure " + bp["backpressureLevel"].get<std::string>();
  } catch (const rest_error&) {
  }
  try {
    auto wm = rest.get(base + "/watermarks");
    std::optional<std::int64_t> lowest;
    bool all = !wm.empty();
    for (auto& m : wm) {
      if (m.value("id", "").find(".currentInputWatermark") == std::string::npos)
        continue;
      std::int64_t v = INT64_MIN;
      try {
        v = std::stoll(m.value("value", ""));
      } catch (const std::logic_error&) {
      }
      if (v == INT64_MIN)
        all = false;
      else
        lowest = std::min(lowest.value_or(INT64_MAX), v);
    }
    if (all && lowest)
      out += "  watermark " + std::to_string(*lowest) + " (" + format_utc_ms(*lowest) + ")";
  } catch (const rest_error&) {
  }
  return out;
}

//! Records per second out of a running job's source vertices, summed.
std::optional<double> source_rate(rest_client& rest, const std::string& job) {
  try {
    auto j = rest.get("/jobs/" + job);
    std::optional<double> total;
    for (auto& v : j["vertices"]) {
      if (v.value("name", "").rfind("Source: ", 0) != 0)
        continue;
      auto agg = rest.get("/jobs/" + job + "/vertices/" + v["id"].get<std::string>() +
                          "/subtasks/metrics?get=numRecordsOutPerSecond&agg=sum");
      if (auto r = aggregate(agg, "numRecordsOutPerSecond", "sum"))
        total = total.value_or(0) + *r;
    }
    return total;
  } catch (const rest_error&) { // it ended meanwhile, or an older JobManager
    return std::nullopt;
  }
}

bool terminal(const std::string& state) {
  return state == "FINISHED" || state == "CANCELED" || state == "FAILED";
}

//! Polls the job until it is terminal; returns its state.
std::string wait_terminal(rest_client& rest, const std::string& id,
                          std::chrono::milliseconds timeout = std::chrono::hours(24 * 365)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto state = rest.get("/jobs/" + id)["state"].get<std::string>();
    if (terminal(state) || std::chrono::steady_clock::now() >= deadline)
      return state;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

//! Polls a savepoint operation; returns its path or throws rest_error.
std::string wait_savepoint(rest_client& rest, const std::string& id, const std::string& trigger) {
  for (;;) {
    auto r = rest.get("/jobs/" + id + "/savepoints/" + trigger);
    if (r["status"]["id"] == "COMPLETED") {
      auto& op = r["operation"];
      if (op.contains("location"))
        return op["location"].get<std::string>();
      throw rest_error(200, op["failure-cause"]["stack-trace"].get<std::string>());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

} // namespace

int run_client_command(const client_options& o) {
  try {
    auto cfg = load_cluster_config(o.config_dir, o.config);
    auto [host, port] = rest_target(o.jobmanager, cfg);
    rest_client rest(host, port, read_token(cfg), rest_tls_from(cfg));
    if (o.command == "run") {
      auto ref = parse_job_reference(o.job);
      json body = {{"job", ref.job}};
      if (!ref.library.empty())
        body["library"] = ref.library;
      if (!o.input.empty())
        body["input"] = o.input;
      if (!o.outputs.empty()) {
        body["output"] = o.outputs.front();
        if (o.outputs.size() > 1)
          body["extraOutputs"] = std::vector<std::string>(o.outputs.begin() + 1, o.outputs.end());
      }
      if (o.parallelism > 0)
        body["parallelism"] = o.parallelism;
      if (o.max_parallelism > 0)
        body["maxParallelism"] = o.max_parallelism;
      if (!o.from_savepoint.empty()) {
        // The JobManager resolves the path in its own working directory.
        std::error_code ec;
        auto absolute = std::filesystem::absolute(o.from_savepoint, ec);
        if (ec)
          throw error(errc::io, "savepoint path '" + o.from_savepoint +
                                    "' cannot be made absolute: " + ec.message());
        body["savepointPath"] = absolute.string();
      }
      body["allowNonRestoredState"] = o.allow_non_restored_state;
      body["programArgsList"] = o.job_args;
      json config = json::object();
      for (auto& kv : o.config) {
        configuration c;
        c.set_from_assignment(kv);
        for (auto& [k, v] : c.entries())
          config[k] = v;
      }
      // Flink's -restoreMode: over -D, as the JobManager reads it from the
      // job's configuration. Refused here, before anything is submitted.
      if (!o.restore_mode.empty())
        config[options::savepoint_restore_mode] =
            to_string(parse_restore_mode(o.restore_mode, "--restoreMode"));
      body["config"] = config;
      auto r = rest.post("/jobs", body);
      auto id = r["jobid"].get<std::string>();
      std::cout << "Job has been submitted with JobID " << id << std::endl;
      if (o.detached)
        return 0;
      auto state = wait_terminal(rest, id);
      std::cout << "Job " << id << " " << state << std::endl;
      if (state == "FAILED") {
        auto ex = rest.get("/jobs/" + id + "/exceptions");
        if (ex["root-exception"].is_string())
          std::cerr << "spate: job " << id << " failed: " << ex["root-exception"].get<std::string>()
                    << "\n";
        return 1;
      }
      return 0;
    }
    if (o.command == "list") {
      auto r = rest.get("/jobs/overview");
      if (r["jobs"].empty()) {
        std::cout << "No jobs.\n";
        return 0;
      }
      for (auto& j : r["jobs"]) {
        auto id = j["jid"].get<std::string>();
        auto state = j["state"].get<std::string>();
        std::string rate;
        if (state == "RUNNING")
          if (auto in = source_rate(rest, id))
            rate = "  records in " + format_rate(*in);
        std::cout << format_time(j["start-time"].get<std::int64_t>()) << " : " << id << " : "
                  << j["name"].get<std::string>() << " (" << state << ")" << rate << "\n";
      }
      return 0;
    }
    if (o.command == "info") {
      auto j = rest.get("/jobs/" + o.job_id);
      std::cout << "Job " << j["jid"].get<std::string>() << " : " << j["name"].get<std::string>()
                << " (" << j["state"].get<std::string>() << "), duration "
                << j["duration"].get<std::int64_t>() << " ms\n";
      if (j.contains("status-detail"))
        std::cout << "  " << j["status-detail"].get<std::string>() << "\n";
      bool running = !terminal(j["state"].get<std::string>());
      for (auto& v : j["vertices"])
        std::cout << "  " << v["id"].get<std::string>() << "  " << v["name"].get<std::string>()
                  << "  parallelism " << v["parallelism"] << "  records in "
                  << v["metrics"]["read-records"] << " out " << v["metrics"]["write-records"]
                  << (running ? vertex_activity(rest, o.job_id, v["id"].get<std::string>()) : "")
                  << "\n";
      return 0;
    }
    if (o.command == "cancel") {
      rest.patch("/jobs/" + o.job_id + "?mode=cancel");
      auto state = wait_terminal(rest, o.job_id, std::chrono::minutes(1));
      if (!terminal(state)) {
        std::cerr << "spate: job " << o.job_id << " is still " << state
                  << " one minute after the cancel\n";
        return 1;
      }
      std::cout << "Cancelled job " << o.job_id << " (" << state << ").\n";
      return 0;
    }
    if (o.command == "savepoint" || o.command == "stop") {
      json body;
      std::string path;
      if (o.command == "savepoint") {
        if (!o.savepoint_dir.empty())
          body["target-directory"] = std::filesystem::absolute(o.savepoint_dir).string();
        body["cancel-job"] = false;
        auto r = rest.post("/jobs/" + o.job_id + "/savepoints", body);
        std::cout << "Triggering savepoint for job " << o.job_id << ".\n";
        path = wait_savepoint(rest, o.job_id, r["request-id"].get<std::string>());
      } else {
        if (!o.savepoint_dir.empty())
          body["targetDirectory"] = std::filesystem::absolute(o.savepoint_dir).string();
        body["drain"] = o.drain;
        auto r = rest.post("/jobs/" + o.job_id + "/stop", body);
        std::cout << "Suspending job " << o.job_id << ".\n";
        path = wait_savepoint(rest, o.job_id, r["request-id"].get<std::string>());
        wait_terminal(rest, o.job_id, std::chrono::minutes(1));
      }
      std::cout << "Savepoint completed. Path: " << path << std::endl;
      return 0;
    }
    if (o.command == "overview") {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_seconds);
      for (;;) {
        json r;
        try {
          r = rest.get("/overview");
        } catch (const unreachable&) {
          if (o.wait_taskmanagers < 0 || std::chrono::steady_clock::now() >= deadline)
            throw;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        if (o.wait_taskmanagers < 0 || r["taskmanagers"].get<int>() >= o.wait_taskmanagers) {
          std::cout << r.dump() << std::endl;
          return 0;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
          std::cerr << "spate: " << r["taskmanagers"] << " of " << o.wait_taskmanagers
                    << " TaskManager(s) registered after " << o.timeout_seconds << " s\n";
          return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    std::cerr << "spate: unknown command '" << o.command << "'\n";
    return exit_usage;
  } catch (const unreachable& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return exit_unreachable;
  } catch (const rest_error& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return exit_code_of(e);
  } catch (const error& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return e.code() == errc::invalid_argument || e.code() == errc::not_found ? exit_usage
                                                                             : exit_failed;
  } catch (const std::exception& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return exit_failed;
  }
}

} // namespace spate::cluster_detail
