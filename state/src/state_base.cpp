#include "spate/state/state_base.hpp"

#include <memory>

#include "rocksdb_util.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate::detail {

void write_gate::wait_slow() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !busy_; });
  if (!error_.empty())
    throw error(errc::state, "a checkpoint's writes failed, so the state cache no longer "
                             "matches RocksDB: " +
                                 error_);
}

state_base::state_base(state_context& ctx, rocksdb::ColumnFamilyHandle* cf, std::string name,
                       const char* kind)
    : ctx_(&ctx), cf_(cf), name_(std::move(name)), kind_(kind), label_("state '" + name_ + "'") {
  // Without a metric registry the counters go to ones nobody reads: a
  // counter costs no branch on the per-record path.
  static std::atomic<std::int64_t> unread[4];
  auto metric = [&](const std::string& suffix, int i) {
    auto* m = ctx.metric ? ctx.metric(name_ + "." + suffix) : nullptr;
    return m ? m : &unread[i];
  };
  cache_hits_ = metric("cacheHits", 0);
  cache_misses_ = metric("cacheMisses", 1);
  sst_bytes_ = metric("rocksdb.total-sst-files-size", 2);
  memtable_bytes_ = metric("rocksdb.size-all-mem-tables", 3);
}

void state_base::update_size_metrics() {
  std::uint64_t v = 0;
  if (ctx_->db->GetIntProperty(cf_, "rocksdb.total-sst-files-size", &v))
    sst_bytes_->store(static_cast<std::int64_t>(v), std::memory_order_relaxed);
  if (ctx_->db->GetIntProperty(cf_, "rocksdb.size-all-mem-tables", &v))
    memtable_bytes_->store(static_cast<std::int64_t>(v), std::memory_order_relaxed);
}

state_base::~state_base() = default;

bool state_base::db_get(const std::string& key, std::string& value) {
  auto s = ctx_->db->Get(rocksdb::ReadOptions(), cf_, key, &value);
  if (s.IsNotFound())
    return false;
  if (!s.ok())
    fail("get", s.ToString());
  return true;
}

void state_base::db_put(const std::string& key, std::string_view value) {
  ctx_->gate->wait();
  auto s = ctx_->db->Put(write_options(), cf_, key, slice(value));
  if (!s.ok())
    fail("put", s.ToString());
}

void state_base::db_delete(const std::string& key) {
  ctx_->gate->wait();
  auto s = ctx_->db->Delete(write_options(), cf_, key);
  if (!s.ok())
    fail("delete", s.ToString());
}

bool state_base::for_each_stored_key(std::size_t limit,
                                     const std::function<void(std::string_view)>& f) {
  // Without the estimate there is no scan: false is the documented answer,
  // and the caller then does without (it reads RocksDB on every miss).
  std::uint64_t estimate = 0;
  if (!ctx_->db->GetIntProperty(cf_, "rocksdb.estimate-num-keys", &estimate) || estimate > limit)
    return false;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(ctx_->db->NewIterator(ro, cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    f(view(it->key()));
  if (!it->status().ok()) {
    log().warn("state backend '{}', {}: scanning the stored keys failed, so every cache miss "
               "reads RocksDB: {}",
               ctx_->directory, label_, it->status().ToString());
    return false;
  }
  return true;
}

void state_base::batch_put(rocksdb::WriteBatch& batch, const std::string& key,
                           std::string_view value) {
  auto s = batch.Put(cf_, key, slice(value));
  if (!s.ok())
    fail("batch put", s.ToString());
}

void state_base::batch_delete(rocksdb::WriteBatch& batch, const std::string& key) {
  auto s = batch.Delete(cf_, key);
  if (!s.ok())
    fail("batch delete", s.ToString());
}

rocksdb::WriteBatch& state_base::fresh_batch() {
  ctx_->batch->Clear();
  return *ctx_->batch;
}

void state_base::write_back() {
  if (dirty_ == 0)
    return;
  auto& batch = fresh_batch();
  collect_dirty(batch);
  write(batch);
  mark_clean();
}

void state_base::write_sorted(const rocksdb::WriteBatch& batch) {
  if (batch.Count() == 0)
    return;
  ctx_->gate->wait();
  ctx_->write_sorted(batch);
}

void state_base::write(rocksdb::WriteBatch& batch) {
  if (batch.Count() == 0)
    return;
  ctx_->gate->wait();
  auto s = ctx_->db->Write(write_options(), &batch);
  if (!s.ok())
    fail("write back", s.ToString());
}

void state_base::throw_no_key() const {
  throw error(errc::failed_precondition,
              label_ + ": accessed before a current key was set (keyed state is only "
                       "available while processing a record or a timer of a key)");
}

void state_base::fail(const char* op, const std::string& status) const {
  throw error(errc::state, "state backend '" + ctx_->directory + "', " + label_ + ": " + op +
                               " failed: " + status);
}

} // namespace spate::detail
