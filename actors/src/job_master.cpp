// The job master (Flink's JobMaster): deploys a job's tasks, watches them,
// applies the restart strategy on a failure, and ends the job when every
// task finished, was cancelled or stopped with a savepoint.
#include "job_master.hpp"

#include <optional>
#include <algorithm>
#include <deque>

#include "checkpoint_messages.hpp"
#include "messages.hpp"
#include "remote_internal.hpp"
#include "spate/core/log.hpp"
#include "task_actor.hpp"

namespace spate::detail {

namespace {

struct master_state {
  std::vector<caf::actor> tasks;
  std::size_t alive = 0;
  std::size_t finished = 0;
  bool failing = false;
  bool cancelling = false;
  bool restarting = false;
  bool stopping = false;
  std::string cause;
  //! The restart strategy's bookkeeping (set when the master starts).
  std::unique_ptr<restart_tracker> restarts;
  std::chrono::milliseconds restart_delay{0};
  //! rt->clk's monotonic ms when the job went down for a restart.
  std::int64_t down_since_ms = 0;
  //! Remote jobs: waiting for free slots since `waiting_since`.
  bool waiting = false;
  std::int64_t waiting_since_ms = 0;
};

using master_actor = caf::stateful_actor<master_state>;

//! Spawns every task, downstream first, so each knows its targets' handles,
//! then tells the coordinator and starts them.
void deploy(master_actor* self, job_runtime* rt) {
  const auto& g = rt->graph;
  auto& plan = rt->plan;
  std::vector<std::vector<caf::actor>> actors(plan.chains.size());
  std::vector<caf::actor> order;
  if (rt->remote) {
    auto& st = self->state;
    std::vector<int> parallelism;
    for (auto& c : plan.chains)
      parallelism.push_back(c.parallelism);
    std::string why;
    auto placed = rt->remote->place(rt->job_id, parallelism, why);
    auto now = rt->clk->monotonic_ms();
    if (!placed) {
      if (!st.waiting) {
        st.waiting = true;
        st.waiting_since_ms = now;
        spate::log().info("job {} ({}) waits: {}", rt->job_name, rt->job_id, why);
      }
      if (now - st.waiting_since_ms >= rt->slot_timeout.count()) {
        st.waiting = false;
        auto cause = "NoResourceAvailableException: " + why + " after waiting " +
                     std::to_string(rt->slot_timeout.count()) + " ms (slot.request.timeout)";
        {
          std::lock_guard<std::mutex> lock(rt->mu);
          rt->exceptions.emplace_back(rt->clk->wall_ms(), cause);
          rt->status_detail.clear();
        }
        self->send_exit(rt->coordinator, caf::exit_reason::user_shutdown);
        rt->set_status(job_status::failed, cause);
        self->quit();
        return;
      }
      {
        std::lock_guard<std::mutex> lock(rt->mu);
        rt->status_detail = why;
      }
      self->delayed_send(self, std::chrono::milliseconds(200), start_atom::value);
      return;
    }
    st.waiting = false;
    {
      std::lock_guard<std::mutex> lock(rt->mu);
      rt->status_detail.clear();
    }
    actors = deploy_remote(self->system(), rt, *placed);
    for (int c = static_cast<int>(plan.chains.size()) - 1; c >= 0; --c)
      for (auto& a : actors[c]) {
        order.push_back(a);
        self->monitor(a);
      }
    rt->set_status(job_status::running);
  }
  for (int c = static_cast<int>(plan.chains.size()) - 1; !rt->remote && c >= 0; --c) {
    const auto& chain = plan.chains[c];
    for (int s = 0; s < chain.parallelism; ++s) {
      std::vector<std::vector<channel_target>> targets;
      for (int e : chain.out_edges) {
        int to_chain = plan.vertices[g.edges()[e].to.value()].chain;
        int base = plan.channel_base(g, e);
        std::vector<channel_target> ts;
        if (plan.edges[e].part == partitioning::forward) {
          ts.push_back({actors[to_chain][s], channel_index{base}});
        } else {
          for (auto& a : actors[to_chain])
            ts.push_back({a, channel_index{base + s}});
        }
        targets.push_back(std::move(ts));
      }
      auto a = self->system().spawn<task_actor>(rt, c, subtask_index{s}, std::move(targets));
      actors[c].push_back(a);
      order.push_back(a);
      self->monitor(a);
    }
  }
  auto& st = self->state;
  st.tasks = order;
  st.alive = order.size();
  st.finished = 0;
  self->send(rt->coordinator, start_atom::value, actors);
  for (auto& a : order)
    self->send(a, start_atom::value);
}

void cancel_tasks(master_actor* self) {
  for (auto& t : self->state.tasks)
    self->send(t, cancel_atom::value);
}

void record_exception(job_runtime* rt, const std::string& cause);

void on_failure(master_actor* self, job_runtime* rt, const std::string& cause, bool fatal = false) {
  auto& st = self->state;
  if (st.failing || st.cancelling || st.restarting || st.stopping)
    return;
  record_exception(rt, cause);
  self->send(rt->coordinator, pause_atom::value);
  std::optional<std::chrono::milliseconds> delay;
  if (fatal)
    spate::log().error("job {} fails without restarting (a restart cannot cure it): {}",
                       rt->job_name, cause);
  else
    delay = st.restarts->on_failure();
  if (delay) {
    st.restarting = true;
    st.cause = cause;
    spate::log().warn("job {} restarts ({} strategy, attempt {}) after: {}", rt->job_name,
                      restart_config::name(rt->restart.kind), st.restarts->attempts(), cause);
    rt->set_status(job_status::restarting, cause);
    st.down_since_ms = rt->clk->monotonic_ms();
    st.restart_delay = *delay; // once every task is down
    cancel_tasks(self);
    return;
  }
  st.failing = true;
  st.cause = cause;
  rt->set_status(job_status::failing, cause);
  cancel_tasks(self);
}

void record_exception(job_runtime* rt, const std::string& cause) {
  std::lock_guard<std::mutex> lock(rt->mu);
  rt->exceptions.emplace_back(rt->clk->wall_ms(), cause);
  if (rt->exceptions.size() > 16)
    rt->exceptions.erase(rt->exceptions.begin());
}

caf::behavior job_master(master_actor* self, job_runtime* rt) {
  self->state.restarts = std::make_unique<restart_tracker>(rt->restart, *rt->clk);
  self->set_down_handler([self, rt](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.reason && !st.failing && !st.cancelling && !st.restarting && !st.stopping)
      on_failure(self, rt, "a task terminated unexpectedly: " + caf::to_string(dm.reason));
    if (--st.alive > 0)
      return;
    if (rt->remote) {
      forget_attempt(rt);
      rt->remote->release(rt->job_id);
    }
    if (st.restarting && !st.cancelling) {
      self->delayed_send(self, st.restart_delay, restart_atom::value);
      return;
    }
    // Stop the coordinator before the status turns terminal: a waiting
    // client may destroy the runtime (and its handles) right after.
    self->send_exit(rt->coordinator, caf::exit_reason::user_shutdown);
    if (st.failing)
      rt->set_status(job_status::failed, st.cause);
    else if (st.finished == st.tasks.size())
      rt->set_status(job_status::finished); // a cancel that came after the end
    else if (st.cancelling)
      rt->set_status(job_status::canceled);
    else if (st.restarting)
      rt->set_status(job_status::canceled);
    else if (st.stopping)
      rt->set_status(job_status::finished);
    else {
      spate::log().error("job {} ({}) failed: {} of {} task(s) stopped before finishing, "
                         "without a failure or a cancel",
                         rt->job_name, rt->job_id, st.tasks.size() - st.finished, st.tasks.size());
      rt->set_status(job_status::failed, "tasks stopped before finishing");
    }
    self->quit();
  });
  return {
      [self, rt](start_atom) {
        auto& st = self->state;
        if (st.cancelling || st.failing || (st.alive > 0))
          return; // a retry of a deployment that is no longer wanted
        deploy(self, rt);
      },
      [self, rt](const task_done_msg& m) {
        auto& st = self->state;
        if (!m.failed) {
          // It stays, holding its final state, until the coordinator says
          // every task finished (after the final checkpoint).
          ++st.finished;
          self->send(rt->coordinator, finished_atom::value, m.chain, m.subtask);
          return;
        }
        on_failure(self, rt, m.cause, m.fatal);
      },
      [self, rt](fail_atom, const std::string& cause) { on_failure(self, rt, cause); },
      [self](all_done_atom) {
        auto& st = self->state;
        if (st.finished != st.tasks.size() || st.failing || st.cancelling || st.restarting)
          return;
        // Tasks whose final state no checkpoint holds (checkpointing off)
        // commit now; then every task ends.
        for (auto& t : st.tasks)
          self->send(t, complete_atom::value, final_checkpoint_id);
      },
      [self, rt](restart_atom) {
        auto& st = self->state;
        if (!st.restarting || st.cancelling)
          return;
        st.restarting = false;
        {
          std::lock_guard<std::mutex> lock(rt->mu);
          ++rt->full_restarts;
          rt->downtime += std::chrono::milliseconds(rt->clk->monotonic_ms() - st.down_since_ms);
          if (rt->restore) {
            // Flink counts every restore, the ones after a failure too.
            rt->last_restore_wall_ms = rt->clk->wall_ms();
            ++rt->checkpoints_restored;
            rt->last_restore =
                restore_info{rt->restore->meta.checkpoint_id, rt->last_restore_wall_ms,
                             rt->restore->meta.savepoint, restore_directory(rt->restore->path)};
          }
        }
        rt->set_status(job_status::running);
        deploy(self, rt);
      },
      [self, rt](cancel_atom) {
        auto& st = self->state;
        if (st.failing || st.cancelling || st.stopping)
          return;
        st.cancelling = true;
        self->send(rt->coordinator, pause_atom::value);
        rt->set_status(job_status::cancelling);
        if (st.alive == 0 && (st.restarting || st.waiting)) {
          self->send_exit(rt->coordinator, caf::exit_reason::user_shutdown);
          rt->set_status(job_status::canceled);
          self->quit();
          return;
        }
        cancel_tasks(self);
      },
      [self, rt](stopped_atom) {
        auto& st = self->state;
        if (st.failing || st.cancelling || st.restarting)
          return;
        st.stopping = true;
        cancel_tasks(self);
      },
  };
}

} // namespace

caf::actor spawn_job_master(caf::actor_system& sys, job_runtime* rt) {
  return sys.spawn(job_master, rt);
}

} // namespace spate::detail
