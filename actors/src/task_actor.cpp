#include "task_actor.hpp"

#include <algorithm>

#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate::detail {

const char* to_string(task_state s) {
  switch (s) {
    case task_state::created:
      return "created";
    case task_state::running:
      return "running";
    case task_state::stopping:
      return "stopping";
    case task_state::finished:
      return "finished";
    case task_state::reported:
      return "reported";
    case task_state::done:
      return "done";
  }
  return "?";
}

void task_actor::set_state(task_state to) {
  auto from = state_;
  bool ok =
      to == task_state::done || (from == task_state::created && to == task_state::running) ||
      (from == task_state::running && (to == task_state::stopping || to == task_state::finished)) ||
      (from == task_state::stopping && to == task_state::running) ||
      (from == task_state::finished && to == task_state::reported);
  if (!ok)
    throw error(errc::internal, std::string("task '") + plan_->name + "' cannot go from " +
                                    to_string(from) + " to " + to_string(to));
  state_ = to;
}

task_actor::task_actor(caf::actor_config& cfg, job_runtime* rt, int chain, subtask_index subtask,
                       std::vector<std::vector<channel_target>> targets)
    : caf::event_based_actor(cfg), rt_(rt), chain_(chain), subtask_(subtask),
      plan_(&rt->plan.chains[chain]), counters_(rt->counters[chain][subtask.value()].get()),
      targets_(std::move(targets)), meter_on_(rt->task_time_enabled),
      real_clock_(rt->clk.get() == &system_clock::instance()), log_context_{
                                                                   rt->job_id, rt->job_name,
                                                                   plan_->name, subtask.value()} {}

task_actor::~task_actor() { close_operators(); }

void task_actor::on_exit() {
  if (phase_ != task_time_meter::stopped)
    meter_to(task_time_meter::stopped);
  // Tear down on the actor's own thread: queued input holds strong references
  // to upstream tasks and channels hold downstream ones; keeping them would
  // keep terminated tasks (and their operators) alive.
  close_operators();
  pending_.clear();
  held_.clear();
  out_.clear();
  writers_.clear();
  channel_views_.clear();
  outputs_.clear();
  ops_.clear();
  backends_.clear();
  op_backend_.clear();
  contexts_.clear();
  time_requests_ = {};
  aligning_info_.reset();
}

template <class F>
void task_actor::guarded(F&& f) {
  if (state_ == task_state::done)
    return;
  // What this thread logs while the handler runs names the job and subtask
  // (log.format: json).
  log_scope scope(&log_context_);
  // A handler ends an idle or back-pressured gap. Entered while busy (the
  // previous handler left work in the mailbox), it reads no clock.
  if (phase_ != task_time_meter::busy && phase_ != task_time_meter::stopped)
    meter_to(task_time_meter::busy);
  try {
    f();
  } catch (const error& e) {
    fail(e.what(), e.code() == errc::failed_precondition);
  } catch (const std::exception& e) {
    fail(e.what());
  } catch (...) {
    fail("unknown exception");
  }
  // The gap until the next handler: back-pressured while output waits for
  // credit (whatever input waits), busy while messages wait for a thread,
  // idle otherwise.
  if (phase_ != task_time_meter::stopped && state_ != task_state::done)
    meter_to(blocked()            ? task_time_meter::back_pressured
             : !mailbox().empty() ? task_time_meter::busy
                                  : task_time_meter::idle);
}

