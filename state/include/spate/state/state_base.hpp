// Internals shared by every state kind: the column family a state lives in,
// the backend's current key, and the RocksDB calls. RocksDB types are only
// forward-declared here so users of the state API do not compile rocksdb/db.h.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

#include <cstddef>
#include <string>
#include <string_view>
#include <typeinfo>

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
} // namespace rocksdb

namespace spate::detail {

//! Closed while a checkpoint's prepared writes are being applied on another
//! thread: every write to RocksDB from the task waits for it to open. An
//! error in those writes stays: the cache then no longer matches RocksDB,
//! and every later write throws it.
class write_gate {
public:
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    busy_ = true;
    clear_.store(false, std::memory_order_release);
  }
  void open(const std::string& error = {}) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      busy_ = false;
      if (!error.empty() && error_.empty())
        error_ = error;
      clear_.store(error_.empty(), std::memory_order_release);
    }
    cv_.notify_all();
  }
  //! Waits until open; throws errc::state if a prepared write failed. Costs
  //! one atomic load when open (map state calls it per write).
  void wait() {
    if (!clear_.load(std::memory_order_acquire))
      wait_slow();
  }
  //! Waits until open; never throws.
  void wait_quietly() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !busy_; });
  }

private:
  void wait_slow();

  std::atomic<bool> clear_{true}; //!< open and no error
  std::mutex mu_;
  std::condition_variable cv_;
  bool busy_ = false;
  std::string error_;
};

//! What every state object shares with its backend (owned by the backend).
struct state_context {
  rocksdb::DB* db = nullptr;
  std::string directory;
  std::size_t cache_max_entries = 0;
  //! The current composite prefix: key group (2 bytes, big endian) + key + namespace.
  std::string current;
  std::size_t key_size = 0;             //!< bytes of the encoded key within `current`
  std::string ns;                       //!< namespace bytes; empty = default namespace
  int key_group = -1;                   //!< -1 until a key is set
  rocksdb::WriteBatch* batch = nullptr; //!< reused for write-backs (single-threaded)
  write_gate* gate = nullptr;
  //! Writes a large batch in key order (the backend's write_sorted: an
  //! ingested SST file from its threshold on).
  std::function<void(const rocksdb::WriteBatch&)> write_sorted;
  //! Set while a state is created on a column family created for it.
  bool new_column = false;
  //! The subtask's metric named `name` (a counter or gauge, read by other
  //! threads), or null without metrics (state_backend_options::metric).
  std::function<std::atomic<std::int64_t>*(const std::string& name)> metric;
};

//! A metric of one state, written only by its task's thread: a relaxed load
//! and store (no locked instruction), read by the metrics reporter.
inline void bump(std::atomic<std::int64_t>& m) {
  m.store(m.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

//! Base of all state objects. Virtual calls happen only on flush, eviction
//! and registry checks, never on the per-record path.
class state_base {
public:
  state_base(state_context& ctx, rocksdb::ColumnFamilyHandle* cf, std::string name,
             const char* kind);
  virtual ~state_base();
  state_base(const state_base&) = delete;
  state_base& operator=(const state_base&) = delete;

  const std::string& name() const { return name_; }
  //! "value", "list", "map", "reducing" or "aggregating".
  const char* kind() const { return kind_; }
  //! Number of changes (cached entries, listed Deletes) not yet written to RocksDB.
  virtual std::size_t dirty_count() const { return dirty_; }

  //! The concrete state type (kind and value types), for the registry's check.
  virtual const std::type_info& type() const = 0;
  //! Adds a Put or Delete for every dirty cached entry to `batch`.
  virtual void collect_dirty(rocksdb::WriteBatch& batch) = 0;
  //! Called once the batch from collect_dirty is written (or, with
  //! `write_pending`, handed to another thread to write): every entry is clean.
  virtual void mark_clean(bool write_pending = false) = 0;
  //! Drops any cached copy of the entry at `key` (it was overwritten directly).
  virtual void invalidate(const std::string& key) = 0;
  //! Publishes the state's RocksDB size (its column family's SST files and
  //! memtables) to its gauges. Thread-safe (RocksDB's properties are).
  void update_size_metrics();

protected:
  //! The current composite prefix; throws errc::failed_precondition if no
  //! key is set (state used outside a keyed context).
  const std::string& current_key() const {
    if (ctx_->key_group < 0)
      throw_no_key();
    return ctx_->current;
  }
  //! "state '<name>'": names the state in decode errors.
  const char* label() const { return label_.c_str(); }

  //! Reads `key` into `value`; false if absent. Throws errc::state.
  bool db_get(const std::string& key, std::string& value);
  void db_put(const std::string& key, std::string_view value);
  void db_delete(const std::string& key);
  void batch_put(rocksdb::WriteBatch& batch, const std::string& key, std::string_view value);
  void batch_delete(rocksdb::WriteBatch& batch, const std::string& key);
  //! Calls `f(key)` for every key RocksDB holds for this state, if there are
  //! at most `limit` (RocksDB's estimate) and the scan succeeds; else false.
  bool for_each_stored_key(std::size_t limit, const std::function<void(std::string_view)>& f);
  //! Writes this state's dirty entries in one WriteBatch, then marks them clean.
  void write_back();
  //! The backend's shared batch, emptied (single-threaded, so never in use twice).
  rocksdb::WriteBatch& fresh_batch();
  //! Writes `batch` unless empty (WAL off). Throws errc::state naming directory and state.
  void write(rocksdb::WriteBatch& batch);
  //! The same for a large batch in any order (an eviction's), through
  //! state_context::write_sorted. Throws errc::state naming the directory.
  void write_sorted(const rocksdb::WriteBatch& batch);
  [[noreturn]] void throw_no_key() const;
  [[noreturn]] void fail(const char* op, const std::string& status) const;

  state_context* ctx_;
  rocksdb::ColumnFamilyHandle* cf_;
  std::size_t dirty_ = 0;
  //! "<state>.cacheHits" / "<state>.cacheMisses" of the write-back cache.
  std::atomic<std::int64_t>* cache_hits_;
  std::atomic<std::int64_t>* cache_misses_;
  //! "<state>.rocksdb.total-sst-files-size" / ".rocksdb.size-all-mem-tables".
  std::atomic<std::int64_t>* sst_bytes_;
  std::atomic<std::int64_t>* memtable_bytes_;

private:
  std::string name_;
  const char* kind_;
  std::string label_;
};

} // namespace spate::detail
