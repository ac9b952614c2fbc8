// Logging through spdlog. One logger, "spate", writing to stderr.
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

#include "spate/core/types.hpp"

namespace spate {

//! The process-wide logger (created on first use, thread-safe).
spdlog::logger& log();

} // namespace spate

//! IDs (checkpoint_id, subtask_index, ...) log as their numbers.
template <class Tag, class Rep>
struct fmt::formatter<spate::strong_id<Tag, Rep>> : fmt::formatter<Rep> {
  template <class Context>
  auto format(spate::strong_id<Tag, Rep> id, Context& ctx) const {
    return fmt::formatter<Rep>::format(id.value(), ctx);
  }
};
