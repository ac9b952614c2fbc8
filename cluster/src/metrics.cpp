// The JobManager's Prometheus scrape: its own gauges and each running job's
// metrics (the TaskManagers serve the task scope).
#include "jobmanager.hpp"
#include "spate/metrics/job_metrics.hpp"

namespace spate::cluster_detail {

std::string jobmanager::prometheus_text() {
  prometheus::exposition out;
  for (auto& [name, value] : jobmanager_metrics())
    out.add("spate_jobmanager_" + name, "gauge", {}, value);
  for (auto& job : overview().jobs)
    if (!is_terminal(job->status())) // as Flink, which drops a job's metrics when it ends
      prometheus::add_job_metrics(out, *job);
  return out.text();
}

} // namespace spate::cluster_detail
