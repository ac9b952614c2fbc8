// Flink's metrics of a real cluster: /jobs/:id/metrics, /jobmanager/metrics
// and /taskmanagers/:id/metrics over REST, each process's Prometheus
// endpoint (metrics.reporter.prom.port, a range shared by two TaskManagers),
// `spate local`'s endpoint, and a real Prometheus server scraping them.
#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>

#include "support/listener.hpp"
#include "support/cluster.hpp"

using namespace spate::test;

namespace {

//! The value of metric `name` in a REST metrics answer ([{"id","value"}]).
std::optional<double> value_of(const json& body, const std::string& name) {
  if (!body.is_array())
    return std::nullopt;
  for (auto& m : body)
    if (m.value("id", "") == name && m.contains("value"))
      return std::stod(m["value"].get<std::string>());
  return std::nullopt;
}

std::string scrape(int port, std::string* content_type = nullptr) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1, 0);
  auto r = c.Get("/metrics");
  if (!r || r->status != 200)
    return {};
  if (content_type)
    *content_type = r->get_header_value("Content-Type");
  return r->body;
}

//! The samples of `metric` in exposition text whose labels contain every
//! `must` (`key="value"`): (labels, value).
std::vector<std::pair<std::string, double>> samples(const std::string& text,
                                                    const std::string& metric,
                                                    const std::vector<std::string>& must = {}) {
  std::vector<std::pair<std::string, double>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(metric, 0) != 0)
      continue;
    auto rest = line.substr(metric.size());
    std::string labels;
    if (!rest.empty() && rest[0] == '{') {
      auto end = rest.find("} ");
      if (end == std::string::npos)
        continue;
      labels = rest.substr(1, end - 1);
      rest = rest.substr(end + 1);
    }
    if (rest.empty() || rest[0] != ' ')
      continue;
    bool ok = true;
    for (auto& m : must)
      ok = ok && labels.find(m) != std::string::npos;
    if (ok)
      out.emplace_back(labels, std::stod(rest.substr(1)));
  }
  return out;
}

double sum(const std::vector<std::pair<std::string, double>>& s) {
  double t = 0;
  for (auto& [l, v] : s)
    t += v;
  return t;
}

//! The port a process printed for its Prometheus endpoint ("... metrics:
//! http://host:PORT/metrics"), 0 before it did.
int printed_port(const std::string& log) {
  static const std::regex re(R"(metrics: http://[^:]+:(\d+)/metrics)");
  std::smatch m;
  return std::regex_search(log, m, re) ? std::stoi(m[1]) : 0;
}

using spate::test::listener;

using spate::test::free_range;

} // namespace

