// Running a job graph in this process (the mini cluster) and watching it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "spate/actors/restart_config.hpp"
#include "spate/checkpoints/checkpoint_config.hpp"
#include "spate/checkpoints/stats.hpp"
#include "spate/actors/job_graph.hpp"
#include "spate/core/clock.hpp"
#include "spate/core/config.hpp"

namespace spate {

//! Flink's job states (the subset a mini cluster goes through).
enum class job_status {
  created,
  running,
  failing,
  failed,
  cancelling,
  canceled,
  finished,
  restarting
};

//! Flink's spelling: "RUNNING", "FINISHED", ...
const char* to_string(job_status s);
inline std::ostream& operator<<(std::ostream& os, job_status s) { return os << to_string(s); }
bool is_terminal(job_status s);

//! Counters of one subtask of one task (a chain of operators), as Flink shows
//! them per job vertex: records into the chain and out of it.
struct subtask_metrics {
  std::string task_name;
  int subtask = 0;
  std::int64_t records_in = 0;
  std::int64_t records_out = 0;
};

//! The task-scope metrics of one subtask, with Flink's meaning (see
//! docs/metrics.md): counters since the task started, rates over the last
//! 60 s (MeterView), where its time went (ms per second, over the last 60 s;
//! NaN when spate.metrics.task-time.enabled is false) and its watermarks.
struct subtask_io_metrics {
  std::string task_name;
  //! The task (chain): its index in the job.
  int task = 0;
  int subtask = 0;
  std::int64_t records_in = 0;
  std::int64_t records_out = 0;
  //! Bytes through channels to and from other processes (in-process: 0).
  std::int64_t bytes_in = 0;
  std::int64_t bytes_out = 0;
  double records_in_rate = 0;
  double records_out_rate = 0;
  double bytes_in_rate = 0;
  double bytes_out_rate = 0;
  //! Flink's busyTimeMsPerSecond, idleTimeMsPerSecond, backPressuredTimeMsPerSecond.
  double busy_ms = 0;
  double idle_ms = 0;
  double back_pressured_ms = 0;
  //! Flink's accumulatedBusyTime, accumulatedIdleTime, accumulatedBackPressuredTime (ms).
  std::int64_t acc_busy_ms = 0;
  std::int64_t acc_idle_ms = 0;
  std::int64_t acc_back_pressured_ms = 0;
  //! Flink's isBackPressured: waiting for output credit right now.
  bool back_pressured = false;
  //! currentInputWatermark and currentOutputWatermark (Long.MIN_VALUE before the first).
  std::int64_t input_watermark = INT64_MIN;
  std::int64_t output_watermark = INT64_MIN;
  //! watermarkLag: wall ms minus the output watermark; none while it is
  //! the minimum or the maximum.
  std::optional<std::int64_t> watermark_lag_ms;
  //! The chain's numLateRecordsDropped and numRecordsInErrors.
  std::int64_t late_records_dropped = 0;
  std::int64_t records_in_errors = 0;
  //! The operators' own metrics by "<operator>.<name>": counters and gauges
  //! such as numLateRecordsDropped, a Kafka source's
  //! KafkaSourceReader.topic.<t>.partition.<p>.currentOffset, or a state's
  //! <state>.cacheHits.
  std::map<std::string, std::int64_t> operator_metrics;
  //! Wall ms when measured (for a remote job: when its report arrived).
  std::int64_t measured_at_ms = 0;
  //! False for a remote subtask that has not reported yet.
  bool reported = false;
};

//! Flink's back-pressure level of a ratio of time back-pressured: "ok" up
//! to 0.10, "low" up to 0.5, "high" above.
const char* backpressure_level(double ratio);

struct checkpoint_counts {
  std::int64_t completed = 0;
  std::int64_t failed = 0;
  std::int64_t in_progress = 0;
  std::int64_t restored = 0;
};

//! A snapshot a job restored from (at start, or after a failure).
struct restore_info {
  std::int64_t checkpoint_id = 0;
  //! Wall ms of the restore.
  std::int64_t timestamp = 0;
  bool savepoint = false;
  //! The snapshot's directory (its _metadata file's).
  std::string path;
};

struct job_result {
  std::string job_id;
  job_status status = job_status::created;
  //! The exception text when FAILED.
  std::string failure_cause;
  std::chrono::milliseconds net_runtime{0};
};

namespace detail {
struct job_runtime;
}
namespace transport {
struct frame;
}
using transport_frame = transport::frame;

//! A handle on a running job. Thread-safe. Destroying the last handle of a
//! job still running cancels it and waits until every actor stopped.
class job_client {
public:
  explicit job_client(std::shared_ptr<detail::job_runtime> rt);

  //! A reference that does not keep the job alive (nor from being
  //! cancelled when its last handle goes): for registries that watch jobs,
  //! such as a Prometheus endpoint.
  class weak_handle {
  public:
    //! A handle while another one exists, else none.
    std::optional<job_client> lock() const;

  private:
    friend class job_client;
    std::weak_ptr<detail::job_runtime> rt_;
  };
  weak_handle weak() const;

