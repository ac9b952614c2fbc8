// Flink's metrics of a job for a Prometheus endpoint: job scope
// (spate_jobmanager_job_*) and task scope (spate_taskmanager_job_task_*,
// with the operators' metrics below it), and the process endpoint that
// serves the jobs run embedded in this process (an application's own
// environment, `spate local`, `spate sql`).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "spate/actors/job_client.hpp"
#include "spate/actors/remote.hpp"
#include "spate/metrics/prometheus.hpp"

namespace spate::prometheus {

//! The job's metrics (job_client::job_metrics) as
//! spate_jobmanager_job_<name>{job_id,job_name}.
void add_job_metrics(exposition& out, const job_client& job);
//! The task-scope metrics of one subtask in Flink's names (numRecordsIn,
//! busyTimeMsPerSecond, currentInputWatermark, ...; docs/metrics.md). None
//! for a remote subtask that has not reported; watermarkLag only when known.
std::map<std::string, double> task_metric_values(const subtask_io_metrics& m);
//! Every task metric (task_metric_values) of each subtask as
//! spate_taskmanager_job_task_<name>{job_id,job_name,task_id,task_name,subtask_index,tm_id}.
void add_task_counters(exposition& out, const std::vector<task_host::subtask_counters>& tasks,
                       const std::string& tm_id);
//! The subtask counters of a job that runs in this process.
std::vector<task_host::subtask_counters> local_task_counters(const job_client& job);

//! The endpoint of a process whose jobs run embedded: one per process, as
//! Flink's reporter, started by the first job whose configuration sets
//! metrics.reporter.prom.port and serving until the process ends. A scrape
//! shows the process's gauges (spate_jobmanager_Status_Process_*) and each
//! registered job that has not ended with its subtasks (tm_id "local").
//! Jobs are held weakly: a job nobody holds a handle on is dropped.
class embedded_reporter {
public:
  //! Starts the endpoint when `cfg` asks for one and none runs yet (the
  //! first job's host and port win; a later job's differing option is
  //! logged and ignored). Throws spate::error(errc::invalid_argument) for a
  //! malformed port option, errc::unavailable when no port of it is free.
  static void prepare(const configuration& cfg);
  //! Serves `job` on the endpoint, if one runs.
  static void add(const job_client& job);
  //! "http://host:port/metrics", empty when no endpoint runs.
  static std::string url();
};

} // namespace spate::prometheus
