// Checkpointing settings, read from Flink's configuration keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "spate/core/config.hpp"

namespace spate {

namespace options {
inline constexpr const char* checkpoint_interval = "execution.checkpointing.interval";
inline constexpr const char* checkpoint_min_pause = "execution.checkpointing.min-pause";
inline constexpr const char* checkpoint_timeout = "execution.checkpointing.timeout";
inline constexpr const char* checkpoint_mode = "execution.checkpointing.mode";
inline constexpr const char* tolerable_failed_checkpoints =
    "execution.checkpointing.tolerable-failed-checkpoints";
inline constexpr const char* checkpoints_dir = "state.checkpoints.dir";
inline constexpr const char* savepoints_dir = "state.savepoints.dir";
inline constexpr const char* checkpoints_retained = "state.checkpoints.num-retained";
} // namespace options

struct checkpoint_config {
  bool enabled = false;
  std::chrono::milliseconds interval{0};
  std::chrono::milliseconds min_pause{0};
  std::chrono::milliseconds timeout{10 * 60 * 1000};
  //! EXACTLY_ONCE aligns barriers; AT_LEAST_ONCE does not block channels.
  bool exactly_once = true;
  int tolerable_failures = 0;
  int retained = 1;
  std::string dir;

  //! Reads the execution.checkpointing.* and state.checkpoints.* keys. Throws
  //! spate::error(errc::invalid_argument) naming a bad key.
  static checkpoint_config from(const configuration& c);
};

} // namespace spate