  const std::string& job_id() const;
  const std::string& job_name() const;
  job_status status() const;
  //! Blocks until the job reached a terminal state; returns it.
  job_result wait();
  //! Waits up to `timeout`; true when the job is terminal.
  bool wait_for(std::chrono::milliseconds timeout);
  //! Asks every task to stop; returns at once (wait() to see CANCELED).
  void cancel();
  //! The exception text of a FAILED job, empty otherwise.
  std::string failure_cause() const;
  //! Records in and out per subtask of every task, read while running.
  std::vector<subtask_metrics> metrics() const;
  //! The task-scope metrics of every subtask (task 0's subtasks, then task
  //! 1's, ...): measured now for a job running here, the latest report of
  //! its TaskManager for a remote one.
  std::vector<subtask_io_metrics> task_metrics() const;
  //! Takes a savepoint into `dir` (state.savepoints.dir when empty) and
  //! returns its path. Throws spate::error when it fails (errc::unavailable
  //! when the job is not running or restarts meanwhile) or errc::timeout when
  //! `timeout` passes.
  std::string trigger_savepoint(const std::string& dir,
                                std::chrono::milliseconds timeout = std::chrono::minutes(10));
  //! Stop with savepoint: with `drain`, sources first emit the maximum
  //! watermark so every window fires; the job FINISHES after the savepoint.
  std::string stop(const std::string& dir, bool drain,
                   std::chrono::milliseconds timeout = std::chrono::minutes(10));
  //! Checkpoint history (newest last) and counts, as Flink reports them.
  std::vector<checkpoint_stats> checkpoint_history() const;
  checkpoint_counts checkpoint_totals() const;
  //! Full restarts after failures (Flink's fullRestarts).
  std::int64_t full_restarts() const;
  //! Time the job spent restarting (from a failure until it ran again).
  std::chrono::milliseconds downtime() const;
  //! The job's metrics in Flink's names (job scope), as Flink's gauges
  //! compute them: uptime, downtime, restartingTime (ms; uptime and
  //! downtime -1 once the job ended), numRestarts and fullRestarts,
  //! lastCheckpointDuration (ms), lastCheckpointSize (bytes),
  //! lastCheckpointRestoreTimestamp (ms since the epoch; -1 when none),
  //! numberOfCompletedCheckpoints, numberOfFailedCheckpoints,
  //! numberOfInProgressCheckpoints, totalNumberOfCheckpoints.
  std::map<std::string, std::int64_t> job_metrics() const;
  //! Named operator counters summed over subtasks, e.g.
  //! "Window(TumblingEventTimeWindows) .numLateRecordsDropped".
  std::map<std::string, std::int64_t> counters() const;
  //! The tasks (chains) as planned: "Source: generator -> Flat Map", ...
  std::vector<std::string> task_names() const;

  // What a JobManager shows and routes for a job whose tasks run remotely.
  //! Handles a frame a TaskManager sent for this job (task state,
  //! checkpoint acknowledgements, metrics). Throws spate::error(errc::codec)
  //! for a malformed payload.
  void deliver(const std::string& taskmanager, const transport_frame& f);
  //! The TaskManager is gone: its tasks failed with `reason`.
  void taskmanager_lost(const std::string& taskmanager, const std::string& reason);
  //! Why a job is not running yet (waiting for slots), else empty.
  std::string status_detail() const;
  //! Failures (ms since the epoch, cause), newest last.
  std::vector<std::pair<std::int64_t, std::string>> exceptions() const;
  //! When the job was submitted (ms since the epoch), and when it ended (0: running).
  std::int64_t start_time() const;
  std::int64_t end_time() const;
  //! The configuration it runs with.
  const configuration& config() const;
  //! [chain][subtask] -> TaskManager id of the current attempt (remote jobs).
  std::vector<std::vector<std::string>> placement() const;
  //! Parallelism and max parallelism of each task (chain).
  std::vector<std::pair<int, int>> task_parallelism() const;
  //! A task's network inputs: the upstream task (chain index) and how
  //! records are partitioned to it ("HASH", "REBALANCE", "FORWARD",
  //! "BROADCAST"), in channel order.
  struct task_input {
    int task = 0;
    std::string ship_strategy;
  };
  //! Per task (chain), its inputs.
  std::vector<std::vector<task_input>> task_inputs() const;
  //! The snapshot the job last restored from; none if it never restored.
  std::optional<restore_info> last_restore() const;
  //! The checkpoint settings.
  const checkpoint_config& checkpointing() const;

private:
  std::shared_ptr<detail::job_runtime> rt_;
};

class remote_deployment;
struct task_assignment;

//! Flink's JobVertexID of task (chain) `index` of a job: 32 hexadecimal
//! digits, stable per job (the REST API's vertex id, the metrics' task_id).
std::string job_vertex_id(const std::string& job_id, std::size_t index);

//! A fresh job id: 32 random hexadecimal digits (Flink's JobID format).
std::string new_job_id();
//! True for 32 hexadecimal digits.
bool is_job_id(const std::string& id);

struct start_options {
  //! The job's id (32 hex digits); a fresh random one when empty.
  std::string job_id;
  //! Run the tasks on TaskManagers instead of in this process.
  std::shared_ptr<remote_deployment> remote;
  //! A savepoint or retained checkpoint to start from (a _metadata file, a
  //! chk-<n> directory or a job's checkpoint directory).
  std::string restore_path;
  //! Skip state in the snapshot whose operator uid is not in the job.
  bool allow_non_restored_state = false;
  //! The job's time (processing time, restart delays, checkpoint timing); the
  //! machine's clock when null. Tests pass a manual_clock and advance it.
  std::shared_ptr<const clock> job_clock;
};

//! Plans `graph` into chained tasks, spawns one actor per subtask and starts
//! the job. Throws spate::error(errc::invalid_argument) for an invalid graph or
//! configuration, errc::not_found / errc::corrupt for a bad restore path (the
//! message names the operator, key or file).
job_client start_job(job_graph graph, const configuration& config, const std::string& job_name,
                     const start_options& options = {});

} // namespace spate