caf::behavior task_actor::make_behavior() {
  return {
      [this](start_atom) { guarded([&] { start(); }); },
      [this](data_msg& m) { guarded([&] { on_data(m); }); },
      [this](const control_msg& m) {
        guarded([&] {
          // Through the queue: it holds what waits for credit and what an
          // alignment released, which must go first.
          pending_.push_back({current_sender(), false, {}, m});
          drain_pending();
        });
      },
      [this](const checkpoint_trigger& m) { guarded([&] { on_trigger(m); }); },
      [this](complete_atom, checkpoint_id id) { guarded([&] { on_checkpoint_complete(id); }); },
      [this](abort_atom, checkpoint_id id) { guarded([&] { on_checkpoint_aborted(id); }); },
      [this](credit_msg& m) { guarded([&] { on_credit(m); }); },
      [this](tick_atom) { guarded([&] { on_tick(); }); },
      [this](flush_atom) {
        guarded([&] {
          flush_scheduled_ = false;
          for (auto& w : writers_)
            w->flush();
        });
      },
      [this](proc_time_atom, std::uint64_t token) {
        guarded([&] { on_processing_time_due(token); });
      },
      [this](cancel_atom) {
        state_ = task_state::done;
        close_operators();
        quit();
      },
  };
}

void task_actor::start() {
  // Leaves `stopped` (time counts from here: starting is busy); a restarted
  // subtask's watermarks begin again.
  if (meter_on_)
    meter_to(task_time_meter::busy);
  counters_->input_watermark.store(min_watermark, std::memory_order_relaxed);
  counters_->output_watermark.store(min_watermark, std::memory_order_relaxed);
  clock_by_hand_ = rt_->clk->on_advance([weak = caf::actor_cast<caf::weak_actor_ptr>(this)] {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<caf::actor>(strong), proc_time_atom::value, clock_moved_token);
  });
  build();
  for (auto& [k, reader] : pending_restore_)
    ops_[k]->initialize_state(reader);
  pending_restore_.clear();
  // Open tail first, so every operator is ready before its input produces.
  for (auto it = ops_.rbegin(); it != ops_.rend(); ++it)
    (*it)->open();
  set_state(task_state::running);
  if (finished_on_restore_) {
    // Its input is over for good (upstream tasks finished too): nothing
    // runs, not even finish(); downstream hears the end right away.
    send_control(0, static_cast<int>(out_.size()), end_of_stream_event{});
    set_state(task_state::finished);
    check_done();
    drain_pending();
    return;
  }
  if (source_) {
    tick_scheduled_ = true;
    send(this, tick_atom::value);
  } else if (in_.empty()) {
    finish_chain();
  }
  drain_pending();
}

void task_actor::on_credit(credit_msg& m) {
  auto& ch = out_.at(m.channel.value());
  ++ch.credits;
  if (m.batch_limit != 0 && ch.writer)
    ch.writer->set_batch_limit(ch.writer_channel, m.batch_limit);
  if (m.recycled)
    ch.free.push_back(std::move(m.recycled));
  drain(ch);
  if (blocked())
    return;
  drain_pending();
  if (source_ && state_ == task_state::running && !tick_scheduled_ && !blocked()) {
    tick_scheduled_ = true;
    send(this, tick_atom::value);
  }
  check_done();
}

void task_actor::on_tick() {
  tick_scheduled_ = false;
  if (state_ != task_state::running || blocked())
    return; // a credit resumes us; a stopped source waits for cancel
  auto status = head_->poll(rt_->batch_size);
  switch (status.kind) {
    case source_status::more:
      if (!blocked()) {
        tick_scheduled_ = true;
        send(this, tick_atom::value);
      }
      break;
    case source_status::idle:
      tick_scheduled_ = true;
      delayed_send(this, status.wait, tick_atom::value);
      break;
    case source_status::finished:
      // A bounded input ends event time: every window fires (as Flink).
      head_->process_watermark(max_watermark);
      finish_chain();
      break;
  }
  after_work();
}

void task_actor::drain(out_channel& ch) {
  if (ch.backlog.empty())
    return;
  while (!ch.backlog.empty()) {
    auto& front = ch.backlog.front();
    if (front.first) {
      if (ch.credits == 0)
        break;
      --ch.credits;
      channel_index index{static_cast<std::int32_t>(&ch - out_.data())};
      send(ch.target.actor, data_msg{ch.target.channel, index, std::move(front.first)});
    } else {
      send(ch.target.actor, front.second);
    }
    ch.backlog.pop_front();
  }
  if (ch.backlog.empty())
    --backlogged_;
}

