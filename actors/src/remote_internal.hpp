// The JobManager side of remote tasks, for the job master.
#pragma once

#include <vector>

#include <caf/all.hpp>

#include "runtime.hpp"

namespace spate::detail {

//! Starts attempt rt->attempt + 1 on the TaskManagers of `placed`: sends each
//! its deploy frame and returns a proxy per [chain][subtask] that forwards
//! what the master and coordinator send and quits when the task is gone.
std::vector<std::vector<caf::actor>> deploy_remote(caf::actor_system& sys, job_runtime* rt,
                                                   const task_assignment& placed);

//! Every task of the attempt is gone: losing a TaskManager no longer
//! concerns it.
void forget_attempt(job_runtime* rt);

//! Checks that every edge between tasks carries records that can leave the
//! process; throws spate::error(errc::invalid_argument) naming the edge and type.
void check_network_edges(const job_runtime& rt);

using exited_atom = caf::atom_constant<caf::atom("exited")>;

} // namespace spate::detail
