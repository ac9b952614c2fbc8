// value_state<V>: one value per key and namespace (Flink's ValueState).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "spate/state/state_cache.hpp"

namespace spate {

//! Scoped to the backend's current key and namespace. Not thread-safe; used
//! from the backend's thread only. Owned by the backend.
template <class V>
class value_state final : public detail::cached_state<V> {
  using base = detail::cached_state<V>;

public:
  static constexpr const char* kind_name = "value";

  value_state(detail::state_context& ctx, rocksdb::ColumnFamilyHandle* cf, std::string name)
      : base(ctx, cf, std::move(name), kind_name) {}

  const std::type_info& type() const override { return typeid(value_state); }

  //! A copy of the value; nullopt if there is none.
  std::optional<V> value() { return this->current_entry(true).value; }

  //! Pointer to the cached value (nullptr if none), valid until the next call
  //! on this state. Cheaper than value(): no copy.
  const V* get() {
    auto& e = this->current_entry(true);
    return e.value ? &*e.value : nullptr;
  }

  //! Like get(), but a key and namespace the state never held (its filter
  //! rules them out) are not cached as absent: for a reader that writes the
  //! value later, if at all (the window operator's front).
  const V* peek() { return this->find_current(); }

  //! Like get(), but the value may be changed in place; marks it dirty.
  //! nullptr if there is no value (use update() to create one).
  V* mutate() {
    auto& e = this->current_entry(true);
    if (!e.value)
      return nullptr;
    this->touch(e);
    return &*e.value;
  }

  //! Sets the value (does not read RocksDB).
  void update(V v) {
    auto& e = this->current_entry(false);
    e.value = std::move(v);
    this->written(e);
  }

  //! Removes the value.
  void clear() { this->clear_entry(this->current_entry(false)); }
};

} // namespace spate
