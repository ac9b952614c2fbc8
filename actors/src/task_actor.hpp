// One subtask of a chain of operators, as a CAF actor (Flink's StreamTask).
// Its code is split along its seams:
//   task_actor.cpp      lifecycle, messages, credits and backlogs, source ticks
//   task_wiring.cpp     building the chain: operators, state, outputs, writers
//   task_input.cpp      input channels: the watermark valve, alignment holds,
//                       processing time
//   task_checkpoint.cpp the checkpoint steps: trigger, barriers, snapshot
#pragma once

#include <deque>
#include <queue>
#include <memory>
#include <vector>

#include <caf/all.hpp>

#include "checkpoint_messages.hpp"
#include "messages.hpp"
#include "runtime.hpp"
#include "spate/actors/operator.hpp"
#include "spate/actors/record_writer.hpp"
#include "spate/checkpoints/barrier_aligner.hpp"
#include "spate/core/log.hpp"
#include "watermark_valve.hpp"

namespace spate {
class keyed_state_backend;
}

namespace spate::detail {

//! Where one output channel of a task leads.
struct channel_target {
  caf::actor actor;
  channel_index channel{0};
};

//! Where a task is in its life. The transitions:
//!
//!   created --start--> running --all input ended / source finished--> finished
//!   running --stop-with-savepoint taken at this task--> stopping
//!   stopping --that savepoint aborted--> running
//!   finished --no backlog left; reported to the master--> reported
//!   reported --every task finished, the final checkpoint completed--> done
//!   any --failure or cancel--> done
//!
//! Running tasks take checkpoints at barriers; finished and reported tasks
//! snapshot their final state when the coordinator asks (checkpoints go on
//! after tasks finish, as in Flink 1.15); a stopping task fires no
//! processing-time timers (so emits no periodic watermark and no processing-
//! time window), a stopping source polls no more, and both wait for cancel; a reported task waits
//! for the job's end (a failure elsewhere before it restarts this task too).
enum class task_state { created, running, stopping, finished, reported, done };
const char* to_string(task_state s);

class task_actor : public caf::event_based_actor,
                   public processing_time_service,
                   public counter_registry {
public:
  //! `targets[w]` lists the channels of the task's w-th network out edge.
  task_actor(caf::actor_config& cfg, job_runtime* rt, int chain, subtask_index subtask,
             std::vector<std::vector<channel_target>> targets);
  ~task_actor() override;

  caf::behavior make_behavior() override;
  const char* name() const override { return "spate.task"; }
  void on_exit() override;

  // Used by the outputs and writers of this task.
  void send_batch(int channel, std::shared_ptr<any_batch> batch);
  std::shared_ptr<any_batch> take_buffer(int channel);
  void send_control(int first_channel, int count, const control_event& event);
  void count_out(std::size_t n) { counters_->records_out.fetch_add(n, std::memory_order_relaxed); }

  // processing_time_service
  timestamp now() const override;
  void request(stream_operator* op, timestamp t) override;
  // counter_registry
  std::atomic<std::int64_t>& counter(const std::string& name) override {
    return counters_->named.get(name);
  }
  //! The end of the chain emitted watermark `wm` (currentOutputWatermark).
  void note_output_watermark(timestamp wm) {
    counters_->output_watermark.store(wm, std::memory_order_relaxed);
  }

private:
  struct out_channel {
    channel_target target;
    int credits = 0;
    //! Batches (non-null) and control events waiting for credit, in order.
    std::deque<std::pair<std::shared_ptr<any_batch>, control_msg>> backlog;
    std::vector<std::shared_ptr<any_batch>> free;
    //! The writer filling this channel's batches, and the channel's index in its edge.
    record_writer* writer = nullptr;
    int writer_channel = 0;
  };
  struct in_channel {
    int input = 0;
    bool ended = false;
  };
  struct pending_input {
    caf::strong_actor_ptr sender;
    bool is_data = true;
    data_msg data;
    control_msg control;
  };

  //! Moves to `to`; a transition not listed above is a bug (errc::internal).
  void set_state(task_state to);
  //! Started and not yet finished: records and time flow.
  bool live() const { return state_ == task_state::running || state_ == task_state::stopping; }
  //! Finished: every operator saw the end of its input (reported or not yet).
  bool ended() const { return state_ == task_state::finished || state_ == task_state::reported; }
  void build();
  void start();
  void on_checkpoint_complete(checkpoint_id id);
  //! Every task of the job finished: commit what no checkpoint committed, end.
  void end_with_job();
  void on_checkpoint_aborted(checkpoint_id id);
  //! Forwards what the watermark valve decided to the head of the chain.
  void forward(const valve_output& out);
  void on_data(data_msg& m);
  void on_control(const control_msg& m);
  void on_credit(credit_msg& m);
  void on_tick();
  void on_processing_time_due(std::uint64_t token);
  void schedule_wakeup();
  void on_trigger(const checkpoint_trigger& m);
  //! Acts on what the aligner decided: keep the checkpoint's details,
  //! snapshot, release what blocked channels held.
  void apply(const checkpoints::alignment_step& step,
             const std::shared_ptr<const checkpoint_trigger>& info = nullptr);
  void release_held();
  //! Snapshots and forwards the barrier; false (and a decline) on failure.
  bool take_snapshot(const std::shared_ptr<const checkpoint_trigger>& info);
  void snapshot_now(const std::shared_ptr<const checkpoint_trigger>& info);
  void dispatch(pending_input&& p);
  void process_data(data_msg& m, const caf::strong_actor_ptr& from);
  void process_control(const control_msg& m);
  void drain(out_channel& ch);
  void drain_pending();
  void after_work();
  void finish_chain();
  void check_done();
  void fail(const std::string& what, bool fatal = false);
  void close_operators() noexcept;
  bool blocked() const { return backlogged_ > 0; }
  template <class F>
  void guarded(F&& f);
  //! Now on the job clock, in ns (steady_clock directly for the machine's).
  std::int64_t meter_now() const {
    if (real_clock_)
      return std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
          .count();
    return rt_->clk->monotonic_ns();
  }
  //! Time from now on counts as `p`; reads the clock only on a change.
  void meter_to(task_time_meter::phase p) {
    if (p != phase_) {
      counters_->time.switch_to(meter_now(), p);
      phase_ = p;
    }
  }

  job_runtime* rt_;
  int chain_;
  subtask_index subtask_;
  const chain_plan* plan_;
  task_counters* counters_;
  std::vector<std::vector<channel_target>> targets_;

  std::vector<std::unique_ptr<runtime_context>> contexts_;
  std::vector<std::unique_ptr<keyed_state_backend>> backends_;
  std::vector<std::unique_ptr<stream_operator>> ops_;
  std::vector<std::unique_ptr<output>> outputs_;
  std::vector<std::unique_ptr<channel_set>> channel_views_;
  std::vector<std::unique_ptr<record_writer>> writers_;
  stream_operator* head_ = nullptr;

  std::vector<out_channel> out_;
  int backlogged_ = 0;
  std::vector<in_channel> in_;
  std::vector<int> open_channels_per_input_;
  watermark_valve valve_{0};
  std::deque<pending_input> pending_;

  // Checkpoint barriers: the aligner decides, held_[c] keeps what a blocked
  // channel delivered meanwhile.
  checkpoints::barrier_aligner aligner_{0, checkpoints::barrier_aligner::mode::exactly_once};
  std::vector<std::deque<pending_input>> held_;
  std::shared_ptr<const checkpoint_trigger> aligning_info_;
  //! rt_->clk's monotonic ms when this task's alignment (or snapshot) began.
  std::int64_t alignment_start_ms_ = 0;
  //! The stop-with-savepoint this source took (stopping).
  checkpoint_id stop_id_{0};
  //! The keyed backend of each operator (nullptr when not keyed).
  std::vector<keyed_state_backend*> op_backend_;
  //! Per operator: a name unique to this incarnation of its database, and
  //! the SST files it took over from the snapshot it was restored from.
  std::vector<std::string> incarnation_;
  std::vector<std::shared_ptr<const std::map<std::string, std::string>>> restored_files_;
  std::vector<std::pair<std::size_t, operator_state_reader>> pending_restore_;

  //! Processing-time requests: earliest first.
  using time_request = std::pair<timestamp, stream_operator*>;
  std::priority_queue<time_request, std::vector<time_request>, std::greater<time_request>>
      time_requests_;
  timestamp time_scheduled_ = max_watermark;
  //! Identifies the one outstanding wake-up message; older ones are ignored.
  std::uint64_t time_token_ = 0;
  //! The token of the wake-up a clock moved by hand sends (time_token_ starts at 1).
  static constexpr std::uint64_t clock_moved_token = 0;
  //! The newest checkpoint this task snapshotted after it finished, and
  //! whether a checkpoint at least that new completed (its sinks committed
  //! their final output).
  checkpoint_id final_snapshot_{0};
  bool final_committed_ = false;
  //! The newest checkpoint this task snapshotted (at a barrier, a trigger,
  //! or when asked after finishing): a later request for it is ignored.
  checkpoint_id last_snapshot_{0};
  //! Restored from a checkpoint in which every subtask of this chain had
  //! finished: its operators never run again; it ends at once.
  bool finished_on_restore_ = false;
  //! The job's clock moves by hand (tests): it wakes the task when it moves,
  //! instead of a wake-up scheduled in real time.
  bool clock_by_hand_ = false;
  bool firing_timers_ = false;

  task_state state_ = task_state::created;
  //! Where the task's time goes (spate.metrics.task-time.enabled): the
  //! phase counting now, and whether the job's clock is the machine's.
  task_time_meter::phase phase_ = task_time_meter::stopped;
  bool meter_on_ = true;
  bool real_clock_ = true;
  //! Job, task and subtask for the lines its handlers log.
  log_context log_context_;
  bool source_ = false;
  // Scheduling: one tick and one flush outstanding at most.
  bool tick_scheduled_ = false;
  bool flush_scheduled_ = false;
  //! close_operators() ran (it runs once, from whichever end came first).
  bool closed_ = false;
};

} // namespace spate::detail
