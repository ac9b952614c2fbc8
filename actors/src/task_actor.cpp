#include "task_actor.hpp"

#include <algorithm>

#include <filesystem>
#include <random>

#include "spate/checkpoints/keyed_snapshot.hpp"
#include "spate/checkpoints/storage.hpp"
#include "spate/core/key_group.hpp"
#include "spate/core/log.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate::detail {

namespace {

//! Feeds the next operator of the chain with plain calls.
class chained_output final : public output {
public:
  explicit chained_output(stream_operator* next) : next_(next) {}
  void push(any_batch& b) override { next_->process_batch(0, b); }
  void push_watermark(timestamp wm) override { next_->process_watermark(wm); }
  void push_idle(bool idle) override { next_->process_idle(idle); }
  void push_split(std::int32_t split, bool finished) override {
    next_->process_split(split, finished);
  }

private:
  stream_operator* next_;
};

//! Feeds the writers of the task's network edges.
class network_output final : public output {
public:
  struct writer_ref {
    record_writer* writer;
    int first_channel;
    int channels;
  };
  network_output(task_actor* task, std::vector<writer_ref> writers)
      : task_(task), writers_(std::move(writers)) {}
  void push(any_batch& b) override {
    task_->count_out(b.size());
    for (std::size_t i = 0; i < writers_.size(); ++i)
      writers_[i].writer->write(b, i + 1 == writers_.size());
  }
  void push_watermark(timestamp wm) override {
    for (auto& w : writers_) {
      w.writer->flush();
      task_->send_control(w.first_channel, w.channels, control_kind::watermark, wm);
    }
  }
  void push_idle(bool idle) override {
    for (auto& w : writers_) {
      w.writer->flush();
      task_->send_control(w.first_channel, w.channels, control_kind::idle_status, idle ? 1 : 0);
    }
  }

private:
  task_actor* task_;
  std::vector<writer_ref> writers_;
};

//! One output read by several consumers: all but the last get a copy.
class fan_out_output final : public output {
public:
  explicit fan_out_output(std::vector<output*> outs) : outs_(std::move(outs)) {}
  void push(any_batch& b) override {
    for (std::size_t i = 0; i + 1 < outs_.size(); ++i) {
      auto copy = b.clone();
      outs_[i]->push(*copy);
    }
    outs_.back()->push(b);
  }
  void push_watermark(timestamp wm) override {
    for (auto* o : outs_)
      o->push_watermark(wm);
  }
  void push_idle(bool idle) override {
    for (auto* o : outs_)
      o->push_idle(idle);
  }
  void push_split(std::int32_t split, bool finished) override {
    for (auto* o : outs_)
      o->push_split(split, finished);
  }

private:
  std::vector<output*> outs_;
};

//! The channels of one edge, as a window on the task's output channels.
class edge_channels final : public channel_set {
public:
  edge_channels(task_actor* task, int first, int count)
      : task_(task), first_(first), count_(count) {}
  int size() const override { return count_; }
  std::shared_ptr<any_batch> take_buffer(int c) override { return task_->take_buffer(first_ + c); }
  void send(int c, std::shared_ptr<any_batch> b) override {
    task_->send_batch(first_ + c, std::move(b));
  }

private:
  task_actor* task_;
  int first_;
  int count_;
};

} // namespace

task_actor::task_actor(caf::actor_config& cfg, job_runtime* rt, int chain, int subtask,
                       std::vector<std::vector<channel_target>> targets)
    : caf::event_based_actor(cfg),
      rt_(rt),
      chain_(chain),
      subtask_(subtask),
      plan_(&rt->plan.chains[chain]),
      counters_(rt->counters[chain][subtask].get()),
      targets_(std::move(targets)) {}

task_actor::~task_actor() {
  close_operators();
}

