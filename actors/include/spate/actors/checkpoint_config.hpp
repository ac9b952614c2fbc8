// Checkpointing and restart settings, read from Flink's configuration keys.
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
inline constexpr const char* restart_strategy = "restart-strategy.type";
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

//! Flink's restart strategies: none, fixed-delay, exponential-delay,
//! failure-rate (restart-strategy.type, or the older key restart-strategy).
struct restart_config {
  enum kind_t { none, fixed_delay, exponential_delay, failure_rate };
  kind_t kind = none;
  std::int64_t attempts = 0;                 //!< fixed-delay
  std::chrono::milliseconds delay{1000};     //!< fixed-delay, failure-rate
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5 * 60 * 1000};
  double multiplier = 2.0;
  std::chrono::milliseconds reset_threshold{60 * 60 * 1000};
  std::int64_t max_failures_per_interval = 1; //!< failure-rate
  std::chrono::milliseconds failure_interval{60 * 1000};

  //! Default: fixed-delay (unbounded attempts, 1 s) when checkpointing is on,
  //! none otherwise (Flink's defaults).
  static restart_config from(const configuration& c, bool checkpointing);
  static const char* name(kind_t k);
};

} // namespace spate
