// The checkpoint steps of a task: a trigger at a source, barriers aligned by
// the barrier aligner (checkpoints/), the snapshot (synchronous part here,
// the RocksDB checkpoint and upload on the uploader's thread), and what a
// completed or aborted checkpoint means for the task.
#include <filesystem>

#include "spate/checkpoints/keyed_snapshot.hpp"
#include "spate/checkpoints/storage.hpp"
#include "spate/core/key_group.hpp"
#include "spate/core/log.hpp"
#include "spate/state/keyed_state_backend.hpp"
#include "task_actor.hpp"

namespace spate::detail {

void task_actor::on_checkpoint_complete(checkpoint_id id) {
  if (id == final_checkpoint_id) {
    if (state_ == task_state::reported)
      end_with_job();
    return;
  }
  for (auto& op : ops_)
    op->notify_checkpoint_complete(id.value());
  if (final_snapshot_ != checkpoint_id{0} && id >= final_snapshot_)
    final_committed_ = true; // a checkpoint holding the final state completed
  after_work();
}

void task_actor::end_with_job() {
  if (!final_committed_) {
    // No completed checkpoint holds this task's final state (checkpointing
    // is off): what sinks wrote is staged and committed now.
    operator_state_writer unused;
    for (auto& op : ops_)
      op->snapshot_state(final_checkpoint_id.value(), unused);
    for (auto& op : ops_)
      op->notify_checkpoint_complete(final_checkpoint_id.value());
  }
  set_state(task_state::done);
  close_operators();
  quit();
}

void task_actor::on_checkpoint_aborted(checkpoint_id id) {
  rt_->note_aborted(id); // its upload, queued or under way, stops
  apply(aligner_.on_abort(id));
  for (auto& op : ops_)
    op->notify_checkpoint_aborted(id.value());
  if (state_ == task_state::stopping && stop_id_ == id) {
    set_state(task_state::running); // the stop failed: keep running
    if (source_ && !tick_scheduled_) {
      tick_scheduled_ = true;
      send(this, tick_atom::value);
    }
    if (!time_requests_.empty())
      schedule_wakeup(); // what came due while stopping fires now
  }
  drain_pending();
}

void task_actor::on_trigger(const checkpoint_trigger& m) {
  auto info = std::make_shared<const checkpoint_trigger>(m);
  if (ended()) {
    // No barrier reaches a finished task: asked by the coordinator (or a
    // source triggered just before its input ended), it contributes its
    // final state, unless it took this checkpoint at its barrier before it
    // finished (that snapshot is the one consistent with its inputs).
    if (m.id <= last_snapshot_)
      return;
    alignment_start_ms_ = rt_->clk->monotonic_ms();
    aligner_.on_triggered(m.id);
    if (take_snapshot(info))
      final_snapshot_ = std::max(final_snapshot_, m.id);
    return;
  }
  if (state_ != task_state::running) {
    send(rt_->coordinator, decline_msg{m.id, "task '" + plan_->name + "' is not running", false});
    return;
  }
  if (m.drain)
    head_->process_watermark(max_watermark); // every window fires before the savepoint
  aligner_.on_triggered(m.id);
  alignment_start_ms_ = rt_->clk->monotonic_ms();
  if (take_snapshot(info) && m.stop) {
    set_state(task_state::stopping);
    stop_id_ = m.id;
  }
}

void task_actor::apply(const checkpoints::alignment_step& step,
                       const std::shared_ptr<const checkpoint_trigger>& info) {
  if (step.started) {
    aligning_info_ = info;
    alignment_start_ms_ = rt_->clk->monotonic_ms();
  }
  if (step.complete) {
    auto taken = std::move(aligning_info_);
    if (take_snapshot(taken) && taken->stop && state_ == task_state::running) {
      // Stop-with-savepoint: what this task emits from here on is not in the
      // savepoint and would come again after a restore from it.
      set_state(task_state::stopping);
      stop_id_ = taken->id;
    }
  }
  if (step.released)
    release_held();
  if (!aligner_.aligning())
    aligning_info_.reset();
}

void task_actor::release_held() {
  // What waited behind the barriers goes first, in its channel's order.
  std::deque<pending_input> released;
  for (auto& held : held_) {
    for (auto& p : held)
      released.push_back(std::move(p));
    held.clear();
  }
  pending_.insert(pending_.begin(), std::make_move_iterator(released.begin()),
                  std::make_move_iterator(released.end()));
}

bool task_actor::take_snapshot(const std::shared_ptr<const checkpoint_trigger>& info) {
  try {
    snapshot_now(info);
    return true;
  } catch (const std::exception& e) {
    // A snapshot that cannot be written fails the checkpoint, not the job.
    spate::log().warn("task '{}' ({}/{}) declines checkpoint {}: {}", plan_->name,
                      subtask_.value() + 1, plan_->parallelism, info->id.value(), e.what());
    send(rt_->coordinator, decline_msg{info->id, e.what(), !info->savepoint});
    return false;
  }
}

void task_actor::snapshot_now(const std::shared_ptr<const checkpoint_trigger>& info) {
  auto snap = std::make_shared<subtask_snapshot>();
  snap->chain = chain_;
  snap->subtask = subtask_;
  snap->task_name = plan_->name;
  snap->id = info->id;
  snap->alignment_ms = rt_->clk->monotonic_ms() - alignment_start_ms_;
  snap->finished = ended();
  last_snapshot_ = std::max(last_snapshot_, info->id);
  auto sync_start = rt_->clk->monotonic_ms();
  std::vector<std::pair<std::size_t, std::string>> local_dirs;
  // Shared: the uploader's closure is copied; the last copy drops what never ran.
  auto prepared =
      std::make_shared<std::vector<std::unique_ptr<keyed_state_backend::prepared_flush>>>();
  std::vector<std::pair<std::string, std::shared_ptr<const std::map<std::string, std::string>>>>
      upload_names;
  for (std::size_t k = 0; k < ops_.size(); ++k) {
    const auto& pv = rt_->plan.vertices[plan_->members[k]];
    operator_state_writer w;
    ops_[k]->snapshot_state(info->id.value(), w);
    checkpoints::operator_snapshot os;
    os.uid = pv.uid;
    os.name = contexts_[k]->task_name;
    os.parallelism = pv.parallelism;
    os.max_parallelism = pv.max_parallelism;
    for (auto& [name, bytes] : w.entries()) {
      snap->bytes += bytes.size();
      os.operator_state.push_back({subtask_.value(), name, bytes});
    }
    if (auto* b = op_backend_[k]) {
      std::string prefix = pv.uid + "_" + std::to_string(subtask_.value());
      if (info->savepoint) {
        checkpoints::keyed_state_handle h;
        h.subtask = subtask_.value();
        h.key_group_start = b->key_groups().start;
        h.key_group_end = b->key_groups().end;
        h.format = "canonical";
        auto size =
            checkpoints::export_canonical(*b, info->savepoint_dir + "/" + prefix + ".state");
        h.private_files.push_back({prefix + ".state", size});
        snap->bytes += size;
        os.keyed.push_back(std::move(h));
      } else {
        std::string local =
            rt_->state_root + "/snapshots/" + prefix + "/chk-" + std::to_string(info->id.value());
        // The writes and the RocksDB checkpoint happen on the uploader's
        // thread; this task goes on with the next records meanwhile.
        prepared->push_back(b->prepare_flush());
        local_dirs.emplace_back(k, local);
        upload_names.emplace_back(incarnation_[k], restored_files_[k]);
      }
    }
    snap->operators.push_back(std::move(os));
  }
  snap->sync_ms = rt_->clk->monotonic_ms() - sync_start;
  // The barrier follows every record emitted before the snapshot (a finished
  // task's channels have ended: nothing follows their end).
  if (!snap->finished) {
    for (auto& w : writers_)
      w->flush();
    send_control(0, static_cast<int>(out_.size()), barrier_event{info});
  }
  if (local_dirs.empty()) {
    send(rt_->coordinator, ack_msg{std::move(snap)});
    return;
  }
  auto* rt = rt_;
  rt_->upload.submit([rt, snap, local_dirs, upload_names, prepared, id = info->id,
                      subtask = subtask_.value()] {
    auto start = rt->clk->monotonic_ms();
    if (rt->aborted(id)) {
      // Aborted while queued: the state's writes still go to RocksDB,
      // without a checkpoint of it or an upload.
      for (auto& p : *prepared)
        p->apply([](rocksdb::DB*) {});
      return;
    }
    try {
      for (std::size_t i = 0; i < prepared->size(); ++i)
        (*prepared)[i]->apply_and_checkpoint(local_dirs[i].second);
      checkpoints::checkpoint_storage storage(rt->checkpointing.dir, rt->job_id);
      for (std::size_t i = 0; i < local_dirs.size(); ++i) {
        auto& [k, dir] = local_dirs[i];
        auto& os = snap->operators[k];
        auto h = storage.upload_rocksdb_checkpoint(dir, id, upload_names[i].first,
                                                   *upload_names[i].second,
                                                   [rt, id] { return rt->aborted(id); });
        h.subtask = subtask;
        auto range = key_group_range_for_subtask(os.max_parallelism, os.parallelism, subtask);
        h.key_group_start = range.start;
        h.key_group_end = range.end;
        for (auto* files : {&h.shared_files, &h.private_files})
          for (auto& f : *files)
            snap->bytes += f.size;
        os.keyed.push_back(std::move(h));
        // The local RocksDB checkpoint is uploaded: only disk space is at stake.
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
        if (ec)
          spate::log().warn("checkpoint {}: cannot remove the local copy '{}': {}", id, dir,
                            ec.message());
      }
      snap->async_ms = rt->clk->monotonic_ms() - start;
      caf::anon_send(rt->coordinator, ack_msg{snap});
    } catch (const std::exception& e) {
      // Nothing of a checkpoint that did not complete here stays: the
      // local copies and the private files already uploaded.
      checkpoints::checkpoint_storage storage(rt->checkpointing.dir, rt->job_id);
      for (std::size_t i = 0; i < local_dirs.size(); ++i) {
        std::error_code ec;
        std::filesystem::remove_all(local_dirs[i].second, ec);
        std::filesystem::remove_all(storage.checkpoint_dir(id) + "/" + upload_names[i].first, ec);
      }
      caf::anon_send(rt->coordinator, decline_msg{id, e.what()});
    }
  });
}

} // namespace spate::detail
