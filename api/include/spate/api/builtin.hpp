// Sources and sinks that belong to the API itself (Flink has them on the
// DataStream API too): a collection, a callback, discard.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "spate/api/functions.hpp"
#include "spate/core/codec.hpp"

namespace spate {

//! Emits the items in order, once, from one subtask (a bounded source).
template <class T>
source_spec<T> collection_source(std::vector<T> items) {
  auto shared = std::make_shared<const std::vector<T>>(std::move(items));
  class fn final : public source_function<T> {
  public:
    explicit fn(std::shared_ptr<const std::vector<T>> items) : items_(std::move(items)) {}
    source_status poll(collector<T>& out, std::size_t max_records) override {
      std::size_t end = std::min(items_->size(), next_ + max_records);
      for (; next_ < end; ++next_)
        out.collect((*items_)[next_]);
      return next_ == items_->size() ? source_status::end() : source_status::has_more();
    }
    //! Position for checkpoints: index of the next item.
    std::size_t position() const { return next_; }
    void snapshot_state(std::int64_t, operator_state_writer& w) override {
      std::string bytes;
      encode(static_cast<std::uint64_t>(next_), bytes);
      w.put("position", std::move(bytes));
    }
    void initialize_state(const operator_state_reader& r) override {
      if (auto p = r.own("position"))
        next_ = static_cast<std::size_t>(decode<std::uint64_t>(*p, "collection position"));
    }

  private:
    std::shared_ptr<const std::vector<T>> items_;
    std::size_t next_ = 0;
  };
  return {"collection", [shared] { return std::make_unique<fn>(shared); }, false};
}

//! Calls `f(value)` for every record. With parallelism > 1 the subtasks call
//! it concurrently: `f` must be thread-safe then.
template <class T>
sink_spec<T> callback_sink(std::function<void(const T&)> f) {
  class fn final : public sink_function<T> {
  public:
    explicit fn(std::function<void(const T&)> f) : f_(std::move(f)) {}
    void write(const typed_batch<T>& batch) override {
      for (const auto& v : batch.values)
        f_(v);
    }

  private:
    std::function<void(const T&)> f_;
  };
  return {"callback", [f] { return std::make_unique<fn>(f); }, false};
}

//! Calls `f(batch, subtask)` for every batch: the cheapest way to hand
//! records to a service's own code.
template <class T>
sink_spec<T> batch_callback_sink(std::function<void(const typed_batch<T>&, int subtask)> f) {
  class fn final : public sink_function<T> {
  public:
    explicit fn(std::function<void(const typed_batch<T>&, int)> f) : f_(std::move(f)) {}
    void open(runtime_context& rc) override { subtask_ = rc.subtask; }
    void write(const typed_batch<T>& batch) override { f_(batch, subtask_); }

  private:
    std::function<void(const typed_batch<T>&, int)> f_;
    int subtask_ = 0;
  };
  return {"callback", [f] { return std::make_unique<fn>(f); }, false};
}

//! Drops every record (benchmarks, jobs run for their side effects).
template <class T>
sink_spec<T> discard_sink() {
  class fn final : public sink_function<T> {
  public:
    void write(const typed_batch<T>&) override {}
  };
  return {"discard", [] { return std::make_unique<fn>(); }, false};
}

} // namespace spate
