// Descriptors name a state and fix its kind and types (Flink's StateDescriptor).
// Asking the backend twice with the same name returns the same state object.
#pragma once

#include <functional>
#include <string>

namespace spate {

//! One value per key and namespace.
template <class V>
struct value_state_descriptor {
  std::string name;
};

//! A list of values per key and namespace.
template <class V>
struct list_state_descriptor {
  std::string name;
};

//! A map UK -> UV per key and namespace (one RocksDB entry per map entry).
template <class UK, class UV>
struct map_state_descriptor {
  std::string name;
};

//! One value per key and namespace, folded with `reduce` on every add.
template <class V>
struct reducing_state_descriptor {
  std::string name;
  std::function<V(const V&, const V&)> reduce;
};

//! Flink's AggregateFunction as four functions; the accumulator is what is stored.
template <class IN, class ACC, class OUT>
struct aggregating_state_descriptor {
  std::string name;
  std::function<ACC()> create_accumulator;
  std::function<ACC(const IN&, ACC)> add;
  std::function<OUT(const ACC&)> get_result;
  std::function<ACC(ACC, ACC)> merge; //!< may be empty; used by session windows
};

} // namespace spate
