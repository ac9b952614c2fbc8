// The keyed state backend of one stateful subtask: one RocksDB instance (a
// directory), one column family per declared state, a write-back cache per
// state. Includes every state kind.
//
// RocksDB key = key group (2 bytes, big endian) + msgpack(key) + namespace bytes
// (msgpack of the namespace; the default namespace is empty) [+ msgpack(user
// key) for map state]. Value = msgpack of the value (a whole vector for list
// state). msgpack is self-delimiting, so the concatenation is unambiguous. The
// WAL is off: durability comes from checkpoints, which call flush() first.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "spate/core/codec.hpp"
#include "spate/core/hash.hpp"
#include "spate/core/key_group.hpp"
#include "spate/core/types.hpp"
#include "spate/state/list_state.hpp"
#include "spate/state/map_state.hpp"
#include "spate/state/reducing_state.hpp"
#include "spate/state/state_descriptors.hpp"
#include "spate/state/timer_queue.hpp"
#include "spate/state/value_state.hpp"

namespace spate {

//! Cached entries per state by default (state.backend.cache.max-entries): an
//! entry costs about 100-200 bytes beside its value.
constexpr std::size_t default_state_cache_entries = std::size_t{1} << 20;

//! Writes of one state per flush from which it goes to RocksDB as an SST file
//! it ingests, instead of through the memtable, by default
//! (state.backend.rocksdb.ingest.min-entries).
constexpr std::size_t default_ingest_min_entries = 4096;

struct state_backend_options {
  std::string directory; //!< RocksDB dir of this subtask; created if missing (parents too)
  int max_parallelism = default_max_parallelism;
  key_group_range key_groups{0, default_max_parallelism - 1};  //!< groups this subtask owns
  std::size_t cache_max_entries = default_state_cache_entries; //!< per state; 0 = no cache
  //! A flush or checkpoint writes a state's changes, sorted, into an SST file
  //! that RocksDB ingests when there are at least this many; fewer go through
  //! the memtable. A large sorted write costs several times less as a file:
  //! no skip-list inserts, and no memtable flush later.
  std::size_t ingest_min_entries = default_ingest_min_entries;
  //! Where each state's metrics go (cache hits and misses, RocksDB size),
  //! by name ("<state>.cacheHits"): the task passes its subtask's counters.
  //! Null: none.
  std::function<std::atomic<std::int64_t>*(const std::string& name)> metric;
};

//! Single-threaded: one per subtask, used from one actor. Not movable (the
//! state objects it hands out point into it).
class keyed_state_backend {
public:
  //! Opens or creates the database, reopening every existing column family.
  //! Throws spate::error: errc::invalid_argument for bad options, errc::state
  //! (naming the directory) when RocksDB cannot open it.
  explicit keyed_state_backend(state_backend_options options);
  //! flush(), then close. Never throws (a failed flush is logged).
  ~keyed_state_backend();
  //! Closes without writing anything and removes the directory: for a task
  //! that ends, whose working directory is never opened again (a restart
  //! starts clean and restores from a snapshot). The cache, the held-back
  //! timer changes and the memtables are dropped, not flushed. The states
  //! handed out must not be used after this.
  void discard() noexcept;
  keyed_state_backend(const keyed_state_backend&) = delete;
  keyed_state_backend& operator=(const keyed_state_backend&) = delete;

