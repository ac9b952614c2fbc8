// Messages of the checkpoint protocol inside one process.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "spate/checkpoints/protocol.hpp"

namespace spate::detail {

using checkpoints::checkpoint_trigger;
using checkpoints::final_checkpoint_id;
using checkpoints::savepoint_request;
using checkpoints::subtask_snapshot;

//! Task -> coordinator: the snapshot of checkpoint `id` is stored.
struct ack_msg {
  std::shared_ptr<subtask_snapshot> snapshot;
};

//! Task -> coordinator: checkpoint `id` cannot complete here.
struct decline_msg {
  checkpoint_id id{0};
  std::string reason;
  //! False when the task was not ready (starting, finished): not a failure
  //! of the checkpoint that counts toward the tolerable failures.
  bool counts = true;
};

using trigger_atom = caf::atom_constant<caf::atom("trigger")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using complete_atom = caf::atom_constant<caf::atom("complete")>;
using abort_atom = caf::atom_constant<caf::atom("abort")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using finished_atom = caf::atom_constant<caf::atom("finished")>;
using stopped_atom = caf::atom_constant<caf::atom("stopped")>;
//! Coordinator -> master: every task finished and the final checkpoint (if
//! checkpointing is on) completed; the job may end.
using all_done_atom = caf::atom_constant<caf::atom("alldone")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;

} // namespace spate::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::checkpoints::checkpoint_trigger)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::detail::ack_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::detail::decline_msg)
// (complete_atom | abort_atom | timeout_atom, checkpoint_id): inside one process only.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::checkpoint_id)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::checkpoints::savepoint_request)
