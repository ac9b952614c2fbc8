// An operator test harness (Flink's OneInputStreamOperatorTestHarness): one
// operator, driven by hand. Push records and watermarks, advance processing
// time, read outputs, side outputs, timers and counters. No actors, no
// threads: every call runs the operator synchronously.
//
// Checkpoints, as Flink's AbstractStreamOperatorTestHarness has them:
// snapshot(id) takes what a task's checkpoint (or savepoint) of the operator
// holds -- its operator state entries and its keyed state, timers included --
// into a harness_snapshot; a new harness built with that snapshot in its
// harness_options restores it (initialize_state, then open, as the runtime
// does), also as another subtask or at another parallelism (rescaling: the
// keyed state of the key groups the new subtask owns). harness_snapshot::
// combine joins the snapshots of several subtasks into one of the operator.
// Timers come back as in a job: those kept as keyed state with it, the window
// operator's (derived from its contents) when it opens. Keyed state is
// written as a task's checkpoint writes it (a RocksDB checkpoint) or as a
// savepoint does (the canonical file): snapshot_kind. notify_checkpoint_
// complete / _aborted pass the checkpoint's outcome on (two-phase commits).
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "spate/api/stream.hpp"
#include "spate/checkpoints/metadata.hpp"
#include "spate/core/key_group.hpp"

namespace spate::detail {

//! A directory under the temp dir, created with `prefix` + a unique suffix,
//! removed (with its contents) by the destructor.
class harness_scratch_dir {
public:
  explicit harness_scratch_dir(const std::string& prefix);
  ~harness_scratch_dir();
  harness_scratch_dir(const harness_scratch_dir&) = delete;
  harness_scratch_dir& operator=(const harness_scratch_dir&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

} // namespace spate::detail

namespace spate::testing {

//! A clock advanced by hand; callbacks fire in time order.
class manual_time final : public processing_time_service {
public:
  timestamp now() const override { return now_; }
  void request(stream_operator* op, timestamp t) override { requests_.emplace(t, op); }
  void advance_to(timestamp t) {
    now_ = t;
    while (!requests_.empty() && requests_.begin()->first <= t) {
      auto* op = requests_.begin()->second;
      requests_.erase(requests_.begin());
      op->on_processing_time(t);
    }
  }

private:
  timestamp now_ = 0;
  std::multimap<timestamp, stream_operator*> requests_;
};

class simple_counters final : public counter_registry {
public:
  std::atomic<std::int64_t>& counter(const std::string& name) override {
    auto& slot = counters_[name];
    if (!slot)
      slot = std::make_unique<std::atomic<std::int64_t>>(0);
    return *slot;
  }
  std::int64_t value(const std::string& name) const {
    auto it = counters_.find(name);
    return it == counters_.end() ? 0 : it->second->load();
  }

private:
  std::map<std::string, std::unique_ptr<std::atomic<std::int64_t>>> counters_;
};

//! What an output received, in order: records (with timestamps) and watermarks.
template <class T>
class recording_output final : public output {
public:
  struct event {
    bool is_watermark = false;
    T value{};
    timestamp time = 0; //!< record timestamp or watermark
  };
  void push(any_batch& b) override {
    auto& tb = batch_cast<T>(b);
    for (std::size_t i = 0; i < tb.size(); ++i) {
      events.push_back({false, tb.values[i], tb.timestamps[i]});
      records.emplace_back(tb.values[i], tb.timestamps[i]);
    }
  }
  void push_watermark(timestamp wm) override {
    events.push_back({true, T{}, wm});
    watermarks.push_back(wm);
  }
  void push_idle(bool idle) override { idle_changes.push_back(idle); }
  std::vector<event> events;
  std::vector<std::pair<T, timestamp>> records; //!< not yet extracted
  std::vector<timestamp> watermarks;
  std::vector<bool> idle_changes;
};

//! How snapshot() writes keyed state: as a task's checkpoint does (a RocksDB
//! checkpoint of the backend, restored natively when the key groups are the
//! same) or as a savepoint does (the canonical entry file).
enum class snapshot_kind { checkpoint, savepoint };

template <class In, class Out>
class operator_harness;

//! What a checkpoint holds of one operator (Flink's OperatorSubtaskState):
//! the operator state entries and the keyed state (timers included) of the
//! subtasks it was taken from, as checkpoints::operator_snapshot describes
//! them. Copies share the snapshot's files, which live in a temporary
//! directory until the last copy is gone; the harness it came from may be
//! gone long before.
class harness_snapshot {
public:
  std::int64_t checkpoint_id() const { return id_; }
  //! The operator's entry as the checkpoint's _metadata would hold it (uid,
  //! parallelism, max parallelism, keyed state handles with absolute file
  //! paths, operator state entries).
  const checkpoints::operator_snapshot& metadata() const { return meta_; }
  //! The subtasks it holds, sorted: one for a harness's snapshot, more after combine().
  const std::vector<int>& subtasks() const { return subtasks_; }
  //! The operator state entries subtask `subtask` wrote (empty if none).
  std::map<std::string, std::string> operator_state(int subtask = 0) const;

