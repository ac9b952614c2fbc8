// Task-scope metrics of one subtask, in Flink's sense: where its time goes
// (busy, idle, back-pressured; Flink's TimerGauges), the rates of its
// counters (Flink's MeterViews), its watermarks and its named counters.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "spate/actors/job_client.hpp"

namespace spate::detail {

//! Time per phase of one subtask. One writer: its task actor (one live task
//! per (chain, subtask): a job restarts only after every task is down).
//! Readers on any thread get a consistent copy through a sequence lock; the
//! writer never waits and takes no lock (plain stores on x86).
class task_time_meter {
public:
  enum phase : std::uint8_t { busy = 0, idle = 1, back_pressured = 2, stopped = 3 };
  //! Adds [since, now) to the current phase (unless stopped), then enters `p`.
  void switch_to(std::int64_t now_ns, phase p) noexcept;
  struct reading {
    //! ns per phase (busy, idle, back-pressured), the ongoing one up to now.
    std::int64_t ns[3] = {0, 0, 0};
    phase current = stopped;
    //! When the current phase began.
    std::int64_t since_ns = 0;
  };
  //! Includes the ongoing phase up to `now_ns` (nothing when now < since).
  reading read(std::int64_t now_ns) const noexcept;

private:
  std::atomic<std::uint32_t> seq_{0};
  std::atomic<std::int64_t> ns_[3] = {};
  std::atomic<std::int64_t> since_{0};
  std::atomic<std::uint8_t> phase_{stopped};
};

//! Flink's MeterView: the rate of a growing value over a trailing window of
//! 60 s, sampled at a resolution of 5 s. Reader side only, not thread-safe.
class rate_view {
public:
  static constexpr std::int64_t resolution_ns = 5'000'000'000;
  static constexpr std::int64_t window_ns = 60'000'000'000;
  //! Samples (now, value) when 5 s passed since the newest sample (the first
  //! call only sets the base) and returns the rate per second since the
  //! newest sample at least 60 s old (so over 60 to 65 s when read at least
  //! every 5 s; else since the oldest); the previous rate while that sample
  //! is less than 1 s old.
  double update(std::int64_t now_ns, std::int64_t value);

private:
  std::array<std::pair<std::int64_t, std::int64_t>, 14> ring_{};
  int first_ = 0;
  int n_ = 0;
  double last_ = 0;
};

//! A time gauge (Flink's TimerGauge): ms per second of the ns in `view`,
//! clamped to [0, 1000].
double ms_per_second(rate_view& view, std::int64_t now_ns, std::int64_t ns);

//! The rates of one subtask (read under job_runtime::views_mu).
struct task_views {
  rate_view busy, idle, back_pressured, records_in, records_out, bytes_in, bytes_out;
};

//! Per-subtask named counters ("<operator>.numLateRecordsDropped", ...).
class named_counters {
public:
  //! The counter `name`, created at 0; the reference stays valid.
  std::atomic<std::int64_t>& get(const std::string& name);
  //! Adds every counter to `out` by name.
  void add_to(std::map<std::string, std::int64_t>& out) const;
  //! The sum of the counters whose name ends with `suffix`.
  std::int64_t sum_suffix(const std::string& suffix) const;

private:
  //! One cache line each: an operator's thread bumps its counters per
  //! record (a state's cache hits), and counters of other subtasks, made
  //! one after another on one thread, would otherwise share lines with them.
  struct alignas(64) slot {
    std::atomic<std::int64_t> value{0};
  };
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<slot>> values_;
};

struct job_runtime;
struct wire_task_metrics;

//! Reads the metrics of subtask (chain, subtask) of a job running here: its
//! counters, its time meter and, through the rates (under views_mu), the
//! per-second values; `now_ns` on the job clock's monotonic_ns(), `wall_ms`
//! its wall_ms().
subtask_io_metrics read_subtask(job_runtime& rt, int chain, int subtask, std::int64_t now_ns,
                                std::int64_t wall_ms);
wire_task_metrics to_wire(const subtask_io_metrics& m);
//! `task_name` names chain m.chain; `measured_at_ms` is when it arrived.
subtask_io_metrics from_wire(const wire_task_metrics& m, const std::string& task_name,
                             std::int64_t measured_at_ms);

} // namespace spate::detail
