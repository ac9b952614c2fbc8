// An operator test harness (Flink's OneInputStreamOperatorTestHarness): one
// operator, driven by hand. Push records and watermarks, advance processing
// time, read outputs, side outputs, timers and counters. No actors, no
// threads: every call runs the operator synchronously.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spate/api/stream.hpp"

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

template <class In, class Out>
class operator_harness {
public:
  //! `build` turns a stream<In> into a stream<Out> with one operator, e.g.
  //! `[](stream<In> s) { return s.key_by(k).window(w).reduce(f); }`.
  //! `side_tags` names the side outputs to record.
  template <class Build>
  explicit operator_harness(Build build, configuration config = {},
                            std::vector<std::string> side_tags = {})
      : env_(config) {
    auto out = build(env_.from_collection(std::vector<In>{}));
    // The records pushed here go straight into the operator, typed In: one
    // more operator in front would receive them as the wrong type.
    if (env_.graph().vertices().size() != 2)
      throw error(errc::invalid_argument,
                  "operator_harness: build must add exactly one operator, it added " +
                      std::to_string(env_.graph().vertices().size() - 1));
    auto& v = env_.graph().vertex(vertex_id(out.vertex_index()));
    op_ = v.make_operator();
    ctx_.task_name = v.name;
    ctx_.operator_uid = v.uid.empty() ? "harness" : v.uid;
    ctx_.max_parallelism = env_.max_parallelism();
    ctx_.config = &env_.config();
    ctx_.time = &time_;
    ctx_.counters = &counters_;
    if (v.keyed) {
      std::string tmpl =
          (std::filesystem::temp_directory_path() / "spate-harness-XXXXXX").string();
      if (!::mkdtemp(tmpl.data()))
        throw error(errc::io, "cannot create a temporary directory for the harness");
      dir_ = tmpl;
      state_backend_options so;
      so.directory = dir_ + "/state";
      so.max_parallelism = ctx_.max_parallelism;
      so.key_groups = {0, ctx_.max_parallelism - 1};
      backend_ = std::make_unique<keyed_state_backend>(so);
      ctx_.state = backend_.get();
    }
    std::map<std::string, output*> side;
    for (auto& tag : side_tags)
      side[tag] = &side_outputs_[tag];
    op_->setup(&ctx_, &out_, std::move(side));
    op_->open();
  }

  ~operator_harness() {
    close();
    op_.reset();
    backend_.reset();
    if (!dir_.empty()) {
      // A test's scratch directory under the temp dir: a leftover is harmless,
      // and a destructor must not throw.
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  void process_element(In value, timestamp ts = no_timestamp) {
    typed_batch<In> b;
    b.push(std::move(value), ts);
    op_->process_batch(0, b);
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

private:
  struct any_recorder final : output {
    void push(any_batch& b) override { batches.push_back(b.clone()); }
    void push_watermark(timestamp) override {}
    void push_idle(bool) override {}
    std::vector<std::unique_ptr<any_batch>> batches;
  };

  environment env_;
  std::string dir_;
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
