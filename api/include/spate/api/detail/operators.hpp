// Typed operators behind stream<T>'s methods. Each processes a whole batch
// per (virtual) call; the user function is inlined per record.
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "spate/actors/operator.hpp"
#include "spate/api/functions.hpp"
#include "spate/api/detail/traits.hpp"
#include "spate/api/process.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate::detail {

//! Past this many buffered output records an operator hands a batch on
//! mid-input, so one exploding flat_map cannot hold unbounded memory.
constexpr std::size_t operator_flush_threshold = 4096;

//! Common base: an output batch of type Out, handed on after each input batch.
template <class Out>
class typed_operator : public stream_operator {
protected:
  void emit_buffer() {
    if (!buf_.empty()) {
      out_->push(buf_);
      buf_.clear();
    }
    side_.drain([this](const std::string& tag, any_batch& b) {
      if (auto* o = side_output(tag))
        o->push(b);
    });
  }
  void maybe_emit_early() {
    if (buf_.size() >= operator_flush_threshold)
      emit_buffer();
  }
  typed_batch<Out> buf_;
  side_buffers side_;
};

template <class In, class Out, class F>
class map_operator final : public typed_operator<Out> {
public:
  explicit map_operator(F f) : f_(std::move(f)) {}
  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<In>(b);
    this->buf_.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i)
      this->buf_.push(f_(std::move(in.values[i])), in.timestamps[i]);
    this->emit_buffer();
  }

private:
  F f_;
};

//! Filters in place and hands the input batch itself on: no copy.
template <class T, class F>
class filter_operator final : public stream_operator {
public:
  explicit filter_operator(F f) : f_(std::move(f)) {}
  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<T>(b);
    std::size_t j = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (f_(static_cast<const T&>(in.values[i]))) {
        if (i != j) {
          in.values[j] = std::move(in.values[i]);
          in.timestamps[j] = in.timestamps[i];
        }
        ++j;
      }
    }
    in.values.erase(in.values.begin() + j, in.values.end());
    in.timestamps.resize(j);
    if (j > 0)
      out_->push(in);
  }

private:
  F f_;
};

template <class In, class Out, class F>
class flat_map_operator final : public typed_operator<Out> {
public:
  explicit flat_map_operator(F f) : f_(std::move(f)) {}
  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<In>(b);
    for (std::size_t i = 0; i < in.size(); ++i) {
      col_.reset(&this->buf_, in.timestamps[i]);
      f_(static_cast<const In&>(in.values[i]), col_);
      this->maybe_emit_early();
    }
    this->emit_buffer();
  }

private:
  F f_;
  collector<Out> col_;
};

//! Calls either a process_function subclass, handing it the record to take,
//! or a lambda (value, ctx).
template <class F, class In, class Ctx>
void call_process(F& f, In& v, Ctx& ctx) {
  if constexpr (has_process_element<F>::value)
    f.process_element(std::move(v), ctx);
  else
    f(static_cast<const In&>(v), ctx);
}

template <class In, class Out, class F>
class process_operator final : public typed_operator<Out> {
public:
  explicit process_operator(F f) : f_(std::move(f)) {}
  void open() override {
    ctx_obj_.bind(&this->buf_, &this->side_, this->ctx_);
    if constexpr (has_process_element<F>::value)
      f_.open(*this->ctx_);
  }
  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<In>(b);
    for (std::size_t i = 0; i < in.size(); ++i) {
      ctx_obj_.set_record(in.timestamps[i]);
      call_process(f_, in.values[i], ctx_obj_);
      this->maybe_emit_early();
    }
    this->emit_buffer();
  }
  void close() override {
    if constexpr (has_process_element<F>::value)
      f_.close();
  }

private:
  F f_;
  process_context<Out> ctx_obj_;
};

//! Keyed reduce (and sum/min/max, which are reduces): one value state per key.
template <class K, class T, class KeySel, class F>
class reduce_operator final : public typed_operator<T> {
public:
  reduce_operator(KeySel key, F f) : key_(std::move(key)), f_(std::move(f)) {}
  void open() override {
    state_ = &this->ctx_->state->get_value_state(value_state_descriptor<T>{"reduce"});
  }
  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<T>(b);
    auto* backend = this->ctx_->state;
    this->buf_.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      backend->set_current_key(key_(in.values[i]));
      if (T* cur = state_->mutate()) {
        *cur = f_(static_cast<const T&>(*cur), std::move(in.values[i]));
        this->buf_.push(*cur, in.timestamps[i]);
      } else {
        state_->update(in.values[i]);
        this->buf_.push(std::move(in.values[i]), in.timestamps[i]);
      }
    }
    this->emit_buffer();
  }

private:
  KeySel key_;
  F f_;
  value_state<T>* state_ = nullptr;
};