  //! One snapshot of the operator from the snapshots of several of its
  //! subtasks (Flink's repackageState), e.g. of the harnesses playing
  //! subtasks 0 and 1 of 2, to restore into another parallelism. Throws
  //! errc::invalid_argument for none, for parts of different operators
  //! (uid), parallelism or max parallelism, or for a subtask given twice.
  static harness_snapshot combine(const std::vector<harness_snapshot>& parts);

private:
  template <class, class>
  friend class operator_harness;
  harness_snapshot() = default;

  //! Takes the snapshot: `entries` are what the operator's snapshot_state
  //! wrote, `backend` its keyed state (nullptr when not keyed).
  static harness_snapshot take(std::int64_t id, snapshot_kind kind, const runtime_context& ctx,
                               const std::map<std::string, std::string>& entries,
                               keyed_state_backend* backend);
  //! A backend with options `so` holding the entries of the key groups `so`
  //! owns (checkpoints::restore_keyed_backend); `scratch` for temporary copies.
  std::unique_ptr<keyed_state_backend> restore_keyed(const state_backend_options& so,
                                                     const std::string& scratch) const;
  //! What initialize_state() receives as subtask `subtask` of `parallelism`.
  operator_state_reader reader_for(int subtask, int parallelism) const;

  std::int64_t id_ = 0;
  checkpoints::operator_snapshot meta_;
  std::vector<int> subtasks_;
  std::vector<std::shared_ptr<const detail::harness_scratch_dir>> dirs_;
};

//! How a harness runs its operator: the job configuration, which subtask of
//! how many it plays (its runtime_context and, for a keyed operator, the key
//! groups its state owns: keys of other groups are refused as in a job), and
//! the snapshot it starts from, if any. A configuration converts to options,
//! so `operator_harness h(build, config)` keeps working.
struct harness_options {
  harness_options(configuration c = {}) : config(std::move(c)) {} // NOLINT: implicit on purpose

  configuration config;
  int subtask = 0;
  int parallelism = 1;
  //! Restored before open(): operator state through initialize_state(), keyed
  //! state and timers into the backend (the key groups this subtask owns).
  std::optional<harness_snapshot> restore;

  //! Plays subtask `index` (0-based) of `p`.
  harness_options& as_subtask(int index, int p) {
    subtask = index;
    parallelism = p;
    return *this;
  }
  harness_options& restored_from(harness_snapshot s) {
    restore = std::move(s);
    return *this;
  }
};

//! Tag of operator_harness's constructor for an operator with two inputs.
struct two_inputs_t {};
inline constexpr two_inputs_t two_inputs{};

template <class In, class Out>
class operator_harness {
public:
  //! `build` turns a stream<In> into a stream<Out> with one operator, e.g.
  //! `[](stream<In> s) { return s.key_by(k).window(w).reduce(f); }` (or adds
  //! one sink: `[](stream<In> s) { return s.add_sink(spec); }`).
  //! `options` (or just a configuration) says which subtask it plays and what
  //! it restores; `side_tags` names the side outputs to record. With
  //! options.restore, the snapshot must be of an operator with the same uid
  //! (both unset is the same) and, for keyed state, the same max parallelism.
  template <class Build>
  explicit operator_harness(Build build, harness_options options = {},
                            std::vector<std::string> side_tags = {})
      : env_(options.config) {
    auto out = build(env_.from_collection(std::vector<In>{}));
    init(out.vertex_index(), 1, std::move(options), std::move(side_tags));
  }

