// Flink's WindowOperator with its default triggers (EventTimeTrigger,
// ProcessingTimeTrigger): window contents in keyed state under the window as
// namespace, one timer per window for firing and one for cleanup (the same
// timer without allowed lateness). Those timers are kept as state only with
// allowed lateness; otherwise they are registered again from the contents
// when the operator opens on restored state (open()).
#pragma once

#include <algorithm>
#include <optional>
#include <vector>

#include "spate/api/detail/operators.hpp"
#include "spate/api/detail/timers.hpp"
#include "spate/api/window.hpp"
#include "spate/core/bytes.hpp"

namespace spate::detail {

//! Contents kept incrementally by a reduce function.
template <class T, class F>
struct reduce_contents {
  using result_type = T;
  F f;
  value_state<T>* st = nullptr;
  void open(keyed_state_backend& b) {
    st = &b.get_value_state(value_state_descriptor<T>{"window-contents"});
  }
  //! Returns true when the window had no contents for the key before.
  bool add(T v) {
    if (T* cur = st->mutate()) {
      *cur = f(static_cast<const T&>(*cur), std::move(v));
      return false;
    }
    st->update(std::move(v));
    return true;
  }
  std::optional<T> take() { return st->value(); }
  void results(std::vector<T>& out) {
    if (const T* v = st->get())
      out.push_back(*v);
  }
  void clear() { st->clear(); }
  const std::string& state_name() const { return st->name(); }
};

//! Contents kept as one accumulator of an aggregate function.
template <class T, class A>
struct aggregate_contents {
  using acc_type = typename A::accumulator_type;
  using result_type = typename A::result_type;
  A agg;
  value_state<acc_type>* st = nullptr;
  void open(keyed_state_backend& b) {
    st = &b.get_value_state(value_state_descriptor<acc_type>{"window-accumulator"});
  }
  bool add(const T& v) {
    if (acc_type* cur = st->mutate()) {
      *cur = agg.add(v, std::move(*cur));
      return false;
    }
    st->update(agg.add(v, agg.create_accumulator()));
    return true;
  }
  std::optional<acc_type> take() { return st->value(); }
  void merge_in(acc_type other) {
    if (acc_type* cur = st->mutate())
      *cur = agg.merge(std::move(*cur), std::move(other));
    else
      st->update(std::move(other));
  }
  void results(std::vector<result_type>& out) {
    if (const acc_type* acc = st->get())
      out.push_back(agg.get_result(*acc));
  }
  void clear() { st->clear(); }
  const std::string& state_name() const { return st->name(); }
};

//! Contents kept as every element (process window functions).
template <class T>
struct list_contents {
  using result_type = T;
  list_state<T>* st = nullptr;
  void open(keyed_state_backend& b) {
    st = &b.get_list_state(list_state_descriptor<T>{"window-elements"});
  }
  bool add(T v) { return st->add(std::move(v)); }
  std::optional<std::vector<T>> take() {
    const auto& v = st->get();
    if (v.empty())
      return std::nullopt;
    return v;
  }
  void merge_in(std::vector<T> other) { st->add_all(std::move(other)); }
  void results(std::vector<T>& out) {
    const auto& v = st->get();
    out.insert(out.end(), v.begin(), v.end());
  }
  void clear() { st->clear(); }
  const std::string& state_name() const { return st->name(); }
};

//! Merging the contents of one window into another (sessions).
template <class C, class = void>
struct merges_by_add : std::false_type {};
template <class T, class F>
struct merges_by_add<reduce_contents<T, F>> : std::true_type {};

//! Emits each window result as it is (reduce or aggregate without a function).
struct pass_through_window_fn {};

template <class K, class T, class Out, class KeySel, class Contents, class WindowFn>
class window_operator final : public typed_operator<Out> {
  using result_type = typename Contents::result_type;

public:
  window_operator(KeySel key, window_assigner assigner, std::int64_t lateness,
                  std::optional<std::string> late_tag, Contents contents, WindowFn fn)
      : key_(std::move(key)), assigner_(assigner), lateness_(lateness),
        late_tag_(std::move(late_tag)), contents_(std::move(contents)), fn_(std::move(fn)) {}