BOOST_AUTO_TEST_CASE(a_cluster_reports_flinks_metrics_over_rest_and_prometheus) {
  test_cluster c({"execution.checkpointing.interval=200ms"});
  int jm_port = free_port();
  int tm_range = free_range(4);
  auto range =
      "metrics.reporter.prom.port=" + std::to_string(tm_range) + "-" + std::to_string(tm_range + 3);
  c.start_jobmanager({"metrics.reporter.prom.port=" + std::to_string(jm_port)});
  c.start_taskmanager({range});
  c.start_taskmanager({range}); // the same range: it takes the next free port
  BOOST_REQUIRE_MESSAGE(c.await_taskmanagers(2), c.jobmanager().log());
  auto id =
      c.submit({"wordcount", "-p", "4", "--input", "generator:rate=20000", "--output", "discard"});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  BOOST_REQUIRE(await([&] { return c.completed_checkpoints(id) >= 1; }));

  // /jobs/:id/metrics: names, then values as strings.
  auto names = c.get("/jobs/" + id + "/metrics");
  BOOST_REQUIRE(names.status == 200);
  std::set<std::string> listed;
  for (auto& m : names.body)
    listed.insert(m["id"].get<std::string>());
  for (auto n : {"uptime", "downtime", "restartingTime", "numRestarts", "fullRestarts",
                 "lastCheckpointDuration", "lastCheckpointSize", "numberOfCompletedCheckpoints",
                 "numberOfFailedCheckpoints", "numberOfInProgressCheckpoints",
                 "lastCheckpointRestoreTimestamp"})
    BOOST_TEST(listed.count(n) == 1u, n);
  auto values = c.get("/jobs/" + id +
                      "/metrics?get=uptime,numRestarts,numberOfCompletedCheckpoints,"
                      "lastCheckpointDuration,lastCheckpointSize,downtime,noSuchMetric");
  BOOST_REQUIRE(values.status == 200);
  BOOST_TEST(values.body.size() == 6u, values.body.dump());
  BOOST_TEST(values.body[0]["value"].is_string());
  BOOST_TEST(value_of(values.body, "uptime").value_or(0) > 0);
  BOOST_TEST(value_of(values.body, "numRestarts").value_or(-1) == 0);
  BOOST_TEST(value_of(values.body, "downtime").value_or(-1) == 0);
  BOOST_TEST(value_of(values.body, "numberOfCompletedCheckpoints").value_or(0) >= 1);
  BOOST_TEST(value_of(values.body, "lastCheckpointDuration").value_or(-1) >= 0);
  BOOST_TEST(value_of(values.body, "lastCheckpointSize").value_or(0) > 0);
  BOOST_TEST(c.get("/jobs/0123456789abcdef0123456789abcdef/metrics").status == 404);
  BOOST_TEST(c.get("/jobs/nope/metrics").status == 400);

  // /jobmanager/metrics
  auto jm = c.get("/jobmanager/metrics?get=numRegisteredTaskManagers,taskSlotsTotal,"
                  "taskSlotsAvailable,numRunningJobs,Status.Process.Memory.RSS");
  BOOST_REQUIRE(jm.status == 200);
  BOOST_TEST(value_of(jm.body, "numRegisteredTaskManagers").value_or(0) == 2);
  BOOST_TEST(value_of(jm.body, "taskSlotsTotal").value_or(0) == 4);
  BOOST_TEST(value_of(jm.body, "taskSlotsAvailable").value_or(-1) == 0);
  BOOST_TEST(value_of(jm.body, "numRunningJobs").value_or(0) == 1);
  BOOST_TEST(value_of(jm.body, "Status.Process.Memory.RSS").value_or(0) > 0);

  // /taskmanagers/:id/metrics, from the TaskManagers' heartbeats.
  std::vector<std::string> tms;
  auto listed_tms = c.get("/taskmanagers");
  for (auto& t : listed_tms.body["taskmanagers"])
    tms.push_back(t["id"].get<std::string>());
  BOOST_REQUIRE(tms.size() == 2u);
  for (auto& tm : tms) {
    auto r = c.get("/taskmanagers/" + tm +
                   "/metrics?get=Status.Process.Memory.RSS,Status.Process.Threads.Count");
    BOOST_REQUIRE(r.status == 200);
    BOOST_TEST(value_of(r.body, "Status.Process.Memory.RSS").value_or(0) > 0, r.body.dump());
    BOOST_TEST(value_of(r.body, "Status.Process.Threads.Count").value_or(0) >= 1);
    auto listing = c.get("/taskmanagers/" + tm + "/metrics");
    BOOST_TEST(listing.body.size() == 5u, listing.body.dump());
  }
  BOOST_TEST(c.get("/taskmanagers/no-such-tm/metrics").status == 404);

  // The JobManager's Prometheus endpoint.
  BOOST_TEST(printed_port(c.jobmanager().log()) == jm_port);
  std::string type;
  auto jm_text = scrape(jm_port, &type);
  BOOST_TEST(type == "text/plain; version=0.0.4; charset=utf-8");
  BOOST_TEST(jm_text.find("# TYPE spate_jobmanager_job_uptime gauge\n") != std::string::npos,
             jm_text);
  BOOST_TEST(sum(samples(jm_text, "spate_jobmanager_job_uptime", {"job_id=\"" + id + "\""})) > 0);
  BOOST_TEST(samples(jm_text, "spate_jobmanager_job_numberOfCompletedCheckpoints",
                     {"job_id=\"" + id + "\"", "job_name=\""})
                 .size() == 1u);
  BOOST_TEST(sum(samples(jm_text, "spate_jobmanager_numRegisteredTaskManagers")) == 2);
  BOOST_TEST(sum(samples(jm_text, "spate_jobmanager_Status_Process_Memory_RSS")) > 0);
  BOOST_TEST(samples(jm_text, "spate_jobmanager_Status_Process_CPU_Load").size() == 1u);

  // Each TaskManager's: its process and its subtasks' counters, growing.
  std::set<int> tm_ports;
  for (std::size_t t = 0; t < 2; ++t) {
    BOOST_REQUIRE(await([&] { return printed_port(c.taskmanager(t).log()) != 0; }));
    tm_ports.insert(printed_port(c.taskmanager(t).log()));
  }
  BOOST_TEST((tm_ports == std::set<int>{tm_range, tm_range + 1}));
  std::set<std::string> seen_tms;
  for (int port : tm_ports) {
    auto first = scrape(port);
    auto rss = samples(first, "spate_taskmanager_Status_Process_Memory_RSS");
    BOOST_REQUIRE_MESSAGE(rss.size() == 1u, first);
    BOOST_TEST(rss[0].second > 0);
    auto tm_label = rss[0].first; // tm_id="..."
    BOOST_TEST(tm_label.rfind("tm_id=\"", 0) == 0u);
    seen_tms.insert(tm_label.substr(7, tm_label.size() - 8));
    auto in = samples(
        first, "spate_taskmanager_job_task_numRecordsIn",
        {"job_id=\"" + id + "\"", "task_id=\"", "task_name=\"", "subtask_index=\"", tm_label});
    // 4 subtasks of each of 2 tasks, spread over 2 TaskManagers.
    BOOST_TEST(in.size() == 4u, first);
    BOOST_TEST(samples(first, "spate_taskmanager_job_task_numRecordsOut", {tm_label}).size() ==
               in.size());
    double before = sum(in);
    BOOST_TEST(await([&] {
      return sum(samples(scrape(port), "spate_taskmanager_job_task_numRecordsIn",
                         {"job_id=\"" + id + "\""})) > before;
    }));
  }
  BOOST_TEST((seen_tms == std::set<std::string>(tms.begin(), tms.end())));

  // A job that ended leaves the JobManager's endpoint (as in Flink).
  BOOST_REQUIRE(c.request("PATCH", "/jobs/" + id + "?mode=cancel").status == 202);
  BOOST_REQUIRE(c.await_state(id, "CANCELED"));
  auto after = c.get("/jobs/" + id + "/metrics?get=uptime,downtime");
  BOOST_TEST(value_of(after.body, "uptime").value_or(0) == -1);
  BOOST_TEST(value_of(after.body, "downtime").value_or(0) == -1);
  BOOST_TEST(samples(scrape(jm_port), "spate_jobmanager_job_uptime").empty());
}

