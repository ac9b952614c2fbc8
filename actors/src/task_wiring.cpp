// Building a task's chain: its operators with their state and restored
// snapshots, the outputs that feed chained operators and network writers,
// and the input channels.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include "spate/checkpoints/keyed_snapshot.hpp"
#include "spate/core/error.hpp"
#include "spate/core/key_group.hpp"
#include "spate/state/keyed_state_backend.hpp"
#include "task_actor.hpp"

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
    task_->note_output_watermark(wm);
    for (auto& w : writers_) {
      w.writer->flush();
      task_->send_control(w.first_channel, w.channels, watermark_event{wm});
    }
  }
  void push_idle(bool idle) override {
    for (auto& w : writers_) {
      w.writer->flush();
      task_->send_control(w.first_channel, w.channels, idle_event{idle});
    }
  }

private:
  task_actor* task_;
  std::vector<writer_ref> writers_;
};

//! The output of the last operator of a chain without consumers (a sink):
//! drops records, notes the watermarks it emits (currentOutputWatermark).
class terminal_output final : public output {
public:
  explicit terminal_output(task_actor* task) : task_(task) {}
  void push(any_batch&) override {}
  void push_watermark(timestamp wm) override { task_->note_output_watermark(wm); }
  void push_idle(bool) override {}

private:
  task_actor* task_;
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
  // Every operator of the chain finished before the snapshot was taken: the
  // chain does not run again (it restores its final state, so sinks commit
  // what it holds, and ends at once).
  finished_on_restore_ = n > 0;
  for (int k = 0; k < n; ++k) {
    auto* snap = snapshot_of(rt_->plan.vertices[members[k]].uid);
    if (!snap || !snap->finished)
      finished_on_restore_ = false;
  }
  if (finished_on_restore_)
    final_committed_ = true; // the restored checkpoint holds its final state
  for (int k = 0; k < n; ++k) {
    const auto& v = g.vertices()[members[k]];
    const auto& pv = rt_->plan.vertices[members[k]];
    auto ctx = std::make_unique<runtime_context>();
    ctx->task_name = v.name;
    ctx->operator_uid = pv.uid;
    ctx->job_id = rt_->job_id;
    ctx->subtask = subtask_.value();
    ctx->parallelism = pv.parallelism;
    ctx->max_parallelism = pv.max_parallelism;
    ctx->config = &rt_->config;
    ctx->time = this;
    ctx->counters = this;
    if (v.keyed) {
      state_backend_options so;
      so.directory = rt_->state_root + "/" + pv.uid + "_" + std::to_string(subtask_.value());
      so.max_parallelism = pv.max_parallelism;
      so.key_groups =
          key_group_range_for_subtask(pv.max_parallelism, pv.parallelism, subtask_.value());
      so.cache_max_entries = static_cast<std::size_t>(
          rt_->config.get_int(options::state_cache_entries, default_state_cache_entries));
      so.ingest_min_entries = static_cast<std::size_t>(
          rt_->config.get_int(options::state_ingest_min_entries, default_ingest_min_entries));
      // Each state's cache hits and misses and RocksDB size, as the
      // operator's metrics ("<operator>.<state>.cacheHits").
      so.metric = [rc = ctx.get()](const std::string& name) { return &rc->counter(name); };
      // A restart starts clean: a leftover database would be opened as live state.
      std::error_code ec;
      std::filesystem::remove_all(so.directory, ec);
      if (ec)
        throw error(errc::io,
                    "cannot clear the state directory '" + so.directory + "': " + ec.message());
      auto known = std::make_shared<std::map<std::string, std::string>>();
      if (auto* snap = snapshot_of(pv.uid))
        backends_.push_back(checkpoints::restore_keyed_backend(
            so, *snap, restore->base_dir,
            rt_->state_root + "/restore/" + pv.uid + "_" + std::to_string(subtask_.value()),
            *known));
      else
        backends_.push_back(std::make_unique<keyed_state_backend>(so));
      // A restored snapshot of another job's storage is copied, not referenced.
      if (!restore || restore->meta.savepoint || restore->meta.job_id != rt_->job_id)
        known->clear();
      restored_files_[k] = known;
      std::random_device rd;
      char buf[17];
      std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
      incarnation_[k] = pv.uid + "_" + std::to_string(subtask_.value()) + "_" + buf;
      ctx->state = backends_.back().get();
      op_backend_[k] = ctx->state;
    }
    contexts_[k] = std::move(ctx);
    ops_[k] = v.make_operator();
    if (auto* snap = snapshot_of(pv.uid)) {
      std::vector<std::map<std::string, std::string>> old(
          static_cast<std::size_t>(snap->parallelism));
      for (auto& e : snap->operator_state)
        if (e.subtask >= 0 && e.subtask < snap->parallelism)
          old[e.subtask][e.name] = e.bytes;
      pending_restore_.emplace_back(k, operator_state_reader(subtask_.value(), pv.parallelism,
                                                             snap->parallelism, std::move(old)));
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
    params.subtask = subtask_.value();
    writers_.push_back(
        edge.make_writer(rt_->plan.edges[e].part, channel_views_.back().get(), params));
    for (int i = 0; i < count; ++i) {
      out_[first + i].writer = writers_.back().get();
      out_[first + i].writer_channel = i;
    }
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
    if (!main && k == n - 1) {
      outputs_.push_back(std::make_unique<terminal_output>(this));
      main = outputs_.back().get();
    } else if (!main) {
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
  valve_ = watermark_valve(static_cast<int>(in_.size()));
  held_.assign(in_.size(), {});
  aligner_ = checkpoints::barrier_aligner(static_cast<int>(in_.size()),
                                          rt_->checkpointing.exactly_once
                                              ? checkpoints::barrier_aligner::mode::exactly_once
                                              : checkpoints::barrier_aligner::mode::at_least_once);
}

} // namespace spate::detail
