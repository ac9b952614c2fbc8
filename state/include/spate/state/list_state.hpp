// list_state<V>: a list per key and namespace (Flink's ListState), stored as
// one RocksDB value holding the whole std::vector<V>.
#pragma once

#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "spate/state/state_cache.hpp"

namespace spate {

//! Scoped to the backend's current key and namespace. An empty list and no
//! list are the same thing (an empty list is stored as a Delete).
template <class V>
class list_state final : public detail::cached_state<std::vector<V>> {
  using base = detail::cached_state<std::vector<V>>;

public:
  static constexpr const char* kind_name = "list";

  list_state(detail::state_context& ctx, rocksdb::ColumnFamilyHandle* cf, std::string name)
      : base(ctx, cf, std::move(name), kind_name) {}

  const std::type_info& type() const override { return typeid(list_state); }

  //! The list (empty if none), valid until the next call on this state.
  const std::vector<V>& get() {
    auto& e = this->current_entry(true);
    return e.value ? *e.value : empty_;
  }

  //! Appends one value. Returns true when the list was empty before.
  bool add(V v) {
    auto& e = this->current_entry(true);
    bool was_empty = !e.value || e.value->empty();
    if (!e.value)
      e.value.emplace();
    e.value->push_back(std::move(v));
    this->written(e);
    return was_empty;
  }

  //! Appends all values (nothing happens for an empty vector).
  void add_all(std::vector<V> vs) {
    if (vs.empty())
      return;
    auto& e = this->current_entry(true);
    if (!e.value)
      e.value = std::move(vs);
    else
      e.value->insert(e.value->end(), std::make_move_iterator(vs.begin()),
                      std::make_move_iterator(vs.end()));
    this->written(e);
  }

  //! Replaces the list (an empty vector clears it). Does not read RocksDB.
  void update(std::vector<V> vs) {
    auto& e = this->current_entry(false);
    if (vs.empty())
      e.value.reset();
    else
      e.value = std::move(vs);
    this->written(e);
  }

  //! Removes the list.
  void clear() { this->clear_entry(this->current_entry(false)); }

private:
  const std::vector<V> empty_;
};

} // namespace spate