  //! An operator with two inputs, both of type In (a join): `build` gets the two streams;
  //! process_element's `input` says which one a record comes on.
  template <class Build>
  operator_harness(two_inputs_t, Build build, harness_options options = {}) : env_(options.config) {
    auto out =
        build(env_.from_collection(std::vector<In>{}), env_.from_collection(std::vector<In>{}));
    init(out.vertex_index(), 2, std::move(options), {});
  }

private:
  void init(int vertex, std::size_t inputs, harness_options options,
            std::vector<std::string> side_tags) {
    // The records pushed here go straight into the operator, typed In: one
    // more operator in front would receive them as the wrong type.
    if (env_.graph().vertices().size() != inputs + 1)
      throw error(errc::invalid_argument,
                  "operator_harness: build must add exactly one operator, it added " +
                      std::to_string(env_.graph().vertices().size() - inputs));
    auto& v = env_.graph().vertex(vertex_id(vertex));
    ctx_.task_name = v.name;
    ctx_.operator_uid = v.uid.empty() ? "harness" : v.uid;
    ctx_.max_parallelism = v.max_parallelism > 0 ? v.max_parallelism : env_.max_parallelism();
    if (options.parallelism < 1 || options.parallelism > ctx_.max_parallelism ||
        options.subtask < 0 || options.subtask >= options.parallelism)
      throw error(errc::invalid_argument,
                  "operator_harness: cannot play subtask " + std::to_string(options.subtask) +
                      " of " + std::to_string(options.parallelism) + " with max parallelism " +
                      std::to_string(ctx_.max_parallelism));
    const harness_snapshot* restore = options.restore ? &*options.restore : nullptr;
    if (restore && restore->metadata().uid != ctx_.operator_uid)
      throw error(errc::invalid_argument, "operator_harness: the snapshot is of operator '" +
                                              restore->metadata().uid + "', this harness runs '" +
                                              ctx_.operator_uid + "' (give both the same uid)");
    ctx_.subtask = options.subtask;
    ctx_.parallelism = options.parallelism;
    ctx_.config = &env_.config();
    ctx_.time = &time_;
    ctx_.counters = &counters_;
    try {
      op_ = v.make_operator();
      if (v.keyed) {
        dir_ = std::make_unique<detail::harness_scratch_dir>("spate-harness-");
        state_backend_options so;
        so.directory = dir_->path() + "/state";
        so.max_parallelism = ctx_.max_parallelism;
        so.key_groups = key_groups();
        if (restore && !restore->metadata().keyed.empty())
          backend_ = restore->restore_keyed(so, dir_->path() + "/restore");
        else
          backend_ = std::make_unique<keyed_state_backend>(so);
        ctx_.state = backend_.get();
      }
      std::map<std::string, output*> side;
      for (auto& tag : side_tags)
        side[tag] = &side_outputs_[tag];
      op_->setup(&ctx_, &out_, std::move(side));
      // As a task starts from a checkpoint: state first, then open().
      if (restore)
        op_->initialize_state(restore->reader_for(ctx_.subtask, ctx_.parallelism));
      op_->open();
    } catch (...) {
      op_.reset();
      backend_.reset();
      dir_.reset();
      throw;
    }
  }

public:
  ~operator_harness() {
    close();
    // The operator (its state handles, timer queues) before the backend, the
    // backend before its directory.
    op_.reset();
    backend_.reset();
    dir_.reset();
  }

  //! A record on the operator's input (`input` 1: the second input of a two-input one).
  void process_element(In value, timestamp ts = no_timestamp, int input = 0) {
    typed_batch<In> b;
    b.push(std::move(value), ts);
    op_->process_batch(input, b);
  }
  void process_watermark(timestamp wm) { op_->process_watermark(wm); }
  //! What a source reading several splits says before their records.
  void process_split(std::int32_t split, bool finished = false) {
    op_->process_split(split, finished);
  }
  //! Moves the processing-time clock to `t`, firing what is due.
  void set_processing_time(timestamp t) { time_.advance_to(t); }
  //! Ends the input (a bounded job's end).
  void finish() { op_->finish(); }
  void close() {
    if (op_ && !closed_) {
      closed_ = true;
      op_->close();
    }
  }

