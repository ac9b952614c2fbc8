// Time as the runtime's parts read it, injected so tests can advance it by
// hand instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace spate {

//! A source of time. Implementations are thread-safe.
class clock {
public:
  virtual ~clock() = default;
  //! Milliseconds on a clock that never goes back (durations, pauses).
  virtual std::int64_t monotonic_ms() const = 0;
  //! Milliseconds since the Unix epoch (what is shown and stored).
  virtual std::int64_t wall_ms() const = 0;
  //! Nanoseconds on the clock of monotonic_ms() (a finer reading where there is one).
  virtual std::int64_t monotonic_ns() const { return monotonic_ms() * 1'000'000; }
  //! A clock that moves by hand calls `moved` after each move, so timers armed
  //! on it look again (a task's processing-time timers); it returns true. A
  //! clock that moves by itself returns false: its timers wait in real time.
  virtual bool on_advance(std::function<void()> moved) const {
    (void)moved;
    return false;
  }
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
  std::int64_t monotonic_ns() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  //! The one instance everything shares unless given another.
  static const system_clock& instance() {
    static const system_clock c;
    return c;
  }
  //! instance(), for holders of a shared_ptr (nothing is freed).
  static std::shared_ptr<const clock> shared() {
    return std::shared_ptr<const clock>(&instance(), [](const clock*) {});
  }
};

//! A clock that moves only when told to: both readings advance together.
class manual_clock final : public clock {
public:
  explicit manual_clock(std::int64_t wall_start_ms = 1'700'000'000'000)
      : wall_offset_(wall_start_ms) {}
  std::int64_t monotonic_ms() const override { return now_.load(); }
  std::int64_t wall_ms() const override { return wall_offset_ + now_.load(); }
  bool on_advance(std::function<void()> moved) const override {
    std::lock_guard<std::mutex> lock(mu_);
    listeners_.push_back(std::move(moved));
    return true;
  }
  //! Moves both readings forward, then tells every listener.
  void advance(std::chrono::milliseconds d) {
    now_ += d.count();
    std::vector<std::function<void()>> listeners;
    {
      std::lock_guard<std::mutex> lock(mu_);
      listeners = listeners_;
    }
    for (auto& f : listeners)
      f();
  }

private:
  std::int64_t wall_offset_;
  std::atomic<std::int64_t> now_{0};
  mutable std::mutex mu_;
  mutable std::vector<std::function<void()>> listeners_;
};

} // namespace spate
