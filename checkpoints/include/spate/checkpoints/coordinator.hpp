// The checkpoint coordinator of one job (Flink's CheckpointCoordinator):
// triggers checkpoints at the sources on an interval, collects the subtasks'
// acknowledgements, writes _metadata, notifies completion, retains and
// discards, takes savepoints (and stops with them), and gives up on
// checkpoints that time out or are declined.
//
// Checkpoints go on after tasks finish (Flink 1.15's FLIP-147): a finished
// subtask gets the trigger itself and contributes its final state, and once
// every subtask finished, a final checkpoint holding all of their final
// states completes before the job may end, so two-phase-commit sinks commit
// exactly what it covers.
//
// A plain class driven by events; what it asks of the job around it goes
// through a coordinator_port, and time comes from an injected clock. In the
// runtime an actor delivers the events and implements the port; tests call
// it directly and advance a manual_clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "spate/checkpoints/checkpoint_config.hpp"
#include "spate/checkpoints/protocol.hpp"
#include "spate/checkpoints/stats.hpp"
#include "spate/checkpoints/storage.hpp"
#include "spate/core/clock.hpp"
#include "spate/core/error.hpp"

namespace spate::checkpoints {

//! What the coordinator asks of the job. Called on the coordinator's thread.
class coordinator_port {
public:
  virtual ~coordinator_port() = default;
  //! Start checkpoint `t.id` at `tasks`: the running sources (they emit its
  //! barrier) and finished subtasks (they snapshot their final state).
  virtual void trigger(const checkpoint_trigger& t, const std::vector<task_ref>& tasks) = 0;
  //! Tell every task checkpoint `id` completed (two-phase-commit sinks commit).
  virtual void notify_complete(checkpoint_id id) = 0;
  //! Tell every task checkpoint `id` was given up.
  virtual void notify_aborted(checkpoint_id id) = 0;
  //! Call on_tick(generation) after `delay`.
  virtual void schedule_tick(std::chrono::milliseconds delay, std::uint64_t generation) = 0;
  //! Call on_timeout(id) after `delay`.
  virtual void schedule_timeout(std::chrono::milliseconds delay, checkpoint_id id) = 0;
  //! Too many checkpoints failed in a row, or a draining stop failed: the
  //! job must fail (and its restart strategy decide).
  virtual void fail_job(const std::string& reason) = 0;
  //! A stop-with-savepoint completed: the job stops now.
  virtual void stopped() = 0;
  //! A checkpoint (not a savepoint) completed: the job restarts from it.
  virtual void restart_point(const checkpoint_metadata& meta, const std::string& base_dir,
                             const std::string& metadata_path) = 0;
  //! Statistics of every checkpoint and savepoint that ended.
  virtual void record(checkpoint_stats stats) = 0;
  //! Every subtask finished and the job may end. `committed`: a checkpoint
  //! holding every subtask's final state completed (notify_complete went
  //! out); false when checkpointing is off and the tasks commit themselves.
  virtual void all_finished(bool committed) = 0;
};

//! Who the coordinator works for.
struct coordinator_setup {
  checkpoint_config config;
  std::string job_id;
  std::string job_name;
  //! Where savepoints go when a request names no directory.
  std::string savepoints_dir;
  //! The first checkpoint id (after a restore: the restored one + 1).
  checkpoint_id first_id{1};
};

class checkpoint_coordinator {
public:
  checkpoint_coordinator(coordinator_setup setup, coordinator_port& port,
                         const clock& clk = system_clock::instance());

  //! The job (re)starts from `restored`, whose file paths start at
  //! `base_dir`: removes what a crash left in the job's checkpoint directory
  //! (checkpoint_storage::sweep_orphans), keeping the files of `restored`
  //! when `base_dir` is that directory (a restore from a savepoint or from
  //! another job's checkpoint sweeps only this job's own directory, if there
  //! is one). Call it before start(), so no checkpoint of this start is under
  //! way; it does nothing while checkpoints run.
  //!
  //! Before the first start, in restore mode CLAIM (config.restore), when
  //! `metadata_path` is `base_dir`/chk-<n>/_metadata of a checkpoint (not a
  //! savepoint): the job takes `restored` over. In another job's directory,
  //! that directory is swept too (sweep_orphans(), the files of `restored`
  //! kept), and `restored` becomes the oldest retained checkpoint, deleted
  //! (discard_claimed_checkpoint()) once config.retained newer ones
  //! completed. In NO_CLAIM and LEGACY, and for a savepoint, nothing of
  //! `restored` nor of its directory is touched.
  orphan_sweep_result sweep_orphans(const checkpoint_metadata& restored,
                                    const std::string& base_dir,
                                    const std::string& metadata_path = {});

