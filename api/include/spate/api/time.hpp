// Event time: timestamp assigners and watermark strategies (Flink's
// WatermarkStrategy), and the operator that applies them.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>

#include "spate/actors/operator.hpp"
#include "spate/core/batch.hpp"
#include "spate/core/codec.hpp"
#include "spate/core/config.hpp"
#include "spate/core/error.hpp"

namespace spate {

namespace options {
//! How often sources emit watermarks; 0 = after every record (deterministic).
inline constexpr const char* watermark_interval = "pipeline.auto-watermark-interval";
} // namespace options

//! How a stream gets event timestamps and watermarks.
template <class T>
class watermark_strategy {
public:
  //! Timestamps never decrease: watermark = max timestamp - 1.
  static watermark_strategy for_monotonous_timestamps() {
    return watermark_strategy(std::chrono::milliseconds(0));
  }
  //! Timestamps arrive up to `bound` late: watermark = max timestamp - bound - 1.
  static watermark_strategy for_bounded_out_of_orderness(std::chrono::milliseconds bound) {
    if (bound.count() < 0)
      throw error(errc::invalid_argument, "out-of-orderness bound must not be negative");
    return watermark_strategy(bound);
  }
  //! Takes the event time (ms) from each record; without one, the record's
  //! existing timestamp is kept.
  watermark_strategy with_timestamp_assigner(std::function<timestamp(const T&)> f) const {
    auto copy = *this;
    copy.assigner_ = std::move(f);
    return copy;
  }
  //! An input without records for `idle` stops holding back the watermark
  //! downstream until its next record.
  watermark_strategy with_idleness(std::chrono::milliseconds idle) const {
    if (idle.count() <= 0)
      throw error(errc::invalid_argument, "idleness timeout must be positive");
    auto copy = *this;
    copy.idleness_ = idle;
    return copy;
  }

  std::chrono::milliseconds bound() const { return bound_; }
  const std::function<timestamp(const T&)>& assigner() const { return assigner_; }
  std::optional<std::chrono::milliseconds> idleness() const { return idleness_; }

private:
  explicit watermark_strategy(std::chrono::milliseconds bound) : bound_(bound) {}
  std::chrono::milliseconds bound_;
  std::function<timestamp(const T&)> assigner_;
  std::optional<std::chrono::milliseconds> idleness_;
};

namespace detail {

//! Assigns timestamps and emits watermarks, periodically or after every
//! record (interval 0). Upstream watermarks are ignored except the final one.
//! Chained with a source that reads several splits (Kafka partitions), it
//! keeps a watermark per split and emits their minimum over the splits that
//! are not idle, as Flink's per-split watermarks do: a partition read ahead
//! of the others does not make their records late.
template <class T>
class timestamps_watermarks_operator final : public stream_operator {
public:
  explicit timestamps_watermarks_operator(watermark_strategy<T> s) : strategy_(std::move(s)) {}

  void open() override {
    interval_ =
        ctx_->config->get_duration(options::watermark_interval, std::chrono::milliseconds(200))
            .count();
    if (interval_ < 0)
      throw error(errc::invalid_argument, std::string("configuration '") +
                                              options::watermark_interval +
                                              "' must not be negative");
    bound_ = strategy_.bound().count();
    // max_ts_ starts so that the first watermark is the minimum (as Flink).
    max_ts_ = std::max(min_watermark + bound_ + 1, restored_max_ts_);
    if (interval_ > 0)
      ctx_->time->request(this, ctx_->time->now() + interval_);
    if (auto idle = strategy_.idleness()) {
      idle_after_ = idle->count();
      last_activity_ = ctx_->time->now();
      request_idle_check(last_activity_ + idle_after_);
    }
  }

  void process_split(std::int32_t split, bool finished) override {
    if (finished) {
      auto it = splits_.find(split);
      if (it != splits_.end()) {
        if (current_ == &it->second)
          current_ = nullptr;
        splits_.erase(it);
      }
    } else {
      auto it = splits_.find(split);
      if (it == splits_.end())
        it = splits_.emplace(split, split_clock{initial_max_ts(), ctx_->time->now(), false}).first;
      current_ = &it->second;
    }
    if (interval_ == 0 || finished)
      emit_current();
  }

  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<T>(b);
    if (in.empty())
      return;
    if (current_) {
      current_->last_activity = ctx_->time->now();
      current_->idle = false;
    }
    if (idle_after_ > 0) {
      last_activity_ = ctx_->time->now();
      if (idle_) {
        idle_ = false;
        out_->push_idle(false);
      }
      if (!idle_check_pending_)
        request_idle_check(last_activity_ + idle_after_);
    }
    // The largest timestamp of the records' split, or of the whole input.
    timestamp& max_ts = current_ ? current_->max_ts : max_ts_;
    const auto& assign = strategy_.assigner();
    if (interval_ > 0) {
      for (std::size_t i = 0; i < in.size(); ++i) {
        if (assign)
          in.timestamps[i] = assign(in.values[i]);
        max_ts = std::max(max_ts, in.timestamps[i]);
      }
      out_->push(in);
      return;
    }
    // Per record: a watermark goes right after the record that advanced it.
    for (std::size_t i = 0; i < in.size(); ++i) {
      timestamp ts = assign ? assign(in.values[i]) : in.timestamps[i];
      buf_.push(std::move(in.values[i]), ts);
      max_ts = std::max(max_ts, ts);
      timestamp wm = current_ ? split_watermark() : max_ts_ - bound_ - 1;
      if (wm > emitted_) {
        out_->push(buf_);
        buf_.clear();
        emitted_ = wm;
        out_->push_watermark(wm);
      }
    }
    if (!buf_.empty()) {
      out_->push(buf_);
      buf_.clear();
    }
  }

