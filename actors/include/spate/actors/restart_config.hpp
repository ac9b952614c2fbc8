// Restart strategies of a job (the job master's), read from Flink's keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

#include "spate/core/clock.hpp"
#include "spate/core/config.hpp"

namespace spate {

namespace options {
inline constexpr const char* restart_strategy = "restart-strategy.type";
} // namespace options

//! Flink's restart strategies: none, fixed-delay, exponential-delay,
//! failure-rate (restart-strategy.type, or the older key restart-strategy).
struct restart_config {
  enum kind_t { none, fixed_delay, exponential_delay, failure_rate };
  kind_t kind = none;
  std::int64_t attempts = 0;             //!< fixed-delay
  std::chrono::milliseconds delay{1000}; //!< fixed-delay, failure-rate
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

//! Applies a restart strategy failure after failure (the job master's):
//! whether the job restarts and after how long. Time comes from `clk`.
class restart_tracker {
public:
  explicit restart_tracker(restart_config config, const clock& clk = system_clock::instance());
  //! A failure now: the delay before the next attempt (which is counted), or
  //! nullopt when the strategy allows no more.
  std::optional<std::chrono::milliseconds> on_failure();
  //! Restarts granted so far.
  std::int64_t attempts() const { return attempts_; }

private:
  restart_config config_;
  const clock& clock_;
  std::int64_t attempts_ = 0;
  std::chrono::milliseconds backoff_{0};     //!< exponential-delay: the last delay
  std::optional<std::int64_t> last_failure_; //!< exponential-delay, monotonic ms
  std::deque<std::int64_t> failures_;        //!< failure-rate, monotonic ms
};

} // namespace spate
