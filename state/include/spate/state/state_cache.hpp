// The write-back cache in front of RocksDB, shared by value, list, reducing and
// aggregating state.
//
// Each state keeps a hash table (flat_table.hpp: open addressing, short keys
// inline) from the composite key bytes to the decoded value, a dirty flag and
// a referenced bit. A lookup hashes the backend's current key buffer
// directly, so a hit allocates nothing and usually touches one cache line. A miss reads
// RocksDB, decodes and inserts (blind writes such as update() and clear()
// skip the read), unless its filter of the keys handed to RocksDB (evicted, or
// scanned from a restored state; key_filter.hpp) rules the key out: then
// RocksDB cannot hold it (a new key or window) and the miss is "absent" at once. Writes only touch
// the cache. A cached "absent" that is dirty
// is written back as a Delete, unless RocksDB is known not to hold the entry:
// then clearing it just drops it from the cache, so short-lived state (a
// window's contents) never reaches RocksDB between checkpoints.
//
// Eviction (when a miss finds the cache full), CLOCK-like: entries used since
// the previous sweep lose their referenced bit and stay (second chance), the
// others are evicted; if more than half the cache is still hot, hot entries are
// evicted too, in table order, until half is free, so each sweep is paid for by
// max/2 misses. The dirty victims are written back, sorted (an ingested SST
// file when there are many), before they are erased, and their keys join the
// filter; hot dirty entries stay dirty until flush() or their own
// eviction. With cache_max_entries == 0 every read goes to RocksDB and every
// write goes straight through.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spate/core/codec.hpp"
#include "spate/state/flat_table.hpp"
#include "spate/state/key_filter.hpp"
#include "spate/state/state_base.hpp"

namespace spate::detail {

//! A state whose value per key and namespace is one T, cached as std::optional<T>.
template <class T>
class cached_state : public state_base {
public:
  cached_state(state_context& ctx, rocksdb::ColumnFamilyHandle* cf, std::string name,
               const char* kind)
      : state_base(ctx, cf, std::move(name), kind), max_(ctx.cache_max_entries),
        filtered_(ctx.new_column && max_ != 0), evicted_(max_) {
    // A state RocksDB already holds (a restore): its keys go into the filter,
    // one scan, unless there are too many to be worth it (16 per cache entry).
    if (!filtered_ && max_ != 0)
      filtered_ = for_each_stored_key(
          16 * max_, [this](std::string_view key) { evicted_.add(table::hash_of(key)); });
  }

  //! Number of entries currently cached (never above cache_max_entries, or 1 when that is 0).
  std::size_t cached_entries() const { return cache_.size(); }
  //! Misses that read RocksDB so far.
  std::size_t rocksdb_reads() const { return rocksdb_reads_; }
  std::size_t dirty_count() const override { return dirty_ + delete_ends_.size(); }

  void collect_dirty(rocksdb::WriteBatch& batch) override {
    add_deletes(batch);
    if (dirty_ == 0)
      return;
    cache_.for_each([&](std::size_t, std::string_view key, entry& e) {
      if (e.dirty)
        add_to_batch(batch, key, e);
    });
  }

  void mark_clean(bool write_pending) override {
    clear_deletes(); // collect_dirty() handed them over
    if (dirty_ == 0 && stale_absent_ == 0)
      return;
    // A written-back Delete leaves nothing worth keeping: drop the entry
    // (dead windows would otherwise fill the cache with absent entries).
    // While the Delete is still pending on another thread, the entry stays
    // (a read would find the old value in RocksDB) and goes next time.
    std::size_t stale = 0;
    cache_.for_each([&](std::size_t i, std::string_view, entry& e) {
      if (!e.dirty) {
        if (!e.value && e.stale)
          cache_.erase_at(i);
        return;
      }
      e.dirty = false;
      if (e.value) {
        e.in_db = true;
      } else if (write_pending) {
        e.in_db = true; // unknown until the write lands
        e.stale = true;
        ++stale;
      } else {
        cache_.erase_at(i);
      }
    });
    dirty_ = 0;
    stale_absent_ = stale;
  }

  void invalidate(const std::string& key) override {
    auto h = table::hash_of(key);
    if (filtered_) {
      // Written into RocksDB behind the cache's back: a miss must read it, and
      // a Delete listed for it before must not follow the write.
      evicted_.add(h);
      drop_listed(key);
    }
    entry* e = cache_.find(key, h);
    if (!e)
      return;
    if (e->dirty)
      --dirty_;
    cache_.erase(key, h);
  }

protected:
  struct entry {
    std::optional<T> value; //!< nullopt: no value (absent in RocksDB, or cleared)
    bool dirty = false;
    bool referenced = false;
    //! False only when RocksDB is known not to hold this entry.
    bool in_db = true;
    //! An absent entry kept only until its pending Delete has landed.
    bool stale = false;
  };

  //! The entry of the current key and namespace. With `load`, a miss reads
  //! RocksDB; without (blind writes), a miss starts empty and the caller must
  //! mark it dirty. The reference is valid until the next call on this state.
  entry& current_entry(bool load) {
    const std::string& key = current_key();
    const std::uint64_t h = table::hash_of(key);
    if (max_ == 0) {
      write_back(); // a mutate() from the previous call
      cache_.clear();
    } else {
      if (entry* e = cache_.find(key, h)) {
        e->referenced = true;
        bump(*cache_hits_);
        return *e;
      }
      if (cache_.size() >= max_)
        evict();
    }
    bump(*cache_misses_);
    entry e;
    if (load && filtered_ && !evicted_.may_contain(h)) {
      e.in_db = false; // never handed to RocksDB: a miss is absent
    } else if (load) {
      ++rocksdb_reads_;
      e.in_db = db_get(key, read_buf_);
      if (e.in_db)
        e.value = decode<T>(read_buf_, label());
    }
    return cache_.insert(key, h, std::move(e));
  }

