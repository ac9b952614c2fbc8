// Time as the runtime's parts read it, injected so tests can advance it by
// hand instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace spate {

//! A source of time. Implementations are thread-safe.
class clock {
public:
  virtual ~clock() = default;
  //! Milliseconds on a clock that never goes back (durations, pauses).
  virtual std::int64_t monotonic_ms() const = 0;
  //! Milliseconds since the Unix epoch (what is shown and stored).
  virtual std::int64_t wall_ms() const = 0;
};

//! The machine's clocks: steady_clock and system_clock.
class system_clock final : public clock {
public:
  std::int64_t monotonic_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  //! The one instance everything shares unless given another.
  static const system_clock& instance() {
    static const system_clock c;
    return c;
  }
};

//! A clock that moves only when told to: both readings advance together.
class manual_clock final : public clock {
public:
  explicit manual_clock(std::int64_t wall_start_ms = 1'700'000'000'000)
      : wall_offset_(wall_start_ms) {}
  std::int64_t monotonic_ms() const override { return now_.load(); }
  std::int64_t wall_ms() const override { return wall_offset_ + now_.load(); }
  void advance(std::chrono::milliseconds d) { now_ += d.count(); }

private:
  std::int64_t wall_offset_;
  std::atomic<std::int64_t> now_{0};
};

} // namespace spate