  //! Makes `key` current: encodes it and computes its key group. Throws
  //! errc::nondeterministic if the group is outside key_groups(): the record
  //! was routed here by another key, so the key selector (or the key's hash)
  //! is not deterministic. The current key is then unchanged.
  template <class K>
  void set_current_key(const K& key) {
    static_assert(!std::is_pointer_v<K> && !std::is_array_v<K>,
                  "pass string keys as std::string: a char array hashes differently");
    int kg = key_group_for_hash(stable_hash<K>{}(key), options_.max_parallelism);
    if (!options_.key_groups.contains(kg))
      throw_foreign_key_group(kg, true);
    if constexpr (detail::packs_as_integer_v<K>) {
      char bytes[9];
      const std::size_t n = detail::pack_integer(key, bytes);
      if (n == ctx_.key_size && ctx_.key_group >= 0) {
        // As long as the previous key: overwritten in place, the namespace
        // after it stays (no string call on the per-record path).
        char* p = ctx_.current.data();
        p[0] = static_cast<char>((kg >> 8) & 0xff);
        p[1] = static_cast<char>(kg & 0xff);
        std::memcpy(p + 2, bytes, n);
        ctx_.key_group = kg;
        return;
      }
      ctx_.current.resize(2);
      ctx_.current.append(bytes, n);
    } else {
      ctx_.current.resize(2);
      encode(key, ctx_.current);
    }
    finish_key(kg);
  }
  //! Makes an already encoded key current (restore, timers). Same check, but
  //! the key group comes from spate's own state here, so a foreign one is
  //! errc::internal.
  void set_current_key_raw(int key_group, std::string_view encoded_key) {
    if (!options_.key_groups.contains(key_group))
      throw_foreign_key_group(key_group, false);
    ctx_.current.resize(2);
    ctx_.current.append(encoded_key);
    finish_key(key_group);
  }
  //! Key group of the current key; -1 before the first key is set.
  int current_key_group() const { return ctx_.key_group; }
  //! msgpack of the current key (empty before the first key is set).
  std::string_view current_key_bytes() const {
    return ctx_.key_group < 0 ? std::string_view()
                              : std::string_view(ctx_.current).substr(2, ctx_.key_size);
  }
  //! Scopes state to namespace `ns` (a window, for example) until changed.
  template <class N>
  void set_current_namespace(const N& ns) {
    ctx_.ns.clear();
    encode(ns, ctx_.ns);
    rebuild_prefix();
  }
  //! Scopes state to an already encoded namespace (timers, merging windows).
  void set_current_namespace_raw(std::string_view encoded) {
    ctx_.ns.assign(encoded.data(), encoded.size());
    rebuild_prefix();
  }
  //! msgpack of the current namespace (empty: the default namespace).
  std::string_view current_namespace_bytes() const { return ctx_.ns; }
  //! Back to the default (empty) namespace.
  void set_default_namespace() {
    ctx_.ns.clear();
    rebuild_prefix();
  }

  // The get_*_state calls create the column family on first use. Asking twice
  // for a name returns the same object; asking with another kind or type
  // throws errc::invalid_argument naming the state. The returned reference
  // lives as long as the backend.
  template <class V>
  value_state<V>& get_value_state(const value_state_descriptor<V>& d) {
    return get_or_create<value_state<V>>(
        d.name, [&](auto* cf) { return std::make_unique<value_state<V>>(ctx_, cf, d.name); });
  }
  template <class V>
  list_state<V>& get_list_state(const list_state_descriptor<V>& d) {
    return get_or_create<list_state<V>>(
        d.name, [&](auto* cf) { return std::make_unique<list_state<V>>(ctx_, cf, d.name); });
  }
  template <class UK, class UV>
  map_state<UK, UV>& get_map_state(const map_state_descriptor<UK, UV>& d) {
    return get_or_create<map_state<UK, UV>>(
        d.name, [&](auto* cf) { return std::make_unique<map_state<UK, UV>>(ctx_, cf, d.name); });
  }
  template <class V>
  reducing_state<V>& get_reducing_state(const reducing_state_descriptor<V>& d) {
    if (!d.reduce)
      throw_missing_function(d.name, "reduce");
    return get_or_create<reducing_state<V>>(
        d.name, [&](auto* cf) { return std::make_unique<reducing_state<V>>(ctx_, cf, d); });
  }
  template <class IN, class ACC, class OUT>
  aggregating_state<IN, ACC, OUT>&
  get_aggregating_state(const aggregating_state_descriptor<IN, ACC, OUT>& d) {
    if (!d.create_accumulator)
      throw_missing_function(d.name, "create_accumulator");
    if (!d.add)
      throw_missing_function(d.name, "add");
    if (!d.get_result)
      throw_missing_function(d.name, "get_result");
    return get_or_create<aggregating_state<IN, ACC, OUT>>(d.name, [&](auto* cf) {
      return std::make_unique<aggregating_state<IN, ACC, OUT>>(ctx_, cf, d);
    });
  }

  //! Writes every dirty cached entry of every state (see ingest_min_entries);
  //! entries stay cached, clean. Throws errc::state.
  void flush();

  //! A checkpoint's writes, prepared on the task's thread and applied on
  //! another (the uploader's), so the task goes on while RocksDB writes and
  //! checkpoints. Until apply() has finished, every write of this backend to
  //! RocksDB waits; reads need not (what the writes change is in the cache).
  class prepared_flush {
  public:
    //! `columns`: the backend's column families by id when it was prepared.
    prepared_flush(keyed_state_backend& b, std::unique_ptr<rocksdb::WriteBatch> batch,
                   std::vector<std::pair<std::uint32_t, rocksdb::ColumnFamilyHandle*>> columns);
    //! If never applied: the backend's writes fail from now on (the cache
    //! says clean what RocksDB never got).
    ~prepared_flush();
    prepared_flush(const prepared_flush&) = delete;
    prepared_flush& operator=(const prepared_flush&) = delete;
    //! Sorts and writes the batch, calls `then(db)` (the RocksDB checkpoint),
    //! then lets the backend write again. Any thread, once. Throws errc::state.
    void apply(const std::function<void(rocksdb::DB*)>& then);
    //! apply(), then a RocksDB checkpoint of the database (hard links of its
    //! files) in `dir`, which must not exist; its parent is created. The
    //! synchronous part of a checkpoint, done on the uploader's thread.
    //! Throws errc::state naming the backend and `dir`.
    void apply_and_checkpoint(const std::string& dir);