void task_actor::on_exit() {
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
  if (done_)
    return;
  try {
    f();
  } catch (const std::exception& e) {
    fail(e.what());
  } catch (...) {
    fail("unknown exception");
  }
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
    [this](complete_atom, std::int64_t id) {
      guarded([&] {
        for (auto& op : ops_)
          op->notify_checkpoint_complete(id);
        if (id == final_checkpoint_id && reported_) {
          // Every task of the job finished: what sinks staged is committed.
          done_ = true;
          close_operators();
          quit();
          return;
        }
        after_work();
      });
    },
    [this](abort_atom, std::int64_t id) {
      guarded([&] {
        apply(aligner_.on_abort(checkpoint_id{id}));
        for (auto& op : ops_)
          op->notify_checkpoint_aborted(id);
        if (stopping_ && stop_id_ == id) {
          stopping_ = false; // the stop failed: keep running
          if (source_ && !tick_scheduled_ && !finished_) {
            tick_scheduled_ = true;
            send(this, tick_atom::value);
          }
        }
        drain_pending();
      });
    },
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
      done_ = true;
      close_operators();
      quit();
    },
  };
}

void task_actor::build() {
  const auto& g = rt_->graph;
  const auto& members = plan_->members;
  const int n = static_cast<int>(members.size());
  contexts_.resize(n);
  ops_.resize(n);
  op_backend_.assign(n, nullptr);
  incarnation_.assign(n, {});
  restored_files_.assign(n, nullptr);
  auto restore = rt_->restore_from();
  auto snapshot_of = [&](const std::string& uid) -> const checkpoints::operator_snapshot* {
    if (!restore)
      return nullptr;
    for (auto& op : restore->meta.operators)
      if (op.uid == uid)
        return &op;
    return nullptr;
  };
  for (int k = 0; k < n; ++k) {
    const auto& v = g.vertices()[members[k]];
    const auto& pv = rt_->plan.vertices[members[k]];
    auto ctx = std::make_unique<runtime_context>();
    ctx->task_name = v.name;
    ctx->operator_uid = pv.uid;
    ctx->job_id = rt_->job_id;
    ctx->subtask = subtask_;
    ctx->parallelism = pv.parallelism;
    ctx->max_parallelism = pv.max_parallelism;
    ctx->config = &rt_->config;
    ctx->time = this;
    ctx->counters = this;
    if (v.keyed) {
      state_backend_options so;
      so.directory = rt_->state_root + "/" + pv.uid + "_" + std::to_string(subtask_);
      so.max_parallelism = pv.max_parallelism;
      so.key_groups = key_group_range_for_subtask(pv.max_parallelism, pv.parallelism, subtask_);
      so.cache_max_entries = static_cast<std::size_t>(
          rt_->config.get_int(options::state_cache_entries, default_state_cache_entries));
      so.ingest_min_entries = static_cast<std::size_t>(
          rt_->config.get_int(options::state_ingest_min_entries, default_ingest_min_entries));
      std::error_code ec;
      std::filesystem::remove_all(so.directory, ec); // a restart starts clean
      auto known = std::make_shared<std::map<std::string, std::string>>();
      if (auto* snap = snapshot_of(pv.uid))
        backends_.push_back(checkpoints::restore_keyed_backend(
            so, *snap, restore->base_dir,
            rt_->state_root + "/restore/" + pv.uid + "_" + std::to_string(subtask_), *known));
      else
        backends_.push_back(std::make_unique<keyed_state_backend>(so));
      // A restored snapshot of another job's storage is copied, not referenced.
      if (!restore || restore->meta.savepoint || restore->meta.job_id != rt_->job_id)
        known->clear();
      restored_files_[k] = known;
      std::random_device rd;
      char buf[17];
      std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
      incarnation_[k] = pv.uid + "_" + std::to_string(subtask_) + "_" + buf;
      ctx->state = backends_.back().get();
      op_backend_[k] = ctx->state;
    }
    contexts_[k] = std::move(ctx);
    ops_[k] = v.make_operator();
    if (auto* snap = snapshot_of(pv.uid)) {
      std::vector<std::map<std::string, std::string>> old(static_cast<std::size_t>(snap->parallelism));
      for (auto& e : snap->operator_state)
        if (e.subtask >= 0 && e.subtask < snap->parallelism)
          old[e.subtask][e.name] = e.bytes;
      pending_restore_.emplace_back(
          k, operator_state_reader(subtask_, pv.parallelism, snap->parallelism, std::move(old)));
    }
  }
  head_ = ops_[0].get();
  source_ = g.vertices()[plan_->head].is_source;

  // Output channels and one writer per network edge.
  std::vector<network_output::writer_ref> writer_refs;
  for (std::size_t w = 0; w < plan_->out_edges.size(); ++w) {
    int e = plan_->out_edges[w];
    const auto& edge = g.edges()[e];
    int first = static_cast<int>(out_.size());
    for (auto& t : targets_[w]) {
      out_channel ch;
      ch.target = t;
      ch.credits = rt_->credits_per_channel;
      out_.push_back(std::move(ch));
    }
    int count = static_cast<int>(targets_[w].size());
    channel_views_.push_back(std::make_unique<edge_channels>(this, first, count));
    writer_params params;
    params.batch_size = rt_->batch_size;
    params.max_parallelism = rt_->plan.vertices[edge.to.value()].max_parallelism;
    params.target_parallelism = rt_->plan.vertices[edge.to.value()].parallelism;
    params.subtask = subtask_;
    writers_.push_back(edge.make_writer(rt_->plan.edges[e].part, channel_views_.back().get(), params));
    writer_refs.push_back({writers_.back().get(), first, count});
  }

  // Each operator's outputs, per tag: chained operators and network writers.
  for (int k = 0; k < n; ++k) {
    std::map<std::string, std::vector<output*>> consumers;
    std::map<std::string, std::vector<network_output::writer_ref>> network;
    for (std::size_t e = 0; e < g.edges().size(); ++e) {
      const auto& edge = g.edges()[e];
      if (edge.from.value() != members[k])
        continue;
      if (rt_->plan.edges[e].chained) {
        auto j = std::find(members.begin(), members.end(), edge.to.value()) - members.begin();
        outputs_.push_back(std::make_unique<chained_output>(ops_[j].get()));
        consumers[edge.tag].push_back(outputs_.back().get());
      } else {
        auto w = std::find(plan_->out_edges.begin(), plan_->out_edges.end(), static_cast<int>(e)) -
                 plan_->out_edges.begin();
        network[edge.tag].push_back(writer_refs[w]);
      }
    }
    for (auto& [tag, refs] : network) {
      outputs_.push_back(std::make_unique<network_output>(this, std::move(refs)));
      consumers[tag].push_back(outputs_.back().get());
    }
    output* main = nullptr;
    std::map<std::string, output*> side;
    for (auto& [tag, outs] : consumers) {
      output* o = outs.front();
      if (outs.size() > 1) {
        outputs_.push_back(std::make_unique<fan_out_output>(outs));
        o = outputs_.back().get();
      }
      if (tag.empty())
        main = o;
      else
        side[tag] = o;
    }
    if (!main) {
      outputs_.push_back(std::make_unique<null_output>());
      main = outputs_.back().get();
    }
    ops_[k]->setup(contexts_[k].get(), main, std::move(side));
  }

  // Input channels.
  in_.resize(rt_->plan.input_channels(g, chain_));
  open_channels_per_input_.assign(2, 0);
  int c = 0;
  for (int e : plan_->in_edges) {
    int count = rt_->plan.channels_per_target(g, e);
    int input = g.edges()[e].to_input;
    for (int i = 0; i < count; ++i, ++c) {
      in_[c].input = input;
      ++open_channels_per_input_[input];
    }
  }
  open_channels_ = static_cast<int>(in_.size());
  held_.assign(in_.size(), {});
  aligner_ = checkpoints::barrier_aligner(static_cast<int>(in_.size()),
                                          rt_->checkpointing.exactly_once
                                              ? checkpoints::barrier_aligner::mode::exactly_once
                                              : checkpoints::barrier_aligner::mode::at_least_once);
}

