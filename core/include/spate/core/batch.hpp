// Batches of records: the unit that moves between operators and tasks.
#pragma once

#include <cstddef>
#include <memory>
#include <typeinfo>
#include <utility>
#include <vector>

#include "spate/core/types.hpp"

namespace spate {

//! A type-erased batch. The runtime moves these around without knowing the
//! record type; typed operators cast to typed_batch<T> (one virtual call per
//! batch, none per record).
class any_batch {
public:
  virtual ~any_batch() = default;
  //! Number of records.
  virtual std::size_t size() const = 0;
  //! Removes all records, keeping the capacity (batches are recycled).
  virtual void clear() = 0;
  //! A new empty batch of the same record type.
  virtual std::unique_ptr<any_batch> make_empty() const = 0;
  //! A deep copy (used when one output feeds several consumers).
  virtual std::unique_ptr<any_batch> clone() const = 0;
  //! Moves all records of `other` (same type) to the end of this batch.
  virtual void append_from(any_batch& other) = 0;
  //! The record type, for checks when the graph is wired.
  virtual const std::type_info& record_type() const = 0;
  bool empty() const { return size() == 0; }
};

//! Records of type T with their timestamps (no_timestamp when none).
template <class T>
class typed_batch final : public any_batch {
public:
  std::vector<T> values;
  std::vector<timestamp> timestamps;

  std::size_t size() const override { return values.size(); }
  void clear() override {
    values.clear();
    timestamps.clear();
  }
  void reserve(std::size_t n) {
    values.reserve(n);
    timestamps.reserve(n);
  }
  void push(T value, timestamp ts) {
    values.push_back(std::move(value));
    timestamps.push_back(ts);
  }
  template <class... Args>
  void emplace(timestamp ts, Args&&... args) {
    values.emplace_back(std::forward<Args>(args)...);
    timestamps.push_back(ts);
  }
  std::unique_ptr<any_batch> make_empty() const override {
    return std::make_unique<typed_batch<T>>();
  }
  std::unique_ptr<any_batch> clone() const override {
    return std::make_unique<typed_batch<T>>(*this);
  }
  void append_from(any_batch& other) override {
    auto& o = static_cast<typed_batch<T>&>(other);
    if (values.empty()) {
      values.swap(o.values);
      timestamps.swap(o.timestamps);
    } else {
      values.insert(values.end(), std::make_move_iterator(o.values.begin()),
                    std::make_move_iterator(o.values.end()));
      timestamps.insert(timestamps.end(), o.timestamps.begin(), o.timestamps.end());
    }
    o.clear();
  }
  const std::type_info& record_type() const override { return typeid(T); }
};

template <class T>
typed_batch<T>& batch_cast(any_batch& b) {
  return static_cast<typed_batch<T>&>(b);
}

} // namespace spate