  //! The largest timestamp seen is state: after a restore, watermarks resume
  //! where they were instead of starting over (records are not late anew).
  //! With splits, what the emitted watermark stands for.
  void snapshot_state(std::int64_t, operator_state_writer& w) override {
    std::string bytes;
    encode(splits_.empty() ? max_ts_ : std::max(restored_max_ts_, emitted_ + bound_ + 1), bytes);
    w.put("max-timestamp", std::move(bytes));
  }
  void initialize_state(const operator_state_reader& r) override {
    restored_max_ts_ = min_watermark;
    bool found = false;
    for (auto& old : r.all()) {
      auto it = old.find("max-timestamp");
      if (it == old.end())
        continue;
      auto ts = decode<timestamp>(it->second, "watermark state");
      // Rescaled: the smallest is safe for every new subtask.
      restored_max_ts_ = found ? std::min(restored_max_ts_, ts) : ts;
      found = true;
    }
    if (auto own = r.own("max-timestamp"))
      restored_max_ts_ = decode<timestamp>(*own, "watermark state");
    else if (!found)
      restored_max_ts_ = min_watermark;
  }

  void process_watermark(timestamp wm) override {
    if (wm == max_watermark && emitted_ != max_watermark) {
      emitted_ = max_watermark;
      activate();
      out_->push_watermark(wm);
    }
  }

  void on_processing_time(timestamp now) override {
    if (interval_ > 0 && now >= next_periodic_) {
      emit_current();
      next_periodic_ = now + interval_;
      ctx_->time->request(this, next_periodic_);
    }
    if (!splits_.empty() && idle_after_ > 0) {
      // A split without records for the idleness timeout stops holding back
      // the others (the whole output goes idle below when all do).
      for (auto& [id, s] : splits_)
        if (!s.idle && now - s.last_activity >= idle_after_)
          s.idle = true;
      emit_current();
    }
    if (idle_check_pending_ && now >= idle_check_at_) {
      idle_check_pending_ = false;
      if (!idle_ && now - last_activity_ >= idle_after_) {
        idle_ = true;
        out_->push_idle(true);
      } else if (!idle_) {
        request_idle_check(last_activity_ + idle_after_);
      }
    }
  }

private:
  void request_idle_check(timestamp at) {
    idle_check_pending_ = true;
    idle_check_at_ = at;
    ctx_->time->request(this, at);
  }
  //! A watermark from an idle output first makes it active again (Flink's
  //! WatermarkToDataOutput), or downstream would ignore it.
  void activate() {
    if (idle_) {
      idle_ = false;
      out_->push_idle(false);
    }
  }
  struct split_clock {
    timestamp max_ts;
    timestamp last_activity;
    bool idle;
  };

  timestamp initial_max_ts() const {
    return std::max(min_watermark + bound_ + 1, restored_max_ts_);
  }

  //! The minimum of the active splits' watermarks; when every split is idle,
  //! the highest (as a task whose inputs all went idle).
  timestamp split_watermark() const {
    timestamp low = max_watermark, high = min_watermark;
    bool any = false;
    for (const auto& [id, s] : splits_) {
      high = std::max(high, s.max_ts - bound_ - 1);
      if (!s.idle) {
        low = std::min(low, s.max_ts - bound_ - 1);
        any = true;
      }
    }
    return any ? low : high;
  }

  void emit_current() {
    if (emitted_ == max_watermark)
      return;
    timestamp wm = splits_.empty() ? max_ts_ - bound_ - 1 : split_watermark();
    if (wm > emitted_) {
      emitted_ = wm;
      activate();
      out_->push_watermark(wm);
    }
  }

  watermark_strategy<T> strategy_;
  typed_batch<T> buf_;
  std::int64_t interval_ = 200;
  std::int64_t bound_ = 0;
  timestamp max_ts_ = min_watermark;
  timestamp restored_max_ts_ = min_watermark;
  timestamp emitted_ = min_watermark;
  timestamp next_periodic_ = 0;
  std::int64_t idle_after_ = 0;
  timestamp last_activity_ = 0;
  bool idle_ = false;
  bool idle_check_pending_ = false;
  timestamp idle_check_at_ = 0;
  //! Per split of the source (Kafka partitions), once the source marks them.
  std::map<std::int32_t, split_clock> splits_;
  split_clock* current_ = nullptr;
};

} // namespace detail
} // namespace spate
