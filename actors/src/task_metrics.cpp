#include "task_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include "runtime.hpp"
#include "wire.hpp"

namespace spate {

const char* backpressure_level(double ratio) {
  if (ratio <= 0.10)
    return "ok";
  if (ratio <= 0.5)
    return "low";
  return "high";
}

} // namespace spate

namespace spate::detail {

void task_time_meter::switch_to(std::int64_t now_ns, phase p) noexcept {
  // Sequence lock, writer side: odd while the fields change. The release
  // fence keeps the field stores after the odd count; the final release
  // store keeps them before the even one.
  const auto s = seq_.load(std::memory_order_relaxed);
  seq_.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  const auto cur = phase_.load(std::memory_order_relaxed);
  const auto since = since_.load(std::memory_order_relaxed);
  if (cur != stopped && now_ns > since)
    ns_[cur].store(ns_[cur].load(std::memory_order_relaxed) + (now_ns - since),
                   std::memory_order_relaxed);
  since_.store(std::max(now_ns, since), std::memory_order_relaxed);
  phase_.store(p, std::memory_order_relaxed);
  seq_.store(s + 2, std::memory_order_release);
}

task_time_meter::reading task_time_meter::read(std::int64_t now_ns) const noexcept {
  reading r;
  for (int spins = 0;; ++spins) {
    const auto s1 = seq_.load(std::memory_order_acquire);
    if (s1 & 1) {
      if (spins > 64)
        std::this_thread::yield();
      continue;
    }
    for (int i = 0; i < 3; ++i)
      r.ns[i] = ns_[i].load(std::memory_order_relaxed);
    r.since_ns = since_.load(std::memory_order_relaxed);
    r.current = static_cast<phase>(phase_.load(std::memory_order_relaxed));
    std::atomic_thread_fence(std::memory_order_acquire);
    if (seq_.load(std::memory_order_relaxed) == s1)
      break;
  }
  if (r.current != stopped && now_ns > r.since_ns)
    r.ns[r.current] += now_ns - r.since_ns;
  return r;
}

double rate_view::update(std::int64_t now_ns, std::int64_t value) {
  constexpr int cap = static_cast<int>(std::tuple_size<decltype(ring_)>::value);
  auto at = [this](int i) -> std::pair<std::int64_t, std::int64_t>& {
    return ring_[static_cast<std::size_t>((first_ + i) % cap)];
  };
  if (n_ == 0) {
    ring_[0] = {now_ns, value};
    first_ = 0;
    n_ = 1;
    return last_ = 0;
  }
  if (now_ns - at(n_ - 1).first >= resolution_ns) {
    if (n_ == cap) {
      first_ = (first_ + 1) % cap;
      --n_;
    }
    at(n_) = {now_ns, value};
    ++n_;
  }
  // The base: the newest sample at least 60 s old, else the oldest (the
  // rate over the time there is). A reader that paused keeps one sample
  // from before the pause: the rate since then.
  while (n_ > 2 && at(1).first <= now_ns - window_ns) {
    first_ = (first_ + 1) % cap;
    --n_;
  }
  const auto& base = at(0);
  const auto span = now_ns - base.first;
  if (span < 1'000'000'000)
    return last_;
  last_ = static_cast<double>(value - base.second) * 1e9 / static_cast<double>(span);
  return last_;
}

std::atomic<std::int64_t>& named_counters::get(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& s = values_[name];
  if (!s)
    s = std::make_unique<slot>();
  return s->value;
}

void named_counters::add_to(std::map<std::string, std::int64_t>& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, s] : values_)
    out[name] += s->value.load(std::memory_order_relaxed);
}

std::int64_t named_counters::sum_suffix(const std::string& suffix) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::int64_t sum = 0;
  for (auto& [name, s] : values_)
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      sum += s->value.load(std::memory_order_relaxed);
  return sum;
}

double ms_per_second(rate_view& view, std::int64_t now_ns, std::int64_t ns) {
  return std::clamp(view.update(now_ns, ns) * 1e-6, 0.0, 1000.0);
}

