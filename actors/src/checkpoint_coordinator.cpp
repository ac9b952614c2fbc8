#include "checkpoint_coordinator.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <random>

#include "checkpoint_messages.hpp"
#include "messages.hpp"
#include "spate/checkpoints/storage.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate::detail {

namespace {

using steady = std::chrono::steady_clock;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t ms_since(steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t).count();
}

struct pending_checkpoint {
  std::int64_t id = 0;
  std::int64_t trigger_time = 0;
  steady::time_point started;
  savepoint_request request; //!< dir empty and result null for checkpoints
  bool savepoint = false;
  std::vector<std::shared_ptr<task_snapshot>> acks;
};

struct coordinator_state {
  std::vector<caf::actor> tasks;
  std::vector<caf::actor> sources;
  std::size_t subtasks = 0;
  bool active = false;
  std::uint64_t generation = 0;
  std::int64_t next_id = 1;
  std::optional<pending_checkpoint> pending;
  std::deque<savepoint_request> queued;
  steady::time_point last_completed{};
  int consecutive_failures = 0;
  std::unique_ptr<checkpoints::checkpoint_storage> storage;
  std::deque<std::int64_t> retained;
};

using coordinator_actor = caf::stateful_actor<coordinator_state>;

void record_stats(job_runtime* rt, const pending_checkpoint& p, const std::string& status,
                  const std::string& path, const std::string& failure, std::size_t subtasks) {
  checkpoint_stats st;
  st.id = p.id;
  st.status = status;
  st.savepoint = p.savepoint;
  st.trigger_timestamp = p.trigger_time;
  st.end_to_end_duration = ms_since(p.started);
  for (auto& a : p.acks) {
    st.subtasks.push_back({rt->plan.chains[a->chain].name, a->subtask, a->sync_ms, a->async_ms,
                           a->alignment_ms, a->bytes});
    st.sync_duration = std::max(st.sync_duration, a->sync_ms);
    st.async_duration = std::max(st.async_duration, a->async_ms);
    st.alignment_duration = std::max(st.alignment_duration, a->alignment_ms);
    st.state_size += a->bytes;
  }
  st.num_acknowledged_subtasks = static_cast<int>(p.acks.size());
  st.num_subtasks = static_cast<int>(subtasks);
  st.external_path = path;
  st.failure_message = failure;
  std::lock_guard<std::mutex> lock(rt->mu);
  if (status == "COMPLETED")
    ++rt->checkpoints_completed;
  else
    ++rt->checkpoints_failed;
  rt->checkpoint_history.push_back(std::move(st));
  if (rt->checkpoint_history.size() > 100)
    rt->checkpoint_history.erase(rt->checkpoint_history.begin());
}

void trigger(coordinator_actor* self, job_runtime* rt, savepoint_request req, bool savepoint);

//! Starts the next queued savepoint, or fails them all when inactive.
void start_queued(coordinator_actor* self, job_runtime* rt) {
  auto& st = self->state;
  if (st.pending || st.queued.empty())
    return;
  if (!st.active) {
    for (auto& q : st.queued)
      if (q.result)
        q.result->set_exception(std::make_exception_ptr(
            error(errc::internal, "savepoint not taken: the job is not running")));
    st.queued.clear();
    return;
  }
  auto next = std::move(st.queued.front());
  st.queued.pop_front();
  trigger(self, rt, std::move(next), true);
}

//! Aborts the pending checkpoint. `counts` is false when the job itself
//! stopped it (restart, finish): that is not a checkpoint failure.
void abort_pending(coordinator_actor* self, job_runtime* rt, const std::string& reason,
                   bool counts = true) {
  auto& st = self->state;
  if (!st.pending)
    return;
  auto p = std::move(*st.pending);
  st.pending.reset();
  spate::log().warn("checkpoint {} of job {} aborted: {}", p.id, rt->job_name, reason);
  for (auto& t : st.tasks)
    self->send(t, abort_atom::value, p.id);
  record_stats(rt, p, "FAILED", "", reason, st.subtasks);
  if (st.storage && !p.savepoint)
    st.storage->discard(p.id);
  if (p.request.result)
    p.request.result->set_exception(std::make_exception_ptr(
        error(errc::internal, (p.savepoint ? "savepoint " : "checkpoint ") +
                                  std::to_string(p.id) + " failed: " + reason)));
  if (counts && !p.savepoint &&
      ++st.consecutive_failures > rt->checkpointing.tolerable_failures) {
    st.consecutive_failures = 0;
    self->send(rt->master, fail_atom::value,
               "exceeded checkpoint tolerable failure threshold (" +
                   std::to_string(rt->checkpointing.tolerable_failures) + "): " + reason);
  }
  if (p.request.stop && p.request.drain)
    // The sources already emitted the final watermark: windows fired. Only a
    // restart from the last checkpoint undoes that.
    self->send(rt->master, fail_atom::value, "stop-with-savepoint (drain) failed: " + reason);
  start_queued(self, rt);
}

