// The job master of one job (Flink's JobMaster), as an actor.
#pragma once

#include <caf/all.hpp>

#include "runtime.hpp"

namespace spate::detail {

//! Spawns the master. It deploys on (start_atom), reacts to task_done_msg,
//! (fail_atom, cause) and (stopped_atom) from the coordinator, and
//! (cancel_atom); it sets the job's status and quits when the job ended.
caf::actor spawn_job_master(caf::actor_system& sys, job_runtime* rt);

} // namespace spate::detail
