// The actor that runs a job's checkpoint_coordinator (checkpoints/): it turns
// messages into the coordinator's events and implements its port with
// messages to the tasks and the master.
#include "checkpoint_coordinator.hpp"

#include "checkpoint_messages.hpp"
#include "messages.hpp"
#include "spate/checkpoints/coordinator.hpp"

namespace spate::detail {

namespace {

class actor_port;

struct coordinator_state {
  //! [chain][subtask]: the task actors (or their proxies on TaskManagers).
  std::vector<std::vector<caf::actor>> tasks;
  std::unique_ptr<actor_port> port;
  std::unique_ptr<checkpoints::checkpoint_coordinator> coordinator;
};

using coordinator_actor = caf::stateful_actor<coordinator_state>;

class actor_port final : public checkpoints::coordinator_port {
public:
  actor_port(coordinator_actor* self, job_runtime* rt) : self_(self), rt_(rt) {}

  void trigger(const checkpoints::checkpoint_trigger& t,
               const std::vector<checkpoints::task_ref>& to) override {
    for (auto& r : to)
      self_->send(self_->state.tasks.at(r.chain).at(r.subtask.value()), t);
  }
  void notify_complete(checkpoint_id id) override {
    for (auto& chain : self_->state.tasks)
      for (auto& t : chain)
        self_->send(t, complete_atom::value, id);
  }
  void notify_aborted(checkpoint_id id) override {
    rt_->note_aborted(id);
    for (auto& chain : self_->state.tasks)
      for (auto& t : chain)
        self_->send(t, abort_atom::value, id);
  }
  void schedule_tick(std::chrono::milliseconds delay, std::uint64_t generation) override {
    self_->delayed_send(self_, delay, trigger_atom::value, generation);
  }
  void schedule_timeout(std::chrono::milliseconds delay, checkpoint_id id) override {
    self_->delayed_send(self_, delay, timeout_atom::value, id);
  }
  void fail_job(const std::string& reason) override {
    self_->send(rt_->master, fail_atom::value, reason);
  }
  void stopped() override { self_->send(rt_->master, stopped_atom::value); }
  void all_finished(bool committed) override {
    spate::log().debug("job {}: every task finished{}", rt_->job_name,
                       committed ? "; the final checkpoint completed" : "");
    self_->send(rt_->master, all_done_atom::value);
  }
  void restart_point(const checkpoints::checkpoint_metadata& meta, const std::string& base_dir,
                     const std::string& metadata_path) override {
    auto rp = std::make_shared<restore_point>();
    rp->meta = meta;
    rp->base_dir = base_dir;
    rp->path = metadata_path;
    std::lock_guard<std::mutex> lock(rt_->mu);
    rt_->restore = std::move(rp);
  }
  void record(checkpoint_stats st) override {
    std::lock_guard<std::mutex> lock(rt_->mu);
    if (st.status == "COMPLETED")
      ++rt_->checkpoints_completed;
    else
      ++rt_->checkpoints_failed;
    rt_->checkpoint_history.push_back(std::move(st));
    if (rt_->checkpoint_history.size() > 100)
      rt_->checkpoint_history.erase(rt_->checkpoint_history.begin());
  }

private:
  coordinator_actor* self_;
  job_runtime* rt_;
};

caf::behavior coordinator(coordinator_actor* self, job_runtime* rt) {
  checkpoints::coordinator_setup setup;
  setup.config = rt->checkpointing;
  setup.job_id = rt->job_id;
  setup.job_name = rt->job_name;
  setup.savepoints_dir = rt->config.get_string(options::savepoints_dir, rt->checkpointing.dir);
  if (auto rp = rt->restore_from())
    setup.first_id = checkpoint_id{rp->meta.checkpoint_id + 1};
  self->state.port = std::make_unique<actor_port>(self, rt);
  self->state.coordinator = std::make_unique<checkpoints::checkpoint_coordinator>(
      std::move(setup), *self->state.port, *rt->clk);
  auto* c = self->state.coordinator.get();
  return {
      [self, rt, c](start_atom, std::vector<std::vector<caf::actor>>& tasks) {
        self->state.tasks = std::move(tasks);
        // A (re)start from a checkpoint: what a crash (of this process, of a
        // TaskManager) left in the job's checkpoint directory goes before
        // the first checkpoint of this start is triggered. In restore mode
        // CLAIM, the first start also takes the restored checkpoint over,
        // sweeping its own job's directory (checkpoint_coordinator::claim).
        if (auto rp = rt->restore_from())
          c->sweep_orphans(rp->meta, rp->base_dir, rp->path);
        std::vector<checkpoints::task_ref> all, sources;
        const auto& plan = rt->plan;
        for (std::size_t k = 0; k < plan.chains.size(); ++k)
          for (int s = 0; s < plan.chains[k].parallelism; ++s) {
            checkpoints::task_ref r{static_cast<std::int32_t>(k), subtask_index{s}};
            all.push_back(r);
            if (rt->graph.vertices()[plan.chains[k].head].is_source)
              sources.push_back(r);
          }
        c->start(std::move(all), std::move(sources));
      },
      [c](pause_atom) { c->pause(); },
      [c](finished_atom, std::int32_t chain, subtask_index subtask) {
        c->task_finished({chain, subtask});
      },
      [c](trigger_atom, std::uint64_t generation) { c->on_tick(generation); },
      [c](checkpoints::savepoint_request& req) { c->request_savepoint(std::move(req)); },
      [c](ack_msg& m) { c->acknowledge(std::move(m.snapshot)); },
      [c](const decline_msg& m) { c->decline(m.id, m.reason, m.counts); },
      [c](timeout_atom, checkpoint_id id) { c->on_timeout(id); },
  };
}

} // namespace

caf::actor spawn_coordinator(caf::actor_system& sys, job_runtime* rt) {
  return sys.spawn(coordinator, rt);
}

} // namespace spate::detail