  void open() override {
    backend_ = this->ctx_->state;
    // Without allowed lateness (and for processing time) a window has its
    // timer exactly while it has contents, at its max timestamp: the timers
    // follow from the contents and are not written to RocksDB, which halves
    // what a checkpoint writes. With lateness, a window that fired keeps its
    // contents but not its trigger timer, so the timers are kept as state.
    const bool derived = !assigner_.event_time || lateness_ == 0;
    timers_.open(*backend_, *this->ctx_->time, this, !derived);
    contents_.open(*backend_);
    if (assigner_.is_merging())
      sessions_ = &backend_->get_value_state(
          value_state_descriptor<std::vector<time_window>>{"window-sessions"});
    late_dropped_ = &this->ctx_->counter("numLateRecordsDropped");
    if (derived)
      register_restored_timers();
  }

  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<T>(b);
    for (std::size_t i = 0; i < in.size(); ++i) {
      timestamp ts = in.timestamps[i];
      if (assigner_.event_time && ts == no_timestamp)
        throw error(errc::invalid_argument,
                    "window operator '" + this->ctx_->task_name +
                        "' got a record without a timestamp; assign event time with "
                        "assign_timestamps_and_watermarks() or use processing-time windows");
      if (!assigner_.event_time)
        ts = this->ctx_->time->now();
      const auto& key = key_(in.values[i]);
      backend_->set_current_key(key);
      bool skipped;
      if (assigner_.kind == window_assigner::tumbling) {
        // One window, mostly the previous record's: no list, no division.
        if (!(ts >= tumbling_.start && ts < tumbling_.end)) {
          const timestamp start = window_start_with_offset(ts, assigner_.offset, assigner_.size);
          tumbling_ = {start, start + assigner_.size};
        }
        skipped = add_windows(key, in.values[i], &tumbling_, &tumbling_ + 1);
      } else {
        windows_.clear();
        assigner_.assign(ts, windows_);
        skipped = assigner_.is_merging() ? add_merging(key, in.values[i])
                                         : add_windows(key, in.values[i], windows_.data(),
                                                       windows_.data() + windows_.size());
      }
      if (skipped && assigner_.event_time &&
          (lateness_ <= max_watermark - ts ? ts + lateness_ : max_watermark) <= watermark_) {
        if (late_tag_) {
          if (auto* o = this->side_output(*late_tag_)) {
            late_buf_.push(std::move(in.values[i]), ts);
            late_out_ = o;
          }
        } else {
          late_dropped_->fetch_add(1, std::memory_order_relaxed);
        }
      }
      this->maybe_emit_early();
    }
    flush();
  }

  void process_watermark(timestamp wm) override {
    // A restored operator may know a later watermark than its inputs yet.
    watermark_ = std::max(watermark_, wm);
    timers_.advance_watermark(wm, [this](const timer_entry& e) { on_timer(e); });
    flush();
    stream_operator::process_watermark(wm);
  }

  void on_processing_time(timestamp now) override {
    timers_.advance_processing_time(now, [this](const timer_entry& e) { on_timer(e); });
    flush();
  }

  const internal_timer_service& timers() const { return timers_; }
  std::optional<std::pair<std::size_t, std::size_t>> registered_timers() const override {
    return timers_.counts();
  }

