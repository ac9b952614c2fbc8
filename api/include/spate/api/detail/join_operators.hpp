// Two-input keyed operators: the keyed co-process operator (Flink's
// KeyedCoProcessOperator), the window co-group / join (Flink's
// JoinedStreams/CoGroupedStreams over one window operator) and the interval
// join (Flink's IntervalJoinOperator). Input 0 is the first (left) stream,
// input 1 the second (right); both are hash-partitioned on keys of one type,
// so records with equal keys meet in one subtask.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

#include "spate/api/detail/operators.hpp"
#include "spate/api/detail/timers.hpp"
#include "spate/api/window.hpp"

namespace spate::detail {

template <class K, class A, class B, class Out, class KA, class KB, class F>
class keyed_co_process_operator final : public typed_operator<Out> {
public:
  keyed_co_process_operator(KA ka, KB kb, F f)
      : ka_(std::move(ka)), kb_(std::move(kb)), f_(std::move(f)) {}

  std::optional<std::pair<std::size_t, std::size_t>> registered_timers() const override {
    return timers_.counts();
  }
  void open() override {
    timers_.open(*this->ctx_->state, *this->ctx_->time, this);
    ctx_obj_.bind(&this->buf_, &this->side_, this->ctx_);
    ctx_obj_.bind_timers(&timers_);
    f_.open(*this->ctx_);
  }
  void process_batch(int input, any_batch& b) override {
    if (input == 0)
      run<A>(b, ka_, [this](const A& v) { f_.process_element1(v, ctx_obj_); });
    else
      run<B>(b, kb_, [this](const B& v) { f_.process_element2(v, ctx_obj_); });
    this->emit_buffer();
  }
  void process_watermark(timestamp wm) override {
    timers_.advance_watermark(wm, [this](const timer_entry& e) { fire(e, e.time); });
    this->emit_buffer();
    stream_operator::process_watermark(wm);
  }
  void on_processing_time(timestamp now) override {
    timers_.advance_processing_time(now, [this](const timer_entry& e) { fire(e, no_timestamp); });
    this->emit_buffer();
  }
  void close() override { f_.close(); }

private:
  template <class T, class Sel, class Call>
  void run(any_batch& b, Sel& sel, Call&& call) {
    auto& in = batch_cast<T>(b);
    auto* backend = this->ctx_->state;
    for (std::size_t i = 0; i < in.size(); ++i) {
      const T& v = in.values[i];
      const K& key = sel(v);
      backend->set_current_key(key);
      ctx_obj_.set_key(&key);
      ctx_obj_.set_record(in.timestamps[i]);
      call(v);
      this->maybe_emit_early();
    }
  }
  void fire(const timer_entry& e, timestamp output_ts) {
    K key = decode<K>(e.key, "timer key");
    ctx_obj_.set_key(&key);
    ctx_obj_.set_record(output_ts);
    f_.on_timer(e.time, ctx_obj_);
    this->maybe_emit_early();
  }

  KA ka_;
  KB kb_;
  F f_;
  keyed_process_context<K, Out> ctx_obj_;
  internal_timer_service timers_;
};

//! Keeps both sides of each key and window in list state and calls
//! `f(key, window, lefts, rights, collector)` when the window ends, if either
//! side has records (a join emits only when both have). Non-merging windows.
template <class K, class A, class B, class Out, class KA, class KB, class F>
class window_co_group_operator final : public typed_operator<Out> {
public:
  window_co_group_operator(KA ka, KB kb, window_assigner assigner, F f)
      : ka_(std::move(ka)), kb_(std::move(kb)), assigner_(assigner), f_(std::move(f)) {}

  std::optional<std::pair<std::size_t, std::size_t>> registered_timers() const override {
    return timers_.counts();
  }
  void open() override {
    backend_ = this->ctx_->state;
    timers_.open(*backend_, *this->ctx_->time, this);
    left_ = &backend_->get_list_state(list_state_descriptor<A>{"co-group-left"});
    right_ = &backend_->get_list_state(list_state_descriptor<B>{"co-group-right"});
    late_dropped_ = &this->ctx_->counter("numLateRecordsDropped");
  }