void task_actor::drain_pending() {
  while (!pending_.empty() && !blocked() && state_ != task_state::created &&
         state_ != task_state::done) {
    auto p = std::move(pending_.front());
    pending_.pop_front();
    dispatch(std::move(p));
  }
  after_work();
}

void task_actor::after_work() {
  if (state_ == task_state::reported || state_ == task_state::done)
    return;
  if (rt_->buffer_timeout.count() == 0) {
    for (auto& w : writers_)
      w->flush();
  } else if (!flush_scheduled_) {
    for (auto& w : writers_) {
      if (w->has_partial()) {
        flush_scheduled_ = true;
        delayed_send(this, rt_->buffer_timeout, flush_atom::value);
        break;
      }
    }
  }
  check_done();
}

void task_actor::finish_chain() {
  for (auto& op : ops_)
    op->finish();
  for (auto& w : writers_)
    w->flush();
  send_control(0, static_cast<int>(out_.size()), end_of_stream_event{});
  set_state(task_state::finished);
  check_done();
}

void task_actor::check_done() {
  if (state_ != task_state::finished || blocked())
    return;
  // Stay until the master says every task finished: a failure elsewhere
  // before then restarts this task too, and nothing may be committed yet.
  set_state(task_state::reported);
  send(rt_->master, task_done_msg{chain_, subtask_, false, {}});
}

void task_actor::fail(const std::string& what, bool fatal) {
  if (state_ == task_state::done)
    return;
  state_ = task_state::done;
  std::string cause = "task '" + plan_->name + " (" + std::to_string(subtask_.value() + 1) + "/" +
                      std::to_string(plan_->parallelism) + ")' failed: " + what;
  spate::log().error("{}", cause);
  close_operators();
  send(rt_->master, task_done_msg{chain_, subtask_, true, cause, fatal});
  quit();
}

void task_actor::close_operators() noexcept {
  if (closed_)
    return;
  closed_ = true;
  for (auto it = ops_.rbegin(); it != ops_.rend(); ++it) {
    if (!*it)
      continue; // build() failed before creating it
    try {
      (*it)->close();
    } catch (const std::exception& e) {
      spate::log().warn("closing an operator of '{}' failed: {}", plan_->name, e.what());
    } catch (...) {
      spate::log().warn("closing an operator of '{}' failed with an exception that is not a "
                        "std::exception",
                        plan_->name);
    }
  }
  // The working state of an ended task is never read again (a restart
  // starts clean from a snapshot): dropped, not written back.
  for (auto& b : backends_)
    b->discard();
  backends_.clear();
}

void task_actor::send_batch(int channel, std::shared_ptr<any_batch> batch) {
  auto& ch = out_[channel];
  if (ch.backlog.empty() && ch.credits > 0) {
    --ch.credits;
    send(ch.target.actor, data_msg{ch.target.channel, channel_index{channel}, std::move(batch)});
    return;
  }
  if (ch.backlog.empty())
    ++backlogged_;
  ch.backlog.emplace_back(std::move(batch), control_msg{});
}

std::shared_ptr<any_batch> task_actor::take_buffer(int channel) {
  auto& f = out_[channel].free;
  if (f.empty())
    return nullptr;
  auto b = std::move(f.back());
  f.pop_back();
  return b;
}

void task_actor::send_control(int first, int count, const control_event& event) {
  for (int c = first; c < first + count; ++c) {
    auto& ch = out_[c];
    control_msg m{ch.target.channel, event};
    if (ch.backlog.empty())
      send(ch.target.actor, m);
    else
      ch.backlog.emplace_back(nullptr, m);
  }
}

} // namespace spate::detail