  //! The current watermark is state: which records are late must not change
  //! because the job restarted.
  void snapshot_state(std::int64_t, operator_state_writer& w) override {
    std::string bytes;
    encode(watermark_, bytes);
    w.put("watermark", std::move(bytes));
  }
  void initialize_state(const operator_state_reader& r) override {
    if (auto own = r.own("watermark")) {
      watermark_ = decode<timestamp>(*own, "window watermark");
      return;
    }
    bool found = false;
    for (auto& old : r.all())
      if (auto it = old.find("watermark"); it != old.end()) {
        auto wm = decode<timestamp>(it->second, "window watermark");
        watermark_ = found ? std::min(watermark_, wm) : wm;
        found = true;
      }
  }

private:
  //! Registers the timers of every window the restored contents hold (none
  //! on a fresh start), in key group, key and window order. The contents'
  //! column exists: contents_.open() created it if it was new.
  void register_restored_timers() {
    const std::string& name = contents_.state_name();
    backend_->for_each_raw(
        name, backend_->key_groups(), [&](int kg, std::string_view rest, std::string_view) {
          std::size_t key_end = 0;
          time_window w;
          try {
            unpack_checked(rest.data(), rest.size(), key_end);
            w = decode<time_window>(rest.substr(key_end), "window");
          } catch (const std::exception& e) {
            throw error(errc::corrupt, "window operator '" + this->ctx_->task_name + "': state '" +
                                           name +
                                           "' holds an entry whose key or window cannot "
                                           "be read: " +
                                           e.what());
          }
          backend_->set_current_key_raw(kg, rest.substr(0, key_end));
          backend_->set_current_namespace_raw(rest.substr(key_end));
          register_timers(w);
        });
  }

  timestamp cleanup_time(const time_window& w) const {
    if (!assigner_.event_time)
      return w.max_timestamp();
    if (lateness_ > max_watermark - w.max_timestamp())
      return max_watermark; // would overflow
    return w.max_timestamp() + lateness_;
  }
  bool is_late(const time_window& w) const {
    return assigner_.event_time && cleanup_time(w) <= watermark_;
  }

  void register_timers(const time_window& w) {
    if (assigner_.event_time) {
      timers_.register_event_time_timer(cleanup_time(w));
      // EventTimeTrigger: a window already past the watermark fires at once
      // instead (see add_windows), so no trigger timer then.
      if (w.max_timestamp() > watermark_)
        timers_.register_event_time_timer(w.max_timestamp());
    } else {
      timers_.register_processing_time_timer(w.max_timestamp());
    }
  }
  void delete_timers(const time_window& w) {
    if (assigner_.event_time) {
      timers_.delete_event_time_timer(cleanup_time(w));
      timers_.delete_event_time_timer(w.max_timestamp());
    } else {
      timers_.delete_processing_time_timer(w.max_timestamp());
    }
  }

  //! Scopes state to window `w`. Consecutive records mostly share a window,
  //! and set_current_key() keeps the namespace: then nothing is encoded.
  void set_namespace(const time_window& w) {
    if (ns_bytes_.empty() || !(w == ns_window_)) {
      ns_window_ = w;
      ns_bytes_.clear();
      encode(w, ns_bytes_);
    }
    const std::string_view current = backend_->current_namespace_bytes();
    if (current.size() != ns_bytes_.size() ||
        !short_bytes_equal(current.data(), ns_bytes_.data(), current.size()))
      backend_->set_current_namespace_raw(ns_bytes_);
  }

  //! Returns true when every window of the record was late (skipped).
  template <class Key>
  bool add_windows(const Key& key, const T& value, const time_window* begin,
                   const time_window* end) {
    bool skipped = true;
    for (const time_window* it = begin; it != end; ++it) {
      const time_window& w = *it;
      if (is_late(w))
        continue;
      skipped = false;
      set_namespace(w);
      // Contents and timers are created and cleared together (restores
      // included), so a window that had contents has its timers already.
      if (contents_.add(value))
        register_timers(w);
      // EventTimeTrigger.onElement: fire at once when the watermark is past.
      if (assigner_.event_time && w.max_timestamp() <= watermark_)
        emit(key, w);
    }
    return skipped;
  }

