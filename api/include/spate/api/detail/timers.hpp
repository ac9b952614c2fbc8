// The timers of one keyed operator: event time and processing time, per key
// and namespace, kept in the operator's RocksDB (state/timer_queue).
#pragma once

#include <memory>
#include <string>

#include "spate/actors/operator.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate::detail {

class internal_timer_service {
public:
  //! With `persisted` false the timers are kept in memory only, never in
  //! RocksDB or a checkpoint: the operator must register them again when it
  //! opens on restored state (timer_queue).
  void open(keyed_state_backend& backend, processing_time_service& time, stream_operator* op,
            bool persisted = true) {
    backend_ = &backend;
    time_ = &time;
    op_ = op;
    event_ = std::make_unique<timer_queue>(backend, "_timers_event", persisted);
    proc_ = std::make_unique<timer_queue>(backend, "_timers_processing", persisted);
    request_earliest();
  }

  //! For the backend's current key and namespace.
  void register_event_time_timer(timestamp t) { event_->add(t); }
  void register_processing_time_timer(timestamp t) {
    if (proc_->add(t) && t < requested_) {
      requested_ = t;
      time_->request(op_, t);
    }
  }
  void delete_event_time_timer(timestamp t) { event_->remove(t); }
  void delete_processing_time_timer(timestamp t) { proc_->remove(t); }
  timestamp current_watermark() const { return watermark_; }
  timestamp current_processing_time() const { return time_->now(); }
  std::size_t event_time_timers() const { return event_->size(); }
  std::size_t processing_time_timers() const { return proc_->size(); }
  //! Both counts, as stream_operator::registered_timers() reports them.
  std::pair<std::size_t, std::size_t> counts() const {
    if (!event_)
      return {0, 0}; // not open yet
    return {event_time_timers(), processing_time_timers()};
  }

  //! Fires, in time order, every event-time timer at or before `wm` (also
  //! those registered while firing), with the backend set to its key and
  //! namespace: `fire(entry)`.
  template <class F>
  void advance_watermark(timestamp wm, F&& fire) {
    watermark_ = wm;
    while (auto e = event_->pop_if_due(wm)) {
      backend_->set_current_key_raw(e->key_group, e->key);
      backend_->set_current_namespace_raw(e->ns);
      fire(*e);
    }
  }

  //! Fires, in time order, the event-time timers at or before `limit`, which
  //! must not pass the watermark about to be advanced to (the window operator
  //! fires other things between them); the watermark stays as it is.
  template <class F>
  void fire_event_timers(timestamp limit, F&& fire) {
    while (auto e = event_->pop_if_due(limit)) {
      backend_->set_current_key_raw(e->key_group, e->key);
      backend_->set_current_namespace_raw(e->ns);
      fire(*e);
    }
  }

  //! Fires every processing-time timer at or before `now`.
  template <class F>
  void advance_processing_time(timestamp now, F&& fire) {
    requested_ = max_watermark;
    while (auto e = proc_->pop_if_due(now)) {
      backend_->set_current_key_raw(e->key_group, e->key);
      backend_->set_current_namespace_raw(e->ns);
      fire(*e);
    }
    request_earliest();
  }

private:
  void request_earliest() {
    timestamp t = proc_->earliest();
    if (t != max_watermark && t < requested_) {
      requested_ = t;
      time_->request(op_, t);
    }
  }

  keyed_state_backend* backend_ = nullptr;
  processing_time_service* time_ = nullptr;
  stream_operator* op_ = nullptr;
  std::unique_ptr<timer_queue> event_;
  std::unique_ptr<timer_queue> proc_;
  timestamp watermark_ = min_watermark;
  timestamp requested_ = max_watermark;
};

} // namespace spate::detail
