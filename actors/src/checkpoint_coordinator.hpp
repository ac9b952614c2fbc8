// The checkpoint coordinator of one job (Flink's CheckpointCoordinator):
// triggers checkpoints at the sources, collects acknowledgements, writes
// _metadata, notifies completion, retains and discards, takes savepoints.
#pragma once

#include <caf/all.hpp>

#include "runtime.hpp"

namespace spate::detail {

//! Spawns the coordinator. It reports to `rt->master`: (fail_atom, reason)
//! when too many checkpoints failed, (stopped_atom) after a stop-with-savepoint.
caf::actor spawn_coordinator(caf::actor_system& sys, job_runtime* rt);

} // namespace spate::detail
