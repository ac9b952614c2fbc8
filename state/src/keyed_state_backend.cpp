#include "spate/state/keyed_state_backend.hpp"

#include <algorithm>
#include <cstring>

#include <filesystem>
#include <system_error>

#include "rocksdb_util.hpp"

#include <rocksdb/filter_policy.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace fs = std::filesystem;

namespace {

constexpr const char* default_column = "default";

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
  std::vector<std::string> names{default_column};
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

void keyed_state_backend::collect_all() {
  batch_->Clear();
  for (auto& [name, state] : states_)
    state->collect_dirty(*batch_);
  for (auto* q : timer_queues_) {
    if (q->pending_changes() == 0)
      continue;
    auto* cf = column(q->name_);
    q->collect_pending([&](int kg, std::string_view rest, bool put, std::uint32_t key_size) {
      std::string& key = timer_key_buf_;
      key = detail::key_group_prefix(kg); // two bytes: kept in the buffer, no allocation
      key.append(rest);
      rocksdb::Status s;
      if (put) {
        char value[4];
        std::memcpy(value, &key_size, 4);
        s = batch_->Put(cf, key, rocksdb::Slice(value, 4));
      } else {
        s = batch_->Delete(cf, key);
      }
      if (!s.ok())
        throw error(errc::state, "state backend '" + options_.directory + "', timer state '" +
                                     q->name_ +
                                     "': batching a timer change failed: " + s.ToString());
    });
  }
}

void keyed_state_backend::flush() {
  gate_.wait();
  collect_all();
  if (batch_->Count() > 0)
    write_sorted(*batch_, column_ids_now(), "flush");
  // Also without writes: timers added and deleted since the last flush are
  // forgotten here.
  for (auto& [name, state] : states_)
    state->mark_clean(false);
  for (auto* q : timer_queues_)
    q->mark_flushed();
}

std::unique_ptr<keyed_state_backend::prepared_flush> keyed_state_backend::prepare_flush() {
  gate_.wait();
  collect_all();
  // Handed over, not copied: sorting it is the uploader's work.
  std::unique_ptr<rocksdb::WriteBatch> batch = std::move(batch_);
  batch_ = std::make_unique<rocksdb::WriteBatch>();
  ctx_.batch = batch_.get();
  for (auto& [name, state] : states_)
    state->mark_clean(true);
  for (auto* q : timer_queues_)
    q->mark_flushed();
  gate_.close();
  return std::make_unique<prepared_flush>(*this, std::move(batch), column_ids_now());
}

keyed_state_backend::prepared_flush::prepared_flush(keyed_state_backend& b,
                                                    std::unique_ptr<rocksdb::WriteBatch> batch,
                                                    column_ids columns)
    : backend_(&b), batch_(std::move(batch)), columns_(std::move(columns)) {}

keyed_state_backend::prepared_flush::~prepared_flush() {
  if (!applied_)
    backend_->gate_.open("a prepared checkpoint write was dropped before it ran");
}

void keyed_state_backend::prepared_flush::apply(const std::function<void(rocksdb::DB*)>& then) {
  applied_ = true;
  std::string failure;
  try {
    if (batch_->Count() > 0)
      backend_->write_sorted(*batch_, columns_, "checkpoint write");
    batch_.reset();
    then(backend_->db_);
  } catch (const std::exception& e) {
    failure = e.what();
    backend_->gate_.open(failure);
    throw;
  }
  backend_->gate_.open();
}

void keyed_state_backend::prepared_flush::apply_and_checkpoint(const std::string& dir) {
  const std::string& from = backend_->options().directory;
  apply([&](rocksdb::DB* db) {
    std::filesystem::create_directories(std::filesystem::path(dir).parent_path());
    rocksdb::Checkpoint* cp = nullptr;
    auto s = rocksdb::Checkpoint::Create(db, &cp);
    if (s.ok()) {
      s = cp->CreateCheckpoint(dir);
      delete cp;
    }
    if (!s.ok())
      throw error(errc::state, "cannot checkpoint state backend '" + from + "' into '" + dir +
                                   "': " + s.ToString());
  });
}

namespace {

//! One write of a batch: slices into the batch's own buffer.
struct batch_entry {
  std::uint32_t cf;
  rocksdb::Slice key;
  rocksdb::Slice value;
  bool put;
};

class batch_reader final : public rocksdb::WriteBatch::Handler {
public:
  explicit batch_reader(std::vector<batch_entry>& out) : out_(out) {}
  rocksdb::Status PutCF(std::uint32_t cf, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    out_.push_back({cf, key, value, true});
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(std::uint32_t cf, const rocksdb::Slice& key) override {
    out_.push_back({cf, key, {}, false});
    return rocksdb::Status::OK();
  }

private:
  std::vector<batch_entry>& out_;
};

} // namespace

keyed_state_backend::column_ids keyed_state_backend::column_ids_now() const {
  column_ids ids;
  for (const auto& [name, handle] : columns_)
    ids.emplace_back(handle->GetID(), handle);
  return ids;
}

void keyed_state_backend::write_sorted(const rocksdb::WriteBatch& batch, const column_ids& columns,
                                       const char* what) {
  auto fail = [&](const std::string& why) {
    throw error(errc::state,
                "state backend '" + options_.directory + "': " + what + " failed: " + why);
  };
  std::vector<batch_entry> entries;
  entries.reserve(batch.Count());
  batch_reader reader(entries);
  auto s = batch.Iterate(&reader);
  if (!s.ok())
    fail(s.ToString());
  // Stable: of two writes of one key, the later stays later and wins.
  std::stable_sort(entries.begin(), entries.end(), [](const batch_entry& a, const batch_entry& b) {
    return a.cf != b.cf ? a.cf < b.cf : a.key.compare(b.key) < 0;
  });
  auto superseded = [&](std::size_t i, std::size_t end) {
    return i + 1 < end && entries[i + 1].key == entries[i].key;
  };
  // In key order: RocksDB's memtable inserts along the previous insert's
  // path, several times faster than in the hash order the caches hand over.
  rocksdb::WriteBatch small;
  for (std::size_t begin = 0, end = 0; begin < entries.size(); begin = end) {
    const std::uint32_t id = entries[begin].cf;
    end = begin;
    while (end < entries.size() && entries[end].cf == id)
      ++end;
    auto col =
        std::find_if(columns.begin(), columns.end(), [&](const auto& c) { return c.first == id; });
    if (col == columns.end())
      fail("a write to unknown column family " + std::to_string(id));
    rocksdb::ColumnFamilyHandle* cf = col->second;
    if (end - begin < options_.ingest_min_entries) {
      for (std::size_t i = begin; i < end; ++i) {
        if (superseded(i, end))
          continue;
        s = entries[i].put ? small.Put(cf, entries[i].key, entries[i].value)
                           : small.Delete(cf, entries[i].key);
        if (!s.ok())
          fail(s.ToString());
      }
      continue;
    }
    // Written uncompressed, like a memtable flush: compaction compresses the
    // lower levels.
    rocksdb::Options o(db_->GetDBOptions(), db_->GetOptions(cf));
    o.compression = rocksdb::kNoCompression;
    o.compression_per_level.clear();
    o.bottommost_compression = rocksdb::kDisableCompressionOption;
    const std::string file =
        (fs::path(options_.directory) / ("ingest-" + std::to_string(++ingested_files_) + ".sst"))
            .string();
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(o), o, cf);
    s = writer.Open(file);
    for (std::size_t i = begin; s.ok() && i < end; ++i) {
      if (superseded(i, end))
        continue;
      s = entries[i].put ? writer.Put(entries[i].key, entries[i].value)
                         : writer.Delete(entries[i].key);
    }
    if (s.ok())
      s = writer.Finish();
    if (s.ok()) {
      // Moved (linked) into the database; it overlaps the memtable, which
      // RocksDB flushes first, so the file is newer than every write before.
      rocksdb::IngestExternalFileOptions io;
      io.move_files = true;
      s = db_->IngestExternalFile(cf, {file}, io);
    }
    // Moved into the database when ingested; left over only on failure.
    std::error_code ec;
    fs::remove(file, ec);
    if (ec)
      log().warn("state backend '{}': cannot remove the ingest file '{}': {}", options_.directory,
                 file, ec.message());
    if (!s.ok())
      fail("'" + file + "': " + s.ToString());
  }
  if (small.Count() > 0) {
    s = db_->Write(detail::write_options(), &small);
    if (!s.ok())
      fail(s.ToString());
  }
}

void keyed_state_backend::unregister_timer_queue(timer_queue* q) {
  timer_queues_.erase(std::remove(timer_queues_.begin(), timer_queues_.end(), q),
                      timer_queues_.end());
}

std::vector<std::string> keyed_state_backend::state_names() const {
  std::vector<std::string> names;
  for (const auto& [name, handle] : columns_)
    if (name != default_column)
      names.push_back(name);
  return names;
}

void keyed_state_backend::for_each_raw(
    const std::string& state, key_group_range range,
    const std::function<void(int, std::string_view, std::string_view)>& visit) {
  flush();
  auto col = columns_.find(state);
  if (state == default_column || col == columns_.end())
    throw error(errc::not_found,
                "state backend '" + options_.directory + "': no state '" + state + "'");
  if (range.empty())
    return;
  std::string lower = detail::key_group_prefix(range.start);
  std::string upper = detail::key_group_prefix(range.end + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  if (range.end + 1 <= 0xffff)
    ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, col->second));
  for (it->Seek(lower); it->Valid(); it->Next()) {
    auto key = detail::view(it->key());
    if (key.size() < 2)
      throw error(errc::corrupt, "state backend '" + options_.directory + "', state '" + state +
                                     "': key of " + std::to_string(key.size()) +
                                     " bytes has no key-group prefix");
    int kg = (static_cast<unsigned char>(key[0]) << 8) | static_cast<unsigned char>(key[1]);
    if (kg > range.end)
      break;
    visit(kg, key.substr(2), detail::view(it->value()));
  }
  if (!it->status().ok())
    throw error(errc::state, "state backend '" + options_.directory + "', state '" + state +
                                 "': scan failed: " + it->status().ToString());
}