// Task metrics of a job whose map is slower than its source, on two
// TaskManagers of one slot each, so each source subtask sends to both maps,
// one of them over the mesh.
BOOST_AUTO_TEST_CASE(a_slow_map_back_pressures_its_source_in_the_task_metrics) {
  test_cluster c({"taskmanager.numberOfTaskSlots=1"});
  int tm_range = free_range(3);
  auto range =
      "metrics.reporter.prom.port=" + std::to_string(tm_range) + "-" + std::to_string(tm_range + 2);
  c.start_jobmanager();
  c.start_taskmanager({range});
  c.start_taskmanager({range});
  BOOST_REQUIRE_MESSAGE(c.await_taskmanagers(2), c.jobmanager().log());
  auto lib = bin_dir() + "/../lib/libspate_test_stuck_jobs.so";
  BOOST_REQUIRE(std::filesystem::exists(lib));
  auto id = c.submit({lib + ":slow", "-p", "2", "--output", "discard"});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  auto job = c.get("/jobs/" + id);
  BOOST_REQUIRE(job.body["vertices"].size() == 2u);
  const std::string source = job.body["vertices"][0]["id"];
  const std::string map = job.body["vertices"][1]["id"];
  BOOST_TEST(job.body["vertices"][1]["name"].get<std::string>().find("Slow") != std::string::npos);
  const auto vertex = "/jobs/" + id + "/vertices/";

  // 8. The source waits for credit nearly all the time: "high".
  http_result bp;
  bool high = await(
      [&] {
        bp = c.get(vertex + source + "/backpressure");
        if (bp.status != 200 || bp.body.value("backpressureLevel", "") != "high")
          return false;
        // Each TaskManager's rates start with its first report a second later.
        for (auto& st : bp.body["subtasks"])
          if (st.value("backpressureLevel", "") != "high")
            return false;
        return bp.body["subtasks"].size() == 2u;
      },
      std::chrono::seconds(30));
  BOOST_REQUIRE_MESSAGE(high, bp.body.dump());
  BOOST_TEST(bp.body["status"] == "ok");
  BOOST_TEST(bp.body["backpressure-level"] == "high"); // Flink's older spelling too
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  BOOST_TEST(std::abs(bp.body["end-timestamp"].get<std::int64_t>() - now) < 5000);
  BOOST_REQUIRE(bp.body["subtasks"].size() == 2u);
  for (std::size_t s = 0; s < 2; ++s) {
    auto& st = bp.body["subtasks"][s];
    BOOST_TEST(st["subtask"] == s);
    double total =
        st["ratio"].get<double>() + st["idleRatio"].get<double>() + st["busyRatio"].get<double>();
    BOOST_TEST(total >= 0.97, st.dump());
    BOOST_TEST(total <= 1.03, st.dump());
  }
  auto busy = c.get(vertex + map + "/backpressure");
  BOOST_REQUIRE(busy.body["subtasks"].size() == 2u);
  for (auto& st : busy.body["subtasks"]) {
    BOOST_TEST(st["busyRatio"].get<double>() > 0.5, busy.body.dump());
    BOOST_TEST(st["backpressureLevel"] == "ok");
  }
  BOOST_TEST(c.get(vertex + "0123456789abcdef0123456789abcdef/backpressure").status == 404);
  BOOST_TEST(c.get("/jobs/" + id + "/vertices/nope/subtasks/metrics").status == 404);

  // 9. Bytes over the mesh, rates, vertex and aggregated views.
  auto out = c.get(vertex + source + "/subtasks/0/metrics?get=numBytesOut,numRecordsOutPerSecond");
  BOOST_REQUIRE(out.status == 200);
  BOOST_TEST(value_of(out.body, "numBytesOut").value_or(0) > 0, out.body.dump());
  BOOST_TEST(value_of(out.body, "numRecordsOutPerSecond").value_or(0) > 0, out.body.dump());
  auto in = c.get(vertex + map + "/subtasks/0/metrics?get=numBytesIn,busyTimeMsPerSecond");
  BOOST_TEST(value_of(in.body, "numBytesIn").value_or(0) > 0, in.body.dump());
  BOOST_TEST(c.get(vertex + map + "/subtasks/2/metrics").status == 404);
  auto names = c.get(vertex + map + "/metrics");
  std::set<std::string> listed;
  for (auto& m : names.body)
    listed.insert(m["id"].get<std::string>());
  for (auto n : {"0.numRecordsIn", "1.numRecordsIn", "0.busyTimeMsPerSecond",
                 "1.currentInputWatermark", "1.accumulatedBusyTime", "0.numBytesInPerSecond"})
    BOOST_TEST(listed.count(n) == 1u, n);
  BOOST_TEST(listed.count("numRecordsIn") == 0u);
  auto two = c.get(vertex + map + "/metrics?get=0.numRecordsIn,1.numRecordsIn");
  BOOST_TEST(two.body.size() == 2u, two.body.dump());
  auto agg = c.get(vertex + map +
                   "/subtasks/metrics?get=busyTimeMsPerSecond,noSuchMetric&agg=min,max,sum");
  BOOST_REQUIRE(agg.status == 200);
  BOOST_REQUIRE(agg.body.size() == 1u);
  auto& a = agg.body[0];
  BOOST_TEST(a["id"] == "busyTimeMsPerSecond");
  BOOST_TEST(!a.contains("avg"));
  BOOST_TEST(a["min"].get<double>() > 500, a.dump());
  BOOST_TEST(a["sum"].get<double>() >= a["max"].get<double>() + a["min"].get<double>() - 1e-6);
  BOOST_TEST(c.get(vertex + map + "/subtasks/metrics?get=numRecordsIn&agg=median").status == 400);
  auto wm = c.get(vertex + map + "/watermarks");
  BOOST_REQUIRE(wm.body.size() == 2u);
  BOOST_TEST(wm.body[0]["id"] == "0.currentInputWatermark");
  BOOST_TEST(wm.body[1]["value"].is_string());
  auto detail = c.get(vertex + source);
  std::int64_t written = 0;
  for (auto& st : detail.body["subtasks"])
    written += st["metrics"]["write-bytes"].get<std::int64_t>();
  BOOST_TEST(written > 0, detail.body.dump());
  BOOST_TEST(
      detail.body["subtasks"][0]["metrics"]["accumulated-backpressured-time"].get<std::int64_t>() >
      0);
  // Every task metric on the TaskManagers' endpoints, task_id the REST vertex id.
  std::vector<std::pair<std::string, double>> series;
  BOOST_REQUIRE(await([&] { return printed_port(c.taskmanager(0).log()) != 0; }));
  BOOST_REQUIRE(await([&] { return printed_port(c.taskmanager(1).log()) != 0; }));
  for (std::size_t t = 0; t < 2; ++t) {
    auto text = scrape(printed_port(c.taskmanager(t).log()));
    for (auto& s : samples(text, "spate_taskmanager_job_task_backPressuredTimeMsPerSecond",
                           {"task_id=\"" + source + "\""}))
      series.push_back(s);
    BOOST_TEST(samples(text, "spate_taskmanager_job_task_numBytesOut").size() == 2u, text);
  }
  BOOST_REQUIRE(series.size() == 2u);
  for (auto& [labels, value] : series)
    BOOST_TEST(value > 500, labels);

  // Once the job ended, no statistics (Flink's "deprecated").
  BOOST_REQUIRE(c.request("PATCH", "/jobs/" + id + "?mode=cancel").status == 202);
  BOOST_REQUIRE(c.await_state(id, "CANCELED"));
  auto ended = c.get(vertex + source + "/backpressure");
  BOOST_TEST(ended.body == json({{"status", "deprecated"}}), ended.body.dump());
}