  template <class Key>
  bool add_merging(const Key& key, const T& value) {
    const time_window w = windows_.front();
    backend_->set_default_namespace();
    std::vector<time_window> sessions = sessions_->value().value_or(std::vector<time_window>{});
    // The new window covers every session it touches.
    time_window merged = w;
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& s : sessions) {
        if (s.intersects(merged) && !(merged.start <= s.start && s.end <= merged.end)) {
          merged = merged.cover(s);
          grew = true;
        }
      }
    }
    if (is_late(merged))
      return true;
    std::vector<time_window> kept;
    std::vector<time_window> absorbed;
    for (const auto& s : sessions)
      (merged.start <= s.start && s.end <= merged.end ? absorbed : kept).push_back(s);
    kept.push_back(merged);
    std::sort(kept.begin(), kept.end());
    sessions_->update(std::move(kept));
    for (const auto& s : absorbed) {
      if (s == merged)
        continue;
      backend_->set_current_namespace(s);
      auto old = contents_.take();
      contents_.clear();
      delete_timers(s);
      if (old) {
        backend_->set_current_namespace(merged);
        merge_into(std::move(*old));
      }
    }
    backend_->set_current_namespace(merged);
    contents_.add(value);
    register_timers(merged);
    if (assigner_.event_time && merged.max_timestamp() <= watermark_)
      emit(key, merged);
    return false;
  }

  template <class V>
  void merge_into(V old) {
    if constexpr (merges_by_add<Contents>::value)
      contents_.add(std::move(old));
    else
      contents_.merge_in(std::move(old));
  }

  void on_timer(const timer_entry& e) {
    auto w = decode<time_window>(e.ns, "window");
    bool fire = e.time == w.max_timestamp();
    bool cleanup = e.time == cleanup_time(w);
    if (fire) {
      K key = decode<K>(e.key, "window key");
      emit(key, w);
    }
    if (cleanup) {
      contents_.clear();
      if (assigner_.is_merging()) {
        backend_->set_default_namespace();
        auto sessions = sessions_->value().value_or(std::vector<time_window>{});
        sessions.erase(std::remove(sessions.begin(), sessions.end(), w), sessions.end());
        if (sessions.empty())
          sessions_->clear();
        else
          sessions_->update(std::move(sessions));
      }
    }
  }

  template <class Key>
  void emit(const Key& key, const time_window& w) {
    results_.clear();
    contents_.results(results_);
    if (results_.empty())
      return;
    if constexpr (std::is_same_v<WindowFn, pass_through_window_fn>) {
      for (auto& r : results_)
        this->buf_.push(std::move(r), w.max_timestamp());
    } else {
      col_.reset(&this->buf_, w.max_timestamp());
      const K& k = key;
      fn_(k, w, static_cast<const std::vector<result_type>&>(results_), col_);
    }
  }

  void flush() {
    this->emit_buffer();
    if (late_out_ && !late_buf_.empty()) {
      late_out_->push(late_buf_);
      late_buf_.clear();
    }
  }

  KeySel key_;
  window_assigner assigner_;
  std::int64_t lateness_;
  std::optional<std::string> late_tag_;
  Contents contents_;
  WindowFn fn_;
  keyed_state_backend* backend_ = nullptr;
  value_state<std::vector<time_window>>* sessions_ = nullptr;
  internal_timer_service timers_;
  std::atomic<std::int64_t>* late_dropped_ = nullptr;
  std::vector<time_window> windows_;
  //! The window of the last record of a tumbling assigner (empty at first).
  time_window tumbling_{0, 0};
  time_window ns_window_;
  std::string ns_bytes_; //!< encoding of ns_window_
  std::vector<result_type> results_;
  collector<Out> col_;
  typed_batch<T> late_buf_;
  output* late_out_ = nullptr;
  timestamp watermark_ = min_watermark;
};

} // namespace spate::detail