void keyed_state_backend::put_raw(const std::string& state, int key_group,
                                  std::string_view key_rest, std::string_view value) {
  if (!options_.key_groups.contains(key_group))
    throw error(errc::invalid_argument, "state backend '" + options_.directory + "', state '" +
                                            state + "': key group " + std::to_string(key_group) +
                                            " is outside this backend's key groups [" +
                                            std::to_string(options_.key_groups.start) + ", " +
                                            std::to_string(options_.key_groups.end) + "]");
  gate_.wait();
  auto* cf = column(state);
  std::string key = detail::key_group_prefix(key_group);
  key.append(key_rest);
  auto s = db_->Put(detail::write_options(), cf, key, detail::slice(value));
  if (!s.ok())
    throw error(errc::state, "state backend '" + options_.directory + "', state '" + state +
                                 "': put failed: " + s.ToString());
  if (auto it = states_.find(state); it != states_.end())
    it->second->invalidate(key);
}

void keyed_state_backend::delete_raw(const std::string& state, int key_group,
                                     std::string_view key_rest) {
  if (!options_.key_groups.contains(key_group))
    throw error(errc::invalid_argument, "state backend '" + options_.directory + "', state '" +
                                            state + "': key group " + std::to_string(key_group) +
                                            " is outside this backend's key groups");
  gate_.wait();
  auto* cf = column(state);
  std::string key = detail::key_group_prefix(key_group);
  key.append(key_rest);
  auto s = db_->Delete(detail::write_options(), cf, key);
  if (!s.ok())
    throw error(errc::state, "state backend '" + options_.directory + "', state '" + state +
                                 "': delete failed: " + s.ToString());
  if (auto it = states_.find(state); it != states_.end())
    it->second->invalidate(key);
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
  if (auto it = columns_.find(name); it != columns_.end() && name != default_column)
    return it->second;
  if (name.empty() || name == default_column)
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