// `spate info` adds to each vertex of a running job its rates, busy time,
// back pressure and input watermark; `spate list` the rate of its sources.
BOOST_AUTO_TEST_CASE(spate_info_and_list_show_rates_back_pressure_and_watermarks) {
  test_cluster c;
  c.start(1);
  auto id = c.submit(
      {"trending_hashtags", "-p", "1", "--input", "generator:rate=5000", "--output", "discard"});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  // The rates are Flink's MeterView: the first sample after 5 s.
  static const std::regex source_line(
      "\\n  [0-9a-f]{32}  Source: [^\\n]*  records in 0 out [1-9][0-9]*  rate in 0/s out "
      "[1-9][^ ]*( [kM])?/s  busy [0-9]+%  backpressure (ok|low|high)\\n");
  static const std::regex window_line(
      "\\n  [0-9a-f]{32}  [^\\n]*  records in [1-9][0-9]* out "
      "[0-9]+  rate in [1-9][^\\n]*  busy [0-9]+%  backpressure "
      "(ok|low|high)  watermark [0-9]+ \\(20[0-9-]+ [0-9:.]+ UTC\\)\\n");
  process_result info;
  bool shown = await(
      [&] {
        info = c.spate({"info", id});
        return info.exit_code == 0 && std::regex_search(info.out, source_line) &&
               std::regex_search(info.out, window_line);
      },
      std::chrono::seconds(20));
  BOOST_TEST(shown, info.out << info.err);
  BOOST_TEST_MESSAGE(info.out);
  auto list = c.spate({"list"});
  BOOST_TEST(list.exit_code == 0);
  BOOST_TEST(std::regex_search(list.out, std::regex(" : " + id +
                                                    " : [^\\n]* \\(RUNNING\\)  records in "
                                                    "[1-9][^ ]*( [kM])?/s\\n")),
             list.out);

  // An ended job: the counters only, as before.
  BOOST_REQUIRE(c.request("PATCH", "/jobs/" + id + "?mode=cancel").status == 202);
  BOOST_REQUIRE(c.await_state(id, "CANCELED"));
  auto ended = c.spate({"info", id});
  BOOST_TEST(ended.out.find("records in ") != std::string::npos, ended.out);
  BOOST_TEST(ended.out.find("rate in") == std::string::npos, ended.out);
  BOOST_TEST(ended.out.find("backpressure") == std::string::npos, ended.out);
  list = c.spate({"list"});
  BOOST_TEST(list.out.find("(CANCELED)\n") != std::string::npos, list.out);
}

