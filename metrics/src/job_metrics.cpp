// Flink's metrics of a job for a Prometheus endpoint, and the endpoint of
// the jobs embedded in a process (job_metrics.hpp).
#include "spate/metrics/job_metrics.hpp"

#include <cmath>
#include <mutex>

#include "spate/core/log.hpp"

namespace spate::prometheus {

void add_job_metrics(exposition& out, const job_client& job) {
  labels l{{"job_id", job.job_id()}, {"job_name", job.job_name()}};
  for (auto& [name, value] : job.job_metrics())
    out.add("spate_jobmanager_job_" + name, "gauge", l, static_cast<double>(value));
}

std::map<std::string, double> task_metric_values(const subtask_io_metrics& m) {
  std::map<std::string, double> v;
  if (!m.reported)
    return v;
  auto d = [](std::int64_t x) { return static_cast<double>(x); };
  v["numRecordsIn"] = d(m.records_in);
  v["numRecordsOut"] = d(m.records_out);
  v["numRecordsInPerSecond"] = m.records_in_rate;
  v["numRecordsOutPerSecond"] = m.records_out_rate;
  v["numBytesIn"] = d(m.bytes_in);
  v["numBytesOut"] = d(m.bytes_out);
  v["numBytesInPerSecond"] = m.bytes_in_rate;
  v["numBytesOutPerSecond"] = m.bytes_out_rate;
  v["busyTimeMsPerSecond"] = m.busy_ms;
  v["idleTimeMsPerSecond"] = m.idle_ms;
  v["backPressuredTimeMsPerSecond"] = m.back_pressured_ms;
  // No thread blocks on a full buffer in spate: all back pressure is soft.
  v["softBackPressuredTimeMsPerSecond"] = m.back_pressured_ms;
  v["hardBackPressuredTimeMsPerSecond"] = std::isnan(m.back_pressured_ms) ? m.back_pressured_ms : 0;
  v["accumulatedBusyTime"] = d(m.acc_busy_ms);
  v["accumulatedIdleTime"] = d(m.acc_idle_ms);
  v["accumulatedBackPressuredTime"] = d(m.acc_back_pressured_ms);
  v["isBackPressured"] = m.back_pressured ? 1 : 0;
  v["currentInputWatermark"] = d(m.input_watermark);
  v["currentOutputWatermark"] = d(m.output_watermark);
  if (m.watermark_lag_ms)
    v["watermarkLag"] = d(*m.watermark_lag_ms);
  v["numLateRecordsDropped"] = d(m.late_records_dropped);
  v["numRecordsInErrors"] = d(m.records_in_errors);
  // Operator scope: "<operator>.<name>", as Flink's ids below a task.
  for (auto& [name, value] : m.operator_metrics)
    v.emplace(name, d(value));
  return v;
}

namespace {

//! An operator metric ("<operator>.<name>") as Flink's PrometheusReporter
//! names it: the groups become parts of the name, key/value groups labels
//! (KafkaSourceReader.topic.T.partition.P.currentOffset:
//! ..._operator_KafkaSourceReader_topic_partition_currentOffset{topic="T",partition="P"}).
void add_operator_metric(exposition& out, const labels& task_labels, const std::string& key,
                         double value) {
  auto dot = key.find('.');
  labels l = task_labels;
  l.emplace_back("operator_name", key.substr(0, dot));
  std::string rest = key.substr(dot + 1);
  const std::string kafka = "KafkaSourceReader.topic.";
  if (rest.rfind(kafka, 0) == 0) {
    auto p = rest.find(".partition.", kafka.size());
    auto m = p == std::string::npos ? p : rest.find('.', p + 11);
    if (m != std::string::npos) {
      l.emplace_back("topic", rest.substr(kafka.size(), p - kafka.size()));
      l.emplace_back("partition", rest.substr(p + 11, m - p - 11));
      rest = "KafkaSourceReader_topic_partition_" + rest.substr(m + 1);
    }
  }
  out.add("spate_taskmanager_job_task_operator_" + rest, "gauge", l, value);
}

} // namespace

void add_task_counters(exposition& out, const std::vector<task_host::subtask_counters>& tasks,
                       const std::string& tm_id) {
  for (auto& t : tasks) {
    labels l{{"job_id", t.job_id},
             {"job_name", t.job_name},
             {"task_id", job_vertex_id(t.job_id, static_cast<std::size_t>(t.task))},
             {"task_name", t.task_name},
             {"subtask_index", std::to_string(t.subtask)},
             {"tm_id", tm_id}};
    auto values = task_metric_values(t.io);
    // Without a reading (a subtask listed by hand), the record counters still show.
    values.emplace("numRecordsIn", static_cast<double>(t.records_in));
    values.emplace("numRecordsOut", static_cast<double>(t.records_out));
    for (auto& [name, value] : values)
      if (name.find('.') == std::string::npos)
        out.add("spate_taskmanager_job_task_" + name, "gauge", l, value);
      else
        add_operator_metric(out, l, name, value);
  }
}

std::vector<task_host::subtask_counters> local_task_counters(const job_client& job) {
  std::vector<task_host::subtask_counters> out;
  for (auto& m : job.task_metrics())
    out.push_back({job.job_id(), job.job_name(), m.task, m.task_name, m.subtask, m.records_in,
                   m.records_out, m});
  return out;
}

namespace {

struct embedded_state {
  std::mutex mutex;
  std::string ports;
  std::unique_ptr<endpoint> ep;
  std::vector<job_client::weak_handle> jobs;
};

// Never destroyed: the endpoint's thread may still scrape while static
// objects go away at exit.
embedded_state& embedded() {
  static auto* s = new embedded_state;
  return *s;
}

std::string embedded_scrape() {
  std::vector<job_client> live;
  {
    auto& s = embedded();
    std::lock_guard<std::mutex> lock(s.mutex);
    std::vector<job_client::weak_handle> kept;
    for (auto& w : s.jobs)
      if (auto j = w.lock()) {
        kept.push_back(w);
        live.push_back(std::move(*j));
      }
    s.jobs = std::move(kept);
  }
  exposition out;
  add_process_metrics(out, "spate_jobmanager_", {});
  for (auto& j : live)
    if (!is_terminal(j.status())) { // as Flink, which drops a job's metrics when it ends
      add_job_metrics(out, j);
      add_task_counters(out, local_task_counters(j), "local");
    }
  return out.text();
}

} // namespace

void embedded_reporter::prepare(const configuration& cfg) {
  auto ports = cfg.get_string(metrics_prom_port, "");
  if (ports.empty())
    return;
  parse_port_range(ports, metrics_prom_port); // a malformed option fails even when one runs
  auto& s = embedded();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.ep) {
    if (ports != s.ports)
      spate::log().warn("{} '{}' ignored: this process's Prometheus endpoint already listens at "
                        "http://{}:{}/metrics",
                        metrics_prom_port, ports, s.ep->host(), s.ep->port());
    return;
  }
  auto host = cfg.get_string(metrics_prom_host, "127.0.0.1");
  s.ep = std::make_unique<endpoint>(host, ports, embedded_scrape);
  s.ports = ports;
  spate::log().info("Prometheus endpoint at http://{}:{}/metrics ({} '{}')", s.ep->host(),
                    s.ep->port(), metrics_prom_port, ports);
}

void embedded_reporter::add(const job_client& job) {
  auto& s = embedded();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.ep)
    s.jobs.push_back(job.weak());
}

std::string embedded_reporter::url() {
  auto& s = embedded();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.ep)
    return {};
  return "http://" + s.ep->host() + ":" + std::to_string(s.ep->port()) + "/metrics";
}

} // namespace spate::prometheus
