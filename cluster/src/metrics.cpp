// Flink's metrics of spate's processes for the Prometheus endpoints
// (metrics.hpp), and the JobManager's scrape.
#include "metrics.hpp"

#include "jobmanager.hpp"
#include "spate/core/process_stats.hpp"

namespace spate::cluster_detail {

void add_job_metrics(prometheus::exposition& out, const job_client& job) {
  prometheus::labels l{{"job_id", job.job_id()}, {"job_name", job.job_name()}};
  for (auto& [name, value] : job.job_metrics())
    out.add("spate_jobmanager_job_" + name, "gauge", l, static_cast<double>(value));
}

void add_task_counters(prometheus::exposition& out,
                       const std::vector<task_host::subtask_counters>& tasks,
                       const std::string& tm_id) {
  for (auto& t : tasks) {
    prometheus::labels l{{"job_id", t.job_id},
                         {"job_name", t.job_name},
                         {"task_id", vertex_id(t.job_id, static_cast<std::size_t>(t.task))},
                         {"task_name", t.task_name},
                         {"subtask_index", std::to_string(t.subtask)},
                         {"tm_id", tm_id}};
    out.add("spate_taskmanager_job_task_numRecordsIn", "gauge", l,
            static_cast<double>(t.records_in));
    out.add("spate_taskmanager_job_task_numRecordsOut", "gauge", l,
            static_cast<double>(t.records_out));
  }
}

std::vector<task_host::subtask_counters> local_task_counters(const job_client& job) {
  std::vector<task_host::subtask_counters> out;
  auto names = job.task_names();
  int task = -1;
  std::string last;
  for (auto& m : job.metrics()) {
    // metrics() lists task 0's subtasks, then task 1's, ...
    if (m.subtask == 0 || m.task_name != last)
      ++task;
    last = m.task_name;
    out.push_back(
        {job.job_id(), job.job_name(), task, m.task_name, m.subtask, m.records_in, m.records_out});
  }
  return out;
}

std::string jobmanager::prometheus_text() {
  prometheus::exposition out;
  for (auto& [name, value] : jobmanager_metrics())
    out.add("spate_jobmanager_" + name, "gauge", {}, value);
  for (auto& job : overview().jobs)
    if (!is_terminal(job->status())) // as Flink, which drops a job's metrics when it ends
      add_job_metrics(out, *job);
  return out.text();
}

} // namespace spate::cluster_detail