  //! The current value without caching an absent one: a miss the filter
  //! rules out (a new key or window) is answered nullptr and leaves the cache
  //! as it was; any other miss loads as current_entry(true) does. The pointer
  //! is valid until the next call on this state.
  const T* find_current() {
    if (max_ != 0 && filtered_) {
      const std::string& key = current_key();
      const std::uint64_t h = table::hash_of(key);
      if (entry* e = cache_.find(key, h)) {
        e->referenced = true;
        bump(*cache_hits_);
        return e->value ? &*e->value : nullptr;
      }
      if (!evicted_.may_contain(h)) {
        bump(*cache_misses_);
        return nullptr;
      }
    }
    entry& e = current_entry(true);
    return e.value ? &*e.value : nullptr;
  }

  //! Empties `e` (the current entry). An entry RocksDB does not hold leaves
  //! the cache with nothing to write. So does one RocksDB holds whose key was
  //! never evicted, in a filtered cache: its Delete is listed for the next
  //! flush, and a miss on it before then is answered "absent" without RocksDB,
  //! so dead windows do not linger in the table until their Delete is written.
  //! Otherwise it becomes a dirty "absent".
  void clear_entry(entry& e) {
    if (max_ != 0) {
      const std::string& key = current_key();
      const std::uint64_t h = table::hash_of(key);
      if (!e.in_db || (filtered_ && !evicted_.may_contain(h))) {
        if (e.dirty)
          --dirty_;
        if (e.in_db) {
          delete_keys_.append(key);
          delete_ends_.push_back(delete_keys_.size());
        }
        cache_.erase(key, h);
        return;
      }
    }
    e.value.reset();
    written(e);
  }

  //! Marks `e` dirty without writing through (mutate(): the caller changes it after).
  void touch(entry& e) {
    e.stale = false;
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
  using table = flat_table<entry>;

  void add_to_batch(rocksdb::WriteBatch& batch, std::string_view key, const entry& e) {
    key_buf_.assign(key.data(), key.size());
    if (e.value) {
      value_buf_.clear();
      encode(*e.value, value_buf_);
      batch_put(batch, key_buf_, value_buf_);
    } else {
      batch_delete(batch, key_buf_);
    }
  }

  //! Adds the listed Deletes to `batch`, but not for a key cached again with
  //! a dirty value since: its Put replaces the old value, now or later, and
  //! until then RocksDB holds the old one (so clearing it must write again).
  void add_deletes(rocksdb::WriteBatch& batch) {
    std::size_t begin = 0;
    for (std::size_t end : delete_ends_) {
      std::string_view key(delete_keys_.data() + begin, end - begin);
      begin = end;
      entry* e = cache_.find(key, table::hash_of(key));
      if (e && e->dirty && e->value) {
        e->in_db = true;
        continue;
      }
      key_buf_.assign(key.data(), key.size());
      batch_delete(batch, key_buf_);
    }
  }
  void clear_deletes() {
    delete_keys_.clear();
    delete_ends_.clear();
  }
  //! Takes `key` off the listed Deletes.
  void drop_listed(std::string_view key) {
    std::string kept;
    std::vector<std::size_t> ends;
    std::size_t begin = 0;
    for (std::size_t end : delete_ends_) {
      std::string_view k(delete_keys_.data() + begin, end - begin);
      begin = end;
      if (k != key) {
        kept.append(k);
        ends.push_back(kept.size());
      }
    }
    delete_keys_ = std::move(kept);
    delete_ends_ = std::move(ends);
  }

  void evict() {
    victims_.clear();
    cache_.for_each([&](std::size_t i, std::string_view, entry& e) {
      if (!e.referenced)
        victims_.push_back(i);
    });
    std::size_t hot = cache_.size() - victims_.size();
    cache_.for_each([&](std::size_t i, std::string_view, entry& e) {
      if (!e.referenced)
        return; // already a victim
      if (hot > max_ / 2) {
        victims_.push_back(i);
        --hot;
      } else {
        e.referenced = false; // second chance used up
      }
    });
    // Write the dirty victims before erasing anything: if the write throws, the
    // cache still holds every value. Sorted by the backend (an SST file when
    // there are many).
    auto& batch = fresh_batch();
    for (auto i : victims_)
      if (cache_.value_at(i).dirty)
        add_to_batch(batch, cache_.key_at(i), cache_.value_at(i));
    // The listed Deletes too, so the list stays short.
    add_deletes(batch);
    write_sorted(batch);
    clear_deletes();
    for (auto i : victims_) {
      const entry& e = cache_.value_at(i);
      if (e.dirty)
        --dirty_;
      if (filtered_ && (e.value || e.in_db))
        evicted_.add(cache_.hash_at(i)); // RocksDB may hold it now, the cache does not
      cache_.erase_at(i);
    }
  }

  std::size_t max_;
  //! True while every entry RocksDB holds for this state is cached or its key
  //! is in evicted_ (a state new in this backend, or one whose stored keys were
  //! scanned into evicted_ when it was opened): a miss whose key evicted_ rules
  //! out then needs no RocksDB read.
  bool filtered_;
  key_filter evicted_;
  std::size_t stale_absent_ = 0;
  std::size_t rocksdb_reads_ = 0;
  table cache_;
  //! Keys (concatenated, with their ends) cleared from a filtered cache whose
  //! Delete RocksDB has not been given yet.
  std::string delete_keys_;
  std::vector<std::size_t> delete_ends_;
  std::vector<std::size_t> victims_; //!< slot indices, reused by evict()
  std::string key_buf_;
  std::string read_buf_;
  std::string value_buf_;
};

} // namespace spate::detail