BOOST_AUTO_TEST_CASE(a_restart_counts_and_its_time_and_restore_show_in_the_job_metrics) {
  test_cluster c({"execution.checkpointing.interval=200ms"});
  c.start(2); // 2 slots each; the job uses one on each
  auto id =
      c.submit({"wordcount", "-p", "2", "--input", "generator:rate=20000", "--output", "discard"});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  BOOST_REQUIRE(await([&] { return c.completed_checkpoints(id) >= 1; }));
  auto before = c.get("/jobs/" + id + "/metrics?get=restartingTime,lastCheckpointRestoreTimestamp");
  BOOST_TEST(value_of(before.body, "restartingTime").value_or(-1) == 0);
  BOOST_TEST(value_of(before.body, "lastCheckpointRestoreTimestamp").value_or(0) == -1);
  auto cps = c.get("/jobs/" + id + "/checkpoints").body;
  BOOST_TEST(cps["latest"]["restored"].is_null(), cps.dump());
  BOOST_TEST(cps["counts"]["restored"] == 0);
  auto killed_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  c.taskmanager(0).signal(SIGKILL);
  json m;
  bool restarted = await([&] {
    m = c.get("/jobs/" + id +
              "/metrics?get=numRestarts,fullRestarts,restartingTime,uptime,downtime,"
              "lastCheckpointRestoreTimestamp")
            .body;
    return value_of(m, "numRestarts").value_or(0) >= 1 && c.job_state(id) == "RUNNING";
  });
  BOOST_REQUIRE_MESSAGE(restarted, m.dump() + "\n" + c.jobmanager().log());
  BOOST_TEST(value_of(m, "fullRestarts").value_or(-1) == value_of(m, "numRestarts").value_or(-2));
  BOOST_TEST(value_of(m, "restartingTime").value_or(0) > 0, m.dump());
  BOOST_TEST(value_of(m, "downtime").value_or(-1) == 0, m.dump());
  BOOST_TEST(value_of(m, "uptime").value_or(-1) >= 0, m.dump());
  BOOST_TEST(value_of(m, "lastCheckpointRestoreTimestamp").value_or(0) >= killed_at, m.dump());
  // The checkpoint it restored, as Flink's latest.restored says it.
  cps = c.get("/jobs/" + id + "/checkpoints").body;
  auto& restored = cps["latest"]["restored"];
  BOOST_REQUIRE_MESSAGE(restored.is_object(), cps.dump());
  BOOST_TEST(restored["id"].get<std::int64_t>() >= 1, cps.dump());
  BOOST_TEST(restored["is_savepoint"] == false);
  BOOST_TEST(restored["restore_timestamp"].get<std::int64_t>() >= killed_at);
  auto path = restored["external_path"].get<std::string>();
  BOOST_TEST(std::filesystem::exists(path + "/_metadata"), path);
  BOOST_TEST(path.find("chk-" + std::to_string(restored["id"].get<std::int64_t>())) !=
                 std::string::npos,
             path);
  BOOST_TEST(cps["counts"]["restored"].get<std::int64_t>() >=
             value_of(m, "fullRestarts").value_or(1));
}