void complete_pending(coordinator_actor* self, job_runtime* rt) {
  auto& st = self->state;
  auto p = std::move(*st.pending);
  st.pending.reset();
  checkpoints::checkpoint_metadata meta;
  meta.job_id = rt->job_id;
  meta.checkpoint_id = p.id;
  meta.trigger_time = p.trigger_time;
  meta.savepoint = p.savepoint;
  std::map<std::string, std::size_t> index;
  for (auto& ack : p.acks)
    for (auto& op : ack->operators) {
      auto it = index.find(op.uid);
      if (it == index.end()) {
        index[op.uid] = meta.operators.size();
        meta.operators.push_back(op);
        continue;
      }
      auto& dst = meta.operators[it->second];
      dst.keyed.insert(dst.keyed.end(), op.keyed.begin(), op.keyed.end());
      dst.operator_state.insert(dst.operator_state.end(), op.operator_state.begin(),
                                op.operator_state.end());
    }
  // Stateless operators need no uid match on restore: leave them out.
  meta.operators.erase(std::remove_if(meta.operators.begin(), meta.operators.end(),
                                      [](const checkpoints::operator_snapshot& op) {
                                        return op.keyed.empty() && op.operator_state.empty();
                                      }),
                       meta.operators.end());
  std::string path;
  try {
    if (p.savepoint) {
      path = p.request.dir + "/_metadata";
      checkpoints::write_file_atomically(path, checkpoints::encode_metadata(meta));
    } else {
      st.storage->write_metadata(meta);
      path = st.storage->checkpoint_dir(p.id) + "/_metadata";
    }
  } catch (const std::exception& e) {
    st.pending = std::move(p);
    abort_pending(self, rt, std::string("cannot write _metadata: ") + e.what());
    return;
  }
  st.consecutive_failures = 0;
  st.last_completed = steady::now();
  record_stats(rt, p, "COMPLETED", p.savepoint ? p.request.dir : st.storage->checkpoint_dir(p.id),
               "", st.subtasks);
  if (!p.savepoint) {
    auto rp = std::make_shared<restore_point>();
    rp->meta = meta;
    rp->base_dir = st.storage->job_dir();
    rp->path = path;
    std::lock_guard<std::mutex> lock(rt->mu);
    rt->restore = std::move(rp);
  }
  // A savepoint in between does not commit sinks (failover restores from
  // checkpoints, which would take that output back); a stop-savepoint does.
  if (!p.savepoint || p.request.stop)
    for (auto& t : st.tasks)
      self->send(t, complete_atom::value, p.id);
  if (!p.savepoint) {
    st.retained.push_back(p.id);
    while (static_cast<int>(st.retained.size()) > rt->checkpointing.retained) {
      st.storage->discard(st.retained.front());
      st.retained.pop_front();
    }
  }
  spate::log().debug("{} {} of job {} completed in {} ms", p.savepoint ? "savepoint" : "checkpoint",
                     p.id, rt->job_name, ms_since(p.started));
  if (p.request.result)
    p.request.result->set_value(p.savepoint ? p.request.dir : path);
  if (p.request.stop) {
    st.active = false;
    self->send(rt->master, stopped_atom::value);
    return;
  }
  start_queued(self, rt);
}

