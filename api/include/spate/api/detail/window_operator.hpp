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
#include "spate/api/detail/window_front.hpp"
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
  // The front (window_front.hpp): contents folded outside the state.
  using front_value = T;
  const T* peek() { return st->peek(); }
  const T& result_of(const T& v) const { return v; }
  T first(const T& v) { return v; }
  void fold(T& cur, const T& v) { cur = f(static_cast<const T&>(cur), T(v)); }
  void store(T v) { st->update(std::move(v)); }
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
  // The front (window_front.hpp): contents folded outside the state.
  using front_value = acc_type;
  const acc_type* peek() { return st->peek(); }
  result_type result_of(const acc_type& acc) const { return agg.get_result(acc); }
  acc_type first(const T& v) { return agg.add(v, agg.create_accumulator()); }
  void fold(acc_type& cur, const T& v) { cur = agg.add(v, std::move(cur)); }
  void store(acc_type v) { st->update(std::move(v)); }
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

//! The type a front entry of contents C holds (void: C has no front).
template <class C, class = void>
struct front_value_of {
  using type = void;
};
template <class C>
struct front_value_of<C, std::void_t<typename C::front_value>> {
  using type = typename C::front_value;
};

//! Emits each window result as it is (reduce or aggregate without a function).
struct pass_through_window_fn {};

