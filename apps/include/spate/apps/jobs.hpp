// The jobs that ship with spate.
#pragma once

#include "spate/api/stream.hpp"
#include "spate/cluster/job_registry.hpp"

namespace spate::apps {

//! Words split on whitespace, counted per word (a running keyed sum), as JSON
//! lines {"word": w, "count": n}: one line per word occurrence.
stream<std::string> wordcount(stream<std::string> lines);

//! Registers every job of this folder.
void register_jobs(job_registry& registry);

} // namespace spate::apps