BOOST_AUTO_TEST_CASE(a_port_range_with_no_free_port_stops_the_process_naming_the_option) {
  test_cluster c;
  int port = free_port();
  listener holder(port);
  BOOST_REQUIRE(holder.ok);
  auto& jm = c.start_jobmanager({"metrics.reporter.prom.port=" + std::to_string(port)});
  BOOST_REQUIRE(await([&] { return !jm.alive(); }));
  BOOST_TEST(jm.stop() != 0);
  BOOST_TEST(jm.log().find("metrics.reporter.prom.port") != std::string::npos, jm.log());
}

BOOST_AUTO_TEST_CASE(spate_local_serves_its_process_job_and_subtask_metrics) {
  temp_dir dir;
  int port = free_port();
  daemon_process local({bin_dir() + "/spate", "local", "wordcount", "-p", "2", "--input",
                        "generator:rate=20000", "--output", "discard", "-D",
                        "metrics.reporter.prom.port=" + std::to_string(port)},
                       dir.str() + "/local.log");
  BOOST_REQUIRE_MESSAGE(await([&] { return printed_port(local.log()) == port; }), local.log());
  std::string text;
  BOOST_REQUIRE(await([&] {
    text = scrape(port);
    return sum(samples(text, "spate_taskmanager_job_task_numRecordsIn", {"tm_id=\"local\""})) > 0;
  }));
  BOOST_TEST(samples(text, "spate_taskmanager_job_task_numRecordsIn").size() == 4u, text);
  // Every task metric of every subtask, with Flink's names.
  for (auto name : {"busyTimeMsPerSecond", "idleTimeMsPerSecond", "backPressuredTimeMsPerSecond",
                    "numRecordsInPerSecond", "numBytesOut", "accumulatedBusyTime",
                    "isBackPressured", "currentInputWatermark", "currentOutputWatermark",
                    "numLateRecordsDropped", "numRecordsInErrors"})
    BOOST_TEST(samples(text, std::string("spate_taskmanager_job_task_") + name, {"tm_id=\"local\""})
                       .size() == 4u,
               name);
  BOOST_TEST(sum(samples(text, "spate_jobmanager_job_uptime")) > 0, text);
  BOOST_TEST(sum(samples(text, "spate_jobmanager_Status_Process_Threads_Count")) >= 1, text);
  // Operator scope: the keyed count's state cache, per subtask.
  auto hits = samples(text, "spate_taskmanager_job_task_operator_reduce_cacheHits",
                      {"operator_name=\"Keyed Aggregation\""});
  BOOST_TEST(hits.size() == 2u, text);
  BOOST_TEST(sum(hits) > 0, text);
  BOOST_TEST(samples(text, "spate_taskmanager_job_task_operator_reduce_cacheMisses").size() == 2u);
  // What the source operators read, before the operators chained to them.
  auto read = samples(text, "spate_taskmanager_job_task_operator_numRecordsOut",
                      {"operator_name=\"text-line-generator\""});
  BOOST_TEST(read.size() == 2u, text);
  BOOST_TEST(sum(read) > 0, text);
  local.stop();
}