subtask_io_metrics read_subtask(job_runtime& rt, int chain, int subtask, std::int64_t now_ns,
                                std::int64_t wall_ms) {
  auto& c = *rt.counters[chain][subtask];
  subtask_io_metrics m;
  m.task_name = rt.plan.chains[chain].name;
  m.task = chain;
  m.subtask = subtask;
  m.records_in = c.records_in.load(std::memory_order_relaxed);
  m.records_out = c.records_out.load(std::memory_order_relaxed);
  m.bytes_in = c.bytes_in.load(std::memory_order_relaxed);
  m.bytes_out = c.bytes_out.load(std::memory_order_relaxed);
  const auto r = c.time.read(now_ns);
  {
    std::lock_guard<std::mutex> lock(rt.views_mu);
    auto& v = rt.views[chain][subtask];
    auto per_second = [&](rate_view& view, std::int64_t ns) {
      return ms_per_second(view, now_ns, ns);
    };
    m.busy_ms = per_second(v.busy, r.ns[task_time_meter::busy]);
    m.idle_ms = per_second(v.idle, r.ns[task_time_meter::idle]);
    m.back_pressured_ms = per_second(v.back_pressured, r.ns[task_time_meter::back_pressured]);
    m.records_in_rate = v.records_in.update(now_ns, m.records_in);
    m.records_out_rate = v.records_out.update(now_ns, m.records_out);
    m.bytes_in_rate = v.bytes_in.update(now_ns, m.bytes_in);
    m.bytes_out_rate = v.bytes_out.update(now_ns, m.bytes_out);
  }
  if (!rt.task_time_enabled) {
    m.busy_ms = m.idle_ms = m.back_pressured_ms = std::numeric_limits<double>::quiet_NaN();
  }
  m.acc_busy_ms = r.ns[task_time_meter::busy] / 1'000'000;
  m.acc_idle_ms = r.ns[task_time_meter::idle] / 1'000'000;
  m.acc_back_pressured_ms = r.ns[task_time_meter::back_pressured] / 1'000'000;
  m.back_pressured = r.current == task_time_meter::back_pressured;
  m.input_watermark = c.input_watermark.load(std::memory_order_relaxed);
  m.output_watermark = c.output_watermark.load(std::memory_order_relaxed);
  if (m.output_watermark != min_watermark && m.output_watermark != max_watermark)
    m.watermark_lag_ms = wall_ms - m.output_watermark;
  m.late_records_dropped = c.named.sum_suffix(".numLateRecordsDropped");
  m.records_in_errors = c.named.sum_suffix(".numRecordsInErrors");
  c.named.add_to(m.operator_metrics);
  m.measured_at_ms = wall_ms;
  m.reported = true;
  return m;
}

wire_task_metrics to_wire(const subtask_io_metrics& m) {
  wire_task_metrics w;
  w.chain = m.task;
  w.subtask = m.subtask;
  w.records_in = m.records_in;
  w.records_out = m.records_out;
  w.bytes_in = m.bytes_in;
  w.bytes_out = m.bytes_out;
  w.records_in_rate = m.records_in_rate;
  w.records_out_rate = m.records_out_rate;
  w.bytes_in_rate = m.bytes_in_rate;
  w.bytes_out_rate = m.bytes_out_rate;
  w.busy_ms = m.busy_ms;
  w.idle_ms = m.idle_ms;
  w.back_pressured_ms = m.back_pressured_ms;
  w.acc_busy_ms = m.acc_busy_ms;
  w.acc_idle_ms = m.acc_idle_ms;
  w.acc_back_pressured_ms = m.acc_back_pressured_ms;
  w.back_pressured = m.back_pressured;
  w.input_watermark = m.input_watermark;
  w.output_watermark = m.output_watermark;
  w.has_lag = m.watermark_lag_ms.has_value();
  w.watermark_lag_ms = m.watermark_lag_ms.value_or(0);
  w.late_records_dropped = m.late_records_dropped;
  w.records_in_errors = m.records_in_errors;
  w.operator_metrics = m.operator_metrics;
  return w;
}

subtask_io_metrics from_wire(const wire_task_metrics& w, const std::string& task_name,
                             std::int64_t measured_at_ms) {
  subtask_io_metrics m;
  m.task_name = task_name;
  m.task = w.chain;
  m.subtask = w.subtask;
  m.records_in = w.records_in;
  m.records_out = w.records_out;
  m.bytes_in = w.bytes_in;
  m.bytes_out = w.bytes_out;
  m.records_in_rate = w.records_in_rate;
  m.records_out_rate = w.records_out_rate;
  m.bytes_in_rate = w.bytes_in_rate;
  m.bytes_out_rate = w.bytes_out_rate;
  m.busy_ms = w.busy_ms;
  m.idle_ms = w.idle_ms;
  m.back_pressured_ms = w.back_pressured_ms;
  m.acc_busy_ms = w.acc_busy_ms;
  m.acc_idle_ms = w.acc_idle_ms;
  m.acc_back_pressured_ms = w.acc_back_pressured_ms;
  m.back_pressured = w.back_pressured;
  m.input_watermark = w.input_watermark;
  m.output_watermark = w.output_watermark;
  if (w.has_lag)
    m.watermark_lag_ms = w.watermark_lag_ms;
  m.late_records_dropped = w.late_records_dropped;
  m.records_in_errors = w.records_in_errors;
  m.operator_metrics = w.operator_metrics;
  m.measured_at_ms = measured_at_ms;
  m.reported = true;
  return m;
}

} // namespace spate::detail
