// The runtime's view of an operator: batches in, batches out. Typed operators
// (api/detail) implement this; a task runs a chain of them with plain calls.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "spate/actors/operator_state.hpp"
#include "spate/actors/runtime_context.hpp"
#include "spate/actors/source_status.hpp"
#include "spate/core/batch.hpp"
#include "spate/core/types.hpp"

namespace spate {

//! Where an operator's records go: the next operator of the chain, the
//! network writers of the task, or several of these.
class output {
public:
  virtual ~output() = default;
  //! Hands a batch on. The receiver may move records out of it; the caller
  //! clears it afterwards and keeps its capacity.
  virtual void push(any_batch& batch) = 0;
  //! Forwards a watermark, after every record pushed before it.
  virtual void push_watermark(timestamp wm) = 0;
  //! Marks this output idle (it stops holding back downstream watermarks) or
  //! active again.
  virtual void push_idle(bool idle) = 0;
  //! The records pushed next, until the next marker, come from `split` of a
  //! source subtask that reads several (a Kafka partition); `finished`: that
  //! split ended. Only operators chained with the source see these (Flink's
  //! per-split watermarks); other outputs drop them.
  virtual void push_split(std::int32_t /*split*/, bool /*finished*/) {}
};

//! An output that drops everything (an operator whose results nobody reads).
class null_output final : public output {
public:
  void push(any_batch&) override {}
  void push_watermark(timestamp) override {}
  void push_idle(bool) override {}
};

class stream_operator {
public:
  virtual ~stream_operator() = default;

  //! Called by the task before open(): the subtask's context, the main output
  //! and the side outputs by tag (only tags somebody consumes).
  void setup(runtime_context* ctx, output* main, std::map<std::string, output*> side) {
    ctx_ = ctx;
    out_ = main;
    side_ = std::move(side);
  }

  //! Prepares the operator (state handles, files). Throwing fails the job.
  virtual void open() {}
  //! Processes one batch from input 0 or 1 (two-input operators).
  virtual void process_batch(int input, any_batch& batch) = 0;
  //! The task's watermark advanced to `wm`. The default records and forwards it.
  virtual void process_watermark(timestamp wm) {
    watermark_ = wm;
    out_->push_watermark(wm);
    for (auto& [tag, o] : side_)
      o->push_watermark(wm);
  }
  //! Every input became idle (true) or one became active again (false).
  virtual void process_idle(bool idle) {
    out_->push_idle(idle);
    for (auto& [tag, o] : side_)
      o->push_idle(idle);
  }
  //! Records that follow come from `split` of the source (see
  //! output::push_split). The default forwards the marker.
  virtual void process_split(std::int32_t split, bool finished) {
    out_->push_split(split, finished);
    for (auto& [tag, o] : side_)
      o->push_split(split, finished);
  }
  //! The processing-time clock reached a time asked for with
  //! processing_time_service::request().
  virtual void on_processing_time(timestamp /*now*/) {}
  //! Every channel of `input` ended.
  virtual void end_input(int /*input*/) {}
  //! All input ended: emit whatever is pending. Called head to tail.
  virtual void finish() {}
  //! Releases resources; called once whatever happened. Must not throw.
  virtual void close() {}

  //! Called before open() when the job starts from a checkpoint or savepoint.
  virtual void initialize_state(const operator_state_reader& /*state*/) {}
  //! The synchronous part of checkpoint `id`: write what is needed to resume
  //! exactly here (keyed state is taken by the task). Records pushed before
  //! the barrier are part of this checkpoint, none after.
  virtual void snapshot_state(std::int64_t /*id*/, operator_state_writer& /*out*/) {}
  //! Checkpoint `id` is complete: every subtask has it. Sinks commit here.
  virtual void notify_checkpoint_complete(std::int64_t /*id*/) {}
  //! Checkpoint `id` was aborted.
  virtual void notify_checkpoint_aborted(std::int64_t /*id*/) {}

  //! Sources only: emits up to `max_records` records into the output.
  virtual source_status poll(std::size_t /*max_records*/) { return source_status::end(); }

  //! Keyed operators with timers: how many are registered now (event time,
  //! processing time), for tests and inspection; nullopt for the others.
  virtual std::optional<std::pair<std::size_t, std::size_t>> registered_timers() const {
    return std::nullopt;
  }

  runtime_context& context() { return *ctx_; }
  //! The last watermark this operator processed.
  timestamp current_watermark() const { return watermark_; }

protected:
  //! The side output for `tag`, or nullptr when nobody consumes it.
  output* side_output(const std::string& tag) const {
    auto it = side_.find(tag);
    return it == side_.end() ? nullptr : it->second;
  }

  runtime_context* ctx_ = nullptr;
  output* out_ = nullptr;
  std::map<std::string, output*> side_;
  timestamp watermark_ = min_watermark;
};

} // namespace spate