void trigger(coordinator_actor* self, job_runtime* rt, savepoint_request req, bool savepoint) {
  auto& st = self->state;
  pending_checkpoint p;
  p.id = st.next_id++;
  p.trigger_time = wall_ms();
  p.started = steady::now();
  p.savepoint = savepoint;
  if (savepoint) {
    std::string base = req.dir.empty()
                           ? rt->config.get_string(options::savepoints_dir, rt->checkpointing.dir)
                           : req.dir;
    std::mt19937_64 rng(std::random_device{}());
    char suffix[13];
    std::snprintf(suffix, sizeof suffix, "%012llx",
                  static_cast<unsigned long long>(rng() & 0xffffffffffffull));
    req.dir = base + "/savepoint-" + rt->job_id.substr(0, 6) + "-" + suffix;
    std::error_code ec;
    std::filesystem::create_directories(req.dir, ec);
    if (ec) {
      if (req.result)
        req.result->set_exception(std::make_exception_ptr(
            error(errc::io, "cannot create savepoint directory '" + req.dir + "': " +
                                ec.message())));
      return;
    }
  }
  p.request = req;
  trigger_msg msg{p.id, savepoint, req.stop, req.drain, req.dir};
  st.pending = std::move(p);
  for (auto& s : st.sources)
    self->send(s, msg);
  self->delayed_send(self, rt->checkpointing.timeout, timeout_atom::value, msg.id);
}

void schedule_tick(coordinator_actor* self, job_runtime* rt) {
  if (rt->checkpointing.enabled)
    self->delayed_send(self, rt->checkpointing.interval, trigger_atom::value,
                       self->state.generation);
}

caf::behavior coordinator(coordinator_actor* self, job_runtime* rt) {
  auto& st = self->state;
  st.storage = std::make_unique<checkpoints::checkpoint_storage>(rt->checkpointing.dir, rt->job_id);
  if (auto rp = rt->restore_from())
    st.next_id = rp->meta.checkpoint_id + 1;
  return {
    [self, rt](start_atom, std::vector<caf::actor>& tasks, std::vector<caf::actor>& sources) {
      auto& st = self->state;
      st.tasks = std::move(tasks);
      st.sources = std::move(sources);
      st.subtasks = st.tasks.size();
      st.active = true;
      ++st.generation;
      schedule_tick(self, rt);
    },
    [self, rt](pause_atom) {
      auto& st = self->state;
      st.active = false;
      ++st.generation;
      abort_pending(self, rt, "the job is restarting or stopping", false);
      for (auto& q : st.queued)
        if (q.result)
          q.result->set_exception(std::make_exception_ptr(
              error(errc::internal, "savepoint failed: the job is restarting or stopping")));
      st.queued.clear();
    },
    [self, rt](finished_atom) {
      // A task finished: later barriers could not pass it.
      auto& st = self->state;
      st.active = false;
      abort_pending(self, rt, "a task finished before the checkpoint completed", false);
      start_queued(self, rt);
    },
    [self, rt](trigger_atom, std::uint64_t generation) {
      auto& st = self->state;
      if (generation != st.generation || !st.active)
        return;
      bool paused = st.last_completed != steady::time_point{} &&
                    steady::now() - st.last_completed < rt->checkpointing.min_pause;
      if (!st.pending && !paused)
        trigger(self, rt, {}, false);
      schedule_tick(self, rt);
    },
    [self, rt](savepoint_request& req) {
      auto& st = self->state;
      if (!st.active) {
        if (req.result)
          req.result->set_exception(std::make_exception_ptr(
              error(errc::invalid_argument, "the job is not running; no savepoint taken")));
        return;
      }
      if (st.pending)
        st.queued.push_back(std::move(req));
      else
        trigger(self, rt, std::move(req), true);
    },
    [self, rt](ack_msg& m) {
      auto& st = self->state;
      if (!st.pending || st.pending->id != m.snapshot->id)
        return; // late ack of an aborted checkpoint
      st.pending->acks.push_back(std::move(m.snapshot));
      if (st.pending->acks.size() == st.subtasks)
        complete_pending(self, rt);
    },
    [self, rt](const decline_msg& m) {
      auto& st = self->state;
      if (st.pending && st.pending->id == m.id)
        abort_pending(self, rt, m.reason, m.counts);
    },
    [self, rt](timeout_atom, std::int64_t id) {
      auto& st = self->state;
      if (st.pending && st.pending->id == id)
        abort_pending(self, rt, "checkpoint expired before completing (timeout " +
                                    std::to_string(rt->checkpointing.timeout.count()) + " ms)");
    },
  };
}

} // namespace

caf::actor spawn_coordinator(caf::actor_system& sys, job_runtime* rt) {
  return sys.spawn(coordinator, rt);
}

} // namespace spate::detail
