#include "spate/actors/restart_config.hpp"

#include <limits>

#include "spate/core/error.hpp"

namespace spate {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& why) {
  throw error(errc::invalid_argument, "configuration '" + key + "': '" + value + "' " + why);
}

} // namespace

const char* restart_config::name(kind_t k) {
  switch (k) {
    case none:
      return "none";
    case fixed_delay:
      return "fixed-delay";
    case exponential_delay:
      return "exponential-delay";
    case failure_rate:
      return "failure-rate";
  }
  return "none";
}

restart_config restart_config::from(const configuration& c, bool checkpointing) {
  restart_config r;
  std::string key = options::restart_strategy;
  auto type = c.get(key);
  if (!type) {
    key = "restart-strategy";
    type = c.get(key);
  }
  std::string t = type ? *type : (checkpointing ? "fixed-delay" : "none");
  if (t == "none" || t == "off" || t == "disable")
    r.kind = none;
  else if (t == "fixed-delay" || t == "fixeddelay")
    r.kind = fixed_delay;
  else if (t == "exponential-delay" || t == "exponentialdelay")
    r.kind = exponential_delay;
  else if (t == "failure-rate" || t == "failurerate")
    r.kind = failure_rate;
  else
    bad(key, t, "is not none, fixed-delay, exponential-delay or failure-rate");
  r.attempts =
      c.get_int("restart-strategy.fixed-delay.attempts", std::numeric_limits<std::int32_t>::max());
  if (r.attempts < 0)
    bad("restart-strategy.fixed-delay.attempts", std::to_string(r.attempts),
        "must not be negative");
  if (r.kind == failure_rate)
    r.delay = c.get_duration("restart-strategy.failure-rate.delay", r.delay);
  else
    r.delay = c.get_duration("restart-strategy.fixed-delay.delay", r.delay);
  r.initial_backoff =
      c.get_duration("restart-strategy.exponential-delay.initial-backoff", r.initial_backoff);
  r.max_backoff = c.get_duration("restart-strategy.exponential-delay.max-backoff", r.max_backoff);
  r.multiplier =
      c.get_double("restart-strategy.exponential-delay.backoff-multiplier", r.multiplier);
  if (r.multiplier < 1.0)
    bad("restart-strategy.exponential-delay.backoff-multiplier", std::to_string(r.multiplier),
        "must be at least 1");
  r.reset_threshold = c.get_duration("restart-strategy.exponential-delay.reset-backoff-threshold",
                                     r.reset_threshold);
  r.max_failures_per_interval = c.get_int("restart-strategy.failure-rate.max-failures-per-interval",
                                          r.max_failures_per_interval);
  r.failure_interval =
      c.get_duration("restart-strategy.failure-rate.failure-rate-interval", r.failure_interval);
  return r;
}

restart_tracker::restart_tracker(restart_config config, const clock& clk)
    : config_(config), clock_(clk) {}

std::optional<std::chrono::milliseconds> restart_tracker::on_failure() {
  const auto& r = config_;
  const std::int64_t now = clock_.monotonic_ms();
  std::optional<std::chrono::milliseconds> delay;
  switch (r.kind) {
    case restart_config::none:
      break;
    case restart_config::fixed_delay:
      if (attempts_ < r.attempts)
        delay = r.delay;
      break;
    case restart_config::exponential_delay:
      // Back to the initial backoff after a quiet spell of reset_threshold.
      if (backoff_.count() == 0 ||
          (last_failure_ && now - *last_failure_ > r.reset_threshold.count()))
        backoff_ = r.initial_backoff;
      else
        backoff_ =
            std::min(r.max_backoff, std::chrono::milliseconds(static_cast<std::int64_t>(
                                        static_cast<double>(backoff_.count()) * r.multiplier)));
      last_failure_ = now;
      delay = backoff_;
      break;
    case restart_config::failure_rate:
      failures_.push_back(now);
      while (!failures_.empty() && now - failures_.front() > r.failure_interval.count())
        failures_.pop_front();
      if (static_cast<std::int64_t>(failures_.size()) <= r.max_failures_per_interval)
        delay = r.delay;
      break;
  }
  if (delay)
    ++attempts_;
  return delay;
}

} // namespace spate
