// table.exec.state.ttl, Flink's idle state retention for the SQL operators whose state grows
// with their keys (GroupAggregate, Join, Rank, Deduplicate): a key's state that has not been
// written for the TTL (processing time) is dropped, and until it is, it counts as gone (Flink's
// NeverReturnExpired). One processing-time timer per key is pending at a time: at its time the
// state goes if it is still idle, or the timer is set again for when it will be.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "spate/actors/runtime_context.hpp"
#include "spate/api/process.hpp"
#include "spate/core/codec.hpp"
#include "spate/core/config.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate::sql {

//! When a key's state was last written and when its cleanup timer fires.
struct ttl_times {
  std::int64_t written = 0;
  std::int64_t timer = 0;
  SPATE_FIELDS(written, timer);
};

namespace detail {

//! The TTL of the job's configuration in ms (0: state is kept for ever, Flink's default).
inline std::int64_t state_ttl_ms(const runtime_context& rc) {
  if (!rc.config)
    return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             rc.config->get_duration("table.exec.state.ttl", std::chrono::milliseconds(0)))
      .count();
}

class idle_state_ttl {
public:
  //! Reads the TTL; with one, keeps the times in keyed state `name`.
  void open(runtime_context& rc, const std::string& name) {
    ttl_ = state_ttl_ms(rc);
    if (ttl_ > 0)
      times_ = &rc.state->get_value_state(value_state_descriptor<ttl_times>{name});
  }
  bool on() const { return ttl_ > 0; }
  std::int64_t ttl() const { return ttl_; }

  //! Whether the current key's state has been idle for the TTL at `now` (and so is gone).
  bool expired(std::int64_t now) {
    if (!on())
      return false;
    const ttl_times* t = times_->get();
    return t && t->written + ttl_ <= now;
  }

  //! The current key's state was written at `now`: its cleanup timer, unless one is pending.
  void touch(std::int64_t now, timer_service& timers) {
    if (!on())
      return;
    if (ttl_times* t = times_->mutate()) {
      t->written = now;
      if (t->timer > now)
        return;
      t->timer = now + ttl_;
      timers.register_processing_time_timer(t->timer);
      return;
    }
    times_->update(ttl_times{now, now + ttl_});
    timers.register_processing_time_timer(now + ttl_);
  }

  //! At the cleanup timer `at`: true when the current key's state is to go now (then call
  //! clear()); otherwise the timer is set again for when the TTL will have passed.
  bool due(std::int64_t at, timer_service& timers) {
    if (!on())
      return false;
    ttl_times* t = times_->mutate();
    if (!t)
      return false;
    if (t->written + ttl_ <= at)
      return true;
    t->timer = t->written + ttl_;
    timers.register_processing_time_timer(t->timer);
    return false;
  }

  //! The current key's state is gone.
  void clear() {
    if (on())
      times_->clear();
  }

private:
  std::int64_t ttl_ = 0;
  value_state<ttl_times>* times_ = nullptr;
};

} // namespace detail

} // namespace spate::sql
