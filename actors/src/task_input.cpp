// A task's input: batches and control events from its channels, held while
// a barrier aligns, combined by the watermark valve; and processing time.
#include <algorithm>

#include "task_actor.hpp"

namespace spate::detail {

void task_actor::on_data(data_msg& m) {
  pending_.push_back({current_sender(), true, std::move(m), {}});
  drain_pending();
}

void task_actor::dispatch(pending_input&& p) {
  if (finished_on_restore_)
    return; // the ends of upstream tasks that finished too; nothing to run
  channel_index c = p.is_data ? p.data.channel : p.control.channel;
  if (aligner_.blocked(c)) {
    // Exactly-once alignment: nothing behind a barrier passes before it.
    held_[c.value()].push_back(std::move(p));
    return;
  }
  if (p.is_data)
    process_data(p.data, p.sender);
  else
    process_control(p.control);
}

void task_actor::process_data(data_msg& m, const caf::strong_actor_ptr& from) {
  auto& ch = in_.at(m.channel.value());
  auto n = m.batch->size();
  head_->process_batch(ch.input, *m.batch);
  counters_->records_in.fetch_add(n, std::memory_order_relaxed);
  m.batch->clear();
  if (from)
    send(caf::actor_cast<caf::actor>(from), credit_msg{m.sender_channel, std::move(m.batch)});
}

void task_actor::process_control(const control_msg& m) {
  auto& ch = in_.at(m.channel.value());
  if (auto* w = std::get_if<watermark_event>(&m.event)) {
    forward(valve_.on_watermark(m.channel, w->watermark));
  } else if (auto* i = std::get_if<idle_event>(&m.event)) {
    forward(valve_.on_idle(m.channel, i->idle));
  } else if (auto* b = std::get_if<barrier_event>(&m.event)) {
    apply(aligner_.on_barrier(m.channel, b->checkpoint->id), b->checkpoint);
  } else if (!ch.ended) { // end of stream
    ch.ended = true;
    if (--open_channels_per_input_[ch.input] == 0)
      head_->end_input(ch.input);
    apply(aligner_.on_end_of_channel(m.channel)); // it has no barrier to wait for
    if (state_ == task_state::done)
      return;
    // Every input ended: event time is complete even if an input was idle.
    forward(valve_.on_end(m.channel));
    if (valve_.all_ended() && state_ == task_state::running)
      finish_chain();
  }
}

void task_actor::forward(const valve_output& out) {
  if (out.became_active)
    head_->process_idle(false);
  if (out.watermark) {
    counters_->input_watermark.store(*out.watermark, std::memory_order_relaxed);
    head_->process_watermark(*out.watermark);
  }
  if (out.became_idle)
    head_->process_idle(true);
}

timestamp task_actor::now() const { return rt_->clk->wall_ms(); }

void task_actor::request(stream_operator* op, timestamp t) {
  time_requests_.push({t, op});
  if (!firing_timers_ && t < time_scheduled_)
    schedule_wakeup();
}

void task_actor::schedule_wakeup() {
  // Exactly one wake-up is outstanding: for the earliest request.
  time_scheduled_ = time_requests_.top().first;
  ++time_token_;
  if (clock_by_hand_)
    return; // the clock wakes the task when it moves
  auto delay = std::max<timestamp>(0, time_scheduled_ - now());
  delayed_send(this, std::chrono::milliseconds(delay), proc_time_atom::value, time_token_);
}

void task_actor::on_processing_time_due(std::uint64_t token) {
  if (token == clock_moved_token) {
    if (!live() || time_requests_.empty() || time_requests_.top().first > now())
      return;
  } else if (token != time_token_ || !live()) {
    return;
  }
  // A task that took a stop-with-savepoint fires nothing (Flink's synchronous
  // savepoint): output now would not be in the savepoint. Its requests wait;
  // should the savepoint abort, they fire then.
  if (state_ == task_state::stopping)
    return;
  time_scheduled_ = max_watermark;
  timestamp t = now();
  firing_timers_ = true;
  while (!time_requests_.empty() && time_requests_.top().first <= t) {
    auto* op = time_requests_.top().second;
    time_requests_.pop();
    op->on_processing_time(t);
  }
  firing_timers_ = false;
  if (!time_requests_.empty())
    schedule_wakeup();
  after_work();
}

} // namespace spate::detail