  void process_batch(int input, any_batch& b) override {
    if (input == 0)
      add<A>(b, ka_, *left_);
    else
      add<B>(b, kb_, *right_);
    this->emit_buffer();
  }

  void process_watermark(timestamp wm) override {
    watermark_ = std::max(watermark_, wm);
    timers_.advance_watermark(wm, [this](const timer_entry& e) { fire(e); });
    this->emit_buffer();
    stream_operator::process_watermark(wm);
  }
  void on_processing_time(timestamp now) override {
    timers_.advance_processing_time(now, [this](const timer_entry& e) { fire(e); });
    this->emit_buffer();
  }

  void snapshot_state(std::int64_t, operator_state_writer& w) override {
    std::string bytes;
    encode(watermark_, bytes);
    w.put("watermark", std::move(bytes));
  }
  void initialize_state(const operator_state_reader& r) override {
    bool found = false;
    for (auto& old : r.all())
      if (auto it = old.find("watermark"); it != old.end()) {
        auto wm = decode<timestamp>(it->second, "co-group watermark");
        watermark_ = found ? std::min(watermark_, wm) : wm;
        found = true;
      }
  }

private:
  template <class T, class Sel, class State>
  void add(any_batch& b, Sel& sel, State& st) {
    auto& in = batch_cast<T>(b);
    for (std::size_t i = 0; i < in.size(); ++i) {
      timestamp ts = in.timestamps[i];
      if (assigner_.event_time && ts == no_timestamp)
        throw error(errc::invalid_argument,
                    "window join '" + this->ctx_->task_name +
                        "' got a record without a timestamp; assign event time with "
                        "assign_timestamps_and_watermarks() or use processing-time windows");
      if (!assigner_.event_time)
        ts = this->ctx_->time->now();
      backend_->set_current_key(sel(in.values[i]));
      windows_.clear();
      assigner_.assign(ts, windows_);
      bool added = false;
      for (const auto& w : windows_) {
        if (assigner_.event_time && w.max_timestamp() <= watermark_)
          continue; // late: the window fired already
        added = true;
        backend_->set_current_namespace(w);
        st.add(in.values[i]);
        if (assigner_.event_time)
          timers_.register_event_time_timer(w.max_timestamp());
        else
          timers_.register_processing_time_timer(w.max_timestamp());
      }
      if (!added)
        late_dropped_->fetch_add(1, std::memory_order_relaxed);
    }
  }

  void fire(const timer_entry& e) {
    auto w = decode<time_window>(e.ns, "window");
    K key = decode<K>(e.key, "window key");
    lefts_ = left_->get();
    rights_ = right_->get();
    left_->clear();
    right_->clear();
    col_.reset(&this->buf_, w.max_timestamp());
    f_(static_cast<const K&>(key), w, static_cast<const std::vector<A>&>(lefts_),
       static_cast<const std::vector<B>&>(rights_), col_);
    this->maybe_emit_early();
  }

  KA ka_;
  KB kb_;
  window_assigner assigner_;
  F f_;
  keyed_state_backend* backend_ = nullptr;
  list_state<A>* left_ = nullptr;
  list_state<B>* right_ = nullptr;
  internal_timer_service timers_;
  std::atomic<std::int64_t>* late_dropped_ = nullptr;
  std::vector<time_window> windows_;
  std::vector<A> lefts_;
  std::vector<B> rights_;
  collector<Out> col_;
  timestamp watermark_ = min_watermark;
};

//! Joins a left record at time t with every right record of its key at time
//! r in [t + lower, t + upper] (both bounds inclusive by default), calling
//! `f(left, right, collector)`; the result carries max(t, r). Each side is
//! buffered in list state and dropped once the watermark shows no partner can
//! come. Records behind the watermark are late and dropped, as Flink does.
template <class K, class A, class B, class Out, class KA, class KB, class F>
class interval_join_operator final : public typed_operator<Out> {
public:
  interval_join_operator(KA ka, KB kb, std::int64_t lower, std::int64_t upper, F f)
      : ka_(std::move(ka)), kb_(std::move(kb)), lower_(lower), upper_(upper), f_(std::move(f)) {}