template <class K, class In, class Out, class KeySel, class F>
class keyed_process_operator final : public typed_operator<Out> {
public:
  keyed_process_operator(KeySel key, F f) : key_(std::move(key)), f_(std::move(f)) {}
  std::optional<std::pair<std::size_t, std::size_t>> registered_timers() const override {
    return timers_.counts();
  }
  void open() override {
    timers_.open(*this->ctx_->state, *this->ctx_->time, this);
    ctx_obj_.bind(&this->buf_, &this->side_, this->ctx_);
    ctx_obj_.bind_timers(&timers_);
    if constexpr (has_process_element<F>::value)
      f_.open(*this->ctx_);
  }
  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<In>(b);
    auto* backend = this->ctx_->state;
    if constexpr (has_process_element<F>::value) {
      if (f_.bundles()) {
        if (!select_)
          select_ = [this](const K& key) {
            this->ctx_->state->set_current_key(key);
            ctx_obj_.set_key(&key);
          };
        f_.process_bundle(in.values, in.timestamps, select_, ctx_obj_);
        this->emit_buffer();
        return;
      }
    }
    for (std::size_t i = 0; i < in.size(); ++i) {
      auto& v = in.values[i];
      const auto& key = key_(static_cast<const In&>(v));
      backend->set_current_key(key);
      ctx_obj_.set_key(&key);
      ctx_obj_.set_record(in.timestamps[i]);
      call_process(f_, v, ctx_obj_);
      this->maybe_emit_early();
    }
    this->emit_buffer();
  }
  void process_watermark(timestamp wm) override {
    timers_.advance_watermark(wm, [this](const timer_entry& e) { fire(e, e.time); });
    this->emit_buffer();
    stream_operator::process_watermark(wm);
  }
  void on_processing_time(timestamp now) override {
    // Output of processing-time timers carries no event timestamp (as Flink).
    timers_.advance_processing_time(now, [this](const timer_entry& e) { fire(e, no_timestamp); });
    this->emit_buffer();
  }
  void close() override {
    if constexpr (has_process_element<F>::value)
      f_.close();
  }
  //! For the test harness.
  const internal_timer_service& timers() const { return timers_; }

private:
  void fire(const timer_entry& e, timestamp output_ts) {
    if constexpr (has_process_element<F>::value) {
      K key = decode<K>(e.key, "timer key");
      ctx_obj_.set_key(&key);
      ctx_obj_.set_record(output_ts);
      f_.on_timer(e.time, ctx_obj_);
      this->maybe_emit_early();
    }
  }

  KeySel key_;
  F f_;
  keyed_process_context<K, Out> ctx_obj_;
  internal_timer_service timers_;
  std::function<void(const K&)> select_; //!< for process_bundle
};

template <class T>
class source_operator final : public stream_operator {
public:
  explicit source_operator(std::unique_ptr<source_function<T>> fn) : fn_(std::move(fn)) {}
  void open() override {
    // Flink's numRecordsOut of the source operator: what it read, before
    // the operators chained to it (counted per batch).
    if (ctx_->counters)
      emitted_ = &ctx_->counter("numRecordsOut");
    fn_->open(*ctx_);
  }
  source_status poll(std::size_t max_records) override {
    col_.reset(&buf_, no_timestamp);
    col_.track_splits(&runs_);
    auto status = fn_->poll(col_, max_records);
    if (emitted_ && !buf_.empty())
      emitted_->fetch_add(static_cast<std::int64_t>(buf_.size()), std::memory_order_relaxed);
    if (!buf_.empty()) {
      if (idle_) {
        idle_ = false;
        out_->push_idle(false);
      }
      if (runs_.empty())
        out_->push(buf_);
      else
        push_runs();
      buf_.clear();
    } else if (!runs_.empty()) {
      push_runs();
    }
    if (buf_.empty() && status.no_input && !idle_) {
      idle_ = true;
      out_->push_idle(true);
    }
    return status;
  }
  void process_batch(int, any_batch&) override {}
  void close() override { fn_->close(); }
  void initialize_state(const operator_state_reader& r) override { fn_->initialize_state(r); }
  void snapshot_state(std::int64_t id, operator_state_writer& w) override {
    fn_->snapshot_state(id, w);
  }
  void notify_checkpoint_complete(std::int64_t id) override { fn_->notify_checkpoint_complete(id); }

private:
  std::atomic<std::int64_t>* emitted_ = nullptr;
  //! Each split's records after its marker (records before the first marker
  //! belong to no split).
  void push_runs() {
    std::size_t at = 0;
    auto push_part = [&](std::size_t end) {
      if (end <= at)
        return;
      if (at == 0 && end == buf_.size()) {
        out_->push(buf_);
      } else {
        part_.clear();
        for (std::size_t i = at; i < end; ++i)
          part_.push(std::move(buf_.values[i]), buf_.timestamps[i]);
        out_->push(part_);
      }
      at = end;
    };
    for (std::size_t r = 0; r < runs_.size(); ++r) {
      push_part(runs_[r].begin);
      out_->push_split(runs_[r].split, runs_[r].finished);
    }
    push_part(buf_.size());
    runs_.clear();
  }

  std::unique_ptr<source_function<T>> fn_;
  typed_batch<T> buf_;
  typed_batch<T> part_;
  collector<T> col_;
  std::vector<split_run> runs_;
  bool idle_ = false;
};

template <class T>
class sink_operator final : public stream_operator {
public:
  explicit sink_operator(std::unique_ptr<sink_function<T>> fn) : fn_(std::move(fn)) {}
  void open() override { fn_->open(*ctx_); }
  void process_batch(int, any_batch& b) override { fn_->write(batch_cast<T>(b)); }
  void finish() override { fn_->finish(); }
  void close() override { fn_->close(); }
  void initialize_state(const operator_state_reader& r) override { fn_->initialize_state(r); }
  void snapshot_state(std::int64_t id, operator_state_writer& w) override {
    fn_->snapshot_state(id, w);
  }
  void notify_checkpoint_complete(std::int64_t id) override { fn_->notify_checkpoint_complete(id); }
  void notify_checkpoint_aborted(std::int64_t id) override { fn_->notify_checkpoint_aborted(id); }

private:
  std::unique_ptr<sink_function<T>> fn_;
};

} // namespace spate::detail
