// What the connectors need to know about checkpointing: whether it is on.
#pragma once

#include "spate/actors/runtime_context.hpp"

namespace spate {

//! True when the job takes periodic checkpoints: the configuration has
//! `execution.checkpointing.interval` set to a duration > 0. Sinks stage their
//! output (two-phase commit) only then. Throws spate::error(errc::invalid_argument)
//! naming the key when its value is not a duration.
bool checkpointing_enabled(const runtime_context& ctx);

} // namespace spate
