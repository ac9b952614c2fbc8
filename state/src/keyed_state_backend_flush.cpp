// Writing the keyed state backend's cached state and timers to RocksDB: at a
// flush, for a checkpoint (prepared here, applied on another thread) and for
// evictions, sorted by key, as a WriteBatch or as ingested SST files.
#include "spate/state/keyed_state_backend.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <rocksdb/sst_file_writer.h>
#include <rocksdb/utilities/checkpoint.h>

#include "rocksdb_util.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace fs = std::filesystem;

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
  for (auto& [name, state] : states_) {
    state->mark_clean(false);
    state->update_size_metrics();
  }
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
  for (auto& [name, state] : states_) {
    state->mark_clean(true);
    // What the previous checkpoint's write left in RocksDB (this one's is
    // written on another thread, which must not walk the states).
    state->update_size_metrics();
  }
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

//! Writes entries [begin, end) of one column family through `write`, in
//! order, skipping those a later write of the same key supersedes; stops at
//! the first failure.
template <class Write>
rocksdb::Status write_latest(const std::vector<batch_entry>& entries, std::size_t begin,
                             std::size_t end, Write write) {
  rocksdb::Status s;
  for (std::size_t i = begin; s.ok() && i < end; ++i) {
    if (i + 1 < end && entries[i + 1].key == entries[i].key)
      continue; // superseded
    s = write(entries[i]);
  }
  return s;
}

//! Writes entries [begin, end) of column family `cf` into the SST file
//! `file` and has RocksDB ingest it; removes the file if it is left over
//! (logged, naming `directory`, if that fails).
rocksdb::Status ingest(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& file,
                       const std::vector<batch_entry>& entries, std::size_t begin, std::size_t end,
                       const std::string& directory) {
  // Written uncompressed, like a memtable flush: compaction compresses the
  // lower levels.
  rocksdb::Options o(db->GetDBOptions(), db->GetOptions(cf));
  o.compression = rocksdb::kNoCompression;
  o.compression_per_level.clear();
  o.bottommost_compression = rocksdb::kDisableCompressionOption;
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(o), o, cf);
  auto s = writer.Open(file);
  if (s.ok())
    s = write_latest(entries, begin, end, [&](const batch_entry& e) {
      return e.put ? writer.Put(e.key, e.value) : writer.Delete(e.key);
    });
  if (s.ok())
    s = writer.Finish();
  if (s.ok()) {
    // Moved (linked) into the database; it overlaps the memtable, which
    // RocksDB flushes first, so the file is newer than every write before.
    rocksdb::IngestExternalFileOptions io;
    io.move_files = true;
    s = db->IngestExternalFile(cf, {file}, io);
  }
  // Moved into the database when ingested; left over only on failure.
  std::error_code ec;
  fs::remove(file, ec);
  if (ec)
    log().warn("state backend '{}': cannot remove the ingest file '{}': {}", directory, file,
               ec.message());
  return s;
}

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
      s = write_latest(entries, begin, end, [&](const batch_entry& e) {
        return e.put ? small.Put(cf, e.key, e.value) : small.Delete(cf, e.key);
      });
      if (!s.ok())
        fail(s.ToString());
      continue;
    }
    const std::string file =
        (fs::path(options_.directory) / ("ingest-" + std::to_string(++ingested_files_) + ".sst"))
            .string();
    s = ingest(db_, cf, file, entries, begin, end, options_.directory);
    if (!s.ok())
      fail("'" + file + "': " + s.ToString());
  }
  if (small.Count() > 0) {
    s = db_->Write(detail::write_options(), &small);
    if (!s.ok())
      fail(s.ToString());
  }
}

} // namespace spate
