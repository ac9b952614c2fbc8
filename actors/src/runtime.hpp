// Private state shared by the actors of one job in a mini cluster.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "plan.hpp"
#include "spate/actors/restart_config.hpp"
#include "spate/checkpoints/checkpoint_config.hpp"
#include "spate/actors/job_client.hpp"
#include "spate/actors/remote.hpp"
#include "spate/checkpoints/metadata.hpp"
#include "spate/core/clock.hpp"
#include "task_metrics.hpp"
#include "uploader.hpp"

namespace spate::detail {

//! The counters of one subtask. Records, watermarks and the time meter are
//! written by its task only; bytes by its channel proxies (remote channels).
struct task_counters {
  alignas(64) std::atomic<std::int64_t> records_in{0};
  std::atomic<std::int64_t> records_out{0};
  //! currentInputWatermark (the valve's output) and currentOutputWatermark
  //! (what the chain's end emits).
  std::atomic<timestamp> input_watermark{min_watermark};
  std::atomic<timestamp> output_watermark{min_watermark};
  task_time_meter time;
  alignas(64) std::atomic<std::int64_t> bytes_in{0};
  std::atomic<std::int64_t> bytes_out{0};
  //! Operator counters ("<operator>.numLateRecordsDropped"), registered in
  //! open() and read by reporters.
  named_counters named;
};

//! A completed checkpoint or savepoint to start tasks from.
struct restore_point {
  checkpoints::checkpoint_metadata meta;
  //! Where the handles' relative paths start.
  std::string base_dir;
  //! The _metadata file.
  std::string path;
};

//! The directory of a snapshot from its _metadata file's path.
inline std::string restore_directory(const std::string& metadata_path) {
  return std::filesystem::path(metadata_path).parent_path().string();
}

//! Reads the snapshot at `path` (a _metadata file, a chk-<n> directory or a
//! job's checkpoint directory) and checks it on its own, not against a job
//! (checkpoints::validate_metadata: file paths inside the snapshot, every key
//! group of every keyed operator there once). Throws errc::corrupt naming it.
std::shared_ptr<restore_point> make_restore_point(const std::string& path);

struct job_runtime;
//! make_restore_point(), then checks the snapshot fits the job of `rt`: every
//! stateful operator in it has a uid in the job (unless non-restored state
//! is allowed), and keyed operators keep their max parallelism. Throws
//! spate::error naming what does not fit.
std::shared_ptr<const restore_point> load_restore_point(job_runtime& rt, const std::string& path);

struct job_runtime;
//! Fills the runtime of a job from its graph and configuration: plan,
//! batching, credits, state directory, counters, checkpoint and restart
//! configuration. Throws spate::error for an invalid graph or configuration.
void init_runtime(job_runtime& rt, job_graph graph, const configuration& config,
                  const std::string& job_name, const std::string& state_dir);

//! Immutable after start, except the status block (under `mu`) and counters.
struct job_runtime {
  std::string job_id;
  std::string job_name;
  //! Where the job's time comes from: processing time, restart delays and
  //! downtime, checkpoint timing. The machine's clock unless a test gives one.
  std::shared_ptr<const clock> clk = system_clock::shared();
  configuration config;
  job_graph graph;
  execution_plan plan;
  //! Root of this job's RocksDB working directories (removed at the end).
  std::string state_root;

  std::size_t batch_size = 1024;
  //! Records per batch on a channel to another process: at most, and the
  //! bytes of frame they aim at (see options::remote_batch_size).
  std::size_t remote_batch_size = 4096;
  std::size_t segment_size = 32 << 10;
  int credits_per_channel = 4;
  std::chrono::milliseconds buffer_timeout{100};

