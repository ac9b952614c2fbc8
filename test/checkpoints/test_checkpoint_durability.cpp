// Durable snapshots: every file a checkpoint or savepoint references, and
// every directory that names one, is synced before the `_metadata` that
// completes it is renamed into place. A recording file_syncer (which still
// syncs) sees the calls in order.
#define BOOST_TEST_MODULE checkpoint_durability
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>

#include "spate/checkpoints/keyed_snapshot.hpp"
#include "spate/checkpoints/storage.hpp"
#include "spate/state/keyed_state_backend.hpp"
#include "support/temp_dir.hpp"

using namespace spate;
using namespace spate::checkpoints;
using spate::test::temp_dir;
namespace fs = std::filesystem;

namespace {

struct recording_syncer final : file_syncer {
  mutable std::mutex mu;
  //! ("file" | "dir", canonical path), in call order.
  mutable std::vector<std::pair<std::string, std::string>> calls;
  void sync_file(const std::string& path) const override {
    file_syncer::sync_file(path);
    record("file", path);
  }
  void sync_directory(const std::string& path) const override {
    file_syncer::sync_directory(path);
    record("dir", path);
  }
  void record(const char* kind, const std::string& path) const {
    std::lock_guard<std::mutex> lock(mu);
    calls.emplace_back(kind, fs::weakly_canonical(path).string());
  }
  //! Where `path` was synced as `kind` first; npos when never.
  std::size_t position(const std::string& kind, const fs::path& path) const {
    auto want = fs::weakly_canonical(path).string();
    for (std::size_t i = 0; i < calls.size(); ++i)
      if (calls[i].first == kind && calls[i].second == want)
        return i;
    return std::string::npos;
  }
};

struct fixture {
  temp_dir dir;
  recording_syncer syncer;
  std::unique_ptr<keyed_state_backend> backend;
  value_state<std::string>* state = nullptr;
  fixture() {
    state_backend_options so;
    so.directory = dir.str() + "/db";
    so.cache_max_entries = 0;
    backend = std::make_unique<keyed_state_backend>(so);
    state = &backend->get_value_state(value_state_descriptor<std::string>{"v"});
  }
  //! A RocksDB checkpoint of the backend after writing `n` keys.
  std::string local_checkpoint(int n, const std::string& name) {
    for (int i = 0; i < n; ++i) {
      backend->set_current_key(i);
      state->update(name + std::to_string(i));
    }
    backend->flush();
    backend->db()->Flush(rocksdb::FlushOptions());
    rocksdb::Checkpoint* cp = nullptr;
    BOOST_REQUIRE(rocksdb::Checkpoint::Create(backend->db(), &cp).ok());
    std::string local = dir.str() + "/local-" + name;
    BOOST_REQUIRE(cp->CreateCheckpoint(local).ok());
    delete cp;
    return local;
  }
};

checkpoint_metadata metadata_of(std::int64_t id, const keyed_state_handle& h) {
  checkpoint_metadata m;
  m.job_id = "job";
  m.checkpoint_id = id;
  operator_snapshot op;
  op.uid = "uid";
  op.keyed.push_back(h);
  m.operators.push_back(op);
  return m;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_referenced_file_and_directory_is_synced_before_the_metadata) {
  fixture f;
  const fs::path base = f.dir.path / "checkpoints";
  checkpoint_storage storage(base.string(), "job", f.syncer);
  auto h =
      storage.upload_rocksdb_checkpoint(f.local_checkpoint(100, "a"), checkpoint_id{1}, "uid_0_x");
  BOOST_REQUIRE(!h.shared_files.empty());
  BOOST_REQUIRE(!h.private_files.empty());
  storage.write_metadata(metadata_of(1, h));
  const fs::path job = base / "job";
  const auto metadata_synced = f.syncer.position("file", job / "chk-1" / "_metadata.inprogress");
  BOOST_REQUIRE(metadata_synced != std::string::npos);
  BOOST_TEST_MESSAGE(f.syncer.calls.size() << " sync calls");
  // Shared SST files are synced under their temporary name, before the rename.
  for (auto& file : h.shared_files) {
    auto at = f.syncer.position("file", (job / file.path).string() + ".tmp");
    BOOST_TEST(at < metadata_synced, file.path << " not synced before _metadata");
  }
  for (auto& file : h.private_files)
    BOOST_TEST(f.syncer.position("file", job / file.path) < metadata_synced,
               file.path << " not synced before _metadata");
  for (const fs::path& d : {job / "chk-1" / "uid_0_x", job / "shared", job / "chk-1", job, base})
    BOOST_TEST(f.syncer.position("dir", d) < metadata_synced, d << " not synced before _metadata");
  // After the rename: the directory holding _metadata, then the one naming chk-1.
  auto renamed = std::find(
      f.syncer.calls.begin() + static_cast<std::ptrdiff_t>(metadata_synced), f.syncer.calls.end(),
      std::pair<std::string, std::string>{"dir", fs::weakly_canonical(job / "chk-1").string()});
  BOOST_REQUIRE(renamed != f.syncer.calls.end());
  BOOST_TEST((f.syncer.calls.back() ==
              std::pair<std::string, std::string>{"dir", fs::weakly_canonical(job).string()}));
  BOOST_TEST(fs::exists(job / "chk-1" / "_metadata"));
}

BOOST_AUTO_TEST_CASE(an_incremental_checkpoint_syncs_only_what_it_copies) {
  fixture f;
  const fs::path base = f.dir.path / "checkpoints";
  checkpoint_storage storage(base.string(), "job", f.syncer);
  auto local1 = f.local_checkpoint(100, "a");
  auto h1 = storage.upload_rocksdb_checkpoint(local1, checkpoint_id{1}, "uid_0_x");
  storage.write_metadata(metadata_of(1, h1));
  // Nothing new written: the same SST files, all already in shared/.
  auto local2 = f.local_checkpoint(0, "b");
  f.syncer.calls.clear();
  auto h2 = storage.upload_rocksdb_checkpoint(local2, checkpoint_id{2}, "uid_0_x");
  for (auto& c : f.syncer.calls)
    BOOST_TEST((c.second.find("/shared/") == std::string::npos || c.first == "dir"),
               c.second << " synced again");
  BOOST_TEST(f.syncer.position("dir", base / "job" / "shared") == std::string::npos);
  BOOST_TEST(f.syncer.position("dir", base / "job" / "chk-2" / "uid_0_x") != std::string::npos);
  BOOST_TEST(h2.shared_files.size() == h1.shared_files.size());
}

BOOST_AUTO_TEST_CASE(savepoint_state_files_are_synced_with_their_directory) {
  fixture f;
  for (int i = 0; i < 10; ++i) {
    f.backend->set_current_key(i);
    f.state->update("v" + std::to_string(i));
  }
  auto file = (f.dir.path / "sp" / "uid_0.state").string();
  auto size = export_canonical(*f.backend, file, f.syncer);
  BOOST_TEST(size == fs::file_size(file));
  auto synced = f.syncer.position("file", file);
  auto dir_synced = f.syncer.position("dir", f.dir.path / "sp");
  BOOST_TEST(synced != std::string::npos);
  BOOST_TEST(dir_synced != std::string::npos);
  BOOST_TEST(synced < dir_synced);
  // The savepoint's _metadata comes after, written atomically.
  write_file_atomically((f.dir.path / "sp" / "_metadata").string(), "x", f.syncer);
  BOOST_TEST(f.syncer.position("file", f.dir.path / "sp" / "_metadata.inprogress") > dir_synced);
}

BOOST_AUTO_TEST_CASE(a_sync_that_fails_is_an_io_error_naming_the_file) {
  temp_dir dir;
  BOOST_CHECK_EXCEPTION(
      file_syncer::system().sync_file(dir.str() + "/absent"), error, [&](const error& e) {
        return e.code() == errc::io && std::string(e.what()).find("absent") != std::string::npos;
      });
}

// An aborted checkpoint's upload stops, and leaves nothing behind: no
// private directory, no shared file it added, no temporary file.
BOOST_AUTO_TEST_CASE(a_cancelled_upload_removes_what_it_wrote) {
  fixture f;
  const fs::path base = f.dir.path / "checkpoints";
  checkpoint_storage storage(base.string(), "job", f.syncer);
  auto h1 =
      storage.upload_rocksdb_checkpoint(f.local_checkpoint(50, "a"), checkpoint_id{1}, "uid_0_x");
  storage.write_metadata(metadata_of(1, h1));
  auto shared_before =
      std::distance(fs::directory_iterator(base / "job" / "shared"), fs::directory_iterator());
  auto local = f.local_checkpoint(500, "b"); // new SST files to upload
  int asked = 0;
  BOOST_CHECK_EXCEPTION(storage.upload_rocksdb_checkpoint(local, checkpoint_id{2}, "uid_0_x", {},
                                                          [&] { return ++asked > 3; }),
                        error, [](const error& e) {
                          return e.code() == errc::unavailable &&
                                 std::string(e.what()).find("checkpoint 2 was aborted") !=
                                     std::string::npos;
                        });
  BOOST_TEST(asked > 3);
  BOOST_TEST(!fs::exists(base / "job" / "chk-2" / "uid_0_x"));
  BOOST_TEST(std::distance(fs::directory_iterator(base / "job" / "shared"),
                           fs::directory_iterator()) == shared_before);
  for (auto& e : fs::recursive_directory_iterator(base))
    BOOST_TEST(e.path().extension() != ".tmp", e.path());
  // Checkpoint 1 is intact.
  for (auto& file : h1.shared_files)
    BOOST_TEST(fs::exists(base / "job" / file.path));
  // Cancelled before it starts: nothing is created at all.
  BOOST_CHECK_THROW(storage.upload_rocksdb_checkpoint(local, checkpoint_id{3}, "uid_0_x", {},
                                                      [] { return true; }),
                    error);
  BOOST_TEST(!fs::exists(base / "job" / "chk-3"));
}