  //! The job's subtasks are deployed (`sources` among them): checkpoint every
  //! interval (when enabled) until pause() or the end. Throws spate::error
  //! (invalid_argument) for an empty or repeated subtask.
  void start(std::vector<task_ref> tasks, std::vector<task_ref> sources);
  //! The job is restarting or stopping: abort what is pending, fail queued
  //! savepoints, trigger nothing until start() again.
  void pause();
  //! Subtask `t` finished (it stays until the job ends, holding its final
  //! state). A checkpoint under way gets its final state; when it is the
  //! last, the final checkpoint follows.
  void task_finished(task_ref t);
  //! The interval timer fired.
  void on_tick(std::uint64_t generation);
  //! The timeout of checkpoint `id` fired.
  void on_timeout(checkpoint_id id);
  void request_savepoint(savepoint_request req);
  //! A subtask stored its part of a checkpoint. A checkpoint completes with
  //! one acknowledgement from each subtask of the job; one from a subtask
  //! the job does not have, or a second one, is refused (logged).
  void acknowledge(std::shared_ptr<subtask_snapshot> snapshot);
  //! A subtask cannot take checkpoint `id`; `counts` is false when it was not
  //! ready (starting, finished): not a failure toward the tolerable ones.
  void decline(checkpoint_id id, const std::string& reason, bool counts);

  bool active() const { return active_; }
  //! Every subtask has finished.
  bool all_tasks_finished() const { return !tasks_.empty() && finished_.size() == tasks_.size(); }
  //! The checkpoint under way, if any.
  std::optional<checkpoint_id> pending_id() const;
  checkpoint_id next_id() const { return next_id_; }
  //! The restored checkpoint this job claimed (restore mode CLAIM) and has
  //! not deleted yet, in another job's directory.
  std::optional<checkpoint_id> claimed() const;

private:
  struct pending_checkpoint {
    checkpoint_id id{0};
    std::int64_t trigger_time = 0; // wall ms
    std::int64_t started = 0;      // monotonic ms
    savepoint_request request;     // dir empty and result null for checkpoints
    bool savepoint = false;
    checkpoint_trigger trigger;
    //! Finished subtasks that got the trigger themselves.
    std::set<task_ref> triggered;
    std::map<task_ref, std::shared_ptr<subtask_snapshot>> acks;
  };

  void trigger(savepoint_request req, bool savepoint);
  void start_queued();
  //! `counts` is false when the job itself stopped it (restart, finish).
  //! A waiting savepoint request fails with `code`.
  void abort_pending(errc code, const std::string& reason, bool counts = true);
  void complete_pending();
  //! Every subtask finished: end now (checkpointing off) or take the final
  //! checkpoint.
  void on_all_finished();
  //! all_finished(committed) to the port; nothing more is triggered.
  void end_job(bool committed);
  checkpoint_metadata merge(const pending_checkpoint& p) const;
  void record_stats(const pending_checkpoint& p, const std::string& status, const std::string& path,
                    const std::string& failure);
  void schedule_tick();
  std::string savepoint_dir_for(const std::string& requested);
  //! Restore mode CLAIM: takes `restored` over (sweep_orphans()).
  void claim(const checkpoint_metadata& restored, const std::string& base_dir,
             const std::string& metadata_path, bool own_directory);
  //! A retained checkpoint is subsumed: its files go (those of a claimed
  //! one through discard_claimed_checkpoint()).
  void discard_retained(checkpoint_id id);

  coordinator_setup setup_;
  coordinator_port& port_;
  const clock& clock_;
  checkpoint_storage storage_;
  std::set<task_ref> tasks_;
  std::set<task_ref> sources_;
  std::set<task_ref> finished_;
  //! all_finished() went out: the job is ending.
  bool ended_ = false;
  bool active_ = false;
  std::uint64_t generation_ = 0;
  checkpoint_id next_id_{1};
  std::optional<pending_checkpoint> pending_;
  std::deque<savepoint_request> queued_;
  std::optional<std::int64_t> last_completed_; // monotonic ms
  int consecutive_failures_ = 0;
  std::deque<checkpoint_id> retained_;
  //! start() was called: what the job starts from was its own choice once.
  bool started_once_ = false;
  //! A checkpoint of another job's directory this job claimed.
  struct claimed_checkpoint {
    checkpoint_metadata meta;
    std::string job_dir;
  };
  std::optional<claimed_checkpoint> claimed_;
};

} // namespace spate::checkpoints
