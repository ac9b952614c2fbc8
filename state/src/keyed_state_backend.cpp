// The keyed state backend: opening and closing its RocksDB instance, its
// column families (one per state) and the states' lookup. Writes of cached
// state are in keyed_state_backend_flush.cpp, raw entries in
// keyed_state_backend_raw.cpp.
#include "spate/state/keyed_state_backend.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include "rocksdb_util.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace fs = std::filesystem;

namespace {

rocksdb::ColumnFamilyOptions column_options() {
  rocksdb::ColumnFamilyOptions o;
  // State reads mostly miss (a new key or window): a bloom filter per SST
  // answers them without reading its blocks.
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // The same for the memtable, which evictions keep large: a miss there
  // otherwise walks its skip list.
  o.memtable_whole_key_filtering = true;
  o.memtable_prefix_bloom_size_ratio = 0.05;
  // Checkpoints flush small memtables often: write them uncompressed and
  // let compaction (which compresses the lower levels) merge them later.
  o.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression,
                             rocksdb::kSnappyCompression};
  o.level0_file_num_compaction_trigger = 8;
  // Levels sized from the last one up: ingested SST files then go to L0 or
  // the base level, not one level higher each time (every level a file that
  // every read probes, none large enough to compact).
  o.level_compaction_dynamic_level_bytes = true;
  return o;
}

void validate(const state_backend_options& o) {
  auto bad = [&](const std::string& what) {
    throw error(errc::invalid_argument, "state backend '" + o.directory + "': " + what);
  };
  if (o.directory.empty())
    bad("directory is empty");
  if (o.max_parallelism < 1 || o.max_parallelism > upper_max_parallelism)
    bad("max parallelism " + std::to_string(o.max_parallelism) + " is outside [1, " +
        std::to_string(upper_max_parallelism) + "]");
  if (o.key_groups.empty() || o.key_groups.start < 0 || o.key_groups.end >= o.max_parallelism)
    bad("key group range [" + std::to_string(o.key_groups.start) + ", " +
        std::to_string(o.key_groups.end) + "] is empty or outside [0, " +
        std::to_string(o.max_parallelism - 1) + "]");
}

} // namespace

keyed_state_backend::keyed_state_backend(state_backend_options options)
    : options_(std::move(options)) {
  validate(options_);
  const std::string& dir = options_.directory;
  auto fail = [&](const std::string& what) {
    throw error(errc::state, "state backend '" + dir + "': " + what);
  };
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    fail("cannot create the directory: " + ec.message());

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::vector<std::string> names{detail::default_column};
  if (fs::exists(fs::path(dir) / "CURRENT", ec)) {
    names.clear();
    auto s = rocksdb::DB::ListColumnFamilies(db_options, dir, &names);
    if (!s.ok())
      fail("cannot list column families: " + s.ToString());
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names)
    descriptors.emplace_back(n, column_options());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto s = rocksdb::DB::Open(db_options, dir, descriptors, &handles, &db_);
  if (!s.ok())
    fail("cannot open RocksDB: " + s.ToString());
  for (std::size_t i = 0; i < names.size(); ++i)
    columns_[names[i]] = handles[i];

  batch_ = std::make_unique<rocksdb::WriteBatch>();
  ctx_.db = db_;
  ctx_.directory = dir;
  ctx_.cache_max_entries = options_.cache_max_entries;
  ctx_.batch = batch_.get();
  ctx_.gate = &gate_;
  ctx_.metric = options_.metric;
  ctx_.write_sorted = [this](const rocksdb::WriteBatch& b) {
    write_sorted(b, column_ids_now(), "eviction write");
  };
}

keyed_state_backend::~keyed_state_backend() {
  if (!db_)
    return; // discarded
  try {
    flush();
  } catch (const std::exception& e) {
    log().error("state backend '{}': flush on close failed: {}", options_.directory, e.what());
  }
  close();
}

void keyed_state_backend::discard() noexcept {
  if (!db_)
    return;
  gate_.wait_quietly(); // a checkpoint write may still be running
  // Closing would otherwise flush the memtables (the WAL is off).
  auto s = db_->SetDBOptions({{"avoid_flush_during_shutdown", "true"}});
  if (!s.ok())
    log().warn("state backend '{}': {}", options_.directory, s.ToString());
  close();
  std::error_code ec;
  std::filesystem::remove_all(options_.directory, ec);
  if (ec)
    log().warn("state backend '{}': cannot remove it: {}", options_.directory, ec.message());
}

void keyed_state_backend::close() noexcept {
  gate_.wait_quietly();
  for (auto* q : timer_queues_)
    q->detach();
  timer_queues_.clear();
  states_.clear();
  if (!db_)
    return;
  for (auto& [name, handle] : columns_) {
    auto destroyed = db_->DestroyColumnFamilyHandle(handle);
    if (!destroyed.ok())
      log().warn("state backend '{}': releasing the handle of state '{}' failed: {}",
                 options_.directory, name, destroyed.ToString());
  }
  columns_.clear();
  // Close() flushes the memtables: with the WAL off they hold the only copy.
  auto s = db_->Close();
  if (!s.ok())
    log().error("state backend '{}': close failed: {}", options_.directory, s.ToString());
  delete db_;
  db_ = nullptr;
}

void keyed_state_backend::unregister_timer_queue(timer_queue* q) {
  timer_queues_.erase(std::remove(timer_queues_.begin(), timer_queues_.end(), q),
                      timer_queues_.end());
}

std::vector<std::string> keyed_state_backend::state_names() const {
  std::vector<std::string> names;
  for (const auto& [name, handle] : columns_)
    if (name != detail::default_column)
      names.push_back(name);
  return names;
}

detail::state_base* keyed_state_backend::find_state(const std::string& name,
                                                    const std::type_info& type,
                                                    const char* kind) const {
  auto it = states_.find(name);
  if (it == states_.end())
    return nullptr;
  detail::state_base* s = it->second.get();
  if (s->type() == type)
    return s;
  std::string existing = s->kind();
  throw error(errc::invalid_argument, "state '" + name + "' is already declared as " + existing +
                                          " state" + (existing == kind ? " with other types" : "") +
                                          "; cannot get it as " + kind + " state with these types");
}

rocksdb::ColumnFamilyHandle* keyed_state_backend::column(const std::string& name) {
  if (auto it = columns_.find(name); it != columns_.end() && name != detail::default_column)
    return it->second;
  if (name.empty() || name == detail::default_column)
    throw error(errc::invalid_argument,
                "state name '" + name + "' is not allowed (empty or reserved by RocksDB)");
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  auto s = db_->CreateColumnFamily(column_options(), name, &handle);
  if (!s.ok())
    throw error(errc::state, "state backend '" + options_.directory +
                                 "': cannot create column family for state '" + name +
                                 "': " + s.ToString());
  columns_[name] = handle;
  return handle;
}

void keyed_state_backend::throw_foreign_key_group(int kg, bool from_key) const {
  std::string what = "state backend '" + options_.directory + "': key group " + std::to_string(kg) +
                     " of the key is outside this backend's key groups [" +
                     std::to_string(options_.key_groups.start) + ", " +
                     std::to_string(options_.key_groups.end) + "]";
  if (!from_key) // a key group spate stored itself (timers, restored state)
    throw error(errc::internal, what);
  throw error(errc::nondeterministic,
              what + "; the record was routed by another key, so the key selector (or the "
                     "key's hash) is most likely not deterministic");
}

void keyed_state_backend::throw_missing_function(const std::string& name, const char* fn) {
  throw error(errc::invalid_argument,
              "state '" + name + "': the descriptor has no " + fn + " function");
}

} // namespace spate