  //! Checkpoint `checkpoint_id` of this subtask, as a task takes it when the
  //! barrier arrives: the operator's snapshot_state(), then its keyed state
  //! (timers included), written as `kind` says. The operator goes on as
  //! before; restore the snapshot with harness_options::restore. Throws
  //! errc::invalid_argument after close().
  harness_snapshot snapshot(std::int64_t checkpoint_id,
                            snapshot_kind kind = snapshot_kind::checkpoint) {
    if (closed_)
      throw error(errc::invalid_argument, "operator_harness: snapshot() after close()");
    operator_state_writer w;
    op_->snapshot_state(checkpoint_id, w);
    return harness_snapshot::take(checkpoint_id, kind, ctx_, w.entries(), backend_.get());
  }
  //! Checkpoint `checkpoint_id` completed (every subtask has it): sinks commit.
  void notify_checkpoint_complete(std::int64_t checkpoint_id) {
    op_->notify_checkpoint_complete(checkpoint_id);
  }
  void notify_checkpoint_aborted(std::int64_t checkpoint_id) {
    op_->notify_checkpoint_aborted(checkpoint_id);
  }

  //! Records emitted since the last call, with their timestamps.
  std::vector<std::pair<Out, timestamp>> extract_output() {
    std::vector<std::pair<Out, timestamp>> r;
    r.swap(out_.records);
    return r;
  }
  //! Every record and watermark emitted, in order.
  const std::vector<typename recording_output<Out>::event>& output_events() const {
    return out_.events;
  }
  //! The watermarks emitted so far.
  const std::vector<timestamp>& watermarks() const { return out_.watermarks; }
  const std::vector<bool>& idle_changes() const { return out_.idle_changes; }
  //! Records emitted to side output `tag` (which must be in side_tags).
  template <class X>
  std::vector<std::pair<X, timestamp>> side_output(const output_tag<X>& tag) {
    std::vector<std::pair<X, timestamp>> r;
    for (auto& b : side_outputs_[tag.id].batches) {
      auto& tb = batch_cast<X>(*b);
      for (std::size_t i = 0; i < tb.size(); ++i)
        r.emplace_back(tb.values[i], tb.timestamps[i]);
    }
    return r;
  }
  //! Timers currently registered (event time / processing time).
  std::size_t event_time_timers() const {
    auto t = op_->registered_timers();
    return t ? t->first : 0;
  }
  std::size_t processing_time_timers() const {
    auto t = op_->registered_timers();
    return t ? t->second : 0;
  }
  //! An operator counter, e.g. "numLateRecordsDropped".
  std::int64_t counter(const std::string& name) const {
    return counters_.value(ctx_.task_name + "." + name);
  }
  keyed_state_backend* state() { return backend_.get(); }

  int subtask() const { return ctx_.subtask; }
  int parallelism() const { return ctx_.parallelism; }
  int max_parallelism() const { return ctx_.max_parallelism; }
  //! The key groups this subtask owns.
  key_group_range key_groups() const {
    return key_group_range_for_subtask(ctx_.max_parallelism, ctx_.parallelism, ctx_.subtask);
  }
  //! True when `key` belongs to this subtask: a job would route its records
  //! here (pass string keys as std::string, as to key_by).
  template <class K>
  bool owns_key(const K& key) const {
    static_assert(!std::is_pointer_v<K> && !std::is_array_v<K>,
                  "pass string keys as std::string: a char array hashes differently");
    return key_groups().contains(key_group_for_hash(stable_hash<K>{}(key), ctx_.max_parallelism));
  }

private:
  struct any_recorder final : output {
    void push(any_batch& b) override { batches.push_back(b.clone()); }
    void push_watermark(timestamp) override {}
    void push_idle(bool) override {}
    std::vector<std::unique_ptr<any_batch>> batches;
  };

  environment env_;
  std::unique_ptr<detail::harness_scratch_dir> dir_;
  std::unique_ptr<keyed_state_backend> backend_;
  manual_time time_;
  simple_counters counters_;
  runtime_context ctx_;
  recording_output<Out> out_;
  std::map<std::string, any_recorder> side_outputs_;
  std::unique_ptr<stream_operator> op_;
  bool closed_ = false;
};

} // namespace spate::testing