template <class K, class T, class Out, class KeySel, class Contents, class WindowFn>
class window_operator final : public typed_operator<Out> {
  using result_type = typename Contents::result_type;
  using front_value = typename front_value_of<Contents>::type;
  //! Whether records may be folded in the front (window_front.hpp) at all.
  static constexpr bool front_capable = []() constexpr {
    if constexpr (std::is_void_v<front_value>)
      return false;
    else
      return front_key<K>::value && std::is_default_constructible_v<front_value> &&
             std::is_move_assignable_v<front_value>;
  }
  ();
  using front_value_or_char = std::conditional_t<front_capable, front_value, char>;
  //! A front entry: the contents, whether the state held none when the front
  //! took the key (then it still holds none), and whether its window fired.
  struct front_cell {
    front_value_or_char value{};
    bool fresh = false;
    bool done = false;
  };

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
    // The front takes merging windows never (their contents move between
    // windows), nor state without a cache (every write is to go through).
    const std::size_t cache = backend_->options().cache_max_entries;
    use_front_ = front_capable && !assigner_.is_merging() && cache > 0;
    // Without allowed lateness an event-time window's only timer fires it and
    // cleans it up at its max timestamp: a key new in a front window gets
    // that timer only if the front hands it to the state before it fires.
    timerless_ = use_front_ && assigner_.event_time && lateness_ == 0;
    front_limit_ = std::max<std::size_t>(1, cache / 2);
  }

  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<T>(b);
    const std::size_t n = in.size();
    // Processing time is read once per batch: its records arrived together,
    // and a clock call per record cost about 5 % of a processing-time window
    // aggregation (Nexmark SQL q12).
    if (!assigner_.event_time)
      batch_now_ = this->ctx_->time->now();
    if constexpr (front_capable) {
      // Event-time tumbling windows in the front: a record of a window that
      // has not fired (so is not late either) is one fold into the front.
      if (use_front_ && assigner_.event_time && assigner_.kind == window_assigner::tumbling) {
        for (std::size_t i = 0; i < n; ++i) {
          const timestamp ts = in.timestamps[i];
          if (ts >= tumbling_.start && ts < tumbling_.end &&
              tumbling_.max_timestamp() > watermark_) {
            front_add(key_(in.values[i]), in.values[i], tumbling_);
            continue;
          }
          process_record(in, i);
        }
        flush();
        return;
      }
    }
    for (std::size_t i = 0; i < n; ++i)
      process_record(in, i);
    flush();
  }

  void process_watermark(timestamp wm) override {
    // A restored operator may know a later watermark than its inputs yet.
    watermark_ = std::max(watermark_, wm);
    // A timer due now belongs to a window whose max timestamp is passed; it
    // takes its key's entry from the front (on_timer). What is left of those
    // windows goes to the state: their records take the state's path now.
    if (timerless_)
      fire_front(wm);
    timers_.advance_watermark(wm, [this](const timer_entry& e) { on_timer(e); });
    flush_front(watermark_);
    flush();
    stream_operator::process_watermark(wm);
  }

  void on_processing_time(timestamp now) override {
    timers_.advance_processing_time(now, [this](const timer_entry& e) { on_timer(e); });
    flush_front(now);
    flush();
  }

  const internal_timer_service& timers() const { return timers_; }
  //! The timer service's, and one per key the front holds without a timer.
  std::optional<std::pair<std::size_t, std::size_t>> registered_timers() const override {
    auto c = timers_.counts();
    c.first += timerless_live_;
    return c;
  }

  //! The current watermark is state: which records are late must not change
  //! because the job restarted.
  void snapshot_state(std::int64_t, operator_state_writer& w) override {
    flush_front(max_watermark); // the keyed state is snapshotted next
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
  //! Assigns record `i` of `in` to its windows, or counts it (or sends it
  //! on) as late.
  void process_record(typed_batch<T>& in, std::size_t i) {
    timestamp ts = in.timestamps[i];
    if (assigner_.event_time && ts == no_timestamp)
      throw error(errc::invalid_argument,
                  "window operator '" + this->ctx_->task_name +
                      "' got a record without a timestamp; assign event time with "
                      "assign_timestamps_and_watermarks() or use processing-time windows");
    if (!assigner_.event_time)
      ts = batch_now_;
    const auto& key = key_(in.values[i]);
    key_set_ = false;
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
      const timestamp cleanup = cleanup_time(w);
      timers_.register_event_time_timer(cleanup);
      // EventTimeTrigger: a window already past the watermark fires at once
      // instead (see add_windows), so no trigger timer then. Without allowed
      // lateness it is the cleanup timer, registered just now.
      if (w.max_timestamp() > watermark_ && w.max_timestamp() != cleanup)
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
      // A window that has not fired (so no timer of it can be due) takes the
      // record in the front; one that fired already (allowed lateness) goes
      // through the state and fires again at once.
      if constexpr (front_capable) {
        if (use_front_ && w.max_timestamp() > watermark_) {
          front_add(key, value, w);
          continue;
        }
      }
      use_key(key);
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
    use_key(key);
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
    // Timers of one window come together: its bytes are decoded once.
    if (timer_ns_.empty() || e.ns != timer_ns_) {
      timer_window_ = decode<time_window>(e.ns, "window");
      timer_ns_ = e.ns;
    }
    const time_window w = timer_window_;
    bool fire = e.time == w.max_timestamp();
    bool cleanup = e.time == cleanup_time(w);
    if constexpr (front_capable) {
      if (!front_.empty() && (fire || cleanup) && front_timer(e, w, fire, cleanup))
        return;
    }
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

  //! Makes the record's key current in the backend, once per record.
  template <class Key>
  void use_key(const Key& key) {
    if (!key_set_) {
      backend_->set_current_key(key);
      key_set_ = true;
    }
  }

  //! One open window's front entries.
  struct front_window {
    time_window w;
    front_table<K, front_cell> table;
  };

  //! Folds `value` into the front entry of (key, w), made from the state on
  //! the first record of the key in the window (registering the window's
  //! timers when the state had no contents: the window starts now).
  template <class Key>
  void front_add(const Key& key, const T& value, const time_window& w) {
    const std::uint64_t h = stable_hash<K>{}(key);
    front_window* fw = last_front_ < front_.size() && front_[last_front_].w == w
                           ? &front_[last_front_]
                           : front_for(w);
    if (front_cell* c = fw->table.find(key, h)) {
      contents_.fold(c->value, value);
      return;
    }
    if (front_entries_ >= front_limit_) {
      flush_front(max_watermark);
      fw = front_for(w);
    }
    key_set_ = false; // flush_front() moved the backend's key
    use_key(key);
    set_namespace(w);
    front_cell start;
    if (const auto* cur = contents_.peek()) {
      start.value = *cur;
      contents_.fold(start.value, value);
    } else {
      start.value = contents_.first(value);
      start.fresh = true;
      if (timerless_)
        ++timerless_live_;
      else
        register_timers(w);
    }
    fw->table.insert(key, h, std::move(start));
    ++front_entries_;
  }

  //! The front window of `w`, added if missing (mostly the previous record's).
  [[gnu::noinline]] front_window* front_for(const time_window& w) {
    if (last_front_ < front_.size() && front_[last_front_].w == w)
      return &front_[last_front_];
    for (std::size_t i = 0; i < front_.size(); ++i)
      if (front_[i].w == w) {
        last_front_ = i;
        return &front_[i];
      }
    front_window fw;
    fw.w = w;
    if (!spare_.empty()) {
      fw.table = std::move(spare_.back());
      spare_.pop_back();
    }
    front_.push_back(std::move(fw));
    last_front_ = front_.size() - 1;
    return &front_.back();
  }

  //! Writes the front entries of every window whose max timestamp is at or
  //! before `time` into the state and drops them from the front.
  void flush_front(timestamp time) {
    if constexpr (front_capable) {
      if (front_.empty())
        return;
      for (std::size_t i = 0; i < front_.size();) {
        front_window& fw = front_[i];
        if (fw.w.max_timestamp() > time) {
          ++i;
          continue;
        }
        fw.table.for_each([&](const K& k, front_cell& c) {
          if (c.done)
            return;
          backend_->set_current_key(k);
          set_namespace(fw.w);
          if (timerless_ && c.fresh) {
            // Its timer now, in the order the keys came: as at its first record.
            register_timers(fw.w);
            --timerless_live_;
          }
          contents_.store(std::move(c.value));
        });
        front_entries_ -= fw.table.size();
        fw.table.clear();
        spare_.push_back(std::move(fw.table));
        if (i + 1 != front_.size())
          front_[i] = std::move(front_.back());
        front_.pop_back();
      }
      last_front_ = 0;
    } else {
      (void)time;
    }
  }

  //! Fires the front windows whose max timestamp is at or before `wm`, in
  //! time order, each after the timers due before it and with it (keys whose
  //! timers were registered earlier, so first), then its keys without a
  //! timer in the order they came: the order their timers would have fired.
  void fire_front(timestamp wm) {
    if constexpr (front_capable) {
      for (;;) {
        front_window* next = nullptr;
        for (auto& f : front_)
          if (f.w.max_timestamp() <= wm && (!next || f.w.max_timestamp() < next->w.max_timestamp()))
            next = &f;
        if (!next)
          return;
        const time_window w = next->w;
        timers_.fire_event_timers(w.max_timestamp(), [this](const timer_entry& e) { on_timer(e); });
        front_window* fw = nullptr;
        for (auto& f : front_)
          if (f.w == w)
            fw = &f;
        fw->table.for_each([&](const K& k, front_cell& c) {
          if (c.done || !c.fresh)
            return;
          c.done = true;
          --timerless_live_;
          results_.clear();
          results_.push_back(contents_.result_of(c.value));
          emit_results(k, w);
        });
        this->maybe_emit_early();
        flush_front(w.max_timestamp());
      }
    } else {
      (void)wm;
    }
  }

  //! A timer of (key, w) while the front holds the key's contents of w:
  //! firing and cleaning up at once (no allowed lateness) emits them from the
  //! front, and the state never sees them unless it held some before (then
  //! it is cleared). Otherwise the contents go to the state first and the
  //! timer fires as without the front (returns false).
  bool front_timer(const timer_entry& e, const time_window& w, bool fire, bool cleanup) {
    front_window* fw = nullptr;
    for (auto& f : front_)
      if (f.w == w)
        fw = &f;
    if (!fw)
      return false;
    K key = decode<K>(e.key, "window key");
    front_cell* c = fw->table.find(key, stable_hash<K>{}(key));
    if (!c || c->done)
      return false;
    c->done = true;
    if (fire && cleanup) {
      results_.clear();
      results_.push_back(contents_.result_of(c->value));
      emit_results(key, w);
      if (!c->fresh)
        contents_.clear();
      return true;
    }
    contents_.store(std::move(c->value));
    return false;
  }

  template <class Key>
  void emit(const Key& key, const time_window& w) {
    results_.clear();
    contents_.results(results_);
    if (results_.empty())
      return;
    emit_results(key, w);
  }

  //! Emits results_, the contents of (key, w).
  template <class Key>
  void emit_results(const Key& key, const time_window& w) {
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
  //! Processing-time windows: the time the batch being processed arrived.
  timestamp batch_now_ = 0;
  std::string timer_ns_; //!< namespace bytes of the last timer fired, decoded:
  time_window timer_window_;
  bool key_set_ = false; //!< the current record's key is the backend's current key
  bool use_front_ = false;
  bool timerless_ = false;         //!< keys new in a front window get no timer there
  std::size_t timerless_live_ = 0; //!< front entries without a timer, not fired
  std::vector<front_window> front_;
  std::vector<front_table<K, front_cell>> spare_; //!< emptied tables, reused
  std::size_t last_front_ = 0;                    //!< front_ index of the last window
  std::size_t front_entries_ = 0;
  std::size_t front_limit_ = 1;
};

} // namespace spate::detail
