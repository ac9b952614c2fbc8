// The values the checkpoint protocol passes between the coordinator, the
// tasks and the clients, whatever carries them (actor messages inside a
// process, frames between processes).
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "spate/checkpoints/metadata.hpp"
#include "spate/core/types.hpp"

namespace spate::checkpoints {

//! One subtask of a job, as the coordinator counts them.
struct task_ref {
  std::int32_t chain = 0;
  subtask_index subtask{0};
  friend bool operator==(const task_ref& a, const task_ref& b) {
    return a.chain == b.chain && a.subtask == b.subtask;
  }
  friend bool operator<(const task_ref& a, const task_ref& b) {
    return a.chain != b.chain ? a.chain < b.chain : a.subtask < b.subtask;
  }
};

//! Coordinator -> tasks: start checkpoint `id`. A running source emits its
//! barrier, which carries it on to every running task; a finished task (no
//! barrier can reach it) snapshots its final state.
struct checkpoint_trigger {
  checkpoint_id id{0};
  bool savepoint = false;
  //! Stop with savepoint: sources stop after the barrier (drain: after the
  //! maximum watermark).
  bool stop = false;
  bool drain = false;
  //! For savepoints: where the canonical state files go.
  std::string savepoint_dir;
};

//! What one subtask contributes to a checkpoint.
struct subtask_snapshot {
  int chain = 0;
  subtask_index subtask{0};
  //! The chain's name, for statistics.
  std::string task_name;
  checkpoint_id id{0};
  //! Per operator of the chain: uid, state handle (if keyed), operator state.
  std::vector<operator_snapshot> operators;
  std::int64_t sync_ms = 0;
  std::int64_t async_ms = 0;
  std::int64_t alignment_ms = 0;
  std::uint64_t bytes = 0;
  //! Taken after the subtask finished: its operators' final state.
  bool finished = false;
};

//! Client -> coordinator: take a savepoint into `dir` (empty: the configured
//! directory); `result` gets its path or the reason it failed.
struct savepoint_request {
  std::string dir;
  bool stop = false;
  bool drain = false;
  std::shared_ptr<std::promise<std::string>> result;
};

//! The id under which the end of a bounded job without checkpointing is
//! "checkpointed": sinks stage and commit what they wrote when it completes.
//! (With checkpointing, a real final checkpoint commits it.)
constexpr checkpoint_id final_checkpoint_id{INT64_MAX};

} // namespace spate::checkpoints