BOOST_AUTO_TEST_CASE(a_real_prometheus_server_scrapes_the_cluster) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/prometheus"),
                        "no /usr/bin/prometheus: scripts/install-deps.sh installs Debian's");
  test_cluster c({"execution.checkpointing.interval=200ms"});
  int jm_port = free_port();
  int tm_range = free_range(3);
  auto range =
      "metrics.reporter.prom.port=" + std::to_string(tm_range) + "-" + std::to_string(tm_range + 2);
  c.start_jobmanager({"metrics.reporter.prom.port=" + std::to_string(jm_port)});
  c.start_taskmanager({range});
  c.start_taskmanager({range});
  BOOST_REQUIRE(c.await_taskmanagers(2));
  auto id =
      c.submit({"wordcount", "-p", "2", "--input", "generator:rate=20000", "--output", "discard"});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));

  int prom_port = free_port();
  auto config = c.dir() + "/prometheus.yml";
  {
    std::ofstream out(config);
    out << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        << "scrape_configs:\n  - job_name: spate\n    static_configs:\n      - targets: ["
        << "'127.0.0.1:" << jm_port << "', '127.0.0.1:" << tm_range
        << "', '127.0.0.1:" << tm_range + 1 << "']\n";
  }
  daemon_process prometheus({"/usr/bin/prometheus", "--config.file=" + config,
                             "--storage.tsdb.path=" + c.dir() + "/prometheus-data",
                             "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                            c.dir() + "/prometheus.log");
  httplib::Client api("127.0.0.1", prom_port);
  api.set_connection_timeout(1, 0);
  auto query = [&](const std::string& q) {
    auto r = api.Get(("/api/v1/query?query=" + q).c_str());
    if (!r || r->status != 200)
      return json();
    auto j = json::parse(r->body, nullptr, false);
    return j.is_discarded() ? json() : j["data"]["result"];
  };
  // Both TaskManagers' subtasks of the job, scraped and queryable.
  json result;
  bool found = await(
      [&] {
        result = query("spate_taskmanager_job_task_numRecordsIn");
        std::set<std::string> tms;
        if (result.is_array())
          for (auto& s : result)
            if (s["metric"].value("job_id", "") == id)
              tms.insert(s["metric"].value("tm_id", ""));
        return tms.size() == 2;
      },
      std::chrono::seconds(20));
  BOOST_TEST(found, result.dump() << "\n" << prometheus.log());
  if (found) {
    auto& m = result[0]["metric"];
    for (auto label : {"job_id", "job_name", "task_id", "task_name", "subtask_index", "tm_id"})
      BOOST_TEST(m.contains(label), label);
  }
  json uptime;
  BOOST_TEST(await([&] {
               uptime = query("spate_jobmanager_job_uptime");
               return uptime.is_array() && !uptime.empty() &&
                      uptime[0]["metric"].value("job_id", "") == id;
             }),
             uptime.dump() << "\n"
                           << prometheus.log());
  // A task metric of every subtask of the job (2 tasks of 2), from both TaskManagers.
  json busy;
  BOOST_TEST(await([&] {
               busy = query("spate_taskmanager_job_task_busyTimeMsPerSecond");
               int of_job = 0;
               if (busy.is_array())
                 for (auto& s : busy)
                   of_job += s["metric"].value("job_id", "") == id ? 1 : 0;
               return of_job == 4;
             }),
             busy.dump());
  json up = query("up");
  BOOST_TEST(up.is_array());
  if (up.is_array())
    for (auto& s : up)
      BOOST_TEST(s["value"][1].get<std::string>() == "1", s.dump());
  BOOST_TEST(prometheus.stop() == 0, prometheus.log());
}
