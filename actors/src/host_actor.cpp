// The host actor of a job on a TaskManager: what the job's tasks report (finished,
// failed, exited, checkpoint acks and declines) goes to the JobManager as frames.
#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "channel_proxies.hpp"
#include "checkpoint_messages.hpp"
#include "messages.hpp"
#include "remote_internal.hpp"
#include "spate/core/log.hpp"
#include "task_host_impl.hpp"

namespace spate::detail {

using transport::encode_message;
using transport::frame_type;

namespace {

//! Stands in for the job's master and coordinator on a TaskManager: what
//! the tasks report goes to the JobManager.
struct host_state {
  std::shared_ptr<job_runtime> rt;
  transport::frame_sink* sink = nullptr;
  std::string jm;
  attempt_number attempt{0};
  struct watched_task {
    std::int32_t chain = 0;
    subtask_index subtask{0};
    attempt_number attempt{0};
    //! When it was told to cancel (rt->clk's monotonic ms); 0 when it was not.
    std::int64_t cancelled_ms = 0;
  };
  //! task.cancellation.timeout: a cancelled task still running after it
  //! makes the TaskManager exit (as Flink's does); 0 turns the watch off.
  std::chrono::milliseconds cancel_timeout{180000};
  bool watch_scheduled = false;
  std::map<caf::actor_addr, watched_task> watched;
  //! Set when this TaskManager cancelled the tasks on its own (the
  //! JobManager is unreachable): their exits are failures.
  std::string cancel_reason;
  std::shared_ptr<std::atomic<int>> live;
  bool released = false;
};

//! How often cancelled tasks are looked at: a tenth of the timeout, 10 ms to 1 s.
std::chrono::milliseconds watch_interval(const host_state& st) {
  return std::clamp(st.cancel_timeout / 10, std::chrono::milliseconds(10),
                    std::chrono::milliseconds(1000));
}

caf::behavior host_actor(caf::stateful_actor<host_state>* self, host_state init) {
  self->state = std::move(init);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.watched.find(dm.source);
    if (it == st.watched.end())
      return;
    auto w = it->second;
    st.watched.erase(it);
    st.live->fetch_sub(1);
    bool abnormal = static_cast<bool>(dm.reason) || !st.cancel_reason.empty();
    std::string reason = dm.reason ? caf::to_string(dm.reason) : st.cancel_reason;
    st.sink->send(st.jm, encode_message(frame_type::task_exited,
                                        wire_task_exited{st.rt->job_id, w.attempt, w.chain,
                                                         w.subtask, abnormal, reason}));
    if (st.released && st.watched.empty())
      self->quit();
  });
  return {
      [self](attempt_atom, attempt_number attempt) {
        self->state.attempt = attempt;
        self->state.cancel_reason.clear();
      },
      [self](watch_atom, caf::actor& task, std::int32_t chain, subtask_index subtask,
             attempt_number attempt) {
        self->state.watched[task.address()] = {chain, subtask, attempt};
        self->monitor(task);
      },
      [self](fail_atom, const std::string& reason) { self->state.cancel_reason = reason; },
      [self](cancel_atom, caf::actor& task) {
        auto& st = self->state;
        auto it = st.watched.find(task.address());
        if (it != st.watched.end() && it->second.cancelled_ms == 0)
          it->second.cancelled_ms = st.rt->clk->monotonic_ms();
        self->send(task, cancel_atom::value);
        if (st.cancel_timeout.count() > 0 && !st.watch_scheduled) {
          st.watch_scheduled = true;
          self->delayed_send(self, watch_interval(st), tick_atom::value);
        }
      },
      [self](tick_atom) {
        auto& st = self->state;
        st.watch_scheduled = false;
        bool waiting = false;
        for (auto& [addr, w] : st.watched) {
          if (w.cancelled_ms == 0)
            continue;
          if (st.rt->clk->monotonic_ms() - w.cancelled_ms <= st.cancel_timeout.count()) {
            waiting = true;
            continue;
          }
          // A task stuck in user code holds a thread and its slot for good:
          // only the process ending frees them (the JobManager then sees
          // this TaskManager lost and goes on without it).
          spate::log().error(
              "task {}/{} of job {} did not stop within task.cancellation.timeout ({} ms) "
              "after it was cancelled: the TaskManager exits",
              w.chain, w.subtask, st.rt->job_id, st.cancel_timeout.count());
          spate::log().flush();
          std::_Exit(70);
        }
        if (waiting) {
          st.watch_scheduled = true;
          self->delayed_send(self, watch_interval(st), tick_atom::value);
        }
      },
      [self](const task_done_msg& m) {
        auto& st = self->state;
        // Stamped with the attempt of the task that sent it (a proxy of this
        // attempt when a channel failed).
        attempt_number attempt = st.attempt;
        auto it = st.watched.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
        if (it != st.watched.end())
          attempt = it->second.attempt;
        st.sink->send(st.jm,
                      encode_message(frame_type::task_finished,
                                     wire_task_finished{st.rt->job_id, attempt, m.chain, m.subtask,
                                                        m.failed, m.cause, m.fatal}));
      },
      [self](const ack_msg& m) {
        auto& st = self->state;
        auto& s = *m.snapshot;
        st.sink->send(st.jm, encode_message(frame_type::acknowledge_checkpoint,
                                            wire_ack{st.rt->job_id, st.attempt, s.chain, s.subtask,
                                                     s.id, s.operators, s.sync_ms, s.async_ms,
                                                     s.alignment_ms, s.bytes, s.finished}));
      },
      [self](const decline_msg& m) {
        auto& st = self->state;
        st.sink->send(st.jm, encode_message(frame_type::decline_checkpoint,
                                            wire_decline{st.rt->job_id, st.attempt, m.id, m.reason,
                                                         m.counts}));
      },
      [self](release_atom) {
        auto& st = self->state;
        st.released = true;
        if (st.watched.empty())
          self->quit();
      },
  };
}

} // namespace

caf::actor spawn_host_actor(caf::actor_system& sys, std::shared_ptr<job_runtime> rt,
                            transport::frame_sink& sink, std::string jm,
                            std::shared_ptr<std::atomic<int>> live,
                            std::chrono::milliseconds cancellation_timeout) {
  host_state hs;
  hs.rt = std::move(rt);
  hs.sink = &sink;
  hs.jm = std::move(jm);
  hs.live = std::move(live);
  hs.cancel_timeout = hs.rt->config.get_duration("task.cancellation.timeout", cancellation_timeout);
  return sys.spawn(host_actor, std::move(hs));
}

} // namespace spate::detail
