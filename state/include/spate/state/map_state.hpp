// map_state<UK, UV>: a map per key and namespace (Flink's MapState). Each map
// entry is its own RocksDB entry (composite prefix + msgpack of the user key),
// so a large map is never read whole. Map state is not cached: every call goes
// to RocksDB, which keeps clear() and iteration simple and correct.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spate/core/codec.hpp"
#include "spate/state/state_base.hpp"

namespace spate {
namespace detail {

//! The non-template part of map state: prefix scans and range deletes.
class map_state_base : public state_base {
public:
  using state_base::state_base;
  void collect_dirty(rocksdb::WriteBatch&) override {}
  void mark_clean(bool) override {}
  void invalidate(const std::string&) override {}

protected:
  //! Visits (user key bytes, value bytes) of the current key and namespace, in
  //! key order, while `visit` returns true. Entries of the same key under a
  //! longer namespace share the prefix when the namespace is the default (empty)
  //! one; they are told apart because their rest is not exactly one msgpack object.
  void scan(const std::function<bool(std::string_view, std::string_view)>& visit);
  //! Deletes every entry of the current key and namespace in one WriteBatch.
  void delete_all();
};

} // namespace detail

template <class UK, class UV>
class map_state final : public detail::map_state_base {
public:
  static constexpr const char* kind_name = "map";

  map_state(detail::state_context& ctx, rocksdb::ColumnFamilyHandle* cf, std::string name)
      : map_state_base(ctx, cf, std::move(name), kind_name) {}

  const std::type_info& type() const override { return typeid(map_state); }

  //! The value at `k`, nullopt if none.
  std::optional<UV> get(const UK& k) {
    if (!db_get(entry_key(k), buf_))
      return std::nullopt;
    return decode<UV>(buf_, label());
  }

  void put(const UK& k, UV v) {
    entry_key(k);
    buf_.clear();
    encode(v, buf_);
    db_put(key_, buf_);
  }

  void remove(const UK& k) { db_delete(entry_key(k)); }

  bool contains(const UK& k) { return db_get(entry_key(k), buf_); }

  //! All entries, in the order of the encoded user keys.
  std::vector<std::pair<UK, UV>> entries() {
    std::vector<std::pair<UK, UV>> out;
    scan([&](std::string_view uk, std::string_view v) {
      out.emplace_back(decode<UK>(uk, label()), decode<UV>(v, label()));
      return true;
    });
    return out;
  }

  std::vector<UK> keys() {
    std::vector<UK> out;
    scan([&](std::string_view uk, std::string_view) {
      out.push_back(decode<UK>(uk, label()));
      return true;
    });
    return out;
  }

  bool is_empty() {
    bool empty = true;
    scan([&](std::string_view, std::string_view) { return empty = false; });
    return empty;
  }

  void clear() { delete_all(); }

private:
  const std::string& entry_key(const UK& k) {
    key_ = current_key();
    encode(k, key_);
    return key_;
  }

  std::string key_; //!< scratch: composite prefix + user key
  std::string buf_; //!< scratch: value bytes
};

} // namespace spate
