// Process functions: the lowest-level user API, with access to timestamps,
// side outputs and (for keyed streams) keyed state.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spate/actors/operator.hpp"
#include "spate/api/detail/timers.hpp"
#include "spate/api/functions.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate {

//! Names a side output and its record type (Flink's OutputTag).
template <class T>
struct output_tag {
  std::string id;
  explicit output_tag(std::string name) : id(std::move(name)) {}
};

namespace detail {

//! Buffers side-output records per tag during one batch; the operator hands
//! them on after the batch.
class side_buffers {
public:
  template <class X>
  void emit(const output_tag<X>& tag, X value, timestamp ts) {
    auto& slot = buffers_[tag.id];
    if (!slot)
      slot = std::make_unique<typed_batch<X>>();
    static_cast<typed_batch<X>&>(*slot).push(std::move(value), ts);
  }
  //! Calls `sink(tag, batch)` for every non-empty buffer, then clears it.
  template <class Sink>
  void drain(Sink&& sink) {
    for (auto& [tag, b] : buffers_) {
      if (b && !b->empty()) {
        sink(tag, *b);
        b->clear();
      }
    }
  }

private:
  std::map<std::string, std::unique_ptr<any_batch>> buffers_;
};

} // namespace detail

//! What a process function sees for the record at hand.
template <class Out>
class process_context {
public:
  //! Emits to the main output with the current record's timestamp.
  void output(Out value) { out_->push(std::move(value), ts_); }
  //! Emits to a side output.
  template <class X>
  void output(const output_tag<X>& tag, X value) {
    side_->emit(tag, std::move(value), ts_);
  }
  //! Timestamp of the current record (no_timestamp when none).
  timestamp record_timestamp() const { return ts_; }
  const runtime_context& runtime() const { return *rc_; }

  // Runtime wiring.
  void bind(typed_batch<Out>* out, detail::side_buffers* side, runtime_context* rc) {
    out_ = out;
    side_ = side;
    rc_ = rc;
  }
  void set_record(timestamp ts) { ts_ = ts; }

protected:
  typed_batch<Out>* out_ = nullptr;
  detail::side_buffers* side_ = nullptr;
  runtime_context* rc_ = nullptr;
  timestamp ts_ = no_timestamp;
};

//! Timers of the current key (Flink's TimerService).
class timer_service {
public:
  explicit timer_service(detail::internal_timer_service* t = nullptr) : t_(t) {}
  //! Calls on_timer once the watermark reaches `t` (once per key and time).
  void register_event_time_timer(timestamp t) { t_->register_event_time_timer(t); }
  //! Calls on_timer once the wall clock reaches `t` (ms since the epoch).
  void register_processing_time_timer(timestamp t) { t_->register_processing_time_timer(t); }
  void delete_event_time_timer(timestamp t) { t_->delete_event_time_timer(t); }
  void delete_processing_time_timer(timestamp t) { t_->delete_processing_time_timer(t); }
  timestamp current_watermark() const { return t_->current_watermark(); }
  timestamp current_processing_time() const { return t_->current_processing_time(); }

private:
  detail::internal_timer_service* t_;
};

//! The context of a keyed process function: adds the current key, the keyed
//! state of this subtask and its timers.
template <class K, class Out>
class keyed_process_context : public process_context<Out> {
public:
  const K& current_key() const { return *key_; }
  //! Keyed state, scoped to the current key.
  keyed_state_backend& state() { return *this->rc_->state; }
  //! Timers of the current key.
  spate::timer_service& timer_service() { return timers_; }

  void set_key(const K* key) { key_ = key; }
  void bind_timers(detail::internal_timer_service* t) { timers_ = spate::timer_service(t); }

private:
  const K* key_ = nullptr;
  spate::timer_service timers_;
};

//! Base class for process functions on a non-keyed stream.
template <class In, class Out>
class process_function {
public:
  using input_type = In;
  using output_type = Out;
  using context = process_context<Out>;
  virtual ~process_function() = default;
  virtual void open(runtime_context&) {}
  virtual void process_element(const In& value, context& ctx) = 0;
  //! The runtime calls this one: the record is the function's to take, since
  //! its batch is done with it after the call. Override it (beside the one
  //! above) to move the record into the output instead of copying it.
  virtual void process_element(In&& value, context& ctx) {
    process_element(static_cast<const In&>(value), ctx);
  }
  virtual void close() {}
};

//! Base class for process functions on a keyed stream (Flink's
//! KeyedProcessFunction). Get state handles in open():
//! `count_ = &rc.state->get_value_state(value_state_descriptor<long>{"count"});`
template <class K, class In, class Out>
class keyed_process_function {
public:
  using key_type = K;
  using input_type = In;
  using output_type = Out;
  using context = keyed_process_context<K, Out>;
  virtual ~keyed_process_function() = default;
  virtual void open(runtime_context&) {}
  virtual void process_element(const In& value, context& ctx) = 0;
  //! The runtime calls this one: the record is the function's to take, since
  //! its batch is done with it after the call. Override it (beside the one
  //! above) to move the record into the output instead of copying it. A key
  //! selector that returns a reference into the record leaves current_key()
  //! pointing into the moved-from record.
  virtual void process_element(In&& value, context& ctx) {
    process_element(static_cast<const In&>(value), ctx);
  }
  //! A timer registered for the current key fired at time `ts`.
  virtual void on_timer(timestamp /*ts*/, context& /*ctx*/) {}
  virtual void close() {}

  //! Mini-batch processing, as Flink's bundle operators do it: when bundles() says so, the
  //! runtime hands each input batch over whole instead of calling process_element per record
  //! (the records are the function's to take). The function groups them as it likes and calls
  //! `select(key)` before it works on a key: that key becomes current for keyed state, timers
  //! and ctx.current_key() (the key must stay alive while it is current); ctx.set_record()
  //! sets the timestamp of what it emits. Asked once per batch.
  virtual bool bundles() const { return false; }
  virtual void process_bundle(std::vector<In>& /*values*/,
                              const std::vector<timestamp>& /*timestamps*/,
                              const std::function<void(const K&)>& /*select*/, context& /*ctx*/) {}
};

//! Base class for a function over two keyed streams with one key type
//! (Flink's KeyedCoProcessFunction): one call per record of either stream,
//! keyed state and timers shared by both.
template <class K, class In1, class In2, class Out>
class keyed_co_process_function {
public:
  using key_type = K;
  using first_input_type = In1;
  using second_input_type = In2;
  using output_type = Out;
  using context = keyed_process_context<K, Out>;
  virtual ~keyed_co_process_function() = default;
  virtual void open(runtime_context&) {}
  //! A record of the first stream.
  virtual void process_element1(const In1& value, context& ctx) = 0;
  //! A record of the second stream.
  virtual void process_element2(const In2& value, context& ctx) = 0;
  //! A timer registered for the current key fired at time `ts`.
  virtual void on_timer(timestamp /*ts*/, context& /*ctx*/) {}
  virtual void close() {}
};

} // namespace spate
