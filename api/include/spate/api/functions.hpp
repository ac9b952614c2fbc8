// The interfaces user code and connectors implement: sources, sinks, and the
// collector operators emit into.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spate/actors/operator_state.hpp"
#include "spate/actors/runtime_context.hpp"
#include "spate/actors/source_status.hpp"
#include "spate/core/batch.hpp"
#include "spate/core/types.hpp"

namespace spate {

//! Where a source's records of one split begin in its output batch.
struct split_run {
  std::size_t begin = 0;
  std::int32_t split = 0;
  bool finished = false;
};

//! Receives the records a function emits. The timestamp of an emitted record
//! is that of the input record unless given.
template <class T>
class collector {
public:
  explicit collector(typed_batch<T>* out = nullptr) : out_(out) {}
  void collect(T value) { out_->push(std::move(value), ts_); }
  void collect_with_timestamp(T value, timestamp ts) { out_->push(std::move(value), ts); }
  //! Adds a default-constructed record and returns it to be filled in place
  //! (no move of a large record); valid until the next call on this collector.
  T& emplace() {
    out_->emplace(ts_);
    return out_->values.back();
  }
  //! Used by the runtime: where records go and which timestamp they inherit.
  void reset(typed_batch<T>* out, timestamp ts) {
    out_ = out;
    ts_ = ts;
  }
  void set_timestamp(timestamp ts) { ts_ = ts; }

  //! Sources reading several splits (Kafka partitions): the records collected
  //! next come from `split`, so that watermarks can be tracked per split
  //! (Flink's per-split watermarks). A split announced without records is
  //! registered: it holds back the watermark until it has records or idles.
  //! No-op where nothing tracks splits.
  void begin_split(std::int32_t split) {
    if (runs_)
      runs_->push_back({out_->size(), split, false});
  }
  //! `split` ended (a bounded partition): it holds back nothing any more.
  void finish_split(std::int32_t split) {
    if (runs_)
      runs_->push_back({out_->size(), split, true});
  }
  //! Used by the runtime: where begin_split() records go.
  void track_splits(std::vector<split_run>* runs) { runs_ = runs; }

private:
  typed_batch<T>* out_;
  timestamp ts_ = no_timestamp;
  std::vector<split_run>* runs_ = nullptr;
};

//! One parallel instance of a source. The runtime calls poll() repeatedly from
//! the subtask's actor; poll() must return promptly (never block for long):
//! it emits up to `max_records` records and says whether more may follow.
template <class T>
class source_function {
public:
  using output_type = T;
  virtual ~source_function() = default;
  //! Called once before the first poll(). Throwing fails the job.
  virtual void open(runtime_context&) {}
  //! Emits at most `max_records` records into `out`.
  virtual source_status poll(collector<T>& out, std::size_t max_records) = 0;
  //! Restores the position written by snapshot_state (before open()).
  virtual void initialize_state(const operator_state_reader&) {}
  //! Writes the position: after a restore, poll() continues right after the
  //! last record emitted before this call. Sources that cannot rewind (a
  //! socket) write nothing.
  virtual void snapshot_state(std::int64_t /*checkpoint_id*/, operator_state_writer&) {}
  //! Checkpoint `id` completed.
  virtual void notify_checkpoint_complete(std::int64_t /*checkpoint_id*/) {}
  //! Called once at the end (finished, failed or cancelled). Must not throw.
  virtual void close() {}
};

//! One parallel instance of a sink. write() receives whole batches; a sink
//! that throws fails the job.
template <class T>
class sink_function {
public:
  using input_type = T;
  virtual ~sink_function() = default;
  virtual void open(runtime_context&) {}
  //! Consumes a batch of records (values and timestamps are parallel vectors).
  virtual void write(const typed_batch<T>& batch) = 0;
  //! The input ended (bounded job): flush what is buffered.
  virtual void finish() {}
  //! Restores what snapshot_state wrote (before open()).
  virtual void initialize_state(const operator_state_reader&) {}
  //! Checkpoint barrier: pre-commit what was written since the last one (a
  //! two-phase-commit sink stages it) and record it in `out`.
  virtual void snapshot_state(std::int64_t /*checkpoint_id*/, operator_state_writer&) {}
  //! Checkpoint `id` completed: commit what was staged for it and before.
  virtual void notify_checkpoint_complete(std::int64_t /*checkpoint_id*/) {}
  //! Checkpoint `id` was aborted: its staged output stays pending.
  virtual void notify_checkpoint_aborted(std::int64_t /*checkpoint_id*/) {}
  //! Called once at the end (finished, failed or cancelled). Must not throw.
  virtual void close() {}
};

//! How to create a source: a factory called once per subtask, the name shown
//! in status, and whether it can run in parallel (false: parallelism 1).
template <class T>
struct source_spec {
  std::string name;
  std::function<std::unique_ptr<source_function<T>>()> factory;
  bool parallel = true;
};

//! How to create a sink: a factory called once per subtask and its name.
//! `single_instance` forces parallelism 1 (for one merged output file).
template <class T>
struct sink_spec {
  std::string name;
  std::function<std::unique_ptr<sink_function<T>>()> factory;
  bool single_instance = false;
};

} // namespace spate
