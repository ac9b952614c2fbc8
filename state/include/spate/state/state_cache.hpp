// The write-back cache in front of RocksDB, shared by value, list, reducing and
// aggregating state.
//
// Each state keeps a hash map from the composite key bytes to the decoded
// value, a dirty flag and a referenced bit. A lookup hashes the backend's
// current key buffer directly, so a hit allocates nothing. A miss reads
// RocksDB, decodes and inserts (blind writes such as update() and clear()
// skip the read). Writes only touch the cache. A cached "absent" that is dirty
// is written back as a Delete, unless RocksDB is known not to hold the entry:
// then clearing it just drops it from the cache, so short-lived state (a
// window's contents) never reaches RocksDB between checkpoints.
//
// Eviction (when a miss finds the cache full), CLOCK-like: entries used since
// the previous sweep lose their referenced bit and stay (second chance), the
// others are evicted; if more than half the cache is still hot, hot entries are
// evicted too, in table order, until half is free, so each sweep is paid for by
// max/2 misses. The dirty victims are written back in one WriteBatch before
// they are erased; hot dirty entries stay dirty until flush() or their own
// eviction. With cache_max_entries == 0 every read goes to RocksDB and every
// write goes straight through.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "spate/core/codec.hpp"
#include "spate/state/state_base.hpp"

namespace spate::detail {

//! A state whose value per key and namespace is one T, cached as std::optional<T>.
template <class T>
class cached_state : public state_base {
public:
  cached_state(state_context& ctx, rocksdb::ColumnFamilyHandle* cf, std::string name,
               const char* kind)
      : state_base(ctx, cf, std::move(name), kind), max_(ctx.cache_max_entries) {}

  //! Number of entries currently cached (never above cache_max_entries, or 1 when that is 0).
  std::size_t cached_entries() const { return cache_.size(); }

  void collect_dirty(rocksdb::WriteBatch& batch) override {
    if (dirty_ == 0)
      return;
    for (auto& [key, e] : cache_)
      if (e.dirty)
        add_to_batch(batch, key, e);
  }

  void mark_clean() override {
    if (dirty_ == 0)
      return;
    for (auto& kv : cache_) {
      if (kv.second.dirty)
        kv.second.in_db = kv.second.value.has_value();
      kv.second.dirty = false;
    }
    dirty_ = 0;
  }

  void invalidate(const std::string& key) override {
    auto it = cache_.find(key);
    if (it == cache_.end())
      return;
    if (it->second.dirty)
      --dirty_;
    cache_.erase(it);
  }

protected:
  struct entry {
    std::optional<T> value; //!< nullopt: no value (absent in RocksDB, or cleared)
    bool dirty = false;
    bool referenced = false;
    //! False only when RocksDB is known not to hold this entry.
    bool in_db = true;
  };

  //! The entry of the current key and namespace. With `load`, a miss reads
  //! RocksDB; without (blind writes), a miss starts empty and the caller must
  //! mark it dirty. The reference is valid until the next call on this state.
  entry& current_entry(bool load) {
    const std::string& key = current_key();
    if (max_ == 0) {
      write_back(); // a mutate() from the previous call
      cache_.clear();
    } else {
      auto it = cache_.find(key);
      if (it != cache_.end()) {
        it->second.referenced = true;
        return it->second;
      }
      if (cache_.size() >= max_)
        evict();
    }
    entry e;
    if (load) {
      e.in_db = db_get(key, read_buf_);
      if (e.in_db)
        e.value = decode<T>(read_buf_, label());
    }
    return cache_.emplace(key, std::move(e)).first->second;
  }

  //! Empties `e` (the current entry). An entry RocksDB does not hold leaves
  //! the cache with nothing to write; any other becomes a dirty "absent".
  void clear_entry(entry& e) {
    if (max_ != 0 && !e.in_db) {
      if (e.dirty)
        --dirty_;
      cache_.erase(current_key());
      return;
    }
    e.value.reset();
    written(e);
  }

  //! Marks `e` dirty without writing through (mutate(): the caller changes it after).
  void touch(entry& e) {
    if (!e.dirty) {
      e.dirty = true;
      ++dirty_;
    }
  }

  //! Marks `e` dirty; uncached, writes it through at once.
  void written(entry& e) {
    touch(e);
    if (max_ == 0)
      write_back();
  }

private:
  using table = std::unordered_map<std::string, entry>;

  void add_to_batch(rocksdb::WriteBatch& batch, const std::string& key, const entry& e) {
    if (e.value) {
      value_buf_.clear();
      encode(*e.value, value_buf_);
      batch_put(batch, key, value_buf_);
    } else {
      batch_delete(batch, key);
    }
  }

  void evict() {
    victims_.clear();
    for (auto it = cache_.begin(); it != cache_.end(); ++it)
      if (!it->second.referenced)
        victims_.push_back(it);
    std::size_t hot = cache_.size() - victims_.size();
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (!it->second.referenced)
        continue; // already a victim
      if (hot > max_ / 2) {
        victims_.push_back(it);
        --hot;
      } else {
        it->second.referenced = false; // second chance used up
      }
    }
    // Write the dirty victims before erasing anything: if the write throws, the
    // cache still holds every value.
    auto& batch = fresh_batch();
    for (auto it : victims_)
      if (it->second.dirty)
        add_to_batch(batch, it->first, it->second);
    write(batch);
    for (auto it : victims_) {
      if (it->second.dirty)
        --dirty_;
      cache_.erase(it);
    }
  }

  std::size_t max_;
  table cache_;
  std::vector<typename table::iterator> victims_; //!< reused by evict()
  std::string read_buf_;
  std::string value_buf_;
};

} // namespace spate::detail