void task_actor::start() {
  build();
  for (auto& [k, reader] : pending_restore_)
    ops_[k]->initialize_state(reader);
  pending_restore_.clear();
  // Open tail first, so every operator is ready before its input produces.
  for (auto it = ops_.rbegin(); it != ops_.rend(); ++it)
    (*it)->open();
  started_ = true;
  if (source_) {
    tick_scheduled_ = true;
    send(this, tick_atom::value);
  } else if (in_.empty()) {
    finish_chain();
  }
  drain_pending();
}

void task_actor::on_data(data_msg& m) {
  pending_.push_back({current_sender(), true, std::move(m), {}});
  drain_pending();
}

void task_actor::dispatch(pending_input&& p) {
  int c = p.is_data ? p.data.channel : p.control.channel;
  if (aligner_.blocked(c)) {
    // Exactly-once alignment: nothing behind a barrier passes before it.
    held_[c].push_back(std::move(p));
    return;
  }
  if (p.is_data)
    process_data(p.data, p.sender);
  else
    process_control(p.control);
}

void task_actor::process_data(data_msg& m, const caf::strong_actor_ptr& sender) {
  auto& ch = in_.at(m.channel);
  auto n = m.batch->size();
  head_->process_batch(ch.input, *m.batch);
  counters_->records_in.fetch_add(n, std::memory_order_relaxed);
  m.batch->clear();
  if (sender)
    send(caf::actor_cast<caf::actor>(sender), credit_msg{m.sender_channel, std::move(m.batch)});
}