  //! [chain][subtask]
  std::vector<std::vector<std::unique_ptr<task_counters>>> counters;
  //! spate.metrics.task-time.enabled: tasks track where their time goes.
  bool task_time_enabled = true;
  //! [chain][subtask]: the rates of the counters, for readers (under views_mu).
  std::mutex views_mu;
  std::vector<std::vector<task_views>> views;
  //! The named counters of every subtask here, summed by name.
  std::map<std::string, std::int64_t> sum_named() const;

  mutable std::mutex mu;
  std::condition_variable cv;
  job_status status = job_status::created;
  std::string failure_cause;
  //! clk's monotonic ms at the start and when the job turned terminal.
  std::int64_t started_ms = 0;
  std::int64_t ended_ms = 0;
  //! clk's monotonic ms when the job last switched to each status (0: never),
  //! indexed by job_status: Flink's status timestamps, for uptime, downtime
  //! and restartingTime.
  std::int64_t status_since_ms[8] = {};
  static_assert(static_cast<int>(job_status::restarting) < 8, "one entry per job_status");
  //! Wall ms when tasks last started from a checkpoint or savepoint (-1: never).
  std::int64_t last_restore_wall_ms = -1;
  //! What the job last restored from (under mu): Flink's latest restored
  //! checkpoint, for the REST API.
  std::optional<restore_info> last_restore;

  checkpoint_config checkpointing;
  restart_config restart;
  bool allow_non_restored_state = false;
  //! Where tasks start from: the latest completed checkpoint (or the
  //! savepoint given at submission). Read and replaced under `mu`.
  std::shared_ptr<const restore_point> restore;
  //! Copies snapshot files to checkpoint storage off the task threads.
  uploader upload;
  //! The newest checkpoint aborted (at most one is under way at a time, so
  //! every older one ended too): uploads for it stop.
  std::atomic<std::int64_t> aborted_checkpoint{0};
  void note_aborted(checkpoint_id id) {
    auto seen = aborted_checkpoint.load();
    while (seen < id.value() && !aborted_checkpoint.compare_exchange_weak(seen, id.value())) {
    }
  }
  bool aborted(checkpoint_id id) const { return aborted_checkpoint.load() >= id.value(); }

  // Checkpoint statistics (under `mu`).
  std::vector<checkpoint_stats> checkpoint_history;
  std::int64_t checkpoints_completed = 0;
  std::int64_t checkpoints_failed = 0;
  std::int64_t full_restarts = 0;
  std::int64_t checkpoints_restored = 0;
  std::chrono::milliseconds downtime{0};

  std::shared_ptr<const restore_point> restore_from() const {
    std::lock_guard<std::mutex> lock(mu);
    return restore;
  }

  // Tasks in other processes (JobManager side); null for a job in one process.
  std::shared_ptr<remote_deployment> remote;
  //! How long a deployment waits for free slots before the job fails.
  std::chrono::milliseconds slot_timeout{std::chrono::minutes(5)};
  // Under `mu`: the attempt deployed last, where its tasks run, their proxies.
  attempt_number attempt{0};
  task_assignment assignment;
  std::vector<std::vector<caf::actor>> proxies;
  //! Why the job is not running yet ("waiting for 4 task slots, 2 free").
  std::string status_detail;
  //! Failures (wall ms, cause), newest last.
  std::vector<std::pair<std::int64_t, std::string>> exceptions;
  //! Named counters per TaskManager (under counters_mu), summed when read.
  std::map<std::string, std::map<std::string, std::int64_t>> remote_counters;
  //! [chain][subtask]: what its TaskManager reported last (under counters_mu).
  std::vector<std::vector<subtask_io_metrics>> reported;
  std::int64_t start_wall_ms = 0;

  std::unique_ptr<caf::actor_system_config> system_config;
  std::unique_ptr<caf::actor_system> system;
  caf::actor master;
  caf::actor coordinator;

  //! Guards remote_counters and reported.
  std::mutex counters_mu;

  void set_status(job_status s, const std::string& cause = {});
  ~job_runtime();
};

} // namespace spate::detail
