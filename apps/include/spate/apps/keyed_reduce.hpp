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
stream<keyed_event> keyed_reduce(environment& env, const generator_options& gen, std::int64_t keys);

//! Count and sum of one key in one window (the keyed-window benchmark).
struct window_count {
  std::int64_t key = 0;
  std::int64_t count = 0;
  std::int64_t sum = 0;
  timestamp window_end = 0;
  SPATE_FIELDS(key, count, sum, window_end);
};

//! The keyed-window micro-benchmark: generated (key, value) events, keys
//! uniform over `keys`, event time advancing 1 us per event (event i at
//! i / 1000 ms), 1 s tumbling windows, count and sum per key and window.
stream<window_count> keyed_window(environment& env, const generator_options& gen,
                                  std::int64_t keys);

void register_keyed_reduce(job_registry& registry);
//! The Nexmark benchmark job (nexmark/).
void register_nexmark(job_registry& registry);

} // namespace spate::apps