void task_actor::process_control(const control_msg& m) {
  auto& ch = in_.at(m.channel);
  if (m.kind == control_kind::watermark) {
    ch.watermark = std::max(ch.watermark, m.value);
  } else if (m.kind == control_kind::idle_status) {
    ch.idle = m.value != 0;
  } else if (m.kind == control_kind::barrier) {
    apply(aligner_.on_barrier(m.channel, checkpoint_id{m.barrier->id}), m.barrier);
    return;
  } else if (!ch.ended) {
    ch.ended = true;
    --open_channels_;
    if (--open_channels_per_input_[ch.input] == 0)
      head_->end_input(ch.input);
    apply(aligner_.on_end_of_channel(m.channel)); // it has no barrier to wait for
    if (done_)
      return;
  }
  if (open_channels_ == 0) {
    if (!finished_) {
      // Every input ended: event time is complete even if an input was idle.
      if (watermark_ < max_watermark) {
        watermark_ = max_watermark;
        head_->process_watermark(max_watermark);
      }
      finish_chain();
    }
    return;
  }
  update_input_status();
}

void task_actor::update_input_status() {
  // The watermark is the minimum over channels that are open and active; an
  // idle channel does not hold it back. When every open channel is idle the
  // task is idle too and says so downstream, after advancing to the largest
  // watermark of its channels: none of them will hold the others back now
  // (Flink's StatusWatermarkValve flushes the same way). Otherwise a channel
  // going idle while another, idle-to-be, still held the minimum would leave
  // its watermark unused.
  timestamp wm = max_watermark;
  timestamp highest = min_watermark;
  bool any_active = false;
  for (auto& c : in_) {
    if (c.ended)
      continue;
    highest = std::max(highest, c.watermark);
    if (c.idle)
      continue;
    any_active = true;
    wm = std::min(wm, c.watermark);
  }
  if (!any_active) {
    if (highest > watermark_) {
      watermark_ = highest;
      head_->process_watermark(highest);
    }
    if (!idle_) {
      idle_ = true;
      head_->process_idle(true);
    }
    return;
  }
  if (idle_) {
    idle_ = false;
    head_->process_idle(false);
  }
  if (wm > watermark_) {
    watermark_ = wm;
    head_->process_watermark(wm);
  }
}

timestamp task_actor::now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void task_actor::request(stream_operator* op, timestamp t) {
  time_requests_.push({t, op});
  if (!firing_timers_ && t < time_scheduled_)
    schedule_wakeup();
}

void task_actor::schedule_wakeup() {
  // Exactly one wake-up is outstanding: for the earliest request.
  time_scheduled_ = time_requests_.top().first;
  ++time_token_;
  auto delay = std::max<timestamp>(0, time_scheduled_ - now());
  delayed_send(this, std::chrono::milliseconds(delay), proc_time_atom::value, time_token_);
}

