// Messages of the checkpoint protocol inside one process.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "spate/checkpoints/metadata.hpp"

namespace spate::detail {

//! Coordinator -> source tasks: start checkpoint `id` (emit barrier `id`).
struct trigger_msg {
  std::int64_t id = 0;
  bool savepoint = false;
  //! Stop with savepoint: sources stop after the barrier (drain: after the
  //! maximum watermark).
  bool stop = false;
  bool drain = false;
  //! For savepoints: where the canonical state files go.
  std::string savepoint_dir;
};

//! What one subtask contributes to a checkpoint.
struct task_snapshot {
  int chain = 0;
  int subtask = 0;
  std::int64_t id = 0;
  //! Per operator of the chain: uid, state handle (if keyed), operator state.
  std::vector<checkpoints::operator_snapshot> operators;
  std::int64_t sync_ms = 0;
  std::int64_t async_ms = 0;
  std::int64_t alignment_ms = 0;
  std::uint64_t bytes = 0;
};

//! Task -> coordinator: the snapshot of checkpoint `id` is stored.
struct ack_msg {
  std::shared_ptr<task_snapshot> snapshot;
};

//! Task -> coordinator: checkpoint `id` cannot complete here.
struct decline_msg {
  std::int64_t id = 0;
  std::string reason;
  //! False when the task was not ready (starting, finished): not a failure
  //! of the checkpoint that counts toward the tolerable failures.
  bool counts = true;
};

//! Client -> coordinator: take a savepoint into `dir`; the promise gets its path.
struct savepoint_request {
  std::string dir;
  bool stop = false;
  bool drain = false;
  std::shared_ptr<std::promise<std::string>> result;
};

//! The id under which the end of a bounded job is "checkpointed": sinks
//! commit what they staged at finish() when it completes.
constexpr std::int64_t final_checkpoint_id = INT64_MAX;

using trigger_atom = caf::atom_constant<caf::atom("trigger")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using complete_atom = caf::atom_constant<caf::atom("complete")>;
using abort_atom = caf::atom_constant<caf::atom("abort")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using finished_atom = caf::atom_constant<caf::atom("finished")>;
using stopped_atom = caf::atom_constant<caf::atom("stopped")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;

} // namespace spate::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::detail::trigger_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::detail::ack_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::detail::decline_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::detail::savepoint_request)
