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
inline constexpr const char* savepoint_restore_mode = "execution.savepoint-restore-mode";
} // namespace options

//! Who owns the files of the checkpoint or savepoint a job starts from
//! (Flink's RestoreMode, FLIP-193).
enum class restore_mode {
  //! The user: the new job never deletes or changes any of them, and never
  //! refers to them in its own checkpoints (its first checkpoint is a full
  //! one). The default.
  no_claim,
  //! The new job, for a retained checkpoint (chk-<n>/_metadata in a job's
  //! directory): the orphans a crash left in that directory are swept when
  //! the job starts, and the checkpoint counts as the job's own oldest
  //! retained one, deleted once state.checkpoints.num-retained newer ones
  //! completed. A savepoint is never claimed (as no_claim).
  claim,
  //! Flink's mode before 1.15; spate takes it as no_claim.
  legacy,
};

//! "CLAIM", "NO_CLAIM" or "LEGACY", in any case. Throws
//! spate::error(errc::invalid_argument) naming `what` (the key or flag the
//! value came from), the value and the allowed ones.
restore_mode parse_restore_mode(const std::string& value, const std::string& what);
//! CLAIM, NO_CLAIM, LEGACY
const char* to_string(restore_mode m);

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
  //! execution.savepoint-restore-mode: what the job may do with the files of
  //! the snapshot it starts from.
  restore_mode restore = restore_mode::no_claim;

  //! Reads the execution.checkpointing.*, state.checkpoints.* and
  //! execution.savepoint-restore-mode keys. Throws
  //! spate::error(errc::invalid_argument) naming a bad key.
  static checkpoint_config from(const configuration& c);
};

} // namespace spate