void task_actor::on_processing_time_due(std::uint64_t token) {
  if (token != time_token_ || done_ || !started_ || finished_)
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

void task_actor::on_credit(credit_msg& m) {
  auto& ch = out_.at(m.channel);
  ++ch.credits;
  if (m.recycled)
    ch.free.push_back(std::move(m.recycled));
  drain(ch);
  if (blocked())
    return;
  drain_pending();
  if (source_ && started_ && !tick_scheduled_ && !finished_ && !blocked()) {
    tick_scheduled_ = true;
    send(this, tick_atom::value);
  }
  check_done();
}

void task_actor::on_tick() {
  tick_scheduled_ = false;
  if (finished_ || blocked() || stopping_)
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
      int index = static_cast<int>(&ch - out_.data());
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
  while (!pending_.empty() && !blocked() && !done_ && started_) {
    auto p = std::move(pending_.front());
    pending_.pop_front();
    dispatch(std::move(p));
  }
  after_work();
}

void task_actor::after_work() {
  if (done_ || reported_)
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
  send_control(0, static_cast<int>(out_.size()), control_kind::end_of_stream, 0);
  finished_ = true;
  check_done();
}

void task_actor::check_done() {
  if (!finished_ || done_ || reported_ || blocked())
    return;
  // Stay until the master says every task finished: a failure elsewhere
  // before then restarts this task too, and nothing may be committed yet.
  reported_ = true;
  send(rt_->master, task_done_msg{chain_, subtask_, false, {}});
}

void task_actor::fail(const std::string& what) {
  if (done_)
    return;
  done_ = true;
  std::string cause = "task '" + plan_->name + " (" + std::to_string(subtask_ + 1) + "/" +
                      std::to_string(plan_->parallelism) + ")' failed: " + what;
  spate::log().error("{}", cause);
  close_operators();
  send(rt_->master, task_done_msg{chain_, subtask_, true, cause});
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
    send(ch.target.actor, data_msg{ch.target.channel, channel, std::move(batch)});
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

void task_actor::send_control(int first, int count, control_kind kind, std::int64_t value,
                              std::shared_ptr<const checkpoint_trigger> barrier) {
  for (int c = first; c < first + count; ++c) {
    auto& ch = out_[c];
    control_msg m{ch.target.channel, kind, value, barrier};
    if (ch.backlog.empty())
      send(ch.target.actor, m);
    else
      ch.backlog.emplace_back(nullptr, m);
  }
}

} // namespace spate::detail

namespace spate::detail {

void task_actor::on_trigger(const checkpoint_trigger& m) {
  if (finished_ || done_ || !started_ || stopping_) {
    send(rt_->coordinator,
         decline_msg{m.id, "task '" + plan_->name + "' is not running", false});
    return;
  }
  auto info = std::make_shared<const checkpoint_trigger>(m);
  if (m.drain)
    head_->process_watermark(max_watermark); // every window fires before the savepoint
  aligner_.on_triggered(checkpoint_id{m.id});
  alignment_start_ = std::chrono::steady_clock::now();
  if (take_snapshot(info) && m.stop) {
    stopping_ = true;
    stop_id_ = m.id;
  }
}

void task_actor::apply(const checkpoints::alignment_step& step,
                       const std::shared_ptr<const checkpoint_trigger>& info) {
  if (step.started) {
    aligning_info_ = info;
    alignment_start_ = std::chrono::steady_clock::now();
  }
  if (step.complete) {
    auto taken = std::move(aligning_info_);
    take_snapshot(taken);
  }
  if (step.released)
    release_held();
  if (!aligner_.aligning())
    aligning_info_.reset();
}

void task_actor::release_held() {
  // What waited behind the barriers goes first, in its channel's order.
  std::deque<pending_input> released;
  for (auto& held : held_) {
    for (auto& p : held)
      released.push_back(std::move(p));
    held.clear();
  }
  pending_.insert(pending_.begin(), std::make_move_iterator(released.begin()),
                  std::make_move_iterator(released.end()));
}

bool task_actor::take_snapshot(const std::shared_ptr<const checkpoint_trigger>& info) {
  try {
    snapshot_now(info);
    return true;
  } catch (const std::exception& e) {
    // A snapshot that cannot be written fails the checkpoint, not the job.
    spate::log().warn("task '{}' ({}/{}) declines checkpoint {}: {}", plan_->name, subtask_ + 1,
                      plan_->parallelism, info->id, e.what());
    send(rt_->coordinator, decline_msg{info->id, e.what(), !info->savepoint});
    return false;
  }
}

void task_actor::snapshot_now(const std::shared_ptr<const checkpoint_trigger>& info) {
  using clock = std::chrono::steady_clock;
  auto snap = std::make_shared<subtask_snapshot>();
  snap->chain = chain_;
  snap->subtask = subtask_;
  snap->task_name = plan_->name;
  snap->id = info->id;
  snap->alignment_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - alignment_start_).count();
  auto sync_start = clock::now();
  std::vector<std::pair<std::size_t, std::string>> local_dirs;
  // Shared: the uploader's closure is copied; the last copy drops what never ran.
  auto prepared =
      std::make_shared<std::vector<std::unique_ptr<keyed_state_backend::prepared_flush>>>();
  std::vector<std::pair<std::string, std::shared_ptr<const std::map<std::string, std::string>>>>
      upload_names;
  for (std::size_t k = 0; k < ops_.size(); ++k) {
    const auto& pv = rt_->plan.vertices[plan_->members[k]];
    operator_state_writer w;
    ops_[k]->snapshot_state(info->id, w);
    checkpoints::operator_snapshot os;
    os.uid = pv.uid;
    os.name = contexts_[k]->task_name;
    os.parallelism = pv.parallelism;
    os.max_parallelism = pv.max_parallelism;
    for (auto& [name, bytes] : w.entries()) {
      snap->bytes += bytes.size();
      os.operator_state.push_back({subtask_, name, bytes});
    }
    if (auto* b = op_backend_[k]) {
      std::string prefix = pv.uid + "_" + std::to_string(subtask_);
      if (info->savepoint) {
        checkpoints::keyed_state_handle h;
        h.subtask = subtask_;
        h.key_group_start = b->key_groups().start;
        h.key_group_end = b->key_groups().end;
        h.format = "canonical";
        auto size = checkpoints::export_canonical(*b, info->savepoint_dir + "/" + prefix + ".state");
        h.private_files.push_back({prefix + ".state", size});
        snap->bytes += size;
        os.keyed.push_back(std::move(h));
      } else {
        std::string local = rt_->state_root + "/snapshots/" + prefix + "/chk-" +
                            std::to_string(info->id);
        // The writes and the RocksDB checkpoint happen on the uploader's
        // thread; this task goes on with the next records meanwhile.
        prepared->push_back(b->prepare_flush());
        local_dirs.emplace_back(k, local);
        upload_names.emplace_back(incarnation_[k], restored_files_[k]);
      }
    }
    snap->operators.push_back(std::move(os));
  }
  snap->sync_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - sync_start).count();
  // The barrier follows every record emitted before the snapshot.
  for (auto& w : writers_)
    w->flush();
  send_control(0, static_cast<int>(out_.size()), control_kind::barrier, info->id, info);
  if (local_dirs.empty()) {
    send(rt_->coordinator, ack_msg{std::move(snap)});
    return;
  }
  auto* rt = rt_;
  rt_->upload.submit([rt, snap, local_dirs, upload_names, prepared, id = info->id,
                      subtask = subtask_] {
    auto start = std::chrono::steady_clock::now();
    try {
      for (std::size_t i = 0; i < prepared->size(); ++i)
        (*prepared)[i]->apply_and_checkpoint(local_dirs[i].second);
      checkpoints::checkpoint_storage storage(rt->checkpointing.dir, rt->job_id);
      for (std::size_t i = 0; i < local_dirs.size(); ++i) {
        auto& [k, dir] = local_dirs[i];
        auto& os = snap->operators[k];
        auto h = storage.upload_rocksdb_checkpoint(dir, id, upload_names[i].first,
                                                   *upload_names[i].second);
        h.subtask = subtask;
        auto range = key_group_range_for_subtask(os.max_parallelism, os.parallelism, subtask);
        h.key_group_start = range.start;
        h.key_group_end = range.end;
        for (auto* files : {&h.shared_files, &h.private_files})
          for (auto& f : *files)
            snap->bytes += f.size;
        os.keyed.push_back(std::move(h));
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
      snap->async_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      caf::anon_send(rt->coordinator, ack_msg{snap});
    } catch (const std::exception& e) {
      caf::anon_send(rt->coordinator, decline_msg{id, e.what()});
    }
  });
}

} // namespace spate::detail
