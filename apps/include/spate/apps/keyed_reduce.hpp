// The foundation benchmark as a job: generated (key, value) events, a map,
// key_by and a running reduce per key with state on RocksDB. spate-bench runs
// it in one process; `spate run keyed_reduce` runs it on a cluster.
#pragma once

#include <cstdint>

#include "spate/api/stream.hpp"
#include "spate/cluster/job_registry.hpp"
#include "spate/core/codec.hpp"

namespace spate::apps {

struct keyed_event {
  std::int64_t key = 0;
  std::int64_t value = 0;
  SPATE_FIELDS(key, value);
};

//! generator -> map -> key_by -> reduce (the running sum of values per key).
stream<keyed_event> keyed_reduce(environment& env, const generator_options& gen,
                                 std::int64_t keys);

void register_keyed_reduce(job_registry& registry);
//! The Nexmark benchmark job (nexmark/).
void register_nexmark(job_registry& registry);

} // namespace spate::apps
