// Flink's metrics of spate's processes for the Prometheus endpoints: job
// scope (spate_jobmanager_job_*), task scope (spate_taskmanager_job_task_*)
// and process scope (spate_<jobmanager|taskmanager>_Status_Process_*).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "prometheus.hpp"
#include "spate/actors/job_client.hpp"
#include "spate/actors/remote.hpp"

namespace spate::cluster_detail {

//! The job's metrics (job_client::job_metrics) as
//! spate_jobmanager_job_<name>{job_id,job_name}.
void add_job_metrics(prometheus::exposition& out, const job_client& job);
//! The task-scope metrics of one subtask in Flink's names (numRecordsIn,
//! busyTimeMsPerSecond, currentInputWatermark, ...; docs/metrics.md). None
//! for a remote subtask that has not reported; watermarkLag only when known.
std::map<std::string, double> task_metric_values(const subtask_io_metrics& m);
//! Every task metric (task_metric_values) of each subtask as
//! spate_taskmanager_job_task_<name>{job_id,job_name,task_id,task_name,subtask_index,tm_id}.
void add_task_counters(prometheus::exposition& out,
                       const std::vector<task_host::subtask_counters>& tasks,
                       const std::string& tm_id);
//! The subtask counters of a job that runs in this process.
std::vector<task_host::subtask_counters> local_task_counters(const job_client& job);

} // namespace spate::cluster_detail