  private:
    keyed_state_backend* backend_;
    std::unique_ptr<rocksdb::WriteBatch> batch_; //!< in the order the caches handed it over
    std::vector<std::pair<std::uint32_t, rocksdb::ColumnFamilyHandle*>> columns_;
    bool applied_ = false;
  };
  //! Takes every dirty entry and timer change into a prepared_flush, marks the
  //! cache clean and closes the backend to writes until it is applied.
  std::unique_ptr<prepared_flush> prepare_flush();
  const state_backend_options& options() const { return options_; }
  key_group_range key_groups() const { return options_.key_groups; }
  //! Names of the states declared or found on disk ("default" excluded), sorted.
  std::vector<std::string> state_names() const;
  //! The RocksDB instance, for checkpoints. Call flush() before snapshotting.
  rocksdb::DB* db() { return db_; }

  //! Flushes, then visits every entry of `state` whose key group is in `range`,
  //! in key order: (key group, key bytes after the 2-byte prefix, value bytes).
  //! The views are valid during the call only. Throws errc::not_found for an
  //! unknown state, errc::corrupt for a key shorter than its prefix.
  void for_each_raw(const std::string& state, key_group_range range,
                    const std::function<void(int, std::string_view, std::string_view)>& visit);
  //! Writes one raw entry (restore, rescale), creating the column family if
  //! needed and dropping any cached copy. Throws errc::invalid_argument if
  //! `key_group` is outside key_groups().
  void put_raw(const std::string& state, int key_group, std::string_view key_rest,
               std::string_view value);

  //! Deletes one raw entry (timers); same checks as put_raw().
  void delete_raw(const std::string& state, int key_group, std::string_view key_rest);

  //! Timer queues hold their changes back until flush(); they register here.
  void register_timer_queue(timer_queue* q) { timer_queues_.push_back(q); }
  void unregister_timer_queue(timer_queue* q);

private:
  template <class S, class Make>
  S& get_or_create(const std::string& name, Make make) {
    if (detail::state_base* s = find_state(name, typeid(S), S::kind_name))
      return static_cast<S&>(*s);
    // A state whose column family is new has nothing in RocksDB yet.
    ctx_.new_column = columns_.find(name) == columns_.end();
    auto state = make(column(name));
    ctx_.new_column = false;
    S& result = *state;
    states_.emplace(name, std::move(state));
    return result;
  }

  void finish_key(int kg) {
    ctx_.current[0] = static_cast<char>((kg >> 8) & 0xff);
    ctx_.current[1] = static_cast<char>(kg & 0xff);
    ctx_.key_size = ctx_.current.size() - 2;
    ctx_.current.append(ctx_.ns);
    ctx_.key_group = kg;
  }
  void rebuild_prefix() {
    if (ctx_.key_group < 0)
      return;
    ctx_.current.resize(2 + ctx_.key_size);
    ctx_.current.append(ctx_.ns);
  }

  //! The state registered under `name`, nullptr if none; throws if its type differs.
  detail::state_base* find_state(const std::string& name, const std::type_info& type,
                                 const char* kind) const;
  //! The column family of `name`, created if missing.
  rocksdb::ColumnFamilyHandle* column(const std::string& name);
  //! `from_key`: the group was computed from a user key (set_current_key).
  [[noreturn]] void throw_foreign_key_group(int kg, bool from_key) const;
  [[noreturn]] static void throw_missing_function(const std::string& name, const char* fn);
  void close() noexcept;
  using column_ids = std::vector<std::pair<std::uint32_t, rocksdb::ColumnFamilyHandle*>>;
  column_ids column_ids_now() const;
  //! Writes `batch` in column family and key order, the last write of a key
  //! winning: per column family as an ingested SST file from
  //! ingest_min_entries writes on, else in one WriteBatch. Touches nothing of
  //! the task's (any thread). Throws errc::state naming `what`.
  void write_sorted(const rocksdb::WriteBatch& batch, const column_ids& columns, const char* what);
  //! Adds every dirty entry and timer change to batch_.
  void collect_all();

  state_backend_options options_;
  rocksdb::DB* db_ = nullptr;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> columns_;
  std::map<std::string, std::unique_ptr<detail::state_base>> states_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  std::atomic<std::uint64_t> ingested_files_{0}; //!< names the files to ingest
  std::string timer_key_buf_;
  detail::write_gate gate_;
  detail::state_context ctx_;
  std::vector<timer_queue*> timer_queues_;
};

} // namespace spate
