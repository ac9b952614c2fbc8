#include "spate/checkpoints/coordinator.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

#include "spate/core/crash_point.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/core/private_dir.hpp"

namespace spate::checkpoints {

namespace {

std::exception_ptr failure(errc code, const std::string& what) {
  return std::make_exception_ptr(error(code, what));
}

std::string describe(const task_ref& t) {
  return "subtask " + std::to_string(t.subtask.value()) + " of task " + std::to_string(t.chain);
}

} // namespace

checkpoint_coordinator::checkpoint_coordinator(coordinator_setup setup, coordinator_port& port,
                                               const clock& clk)
    : setup_(std::move(setup)), port_(port), clock_(clk),
      storage_(setup_.config.dir, setup_.job_id), next_id_(setup_.first_id) {}

std::optional<checkpoint_id> checkpoint_coordinator::pending_id() const {
  if (!pending_)
    return std::nullopt;
  return pending_->id;
}

orphan_sweep_result checkpoint_coordinator::sweep_orphans(const checkpoint_metadata& restored,
                                                          const std::string& base_dir,
                                                          const std::string& metadata_path) {
  if (active_ || pending_)
    return {};
  // The same directory, however named (relative, through a link): the
  // restored checkpoint's files are this job's to keep.
  std::error_code ec;
  bool here = std::filesystem::equivalent(base_dir, storage_.job_dir(), ec) && !ec;
  // Only what the job was started from is claimed: a restart starts from
  // the job's own checkpoints (or from the claimed one, already taken over).
  if (!started_once_ && !claimed_ && setup_.config.restore == restore_mode::claim)
    claim(restored, base_dir, metadata_path, here);
  return storage_.sweep_orphans(here ? &restored : nullptr);
}

std::optional<checkpoint_id> checkpoint_coordinator::claimed() const {
  if (!claimed_)
    return std::nullopt;
  return checkpoint_id{claimed_->meta.checkpoint_id};
}

void checkpoint_coordinator::claim(const checkpoint_metadata& restored, const std::string& base_dir,
                                   const std::string& metadata_path, bool own_directory) {
  namespace fs = std::filesystem;
  checkpoint_id id{restored.checkpoint_id};
  if (restored.savepoint) {
    log().info("job {}: restore mode CLAIM, but '{}' is a savepoint, which spate never deletes: "
               "it stays the user's (as in NO_CLAIM)",
               setup_.job_name, metadata_path);
    return;
  }
  // Only a checkpoint where its writer put it: <job dir>/chk-<n>/_metadata.
  std::error_code ec;
  fs::path expected = fs::path(base_dir) / ("chk-" + std::to_string(id.value())) / "_metadata";
  if (metadata_path.empty() || !fs::equivalent(metadata_path, expected, ec) || ec) {
    log().warn("job {}: restore mode CLAIM, but '{}' is not chk-{}/_metadata of a job's checkpoint "
               "directory: nothing of it is claimed (as in NO_CLAIM)",
               setup_.job_name, metadata_path.empty() ? expected.string() : metadata_path,
               id.value());
    return;
  }
  if (own_directory) {
    // This job's own directory: the checkpoint is retained like the others
    // (the storage's registry counts its shared files from the sweep on).
    if (std::find(retained_.begin(), retained_.end(), id) == retained_.end())
      retained_.push_front(id);
    log().info("job {}: restore mode CLAIM: checkpoint {} is retained as the job's own",
               setup_.job_name, id.value());
    return;
  }
  // Another job's directory: what its crash left goes now (the claimed
  // checkpoint's files and every other complete checkpoint's stay).
  orphan_sweep_options o;
  o.keep.push_back(restored);
  checkpoints::sweep_orphans(base_dir, o);
  claimed_ = claimed_checkpoint{restored, base_dir};
  retained_.push_front(id);
  log().info("job {}: restore mode CLAIM: checkpoint {} of job {} in '{}' is this job's now; {}",
             setup_.job_name, id.value(), restored.job_id, base_dir,
             !setup_.config.enabled
                 ? std::string("checkpointing is off, so it stays")
                 : "it is deleted once " + std::to_string(setup_.config.retained) +
                       " newer checkpoint" + (setup_.config.retained == 1 ? "" : "s") +
                       " completed");
}

void checkpoint_coordinator::discard_retained(checkpoint_id id) {
  if (claimed_ && claimed_->meta.checkpoint_id == id.value()) {
    auto c = std::move(*claimed_);
    claimed_.reset();
    discard_claimed_checkpoint(c.job_dir, c.meta);
    return;
  }
  storage_.discard(id);
}

void checkpoint_coordinator::start(std::vector<task_ref> tasks, std::vector<task_ref> sources) {
  if (tasks.empty())
    throw error(errc::invalid_argument, "checkpoint coordinator: a job without subtasks");
  tasks_.clear();
  sources_.clear();
  finished_.clear();
  for (auto& t : tasks)
    if (!tasks_.insert(t).second)
      throw error(errc::invalid_argument, "checkpoint coordinator: " + describe(t) + " twice");
  for (auto& s : sources) {
    if (!tasks_.count(s))
      throw error(errc::invalid_argument,
                  "checkpoint coordinator: source " + describe(s) + " is not a subtask of the job");
    sources_.insert(s);
  }
  ended_ = false;
  active_ = true;
  started_once_ = true;
  ++generation_;
  schedule_tick();
}

void checkpoint_coordinator::pause() {
  active_ = false;
  ++generation_;
  abort_pending(errc::unavailable, "the job is restarting or stopping", false);
  for (auto& q : queued_)
    if (q.result)
      q.result->set_exception(
          failure(errc::unavailable, "savepoint failed: the job is restarting or stopping"));
  queued_.clear();
}

void checkpoint_coordinator::task_finished(task_ref t) {
  if (!active_ || !tasks_.count(t) || !finished_.insert(t).second)
    return;
  // No barrier reaches a finished subtask: the checkpoint under way asks it
  // for its final state itself (unless it got the trigger or acknowledged).
  if (pending_ && !pending_->acks.count(t) && pending_->triggered.insert(t).second)
    port_.trigger(pending_->trigger, {t});
  if (all_tasks_finished())
    on_all_finished();
}

void checkpoint_coordinator::on_all_finished() {
  if (!setup_.config.enabled) {
    end_job(false);
    return;
  }
  // The final checkpoint, now rather than at the next interval; one under
  // way is followed by it unless every state it holds is final.
  if (!pending_)
    trigger({}, false);
}

void checkpoint_coordinator::end_job(bool committed) {
  active_ = false;
  ended_ = true;
  ++generation_;
  for (auto& q : queued_)
    if (q.result)
      q.result->set_exception(
          failure(errc::unavailable, "savepoint not taken: every task of the job finished"));
  queued_.clear();
  port_.all_finished(committed);
}

void checkpoint_coordinator::on_tick(std::uint64_t generation) {
  if (generation != generation_ || !active_)
    return;
  bool paused =
      last_completed_ && clock_.monotonic_ms() - *last_completed_ < setup_.config.min_pause.count();
  if (!pending_ && !paused)
    trigger({}, false);
  schedule_tick();
}

void checkpoint_coordinator::on_timeout(checkpoint_id id) {
  if (pending_ && pending_->id == id)
    abort_pending(errc::timeout, "checkpoint expired before completing (timeout " +
                                     std::to_string(setup_.config.timeout.count()) + " ms)");
}

void checkpoint_coordinator::request_savepoint(savepoint_request req) {
  if (!active_) {
    if (req.result)
      req.result->set_exception(
          failure(errc::unavailable, ended_ ? "every task of the job finished; no savepoint taken"
                                            : "the job is not running; no savepoint taken"));
    return;
  }
  if (pending_)
    queued_.push_back(std::move(req));
  else
    trigger(std::move(req), true);
}

void checkpoint_coordinator::acknowledge(std::shared_ptr<subtask_snapshot> snapshot) {
  if (!pending_ || pending_->id != snapshot->id) {
    // A late acknowledgement of a checkpoint given up: what its upload wrote
    // after the abort removed the directory goes now.
    auto id = snapshot->id;
    if (id < next_id_ && std::find(retained_.begin(), retained_.end(), id) == retained_.end())
      storage_.discard(id);
    return;
  }
  task_ref t{snapshot->chain, snapshot->subtask};
  if (!tasks_.count(t)) {
    log().warn("checkpoint {} of job {}: refused an acknowledgement from {}, which the job does "
               "not have",
               pending_->id, setup_.job_name, describe(t));
    return;
  }
  if (!pending_->acks.emplace(t, std::move(snapshot)).second) {
    log().warn("checkpoint {} of job {}: refused a second acknowledgement from {}", pending_->id,
               setup_.job_name, describe(t));
    return;
  }
  if (pending_->acks.size() == tasks_.size())
    complete_pending();
}

void checkpoint_coordinator::decline(checkpoint_id id, const std::string& reason, bool counts) {
  // The task's reason names the cause; its error code does not travel with it.
  if (pending_ && pending_->id == id)
    abort_pending(errc::unavailable, reason, counts);
}

void checkpoint_coordinator::schedule_tick() {
  if (setup_.config.enabled)
    port_.schedule_tick(setup_.config.interval, generation_);
}

std::string checkpoint_coordinator::savepoint_dir_for(const std::string& requested) {
  std::string base = requested.empty() ? setup_.savepoints_dir : requested;
  std::mt19937_64 rng(std::random_device{}());
  char suffix[13];
  std::snprintf(suffix, sizeof suffix, "%012llx",
                static_cast<unsigned long long>(rng() & 0xffffffffffffull));
  return base + "/savepoint-" + setup_.job_id.substr(0, 6) + "-" + suffix;
}

void checkpoint_coordinator::trigger(savepoint_request req, bool savepoint) {
  pending_checkpoint p;
  p.id = next_id_;
  next_id_ = checkpoint_id{next_id_.value() + 1};
  p.trigger_time = clock_.wall_ms();
  p.started = clock_.monotonic_ms();
  p.savepoint = savepoint;
  if (savepoint) {
    req.dir = savepoint_dir_for(req.dir);
    try {
      make_private_directories(req.dir, "savepoint directory");
    } catch (const error& e) {
      if (req.result)
        req.result->set_exception(failure(e.code(), e.what()));
      return;
    } catch (const std::exception& e) {
      // std::filesystem (a path it cannot make absolute, say) throws its
      // own errors: the request fails the same way, never the coordinator.
      if (req.result)
        req.result->set_exception(failure(errc::io, "cannot create the savepoint directory '" +
                                                        req.dir + "': " + e.what()));
      return;
    }
    try {
      // The savepoint's own name in its parent is durable before it is used.
      file_syncer::system().sync_directory(std::filesystem::path(req.dir).parent_path().string());
    } catch (const error&) {
      if (req.result)
        req.result->set_exception(std::current_exception());
      return;
    } catch (const std::exception& e) {
      if (req.result)
        req.result->set_exception(failure(errc::io, "cannot sync the savepoint directory '" +
                                                        req.dir + "': " + e.what()));
      return;
    }
  }
  p.request = req;
  p.trigger = checkpoint_trigger{p.id, savepoint, req.stop, req.drain, req.dir};
  // Running sources start the barrier; finished subtasks are asked directly.
  std::vector<task_ref> targets;
  for (auto& s : sources_)
    if (!finished_.count(s))
      targets.push_back(s);
  targets.insert(targets.end(), finished_.begin(), finished_.end());
  p.triggered.insert(targets.begin(), targets.end());
  auto t = p.trigger;
  pending_ = std::move(p);
  port_.trigger(t, targets);
  port_.schedule_timeout(setup_.config.timeout, t.id);
}

void checkpoint_coordinator::start_queued() {
  if (pending_ || queued_.empty())
    return;
  if (!active_) {
    for (auto& q : queued_)
      if (q.result)
        q.result->set_exception(
            failure(errc::unavailable, "savepoint not taken: the job is not running"));
    queued_.clear();
    return;
  }
  auto next = std::move(queued_.front());
  queued_.pop_front();
  trigger(std::move(next), true);
}

void checkpoint_coordinator::record_stats(const pending_checkpoint& p, const std::string& status,
                                          const std::string& path, const std::string& failure) {
  checkpoint_stats st;
  st.id = p.id.value();
  st.status = status;
  st.savepoint = p.savepoint;
  st.trigger_timestamp = p.trigger_time;
  st.end_to_end_duration = clock_.monotonic_ms() - p.started;
  for (auto& [t, a] : p.acks) {
    st.subtasks.push_back(
        {a->task_name, t.subtask.value(), a->sync_ms, a->async_ms, a->alignment_ms, a->bytes});
    st.sync_duration = std::max(st.sync_duration, a->sync_ms);
    st.async_duration = std::max(st.async_duration, a->async_ms);
    st.alignment_duration = std::max(st.alignment_duration, a->alignment_ms);
    st.state_size += a->bytes;
  }
  st.num_acknowledged_subtasks = static_cast<int>(p.acks.size());
  st.num_subtasks = static_cast<int>(tasks_.size());
  st.external_path = path;
  st.failure_message = failure;
  port_.record(std::move(st));
}

void checkpoint_coordinator::abort_pending(errc code, const std::string& reason, bool counts) {
  if (!pending_)
    return;
  auto p = std::move(*pending_);
  pending_.reset();
  log().warn("checkpoint {} of job {} aborted: {}", p.id.value(), setup_.job_name, reason);
  port_.notify_aborted(p.id);
  record_stats(p, "FAILED", "", reason);
  if (!p.savepoint)
    storage_.discard(p.id);
  if (p.request.result)
    p.request.result->set_exception(failure(code, (p.savepoint ? "savepoint " : "checkpoint ") +
                                                      std::to_string(p.id.value()) +
                                                      " failed: " + reason));
  if (counts && !p.savepoint && ++consecutive_failures_ > setup_.config.tolerable_failures) {
    consecutive_failures_ = 0;
    port_.fail_job("exceeded checkpoint tolerable failure threshold (" +
                   std::to_string(setup_.config.tolerable_failures) + "): " + reason);
  }
  if (p.request.stop && p.request.drain)
    // The sources already emitted the final watermark: windows fired. Only a
    // restart from the last checkpoint undoes that.
    port_.fail_job("stop-with-savepoint (drain) failed: " + reason);
  start_queued();
}

checkpoint_metadata checkpoint_coordinator::merge(const pending_checkpoint& p) const {
  checkpoint_metadata meta;
  meta.job_id = setup_.job_id;
  meta.checkpoint_id = p.id.value();
  meta.trigger_time = p.trigger_time;
  meta.savepoint = p.savepoint;
  // A task whose every subtask finished: its operators run no more.
  std::map<std::int32_t, std::pair<std::size_t, std::size_t>> finished_of; // (subtasks, finished)
  for (auto& t : tasks_)
    ++finished_of[t.chain].first;
  for (auto& [t, ack] : p.acks)
    if (ack->finished)
      ++finished_of[t.chain].second;
  std::map<std::string, std::size_t> index;
  for (auto& [t, ack] : p.acks)
    for (auto& op : ack->operators) {
      auto it = index.find(op.uid);
      if (it == index.end()) {
        index[op.uid] = meta.operators.size();
        meta.operators.push_back(op);
        meta.operators.back().finished = finished_of[t.chain].first == finished_of[t.chain].second;
        continue;
      }
      auto& dst = meta.operators[it->second];
      dst.keyed.insert(dst.keyed.end(), op.keyed.begin(), op.keyed.end());
      dst.operator_state.insert(dst.operator_state.end(), op.operator_state.begin(),
                                op.operator_state.end());
    }
  // Stateless operators need no uid match on restore: leave them out, unless
  // they finished (a restore must know not to run them again).
  meta.operators.erase(std::remove_if(meta.operators.begin(), meta.operators.end(),
                                      [](const operator_snapshot& op) {
                                        return op.keyed.empty() && op.operator_state.empty() &&
                                               !op.finished;
                                      }),
                       meta.operators.end());
  return meta;
}

void checkpoint_coordinator::complete_pending() {
  auto meta = merge(*pending_);
  std::string path;
  crash_point("before-metadata"); // every part uploaded, the checkpoint not complete
  try {
    if (pending_->savepoint) {
      path = pending_->request.dir + "/_metadata";
      write_file_atomically(path, encode_metadata(meta));
    } else {
      storage_.write_metadata(meta);
      path = storage_.checkpoint_dir(pending_->id) + "/_metadata";
    }
  } catch (const error& e) {
    abort_pending(e.code(), std::string("cannot write _metadata: ") + e.what());
    return;
  } catch (const std::exception& e) { // std::filesystem_error and the like
    abort_pending(errc::io, std::string("cannot write _metadata: ") + e.what());
    return;
  }
  crash_point("after-metadata"); // complete, but no sink was told to commit
  auto p = std::move(*pending_);
  pending_.reset();
  consecutive_failures_ = 0;
  last_completed_ = clock_.monotonic_ms();
  record_stats(p, "COMPLETED", p.savepoint ? p.request.dir : storage_.checkpoint_dir(p.id), "");
  if (!p.savepoint)
    port_.restart_point(meta, storage_.job_dir(), path);
  // A savepoint in between does not commit sinks (failover restores from
  // checkpoints, which would take that output back); a stop-savepoint does.
  if (!p.savepoint || p.request.stop)
    port_.notify_complete(p.id);
  if (!p.savepoint) {
    retained_.push_back(p.id);
    while (static_cast<int>(retained_.size()) > setup_.config.retained) {
      auto oldest = retained_.front();
      retained_.pop_front();
      discard_retained(oldest);
    }
  }
  log().debug("{} {} of job {} completed in {} ms", p.savepoint ? "savepoint" : "checkpoint",
              p.id.value(), setup_.job_name, clock_.monotonic_ms() - p.started);
  if (p.request.result)
    p.request.result->set_value(p.savepoint ? p.request.dir : path);
  if (p.request.stop) {
    active_ = false;
    port_.stopped();
    return;
  }
  if (all_tasks_finished() && !p.savepoint &&
      std::all_of(p.acks.begin(), p.acks.end(), [](const auto& a) { return a.second->finished; })) {
    end_job(true); // the final checkpoint: every sink committed its final output
    return;
  }
  start_queued();
  if (!pending_ && all_tasks_finished())
    trigger({}, false); // a final checkpoint holding every final state follows
}

} // namespace spate::checkpoints
