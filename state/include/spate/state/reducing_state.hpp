// reducing_state<V> and aggregating_state<IN, ACC, OUT>: one folded value per
// key and namespace (Flink's ReducingState and AggregatingState). Exceptions
// thrown by the user's functions propagate unchanged; the state of that key is
// then unspecified (the task fails and restores from a checkpoint).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "spate/state/state_cache.hpp"
#include "spate/state/state_descriptors.hpp"

namespace spate {

template <class V>
class reducing_state final : public detail::cached_state<V> {
  using base = detail::cached_state<V>;

public:
  static constexpr const char* kind_name = "reducing";

  reducing_state(detail::state_context& ctx, rocksdb::ColumnFamilyHandle* cf,
                 const reducing_state_descriptor<V>& d)
      : base(ctx, cf, d.name, kind_name), reduce_(d.reduce) {}

  const std::type_info& type() const override { return typeid(reducing_state); }

  //! The reduced value; nullopt if nothing was added since the last clear.
  std::optional<V> get() { return this->current_entry(true).value; }

  //! Folds `v` into the value: reduce(current, v), or v if there is none.
  void add(V v) {
    auto& e = this->current_entry(true);
    if (e.value)
      *e.value = reduce_(*e.value, v);
    else
      e.value = std::move(v);
    this->written(e);
  }

  void clear() {
    auto& e = this->current_entry(false);
    e.value.reset();
    this->written(e);
  }

private:
  std::function<V(const V&, const V&)> reduce_;
};

//! Stores the accumulator ACC; get() applies get_result.
template <class IN, class ACC, class OUT>
class aggregating_state final : public detail::cached_state<ACC> {
  using base = detail::cached_state<ACC>;

public:
  static constexpr const char* kind_name = "aggregating";
  using descriptor_type = aggregating_state_descriptor<IN, ACC, OUT>;

  aggregating_state(detail::state_context& ctx, rocksdb::ColumnFamilyHandle* cf,
                    const descriptor_type& d)
      : base(ctx, cf, d.name, kind_name), fn_(d) {}

  const std::type_info& type() const override { return typeid(aggregating_state); }

  //! get_result(accumulator); nullopt if nothing was added since the last clear.
  std::optional<OUT> get() {
    auto& e = this->current_entry(true);
    if (!e.value)
      return std::nullopt;
    return fn_.get_result(*e.value);
  }

  //! accumulator = add(v, accumulator), starting from create_accumulator().
  void add(const IN& v) {
    auto& e = this->current_entry(true);
    if (!e.value)
      e.value = fn_.create_accumulator();
    *e.value = fn_.add(v, std::move(*e.value));
    this->written(e);
  }

  void clear() {
    auto& e = this->current_entry(false);
    e.value.reset();
    this->written(e);
  }

  //! The functions this state was declared with (merge is used by windows).
  const descriptor_type& descriptor() const { return fn_; }

private:
  descriptor_type fn_;
};

} // namespace spate