  std::optional<std::pair<std::size_t, std::size_t>> registered_timers() const override {
    return timers_.counts();
  }
  void open() override {
    backend_ = this->ctx_->state;
    timers_.open(*backend_, *this->ctx_->time, this);
    left_ = &backend_->get_list_state(
        list_state_descriptor<std::pair<timestamp, A>>{"interval-join-left"});
    right_ = &backend_->get_list_state(
        list_state_descriptor<std::pair<timestamp, B>>{"interval-join-right"});
    late_dropped_ = &this->ctx_->counter("numLateRecordsDropped");
  }

  void process_batch(int input, any_batch& b) override {
    if (input == 0)
      process_side<A>(b, ka_, true);
    else
      process_side<B>(b, kb_, false);
    this->emit_buffer();
  }

  void process_watermark(timestamp wm) override {
    timers_.advance_watermark(wm, [this](const timer_entry& e) { cleanup(e.time); });
    this->emit_buffer();
    stream_operator::process_watermark(wm);
  }

private:
  timestamp left_cleanup(timestamp t) const { return upper_ > 0 ? t + upper_ : t; }
  timestamp right_cleanup(timestamp r) const { return lower_ <= 0 ? r - lower_ : r; }

  template <class T, class Sel>
  void process_side(any_batch& b, Sel& sel, bool is_left) {
    auto& in = batch_cast<T>(b);
    for (std::size_t i = 0; i < in.size(); ++i) {
      timestamp ts = in.timestamps[i];
      if (ts == no_timestamp)
        throw error(errc::invalid_argument,
                    "interval join '" + this->ctx_->task_name +
                        "' got a record without a timestamp; assign event time with "
                        "assign_timestamps_and_watermarks()");
      timestamp wm = this->current_watermark();
      if (wm != min_watermark && ts < wm) {
        late_dropped_->fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      backend_->set_current_key(sel(in.values[i]));
      const T& v = in.values[i];
      if constexpr (std::is_same_v<T, A>) {
        if (is_left) {
          for (const auto& [r, rv] : right_->get())
            if (r >= ts + lower_ && r <= ts + upper_)
              emit(v, rv, std::max(ts, r));
          left_->add({ts, v});
          timers_.register_event_time_timer(left_cleanup(ts));
          continue;
        }
      }
      if constexpr (std::is_same_v<T, B>) {
        if (!is_left) {
          for (const auto& [t, lv] : left_->get())
            if (ts >= t + lower_ && ts <= t + upper_)
              emit(lv, v, std::max(ts, t));
          right_->add({ts, v});
          timers_.register_event_time_timer(right_cleanup(ts));
        }
      }
    }
  }

  void emit(const A& a, const B& b, timestamp ts) {
    col_.reset(&this->buf_, ts);
    f_(a, b, col_);
    this->maybe_emit_early();
  }

  //! The watermark reached `t`: drop what can no longer find a partner.
  void cleanup(timestamp t) {
    prune(*left_, [&](timestamp ts) { return left_cleanup(ts) <= t; });
    prune(*right_, [&](timestamp ts) { return right_cleanup(ts) <= t; });
  }
  template <class State, class Expired>
  void prune(State& st, Expired expired) {
    const auto& all = st.get();
    if (std::none_of(all.begin(), all.end(), [&](const auto& e) { return expired(e.first); }))
      return;
    auto kept = all;
    kept.erase(
        std::remove_if(kept.begin(), kept.end(), [&](const auto& e) { return expired(e.first); }),
        kept.end());
    st.update(std::move(kept));
  }

  KA ka_;
  KB kb_;
  std::int64_t lower_;
  std::int64_t upper_;
  F f_;
  keyed_state_backend* backend_ = nullptr;
  list_state<std::pair<timestamp, A>>* left_ = nullptr;
  list_state<std::pair<timestamp, B>>* right_ = nullptr;
  internal_timer_service timers_;
  std::atomic<std::int64_t>* late_dropped_ = nullptr;
  collector<Out> col_;
};

} // namespace spate::detail
